"""cs_nn: neural networks from scratch in numpy — the reference package of the curriculum.

Import what you need from the submodules, e.g. ``from cs_nn.layers import linear_forward``.
The core needs only numpy; plotting, widgets and progress bars are imported when used.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "test_fer_model"]


def __getattr__(name: str) -> object:
    """``cs_nn.test_fer_model`` (seed 000 Q5), imported on first use so that ``import cs_nn``
    stays light (numpy only)."""
    if name == "test_fer_model":
        from cs_nn.course.fer_model import test_fer_model  # lazy: keeps `import cs_nn` light
        return test_fer_model
    raise AttributeError(f"module 'cs_nn' has no attribute {name!r}")
