"""The instructor's speed path: faster equivalents of a few learner-facing functions.

Instructor-only: the student release does not ship this package, so there the learner's
own code runs (see :mod:`cs_nn._util.speed`, which routes ``@speed_path("<module>")`` functions
to ``cs_nn._fast.<module>.<name>``). Every function here is proven equal to its plain
counterpart by ``tests/test_fast_*.py`` (float64 to about 1e-12, float32 to tolerance).

- ``conv``: chunked im2col from a window view, kept columns, flat stride-1 col2im, threads.
- ``_columns``: the two im2col column layouts (per image, and channels-last) and which pays.
- ``pool``: max pooling without a Python loop over output positions; ranges of images on
  threads.
- ``conv_pool``: the ConvNet's conv -> pool -> ReLU block fused per chunk of images, on
  channels-last columns (one matrix product per chunk), no dx.
- ``optim``: in-place state updates on arrays the update rule allocated itself.
- ``models``: the models' loss without dx for the data layer and without re-scanning X;
  the ConvNet's whole step on one range of images per thread.
- ``_memory``: on first import of the speed path, glibc is told to keep freed memory for
  reuse (no page faults on every step's fresh arrays): see :mod:`cs_nn._fast._memory`.
"""

from cs_nn._fast._memory import keep_freed_memory

keep_freed_memory()  # the speed path's one process-wide setting; results are unchanged
