"""Fast max pooling: the speed path of :mod:`cs_nn.layers.pool` (instructor-only).

Same contract and results as the plain loops over output positions (tests/test_fast_pool.py
proves it), with no Python loop over positions:

* non-overlapping windows (stride == pool_height == pool_width, e.g. 2x2 stride 2): the
  window's entries are ``k*k`` strided sub-images of x, reduced with ``np.maximum``;
* anything else: a strided window view, one copy to (N, C, H', W', ph*pw), then ``argmax``.

Ties go to the first maximum in row-major order inside the window, as in the plain code.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cs_nn._checks import as_float_array, check_shape
from cs_nn.layers import pool as plain_pool
from cs_nn.layers.pool import PoolCache, pool_output_shape, pool_settings


class FastPoolCache(tuple):
    """(x, pooled output or argmax indices, (ph, pw, stride)) of a fast forward."""

    __slots__ = ()


def _offsets(ph: int, pw: int) -> list[tuple[int, int]]:
    return [(a, e) for a in range(ph) for e in range(pw)]  # row-major: the tie-break order


def max_pool_forward(x: np.ndarray, pool_param: Mapping[str, int]
                     ) -> tuple[np.ndarray, FastPoolCache]:
    """Same contract and result as :func:`cs_nn.layers.pool.max_pool_forward`; the cache is
    this module's own (:class:`FastPoolCache`)."""
    ph, pw, stride = pool_settings(pool_param)
    x = as_float_array("x", x, ndim=4)  # NaN / inf refused, as in the plain code
    h_out, w_out = pool_output_shape(x.shape, ph, pw, stride)
    if stride == ph == pw:  # non-overlapping: reduce the k*k strided sub-images
        parts = [x[:, :, a:a + stride * h_out:stride, e:e + stride * w_out:stride]
                 for a, e in _offsets(ph, pw)]  # each (N, C, H', W'), a view
        out = parts[0].copy()
        for part in parts[1:]:
            np.maximum(out, part, out=out)
        return out, FastPoolCache((x, out, (ph, pw, stride)))
    view = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::stride, ::stride]
    windows = view[:, :, :h_out, :w_out].reshape(*x.shape[:2], h_out, w_out, ph * pw)  # copy
    arg = windows.argmax(axis=-1)  # (N, C, H', W'), index of the first maximum
    out = np.take_along_axis(windows, arg[..., None], axis=-1)[..., 0]
    return out, FastPoolCache((x, arg, (ph, pw, stride)))


def max_pool_backward(dout: np.ndarray, cache: FastPoolCache | PoolCache) -> np.ndarray:
    """Same contract and result as :func:`cs_nn.layers.pool.max_pool_backward`."""
    if not isinstance(cache, FastPoolCache):  # from the plain forward: its own backward
        return plain_pool.max_pool_backward.plain(dout, cache)
    x, saved, (ph, pw, stride) = cache
    h_out, w_out = pool_output_shape(x.shape, ph, pw, stride)
    dout = as_float_array("dout", dout, ndim=4, finite=False)
    check_shape("dout", dout, (*x.shape[:2], h_out, w_out))
    dtype = np.result_type(x, dout)
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
    return dx
