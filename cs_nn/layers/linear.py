"""Linear (fully-connected, affine) layer: ``out = x.reshape(N, D) @ w + b``."""

from __future__ import annotations

import numpy as np

from cs_nn._checks import as_float_array, check_same_shape

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "02_linear_and_activations"

LinearCache = tuple[np.ndarray, np.ndarray]


def check_linear_inputs(x: object, w: object, b: object, check_x_finite: bool = True
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (N, d1..dk), w (D, M), b (M,) as float arrays, or a ValueError naming the mismatch.

    ``check_x_finite=False`` skips only the NaN / infinity scan of x, for a caller that has
    just validated the same x (a model checking its input batch).
    """
    x = as_float_array("x", x, min_ndim=1, finite=check_x_finite)
    w = as_float_array("w", w, ndim=2)
    b = as_float_array("b", b, ndim=1)
    d = int(np.prod(x.shape[1:], dtype=np.int64))
    if w.shape[0] != d:
        raise ValueError(f"w must have shape (D, M) with D = {d} (the flattened size of one "
                         f"sample of x, shape {x.shape}), got {w.shape}")
    if b.shape[0] != w.shape[1]:
        raise ValueError(f"b must have shape (M,) = ({w.shape[1]},) to match w, got {b.shape}")
    return x, w, b


def linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray
                   ) -> tuple[np.ndarray, LinearCache]:
    """Affine map of a batch whose samples may have any shape.

    Args:
        x: (N, d1, ..., dk) inputs; each sample is flattened to D = d1 * ... * dk values.
        w: (D, M) weights.
        b: (M,) biases.

    Returns:
        out: (N, M) outputs, ``X W + b`` where X is x with each sample flattened, (N, D).
        cache: (x, w) for :func:`linear_backward`.
    """
    x, w, b = check_linear_inputs(x, w, b)
    n = x.shape[0]
    d = w.shape[0]
    # BEGIN SOLUTION
    out = x.reshape(n, d) @ w + b  # (N, M)
    # END SOLUTION
    return out, (x, w)


def linear_backward(dout: np.ndarray, cache: LinearCache
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a linear layer.

    Args:
        dout: (N, M) upstream gradient of the loss with respect to ``out``.
        cache: (x, w) from :func:`linear_forward`.

    Returns:
        dx: gradient with x's shape (N, d1, ..., dk).
        dw: (D, M) gradient with respect to w.
        db: (M,) gradient with respect to b.
    """
    x, w = cache
    dout = as_float_array("dout", dout, ndim=2, finite=False)
    check_same_shape("dout", dout, "out (N, M)", np.empty((x.shape[0], w.shape[1])))
    # BEGIN SOLUTION
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout  # (D, M)
    db = dout.sum(axis=0)
    # END SOLUTION
    return dx, dw, db
