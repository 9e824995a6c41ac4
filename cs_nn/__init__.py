"""cs_nn: neural networks from scratch in numpy — the reference package of the curriculum.

Import what you need from the submodules, e.g. ``from cs_nn.layers import linear_forward``.
The core needs only numpy; plotting, widgets and progress bars are imported when used.
"""

__version__ = "0.1.0"
