"""The instructor's tooling: grading submissions and building the student release."""
