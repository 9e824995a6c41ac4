"""Grading the graded CSV files learners submit.

* :mod:`~cs_nn.course.compare` — tolerance comparison and hints.
* :mod:`~cs_nn.course.dropout_check` — statistical checks of dropout outputs.
* :mod:`~cs_nn.instructor.grading.submission` — opening an untrusted folder or zip safely.
* :mod:`~cs_nn.instructor.grading.grade` — grading one submission.
* :mod:`~cs_nn.instructor.grading.batch` — many in parallel: which paths are submissions,
  unique names, duplicate flags, Ctrl-C.
* :mod:`~cs_nn.instructor.grading.report` — ``grades.csv`` and per-submission feedback files.

Nothing here imports more than numpy at import time.
"""
