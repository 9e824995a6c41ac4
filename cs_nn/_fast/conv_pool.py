"""Convolution, max pooling and ReLU fused per chunk of images (instructor-only speed path).

The ThreeLayerConvNet's first block, ``conv_relu_pool_forward`` followed (in training) by
``conv_relu_pool_backward`` without dx (the block's input is the data batch), done in one
pass over each chunk of a few images while the chunk's data is still in cache:

- forward: im2col columns of the chunk, one matrix product per image, bias, then the 2x2
  (in general k x k, stride k) pooling of that product straight away, recording for every
  window WHICH offset held the first maximum (one byte per pooled value), then ReLU in place;
- backward: the pooled gradient, masked by ReLU, is routed to the recorded offsets directly
  into the (F, m*H'*W') layout the weight-gradient product needs, then ``dw += cols @ d.T``.

Pooling before the ReLU gives the same values and gradients as after it (ReLU is increasing;
see :func:`cs_nn.layers.sandwich.conv_relu_pool_forward`). Ties go to the first maximum in
row-major order inside the window, as in the plain pooling. With a multi-threaded BLAS the
batch is cut into ranges run on separate threads with one BLAS thread each
(:func:`cs_nn._fast._parallel.map_ranges`); per-range dw and db partial sums are added in
range order, so a result never depends on thread timing. Only non-overlapping pooling
(stride == pool_height == pool_width) is fused; :func:`fusable` says whether it applies.
tests/test_fast_conv_pool.py proves the results equal to the plain layers'.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce

import numpy as np

from cs_nn._checks import NonFiniteError, as_float_array, check_shape
from cs_nn._fast._parallel import map_ranges
from cs_nn._fast.conv import (
    _KEEP_COLS_BYTES,
    _PARALLEL_MIN_BYTES,
    _chunk_size,
    _im2col,
    _pad,
    _windows,
)
from cs_nn.layers.conv import check_conv_inputs, conv_output_shape, conv_settings
from cs_nn.layers.pool import pool_output_shape, pool_settings


class ConvPoolCache(tuple):
    """(padded x, w, (stride, pad), (k, H', W'), relu'd pooled output, offset indices)."""

    __slots__ = ()


def fusable(pool_param: Mapping[str, int]) -> bool:
    """Whether the pooling is non-overlapping (stride == pool_height == pool_width)."""
    ph, pw, stride = pool_settings(pool_param)
    return ph == pw == stride


def min_parallel_images(x: np.ndarray, w: np.ndarray, conv_param: Mapping[str, int]) -> int:
    """Fewest images worth a thread of their own in a conv layer: about _PARALLEL_MIN_BYTES
    of im2col columns. x: (N, C, H, W), w: (F, C, HH, WW)."""
    stride, pad = conv_settings(conv_param)
    h_out, w_out = conv_output_shape(x.shape, w.shape, stride, pad)
    per_image = w[0].size * h_out * w_out * np.dtype(x.dtype).itemsize
    return _chunk_size(per_image, x.shape[0], _PARALLEL_MIN_BYTES)


def _offsets(k: int, h2: int, w2: int) -> list[tuple[slice, slice]]:
    """Strided slices of a conv output for every window offset, row-major (the tie order)."""
    return [(slice(a, a + k * h2, k), slice(e, e + k * w2, k))
            for a in range(k) for e in range(k)]


def conv_pool_relu_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                           conv_param: Mapping[str, int], pool_param: Mapping[str, int]
                           ) -> tuple[np.ndarray, ConvPoolCache]:
    """``conv_relu_pool_forward`` with non-overlapping pooling, fused.

    Args:
        x: (N, C, H, W), w: (F, C, HH, WW), b: (F,); conv_param and pool_param as for
            ``conv_forward`` and ``max_pool_forward`` (pooling must satisfy :func:`fusable`).

    Returns:
        out (N, F, H'', W''), the ReLU of the pooled convolution, and a cache for
        :func:`conv_pool_relu_backward_no_dx`.
    """
    if not fusable(pool_param):
        raise ValueError(f"fused conv-pool needs stride == pool_height == pool_width, got "
                         f"{dict(pool_param)!r}; use conv_relu_pool_forward instead")
    x, w, b, stride, pad, (h_out, w_out) = check_conv_inputs(x, w, b, conv_param)
    k = pool_settings(pool_param)[0]
    h2, w2 = pool_output_shape((0, 0, h_out, w_out), k, k, k)
    dtype = x.dtype
    n, c, _, _ = x.shape
    f, _, hh, ww = w.shape
    windows = _windows(_pad(x, pad), hh, ww, stride)  # (N, C, HH, WW, H', W') view
    kk, hw = c * hh * ww, h_out * w_out
    wmat = w.reshape(f, kk)  # (F, C*HH*WW)
    out = np.empty((n, f, h2, w2), dtype=dtype)
    arg = np.empty((n, f, h2, w2), dtype=np.uint8)  # which offset held the first maximum
    step = _chunk_size(kk * hw * dtype.itemsize, n)
    offsets = _offsets(k, h2, w2)

    def run(lo: int, hi: int) -> None:
        cols = np.empty((step, c, hh, ww, h_out, w_out), dtype=dtype)
        conv = np.empty((step, f, hw), dtype=dtype)
        greater = np.empty((step, f, h2, w2), dtype=bool)
        scaled = np.empty((step, f, h2, w2), dtype=np.uint8)
        for i in range(lo, hi, step):
            m = min(step, hi - i)
            cols[:m] = windows[i:i + m]  # im2col, (m, C, HH, WW, H', W')
            a = conv[:m]
            np.matmul(wmat, cols[:m].reshape(m, kk, hw), out=a)  # (m, F, H'*W')
            a += b[:, None]
            a4 = a.reshape(m, f, h_out, w_out)
            o, idx, gt, jgt = out[i:i + m], arg[i:i + m], greater[:m], scaled[:m]
            o[...] = a4[(slice(None), slice(None), *offsets[0])]
            idx[...] = 0
            for j, (rows, cols_) in enumerate(offsets[1:], start=1):
                part = a4[:, :, rows, cols_]
                np.greater(part, o, out=gt)  # strictly greater: the first maximum stays
                # idx = j where gt: offsets come in increasing j, so a maximum does it
                # without a branchy masked copy (np.copyto(where=) is ~4x slower here)
                np.multiply(gt, np.uint8(j), out=jgt)
                np.maximum(idx, jgt, out=idx)
                np.maximum(o, part, out=o)
            if not np.isfinite(o).all():  # as the plain pooling refuses inf in its input
                raise NonFiniteError("the convolution output contains NaN or infinite "
                                     "values (overflow); scale the inputs or weights down")
            np.maximum(o, 0, out=o)  # ReLU after pooling: same values as before it

    map_ranges(run, n, _chunk_size(kk * hw * dtype.itemsize, n, _PARALLEL_MIN_BYTES))
    return out, ConvPoolCache((windows, w, (k, h_out, w_out), out, arg))


def conv_pool_relu_backward_no_dx(dout: np.ndarray, cache: ConvPoolCache
                                  ) -> tuple[np.ndarray, np.ndarray]:
    """dw (F, C, HH, WW) and db (F,) of :func:`conv_pool_relu_forward`; no dx (the input is
    data). dout: (N, F, H'', W''), or anything of that size (e.g. (N, F*H''*W''))."""
    windows, w, (k, h_out, w_out), out, arg = cache
    n, f, h2, w2 = out.shape
    dout = as_float_array("dout", dout, finite=False)
    check_shape("dout", dout.reshape(dout.shape[0], -1), (n, f * h2 * w2))
    dout = dout.reshape(out.shape).astype(w.dtype, copy=False)
    c, hh, ww = windows.shape[1:4]
    kk, hw = c * hh * ww, h_out * w_out
    dtype = w.dtype
    step = _chunk_size(kk * hw * dtype.itemsize, n)
    offsets = _offsets(k, h2, w2)
    covered = k * h2 == h_out and k * w2 == w_out  # else the uncovered rows/cols stay zero
    # Sums in the order of the unfused speed path (fast conv_backward, which keeps small
    # layers' columns and sums dw image by image), so one thread gives the same bits as
    # before the fusion (the notebooks' stored training outputs depend on it).
    per_image = n * kk * hw * dtype.itemsize <= _KEEP_COLS_BYTES

    def route(gm: np.ndarray, idx: np.ndarray, d: np.ndarray) -> None:
        """ReLU-masked pooled gradient gm to each window's first maximum in d (in place)."""
        if not covered:
            d[...] = 0
        for j, (rows, cols_) in enumerate(offsets):
            np.multiply(gm, idx == j, out=d[..., rows, cols_])

    def run(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        dw2t = np.zeros((kk, f), dtype=dtype)  # dw transposed: cols @ d.T is the fast product
        db = np.zeros(f, dtype=dtype)
        buf = np.empty(kk * step * hw, dtype=dtype)
        dbuf = np.zeros(f * step * hw, dtype=dtype)
        g = np.empty(f * step * h2 * w2, dtype=dtype)
        for i in range(lo, hi, step):
            m = min(step, hi - i)
            if per_image:  # (m, F, ...) layouts, one product per image
                gm = g[:m * f * h2 * w2].reshape(m, f, h2, w2)
                np.multiply(dout[i:i + m], out[i:i + m] > 0, out=gm)  # ReLU's mask
                d = dbuf[:m * f * hw].reshape(m, f, h_out, w_out)
                route(gm, arg[i:i + m], d)
                cols = buf[:m * kk * hw].reshape(m, c, hh, ww, h_out, w_out)
                cols[...] = windows[i:i + m]  # im2col, (m, C, HH, WW, H', W')
                d3 = d.reshape(m, f, hw)
                prods = np.matmul(cols.reshape(m, kk, hw), d3.transpose(0, 2, 1))
                for j in range(m):
                    dw2t += prods[j]
                    db += d3[j].sum(axis=1)
            else:  # (F, m*H'*W') layouts: one product sums the chunk
                gm = g[:f * m * h2 * w2].reshape(f, m, h2, w2)
                np.multiply(dout[i:i + m].transpose(1, 0, 2, 3),
                            out[i:i + m].transpose(1, 0, 2, 3) > 0, out=gm)  # ReLU's mask
                d = dbuf[:f * m * hw].reshape(f, m, h_out, w_out)
                route(gm, arg[i:i + m].transpose(1, 0, 2, 3), d)
                for j in range(m):
                    db += d[:, j].reshape(f, hw).sum(axis=1)
                cols = _im2col(windows, i, m, buf)  # (C*HH*WW, m*H'*W')
                dw2t += cols @ d.reshape(f, m * hw).T
        return dw2t, db

    ranges = _chunk_size(kk * hw * dtype.itemsize, n, _PARALLEL_MIN_BYTES)
    parts = map_ranges(run, n, ranges)
    dw2t = reduce(np.add, [p[0] for p in parts])  # range order: independent of thread timing
    db = reduce(np.add, [p[1] for p in parts])
    return np.ascontiguousarray(dw2t.T).reshape(w.shape), db
