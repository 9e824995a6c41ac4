"""Max pooling: the largest value of each (pool_height, pool_width) window, per channel.

Output size: ``H' = 1 + (H - pool_height) // stride`` (and the same for the width); like
PyTorch, rows or columns that do not fill a whole last window are left out.

The gradient of a maximum goes entirely to the input that attained it. When several inputs
of a window tie for the maximum, the FIRST one (row-major order inside the window) gets the
whole gradient, so ``dx`` sums to ``dout`` exactly, as in PyTorch.

Two vectorised paths, no loop over pixels or samples:

* non-overlapping windows (stride == pool_height == pool_width, e.g. 2x2 stride 2): the
  window's entries are ``k*k`` strided sub-images of x, reduced with ``np.maximum``;
* anything else: a strided window view, one copy to (N, C, H', W', ph*pw), then ``argmax``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cs_nn._checks import as_float_array, check_int, check_shape

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "09_pooling_and_convnets"

PoolCache = tuple[np.ndarray, np.ndarray, tuple[int, int, int]]


def _pool_settings(pool_param: Mapping[str, int]) -> tuple[int, int, int]:
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


def _offsets(ph: int, pw: int) -> list[tuple[int, int]]:
    return [(a, e) for a in range(ph) for e in range(pw)]  # row-major: the tie-break order


def max_pool_forward(x: np.ndarray, pool_param: Mapping[str, int]) -> tuple[np.ndarray, PoolCache]:
    """Max pooling forward pass.

    Args:
        x: (N, C, H, W) input.
        pool_param: {"pool_height": ph, "pool_width": pw, "stride": s}, all integers >= 1.

    Returns:
        out: (N, C, H', W'), ``H' = 1 + (H - ph) // s``, ``W' = 1 + (W - pw) // s``; x's dtype.
        cache: for :func:`max_pool_backward`.

    Raises:
        ValueError: bad pool settings, a window larger than x, or NaN / inf in x
            (``NonFiniteError``: the max of a window holding NaN is not defined).
    """
    ph, pw, stride = _pool_settings(pool_param)
    x = as_float_array("x", x, ndim=4)
    h_out, w_out = pool_output_shape(x.shape, ph, pw, stride)
    # BEGIN SOLUTION
    if stride == ph == pw:  # non-overlapping: reduce the k*k strided sub-images
        parts = [x[:, :, a:a + stride * h_out:stride, e:e + stride * w_out:stride]
                 for a, e in _offsets(ph, pw)]  # each (N, C, H', W'), a view
        out = parts[0].copy()
        for part in parts[1:]:
            np.maximum(out, part, out=out)
        return out, (x, out, (ph, pw, stride))
    view = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::stride, ::stride]
    windows = view[:, :, :h_out, :w_out].reshape(*x.shape[:2], h_out, w_out, ph * pw)  # copy
    arg = windows.argmax(axis=-1)  # (N, C, H', W'), index of the first maximum
    out = np.take_along_axis(windows, arg[..., None], axis=-1)[..., 0]
    # END SOLUTION
    return out, (x, arg, (ph, pw, stride))


def max_pool_backward(dout: np.ndarray, cache: PoolCache) -> np.ndarray:
    """Max pooling backward pass.

    Args:
        dout: (N, C, H', W') upstream gradient.
        cache: from :func:`max_pool_forward`.

    Returns:
        dx: (N, C, H, W); each window's gradient lands on its first maximum, zeros elsewhere.
    """
    x, saved, (ph, pw, stride) = cache
    h_out, w_out = pool_output_shape(x.shape, ph, pw, stride)
    dout = as_float_array("dout", dout, ndim=4, finite=False)
    check_shape("dout", dout, (*x.shape[:2], h_out, w_out))
    dtype = np.result_type(x, dout)
    # BEGIN SOLUTION
    dx = np.zeros(x.shape, dtype=dtype)
    if stride == ph == pw:  # saved is the pooled output; find each window's first maximum
        out = saved
        taken = np.zeros(out.shape, dtype=bool)  # has this window's gradient been routed?
        for a, e in _offsets(ph, pw):
            rows = slice(a, a + stride * h_out, stride)
            cols = slice(e, e + stride * w_out, stride)
            hit = x[:, :, rows, cols] == out
            hit &= ~taken
            taken |= hit
            np.multiply(dout, hit, out=dx[:, :, rows, cols])
        return dx
    arg = saved  # (N, C, H', W') index inside the window of the first maximum
    for idx, (a, e) in enumerate(_offsets(ph, pw)):  # overlapping windows add up
        dx[:, :, a:a + stride * h_out:stride, e:e + stride * w_out:stride] += dout * (arg == idx)
    # END SOLUTION
    return dx
