"""The instructor's tooling: grading submissions, building the student release and its answer
key."""
