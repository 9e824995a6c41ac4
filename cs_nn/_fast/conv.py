"""Fast convolution: the speed path of :mod:`cs_nn.layers.conv` (instructor-only).

Same contract and results as the plain im2col functions (tests/test_fast_conv.py proves it),
faster on the shapes the course trains (see the project's PERFORMANCE notes):

- the columns come from a strided *view* of the padded input (no copy) followed by one
  transposed copy, a few images at a time so they are still in cache for the matrix product;
- small layers keep the forward's columns for the backward (rebuilding costs a second copy);
  large ones rebuild them chunk by chunk in a (C*HH*WW, m*H'*W') layout, so dw is ONE product
  per chunk of m images, computed as its transpose ``cols @ dout.T`` (OpenBLAS runs that
  markedly faster than ``dout @ cols.T``);
- kept columns are channels-last, (m*H'*W', HH*WW*C) multiplied by (HH*WW*C, F), when a
  window row of the channels-last input (WW*C floats, copied in one run) is at least as long
  as an output row (the run of the other layout): 3x3 layers with many channels;
- for stride 1, col2im works on a flat layout of per-image blocks where every filter offset
  is one contiguous run; entries that fall in the padding are zeroed, so the blocks need not
  be padded (large filters add their offsets in two stages, filter rows then row sums);
- with a multi-threaded BLAS, pieces of the batch run on separate threads (_parallel.py);
- ``conv_backward(..., need_dx=False)`` skips dx for a network's first layer (its input is
  data), which the fast models use.

float32 stays float32 throughout.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cs_nn._checks import as_float_array, check_shape
from cs_nn._fast._columns import (
    channels_last_pays,
    im2col,
    padded,
    padded_channels_last,
    weights_channels_last,
    window_view,
    window_view_channels_last,
)
from cs_nn._fast._parallel import map_ranges, sum_in_order
from cs_nn.layers import conv as plain_conv
from cs_nn.layers.conv import ConvCache, check_conv_inputs

# Bytes of columns built per step: about the size of a core's L2 cache share.
_CHUNK_BYTES = 1_500_000
# Bytes of col2im gradient columns per step (stride 1); measured best a little larger.
_DX_CHUNK_BYTES = 4_000_000
# Up to this many bytes, the forward keeps its columns for the backward (else rebuilt there).
_KEEP_COLS_BYTES = 16_000_000
# With a multi-threaded BLAS, images are split over threads in pieces of at least this many
# bytes of columns (see _parallel.py); smaller layers run on the calling thread.
_PARALLEL_MIN_BYTES = 1_000_000


class FastConvCache(tuple):
    """(padded x or None, w, stride, pad, x shape, kept columns or None, whether they are
    channels-last) of a fast forward."""

    __slots__ = ()


def _chunk_size(per_image_bytes: int, n: int, chunk_bytes: int = _CHUNK_BYTES) -> int:
    return max(1, min(n, chunk_bytes // max(1, per_image_bytes)))


def _col2im_stride1(w2: np.ndarray, dout: np.ndarray, pad: int, hh: int, ww: int,
                    dx: np.ndarray) -> None:
    """Write dx (N, C, H, W) from dout (N, F, H', W') and w2 (F, C*HH*WW), stride 1 only.

    Flat trick: place each image's dout in the top-left corner of a zero (Hb, Wb) block and
    lay a chunk of m blocks end to end. Then the gradient of filter offset (a, e) lands on
    ONE contiguous run of the flat layout, shifted by ``a * Wb + e``. Entries of the product
    whose pixel lies in the padding (cut off anyway) are zeroed first, so they cannot spill
    into a neighbouring image: the blocks need max(H', H) rows, not the padded Hp (the 7x7
    first layer: 32 instead of 38). Filters at most 3 wide zero their padding columns too
    (blocks max(W', W) wide, not Wp; for wider filters the strided column writes cost more
    than the narrower product saves: measured on 7x7, 4.5 -> 6.4 ms).

    Large filters add in two stages: first each filter row's WW offsets (shifted by e, all
    rows and channels in one call per e), then the HH row sums (shifted by a * Wb): HH + WW
    array additions instead of HH * WW, each larger (7x7: 14 instead of 49 calls); for 3x3
    the extra pass costs more than the 4 calls saved, so small filters add offset by offset.
    """
    n, f, h_out, w_out = dout.shape
    _, c, h, width = dx.shape
    zero_columns = ww <= 3
    hb = max(h_out, h)
    wb = max(w_out, width) if zero_columns else width + 2 * pad
    dtype = w2.dtype
    block = hb * wb
    step = _chunk_size(w2.shape[1] * block * dtype.itemsize, n, _DX_CHUNK_BYTES)
    reach = max((hh - 1) * wb + ww - 1, pad * wb + pad)  # past the last block
    two_stage = hh * ww > 2 * (hh + ww)
    dwide = flat = rows = None
    for i in range(0, n, step):
        m = min(step, n - i)
        if dwide is None or m < step:  # (the last, shorter chunk gets fresh contiguous ones)
            dwide = np.zeros((f, m, hb, wb), dtype=dtype)  # zero margins are written once
            flat = np.empty((c, m * block + reach), dtype=dtype)
            rows = np.empty((c, hh, m * block + ww - 1), dtype=dtype) if two_stage else None
        dwide[:, :, :h_out, :w_out] = dout[i:i + m].transpose(1, 0, 2, 3)  # (F, m, H', W')
        length = m * block
        dcols = (w2.T @ dwide.reshape(f, length)).reshape(c, hh, ww, m, hb, wb)
        _zero_padding(dcols, pad, h, width if zero_columns else None)
        dcols = dcols.reshape(c, hh, ww, length)
        if rows is not None:  # rows[c, a] = sum over e of dcols[c, a, e] shifted by e
            _shift_add(rows, dcols.transpose(2, 0, 1, 3), list(range(ww)), length)
            _shift_add(flat, rows.transpose(1, 0, 2), [a * wb for a in range(hh)],
                       length + ww - 1)
        else:
            _shift_add(flat, dcols.reshape(c, hh * ww, length).transpose(1, 0, 2),
                       [a * wb + e for a in range(hh) for e in range(ww)], length)
        start = pad * wb + pad  # pixel (y, x) of image j: j * block + start + y * Wb + x
        dxb = flat[:, start:start + length].reshape(c, m, hb, wb)  # (C, m, Hb, Wb)
        dx[i:i + m] = dxb[:, :, :h, :width].transpose(1, 0, 2, 3)


def _zero_padding(dcols: np.ndarray, pad: int, h: int, width: int | None) -> None:
    """Zero, in place, the entries of dcols (C, HH, WW, m, Hb, Wb) whose input pixel lies in
    the top or bottom padding (block row r with r + a outside [pad, pad + h)) and, given
    ``width``, in the left or right padding (block column q with q + e outside
    [pad, pad + width))."""
    _, hh, ww = dcols.shape[:3]
    for a in range(hh):
        dcols[:, a, :, :, :max(0, pad - a)] = 0
        dcols[:, a, :, :, max(0, pad + h - a):] = 0
    if width is not None:
        for e in range(ww):
            dcols[:, :, e, :, :, :max(0, pad - e)] = 0
            dcols[:, :, e, :, :, max(0, pad + width - e):] = 0


def _shift_add(target: np.ndarray, parts: np.ndarray, offsets: list[int], length: int) -> None:
    """Set ``target`` (..., >= max offset + length) to the sum of ``parts[j]`` (..., length)
    placed at ``offsets[j]`` along the last axis; ``offsets[0]`` must be 0. The first part
    is copied and the rest of the target zeroed, then one addition per further part."""
    target[..., :length] = parts[0]
    target[..., length:] = 0
    for part, start in zip(parts[1:], offsets[1:]):
        target[..., start:start + length] += part


def _col2im(w2: np.ndarray, dout: np.ndarray, padded_shape: tuple[int, ...], hh: int, ww: int,
            stride: int) -> np.ndarray:
    """Gradient of the padded input, (m, C, Hp, Wp), from dout (m, F, H', W') and w2 (F, C*HH*WW).

    ``dcols = w2.T @ dout`` holds, for every window offset (a, e), the gradient of the input
    pixel that offset saw; adding each offset's (H', W') block onto a strided slice of the
    padded input sums every contribution (HH*WW array additions, no loop over pixels).
    """
    m, f, h_out, w_out = dout.shape
    c, hp, wp = padded_shape
    dcols = np.matmul(w2.T, dout.reshape(m, f, h_out * w_out))  # (m, C*HH*WW, H'*W')
    dcols = dcols.reshape(m, c, hh, ww, h_out, w_out)
    dxp = np.zeros((m, c, hp, wp), dtype=w2.dtype)
    for a in range(hh):
        for e in range(ww):
            dxp[:, :, a:a + stride * h_out:stride, e:e + stride * w_out:stride] += dcols[:, :, a, e]
    return dxp


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                 conv_param: Mapping[str, int]) -> tuple[np.ndarray, FastConvCache]:
    """Same contract and result as :func:`cs_nn.layers.conv.conv_forward`; the cache is
    this module's own (:class:`FastConvCache`)."""
    x, w, b, stride, pad, (h_out, w_out) = check_conv_inputs(x, w, b, conv_param)
    dtype = x.dtype
    n, c, _, _ = x.shape
    f, _, hh, ww = w.shape
    k, hw = c * hh * ww, h_out * w_out
    out = np.empty((n, f, hw), dtype=dtype)  # (N, F, H'*W')
    step = _chunk_size(k * hw * dtype.itemsize, n)
    keep = n * k * hw * dtype.itemsize <= _KEEP_COLS_BYTES
    channels_last = keep and channels_last_pays(c, ww, w_out)
    if channels_last:  # columns (m*H'*W', HH*WW*C) @ weights (HH*WW*C, F)
        xp = None  # the backward needs only the kept columns
        windows = window_view_channels_last(padded_channels_last(x, pad), hh, ww, stride)
        wmat = weights_channels_last(w)
        kept = np.empty((n, h_out, w_out, hh, ww, c), dtype=dtype)
    else:  # weights (F, C*HH*WW) @ columns (C*HH*WW, H'*W') per image
        xp = padded(x, pad)
        windows = window_view(xp, hh, ww, stride)  # (N, C, HH, WW, H', W') view
        w2 = w.reshape(f, k)
        kept = np.empty((n, c, hh, ww, h_out, w_out), dtype=dtype) if keep else None

    def run(lo: int, hi: int) -> None:  # images lo..hi-1, a few at a time (cache-sized)
        buf = kept if keep else np.empty((step, c, hh, ww, h_out, w_out), dtype=dtype)
        for i in range(lo, hi, step):
            m = min(step, hi - i)
            cols = buf[i:i + m] if keep else buf[:m]  # (m, C, HH, WW, H', W') or channels-last
            cols[...] = windows[i:i + m]  # the one copy: im2col
            if channels_last:
                prod = cols.reshape(m * hw, k) @ wmat  # (m*H'*W', F)
                prod += b
                out[i:i + m] = prod.reshape(m, hw, f).transpose(0, 2, 1)
            else:
                np.matmul(w2, cols.reshape(m, k, hw), out=out[i:i + m])  # (m, F, H'*W')
                out[i:i + m] += b[:, None]

    map_ranges(run, n, _chunk_size(k * hw * dtype.itemsize, n, _PARALLEL_MIN_BYTES))
    if kept is not None:  # (N, C*HH*WW, H'*W'), or channels-last (N, H'*W', HH*WW*C)
        kept = kept.reshape((n, hw, k) if channels_last else (n, k, hw))
    out = out.reshape(n, f, h_out, w_out)
    return out, FastConvCache((xp, w, stride, pad, x.shape, kept, channels_last))


def conv_backward(dout: np.ndarray, cache: FastConvCache | ConvCache,
                  need_dx: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Same contract and result as :func:`cs_nn.layers.conv.conv_backward`, plus:

    Args:
        need_dx: set False for a network's first layer (its input is data, whose gradient
            nobody uses); dx is then not computed and returned as None, saving the col2im.
    """
    if not isinstance(cache, FastConvCache):  # from the plain forward: its own backward
        dx, dw, db = plain_conv.conv_backward.plain(dout, cache)
        return (dx if need_dx else None), dw, db
    xp, w, stride, pad, x_shape, kept, channels_last = cache
    n, c, h, width = x_shape
    f, _, hh, ww = w.shape
    h_out = 1 + (h + 2 * pad - hh) // stride
    w_out = 1 + (width + 2 * pad - ww) // stride
    dout = as_float_array("dout", dout, ndim=4, finite=False)
    check_shape("dout", dout, (n, f, h_out, w_out))
    dout = dout.astype(w.dtype, copy=False)
    k, hw = c * hh * ww, h_out * w_out
    w2 = w.reshape(f, k)  # (F, C*HH*WW)
    d2 = dout.reshape(n, f, hw)  # (N, F, H'*W')
    db = d2.sum(axis=0).sum(axis=1)  # images first: twice as fast as axis=(0, 2) here
    step = _chunk_size(k * hw * w.dtype.itemsize, n)
    windows = None if kept is not None else window_view(xp, hh, ww, stride)  # to rebuild cols
    dx = np.empty(x_shape, dtype=w.dtype) if need_dx else None

    def run(lo: int, hi: int) -> np.ndarray:
        """dx of images lo..hi-1 (written in place) and their share of dw (F, C, HH, WW)."""
        if channels_last:  # dw (F, HH*WW*C) = dout (F, m*H'*W') @ columns, chunk by chunk
            dw2 = np.zeros((f, k), dtype=w.dtype)
            dbuf = np.empty(f * step * hw, dtype=w.dtype)
            for i in range(lo, hi, step):
                m = min(step, hi - i)
                dchunk = dbuf[:f * m * hw].reshape(f, m, hw)
                dchunk[...] = d2[i:i + m].transpose(1, 0, 2)
                dw2 += dchunk.reshape(f, m * hw) @ kept[i:i + m].reshape(m * hw, k)
            dw_part = dw2.reshape(f, hh, ww, c).transpose(0, 3, 1, 2)
        elif kept is not None:  # dw = sum over images of dout[n] @ cols[n].T, computed as
            # its transpose: OpenBLAS runs cols @ dout.T markedly faster than dout @ cols.T
            dw_part = np.matmul(kept[lo:hi], d2[lo:hi].transpose(0, 2, 1)).sum(axis=0).T
        else:
            dw2t = np.zeros((k, f), dtype=w.dtype)
            buf = np.empty(k * step * hw, dtype=w.dtype)
            dbuf = np.empty(f * step * hw, dtype=w.dtype)
            for i in range(lo, hi, step):
                m = min(step, hi - i)
                cols = im2col(windows, i, m, buf)  # (C*HH*WW, m*H'*W'), rebuilt per chunk
                dchunk = dbuf[:f * m * hw].reshape(f, m, hw)
                dchunk[...] = d2[i:i + m].transpose(1, 0, 2)  # (F, m, H'*W') like cols
                dw2t += cols @ dchunk.reshape(f, m * hw).T  # one product sums the chunk
            dw_part = dw2t.T
        if dx is not None and stride == 1:
            _col2im_stride1(w2, dout[lo:hi], pad, hh, ww, dx[lo:hi])
        elif dx is not None:
            for i in range(lo, hi, step):
                j = min(i + step, hi)
                dxp = _col2im(w2, dout[i:j], (c, h + 2 * pad, width + 2 * pad), hh, ww,
                              stride)  # (m, C, Hp, Wp)
                dx[i:j] = dxp[:, :, pad:pad + h, pad:pad + width]
        return np.ascontiguousarray(dw_part).reshape(w.shape)  # fresh: sum_in_order adds into it

    parts = map_ranges(run, n, _chunk_size(k * hw * w.dtype.itemsize, n, _PARALLEL_MIN_BYTES))
    dw = sum_in_order(parts)  # in range order: the sum does not depend on thread timing
    return dx, dw, db
