"""Checking and grading the graded CSV files, and building the student release.

* :mod:`~cs_nn.grading.compare` — tolerance comparison and hints (shape, factor, sign, ...).
* :mod:`~cs_nn.grading.dropout` — statistical checks of dropout outputs (random masks differ).
* :mod:`~cs_nn.grading.submission` — opening an untrusted folder or zip safely.
* :mod:`~cs_nn.grading.grade` — grading submissions (one, or many in parallel).
* :mod:`~cs_nn.grading.report` — ``grades.csv`` and per-submission feedback files.
* :mod:`~cs_nn.grading.selfcheck` — the learner's offline check (no answers shipped).
* :mod:`~cs_nn.grading.release` — the student release builder.

Nothing here imports more than numpy at import time.
"""
