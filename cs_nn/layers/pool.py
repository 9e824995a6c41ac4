"""Max pooling: the largest value of each (pool_height, pool_width) window, per channel.

Output size: ``H' = 1 + (H - pool_height) // stride`` (and the same for the width); like
PyTorch, rows or columns that do not fill a whole last window are left out.

The gradient of a maximum goes entirely to the input that attained it. When several inputs
of a window tie for the maximum, the FIRST one (row-major order inside the window) gets the
whole gradient, so ``dx`` sums to ``dout`` exactly, as in PyTorch.

The instructor's repository runs a faster equivalent (cs_nn/_fast/pool.py, see
:mod:`cs_nn._util.speed`); the student release runs the code written here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cs_nn._checks import as_float_array, check_int, check_shape
from cs_nn._util.speed import speed_path

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "09_pooling_and_convnets"

PoolCache = tuple[np.ndarray, dict[str, int]]


def pool_settings(pool_param: Mapping[str, int]) -> tuple[int, int, int]:
    """(pool_height, pool_width, stride) from ``pool_param``, or a ValueError saying why not."""
    keys = ("pool_height", "pool_width", "stride")
    if not isinstance(pool_param, Mapping) or any(k not in pool_param for k in keys):
        raise ValueError("pool_param must be a dict with keys 'pool_height', 'pool_width' and "
                         f"'stride', got {pool_param!r}")
    values = []
    for key in keys:
        v = pool_param[key]
        values.append(check_int(f"pool_param['{key}']", v, 1))
    return values[0], values[1], values[2]


def pool_output_shape(x_shape: tuple[int, ...], ph: int, pw: int, stride: int) -> tuple[int, int]:
    """(H', W') of max pooling, or a ValueError naming the dimension the window does not fit."""
    h, w = x_shape[2], x_shape[3]
    for dim, size, k, key in (("height", h, ph, "pool_height"), ("width", w, pw, "pool_width")):
        if k > size:
            raise ValueError(f"{key} {k} is larger than the input {dim} {size}; use a smaller "
                             "pooling window")
    return 1 + (h - ph) // stride, 1 + (w - pw) // stride


@speed_path("pool")
def max_pool_forward(x: np.ndarray, pool_param: Mapping[str, int]) -> tuple[np.ndarray, PoolCache]:
    """Max pooling forward pass.

    Args:
        x: (N, C, H, W) input.
        pool_param: {"pool_height": ph, "pool_width": pw, "stride": s}, all integers >= 1.

    Returns:
        out: (N, C, H', W'), ``H' = 1 + (H - ph) // s``, ``W' = 1 + (W - pw) // s``; x's dtype.
        cache: (x, pool_param) for :func:`max_pool_backward`.

    Raises:
        ValueError: bad pool settings, a window larger than x, or NaN / inf in x
            (``NonFiniteError``: the max of a window holding NaN is not defined).
    """
    ph, pw, stride = pool_settings(pool_param)
    x = as_float_array("x", x, ndim=4)
    h_out, w_out = pool_output_shape(x.shape, ph, pw, stride)
    n, c = x.shape[:2]
    # BEGIN SOLUTION
    out = np.empty((n, c, h_out, w_out), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            out[:, :, i, j] = window.max(axis=(2, 3))
    # END SOLUTION
    return out, (x, {"pool_height": ph, "pool_width": pw, "stride": stride})


@speed_path("pool")
def max_pool_backward(dout: np.ndarray, cache: PoolCache) -> np.ndarray:
    """Max pooling backward pass.

    Args:
        dout: (N, C, H', W') upstream gradient.
        cache: (x, pool_param) from :func:`max_pool_forward`.

    Returns:
        dx: (N, C, H, W); each window's gradient lands on its first maximum (row-major order
        inside the window), zeros elsewhere.
    """
    x, pool_param = cache
    ph, pw, stride = pool_settings(pool_param)
    h_out, w_out = pool_output_shape(x.shape, ph, pw, stride)
    dout = as_float_array("dout", dout, ndim=4, finite=False)
    check_shape("dout", dout, (*x.shape[:2], h_out, w_out))
    dtype = np.result_type(x, dout)
    n, c = x.shape[:2]
    # BEGIN SOLUTION
    dx = np.zeros(x.shape, dtype=dtype)
    for i in range(h_out):
        for j in range(w_out):
            rows = slice(i * stride, i * stride + ph)
            cols = slice(j * stride, j * stride + pw)
            window = x[:, :, rows, cols].reshape(n, c, ph * pw)
            first = window.argmax(axis=2)  # (N, C): where the first maximum is
            is_max = np.arange(ph * pw) == first[:, :, None]  # (N, C, ph*pw), one True each
            dx[:, :, rows, cols] += (is_max * dout[:, :, i, j, None]).reshape(n, c, ph, pw)
    # END SOLUTION
    return dx
