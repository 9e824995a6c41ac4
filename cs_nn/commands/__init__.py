"""Sub-commands of ``cs-nn``: one module each (see :mod:`cs_nn.cli`)."""
