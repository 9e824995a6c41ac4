"""cs_nn: neural networks from scratch in numpy — the reference package of the curriculum.

Import what you need from the submodules, e.g. ``from cs_nn.layers import linear_forward``.
The core needs only numpy; plotting, widgets and progress bars are imported when used.
"""

__version__ = "0.1.0"

from cs_nn.fer_model import test_fer_model  # noqa: E402  (seed 000 Q5; numpy-only module)

__all__ = ["__version__", "test_fer_model"]
