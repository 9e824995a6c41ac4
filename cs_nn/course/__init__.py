"""Course tooling learners use but do not edit: graded files, plots, widgets, training, delivery,
the self-check and submission."""
