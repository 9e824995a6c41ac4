"""Fast max pooling: the speed path of :mod:`cs_nn.layers.pool` (instructor-only).

Same contract and results as the plain loops over output positions (tests/test_fast_pool.py
proves it), with no Python loop over positions:

* non-overlapping windows (stride == pool_height == pool_width, e.g. 2x2 stride 2): the
  window's entries are ``k*k`` strided sub-images of x, reduced with ``np.maximum``;
* anything else: a strided window view, one copy to (N, C, H', W', ph*pw), then ``argmax``.

Ties go to the first maximum in row-major order inside the window, as in the plain code.
With a multi-threaded BLAS, ranges of images run on separate threads (_parallel.py): every
image is pooled on its own, so the split cannot change a result.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cs_nn._checks import as_float_array, check_shape
from cs_nn._fast._parallel import map_ranges
from cs_nn.layers import pool as plain_pool
from cs_nn.layers.pool import PoolCache, pool_output_shape, pool_settings

# With a multi-threaded BLAS, images are split over threads in ranges of at least this many
# bytes of input (smaller inputs run on the calling thread).
_PARALLEL_MIN_BYTES = 1_000_000


class FastPoolCache(tuple):
    """(x, pooled output or argmax indices, (ph, pw, stride)) of a fast forward."""

    __slots__ = ()


def _offsets(ph: int, pw: int) -> list[tuple[int, int]]:
    return [(a, e) for a in range(ph) for e in range(pw)]  # row-major: the tie-break order


def _min_images(x: np.ndarray) -> int:
    """Fewest images per range of a parallel section: :data:`_PARALLEL_MIN_BYTES` of x."""
    return max(1, _PARALLEL_MIN_BYTES // max(1, x[:1].nbytes))


def max_pool_forward(x: np.ndarray, pool_param: Mapping[str, int]
                     ) -> tuple[np.ndarray, FastPoolCache]:
    """Same contract and result as :func:`cs_nn.layers.pool.max_pool_forward`; the cache is
    this module's own (:class:`FastPoolCache`)."""
    ph, pw, stride = pool_settings(pool_param)
    x = as_float_array("x", x, ndim=4)  # NaN / inf refused, as in the plain code
    h_out, w_out = pool_output_shape(x.shape, ph, pw, stride)
    n, c = x.shape[:2]
    if stride == ph == pw:  # non-overlapping: reduce the k*k strided sub-images
        out = np.empty((n, c, h_out, w_out), dtype=x.dtype)

        def reduce(lo: int, hi: int) -> None:  # out[lo:hi] from images lo..hi-1
            parts = [x[lo:hi, :, a:a + stride * h_out:stride, e:e + stride * w_out:stride]
                     for a, e in _offsets(ph, pw)]  # each (m, C, H', W'), a view
            out[lo:hi] = parts[0]
            for part in parts[1:]:
                np.maximum(out[lo:hi], part, out=out[lo:hi])

        map_ranges(reduce, n, _min_images(x))
        return out, FastPoolCache((x, out, (ph, pw, stride)))
    out = np.empty((n, c, h_out, w_out), dtype=x.dtype)
    arg = np.empty((n, c, h_out, w_out), dtype=np.intp)

    def pick(lo: int, hi: int) -> None:  # out[lo:hi] and arg[lo:hi] from images lo..hi-1
        view = sliding_window_view(x[lo:hi], (ph, pw), axis=(2, 3))[:, :, ::stride, ::stride]
        windows = view[:, :, :h_out, :w_out].reshape(hi - lo, c, h_out, w_out, ph * pw)  # copy
        arg[lo:hi] = windows.argmax(axis=-1)  # index of the first maximum
        out[lo:hi] = np.take_along_axis(windows, arg[lo:hi, ..., None], axis=-1)[..., 0]

    map_ranges(pick, n, _min_images(x))
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
    offsets = _offsets(ph, pw)
    if stride == ph == pw:  # saved is the pooled output; find each window's first maximum
        covered = stride * h_out == x.shape[2] and stride * w_out == x.shape[3]
        dx = (np.empty if covered else np.zeros)(x.shape, dtype=dtype)  # (windows tile x?)

        def route(lo: int, hi: int) -> None:  # dx[lo:hi]: each window's gradient to its max
            out, d = saved[lo:hi], dout[lo:hi]
            taken = None  # has this window's gradient been routed (to an earlier offset)?
            for idx, (a, e) in enumerate(offsets):
                rows = slice(a, a + stride * h_out, stride)
                cols = slice(e, e + stride * w_out, stride)
                hit = x[lo:hi, :, rows, cols] == out
                if taken is None:  # the first offset's hits (used up before the next
                    taken = hit  # offset's |= changes them)
                else:
                    np.greater(hit, taken, out=hit)  # hit and not taken
                    if idx < len(offsets) - 1:
                        taken |= hit
                np.multiply(d, hit, out=dx[lo:hi, :, rows, cols])

        map_ranges(route, x.shape[0], _min_images(x))
        return dx
    arg = saved  # (N, C, H', W') index inside the window of the first maximum
    dx = np.zeros(x.shape, dtype=dtype)

    def add(lo: int, hi: int) -> None:  # dx[lo:hi]; overlapping windows add up
        for idx, (a, e) in enumerate(offsets):
            dx[lo:hi, :, a:a + stride * h_out:stride, e:e + stride * w_out:stride] += (
                dout[lo:hi] * (arg[lo:hi] == idx))

    map_ranges(add, x.shape[0], _min_images(x))
    return dx
