"""cs_nn: neural networks from scratch in numpy — the reference package of the curriculum.

Import what you need from the submodules, e.g. ``from cs_nn.layers import linear_forward``.
The core needs only numpy; plotting, widgets and progress bars are imported when used.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "test_deep_fer_model", "test_fer_model"]


def __getattr__(name: str) -> object:
    """``cs_nn.test_fer_model`` (seed 000 Q5), imported on first use so that ``import cs_nn``
    stays light (numpy only)."""
    if name == "test_fer_model":
        from cs_nn.course.fer_model import test_fer_model  # lazy: keeps `import cs_nn` light
        return test_fer_model
    raise AttributeError(f"module 'cs_nn' has no attribute {name!r}")

def test_deep_fer_model(img_folder, model=None):  # noqa: ANN001 - the seed's signature
    """Seed 000 Q6: facial-expression classes (N,) int64 in 0..6 for the images of a folder
    (sorted file names), predicted by a PyTorch CNN file; ``model=None`` uses the course's
    trained FER2013 CNN. Needs PyTorch, imported only now: see
    :func:`cs_nn.pytorch.fer.test_deep_fer_model`."""
    from cs_nn.pytorch.fer import DEFAULT_FER_MODEL  # lazy: imports torch
    from cs_nn.pytorch.fer import test_deep_fer_model as run  # lazy: imports torch

    return run(img_folder, DEFAULT_FER_MODEL if model is None else model)
