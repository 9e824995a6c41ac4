"""Convolution, max pooling and ReLU fused per chunk of images (instructor-only speed path).

The ThreeLayerConvNet's first block, ``conv_relu_pool_forward`` followed (in training) by
``conv_relu_pool_backward`` without dx (the block's input is the data batch), done in one
pass over each chunk of a few images while the chunk's data is still in cache:

- forward: channels-last im2col columns of the chunk, (m*H'*W', HH*WW*C), whose rows copy
  contiguous runs of a channels-last padded input; ONE matrix product (columns @ weights,
  (m*H'*W', F): with few filters this orientation runs about 1.6x faster in OpenBLAS than
  weights @ columns), whose extra column of ones times a bias row adds the bias; then the
  2x2 (in general k x k, stride k) pooling of that product straight away, on channels-last
  slices, recording for every window WHICH offset held the first maximum, or that the ReLU
  zeroes it (one byte per pooled value); ReLU in place;
- backward: the pooled gradient is routed to the recorded offsets directly into the
  channels-last (m*H'*W', F) layout (units the ReLU zeroed are marked in the forward's
  offset record, so no separate ReLU mask is needed), then ONE product per chunk,
  ``[cols; ones] @ d``, gives dw and db together: the columns are rebuilt in cache (cheaper
  than keeping them) in the (C*HH*WW, m*H'*W') layout, whose product with the position-major
  d runs about 1.4x faster than the channels-last columns' ``cols.T @ d``, and their extra
  row of ones sums d into db.

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

import numpy as np

from cs_nn._checks import NonFiniteError, as_float_array, check_shape
from cs_nn._fast._columns import (
    im2col,
    padded,
    padded_channels_last,
    weights_channels_last,
    window_view,
    window_view_channels_last,
)
from cs_nn._fast._parallel import map_ranges, sum_in_order
from cs_nn._fast.conv import _PARALLEL_MIN_BYTES, _chunk_size
from cs_nn.layers.conv import check_conv_inputs, conv_output_shape, conv_settings
from cs_nn.layers.pool import pool_output_shape, pool_settings

# Bytes of im2col columns per chunk. Larger than the plain fast conv's (conv._CHUNK_BYTES):
# fewer, larger numpy calls per chunk pay off more here than keeping the chunk in L2
# (ThreeLayerConvNet step, batch 50: 1.5 MB -> 3 MB took 14.2 -> 13.5 ms on one thread,
# 9.3 -> 8.6 ms on two).
_CHUNK_BYTES = 3_000_000


# Offset record of a pooled unit whose ReLU output is zero: no gradient flows back through it.
_DEAD = np.uint8(255)
# Largest fused pooling window: its k*k offsets (0..k*k-1) must stay below _DEAD.
_MAX_WINDOW = 15


class ConvPoolCache(tuple):
    """(x, w, conv stride, pad, (k, H', W'), offset record (N, H'', W'', F): which window
    offset held the first maximum, or _DEAD where the ReLU output is zero)."""

    __slots__ = ()


def fusable(pool_param: Mapping[str, int]) -> bool:
    """Whether the pooling is non-overlapping (stride == pool_height == pool_width), with
    windows of at most _MAX_WINDOW x _MAX_WINDOW (their offsets and _DEAD fit in a byte)."""
    ph, pw, stride = pool_settings(pool_param)
    return ph == pw == stride <= _MAX_WINDOW


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
        raise ValueError(f"fused conv-pool needs stride == pool_height == pool_width <= "
                         f"{_MAX_WINDOW}, got {dict(pool_param)!r}; use conv_relu_pool_forward "
                         f"instead")
    x, w, b, stride, pad, (h_out, w_out) = check_conv_inputs(x, w, b, conv_param)
    k = pool_settings(pool_param)[0]
    h2, w2 = pool_output_shape((0, 0, h_out, w_out), k, k, k)
    dtype = x.dtype
    n, c, _, _ = x.shape
    f, _, hh, ww = w.shape
    windows = window_view_channels_last(padded_channels_last(x, pad), hh, ww, stride)
    kk, hw = c * hh * ww, h_out * w_out  # windows: (N, H', W', HH, WW, C) view
    wmat = np.vstack([weights_channels_last(w), b[None]])  # (HH*WW*C + 1, F): bias last
    out = np.empty((n, f, h2, w2), dtype=dtype)
    arg = np.empty((n, h2, w2, f), dtype=np.uint8)  # which offset held the first maximum
    step = _chunk_size(kk * hw * dtype.itemsize, n, _CHUNK_BYTES)
    offsets = _offsets(k, h2, w2)

    def run(lo: int, hi: int) -> None:
        cols = np.empty((step * hw, kk + 1), dtype=dtype)
        cols[:, kk] = 1  # times wmat's last row: the product adds the bias
        conv = np.empty((step * hw, f), dtype=dtype)
        pooled = np.empty((step, h2, w2, f), dtype=dtype)
        greater = np.empty((step, h2, w2, f), dtype=bool)
        scaled = np.empty((step, h2, w2, f), dtype=np.uint8)
        for i in range(lo, hi, step):
            m = min(step, hi - i)
            cols[:m * hw, :kk].reshape(m, h_out, w_out, hh, ww, c)[...] = windows[i:i + m]
            a = conv[:m * hw]
            np.matmul(cols[:m * hw], wmat, out=a)  # (m*H'*W', F), bias included
            a4 = a.reshape(m, h_out, w_out, f)
            o, idx, gt, jgt = pooled[:m], arg[i:i + m], greater[:m], scaled[:m]
            o[...] = a4[:, offsets[0][0], offsets[0][1]]
            idx[...] = 0
            for j, (rows, cols_) in enumerate(offsets[1:], start=1):
                part = a4[:, rows, cols_]
                np.greater(part, o, out=gt)  # strictly greater: the first maximum stays
                # idx = j where gt: offsets come in increasing j, so a maximum does it
                # without a branchy masked copy (np.copyto(where=) is ~4x slower here)
                np.multiply(gt, np.uint8(j), out=jgt)
                np.maximum(idx, jgt, out=idx)
                np.maximum(o, part, out=o)
            if not np.isfinite(o).all():  # as the plain pooling refuses inf in its input
                raise NonFiniteError("the convolution output contains NaN or infinite "
                                     "values (overflow); scale the inputs or weights down")
            np.less_equal(o, 0, out=gt)  # the ReLU's zeros pass no gradient back:
            np.multiply(gt, _DEAD, out=jgt)  # mark them in the record (offsets are < _DEAD)
            np.maximum(idx, jgt, out=idx)
            np.maximum(o, 0, out=o)  # ReLU after pooling: same values as before it
            out[i:i + m] = o.transpose(0, 3, 1, 2)

    map_ranges(run, n, _chunk_size(kk * hw * dtype.itemsize, n, _PARALLEL_MIN_BYTES))
    return out, ConvPoolCache((x, w, stride, pad, (k, h_out, w_out), arg))


def conv_pool_relu_backward_no_dx(dout: np.ndarray, cache: ConvPoolCache
                                  ) -> tuple[np.ndarray, np.ndarray]:
    """dw (F, C, HH, WW) and db (F,) of :func:`conv_pool_relu_forward`; no dx (the input is
    data). dout: (N, F, H'', W''), or anything of that size (e.g. (N, F*H''*W''))."""
    x, w, stride, pad, (k, h_out, w_out), arg = cache
    n, h2, w2, f = arg.shape
    dout = as_float_array("dout", dout, finite=False)
    check_shape("dout", dout.reshape(dout.shape[0], -1), (n, f * h2 * w2))
    dout = dout.reshape(n, f, h2, w2).astype(w.dtype, copy=False)
    _, c, hh, ww = w.shape
    kk, hw = c * hh * ww, h_out * w_out
    dtype = w.dtype
    windows = window_view(padded(x, pad), hh, ww, stride)  # (N, C, HH, WW, H', W') view
    step = _chunk_size(kk * hw * dtype.itemsize, n, _CHUNK_BYTES)
    offsets = _offsets(k, h2, w2)

    def run(lo: int, hi: int) -> np.ndarray:
        dwb = np.zeros((kk + 1, f), dtype=dtype)  # [dw as (C*HH*WW, F); db]
        buf = np.empty((kk + 1) * step * hw, dtype=dtype)
        # zeroed once: every chunk overwrites each position a pooling window covers, and
        # the rows / columns no window covers (odd sizes) stay zero
        dbuf = np.zeros((step, h_out, w_out, f), dtype=dtype)
        g = np.empty((step, h2, w2, f), dtype=dtype)
        hit = np.empty((step, h2, w2, f), dtype=bool)
        for i in range(lo, hi, step):
            m = min(step, hi - i)
            gm, d, idx, hm = g[:m], dbuf[:m], arg[i:i + m], hit[:m]
            gm[...] = dout[i:i + m].transpose(0, 2, 3, 1)  # channels-last, like d
            for j, (rows, cols_) in enumerate(offsets):  # to each window's first maximum
                np.equal(idx, j, out=hm)  # (never where the ReLU output is zero)
                np.multiply(gm, hm, out=d[:, rows, cols_])
            cols = buf[:(kk + 1) * m * hw].reshape(kk + 1, m * hw)
            im2col(windows, i, m, buf)  # rows 0..kk-1: (C*HH*WW, m*H'*W'), rebuilt
            cols[kk] = 1  # sums d over the chunk's positions: db
            dwb += cols @ d.reshape(m * hw, f)
        return dwb

    ranges = _chunk_size(kk * hw * dtype.itemsize, n, _PARALLEL_MIN_BYTES)
    dwb = sum_in_order(map_ranges(run, n, ranges))  # range order: independent of timing
    return np.ascontiguousarray(dwb[:kk].T).reshape(w.shape), dwb[kk].copy()
