"""Convolution layer by matrix product (im2col), with any stride and zero padding.

A convolution slides each of F filters (C, HH, WW) over the zero-padded input and takes a
dot product at every position. Gathering every input window into a column turns the whole
layer into one matrix product per image::

    cols[n] : (C*HH*WW, H'*W')      every window of image n, one column each
    out[n]  = w.reshape(F, -1) @ cols[n] + b     -> (F, H'*W'), already channel-first

The backward pass is the same trick in reverse: ``dw = sum_n dout[n] @ cols[n].T`` and
``dcols[n] = w.T @ dout[n]``, which ``col2im`` scatters back onto the input windows. Like
most libraries we compute a cross-correlation (the filter is not flipped).

Speed notes (see the project's PERFORMANCE notes): the columns come from a strided *view*
of the input (no copy) followed by one transposed copy, a few images at a time so they are
still in cache for the matrix product. Small layers keep the forward's columns for the
backward (rebuilding costs a second copy); large ones rebuild them chunk by chunk in a
(C*HH*WW, m*H'*W') layout, so dw is ONE product per chunk of m images. dw is computed as
its transpose ``cols @ dout.T``, which OpenBLAS runs markedly faster than ``dout @ cols.T``.
For stride 1, col2im works on a flat, zero-padded layout where every filter offset is one
contiguous run. With a multi-threaded BLAS, pieces of the batch run on separate threads
(_parallel.py). float32 stays float32 throughout.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cs_nn._checks import as_float_array, check_int, check_shape, result_dtype
from cs_nn.layers._parallel import map_ranges

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "08_convolution"

ConvCache = tuple[np.ndarray, np.ndarray, int, int, tuple[int, ...], np.ndarray | None]

# Bytes of columns built per step: about the size of a core's L2 cache share.
_CHUNK_BYTES = 1_500_000
# Bytes of col2im gradient columns per step (stride 1); measured best a little larger.
_DX_CHUNK_BYTES = 4_000_000
# Up to this many bytes, the forward keeps its columns for the backward (else rebuilt there).
_KEEP_COLS_BYTES = 16_000_000
# With a multi-threaded BLAS, images are split over threads in pieces of at least this many
# bytes of columns (see _parallel.py); smaller layers run on the calling thread.
_PARALLEL_MIN_BYTES = 1_000_000


def conv_output_shape(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: int,
                      pad: int) -> tuple[int, int]:
    """(H', W') of a convolution, or a ValueError saying which dimension does not fit.

    ``H' = 1 + (H + 2 * pad - HH) / stride`` must be a whole number of at least 1; the
    same for the width.
    """
    n, c, h, width = x_shape
    f, cw, hh, ww = w_shape
    if cw != c:
        raise ValueError(f"channel mismatch: x has C = {c} channels (axis 1 of {tuple(x_shape)}) "
                         f"but w has {cw} (axis 1 of {tuple(w_shape)}); each filter must span "
                         "every input channel")
    sizes = []
    for dim, size, k in (("height", h, hh), ("width", width, ww)):
        padded = size + 2 * pad
        if k > padded:
            raise ValueError(f"filter {dim} {k} is larger than the padded input {dim} "
                             f"{padded} = {size} + 2 * pad {pad}; use a smaller filter or "
                             "more padding")
        if (padded - k) % stride != 0:
            raise ValueError(f"stride {stride} does not divide the {dim}: (input {dim} {size} "
                             f"+ 2 * pad {pad} - filter {dim} {k}) = {padded - k} is not a "
                             "multiple of the stride; change the stride or the padding")
        sizes.append(1 + (padded - k) // stride)
    return sizes[0], sizes[1]


def _conv_settings(conv_param: Mapping[str, int]) -> tuple[int, int]:
    if not isinstance(conv_param, Mapping) or "stride" not in conv_param or "pad" not in conv_param:
        raise ValueError("conv_param must be a dict with keys 'stride' and 'pad', "
                         f"got {conv_param!r}")
    stride, pad = conv_param["stride"], conv_param["pad"]
    return check_int("conv_param['stride']", stride, 1), check_int("conv_param['pad']", pad, 0)


def _pad(x: np.ndarray, pad: int) -> np.ndarray:
    """Zero-pad the last two axes by ``pad`` on each side (a fresh array, x untouched)."""
    if pad == 0:
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=x.dtype)
    xp[:, :, pad:pad + h, pad:pad + w] = x
    return xp


def _chunk_size(per_image_bytes: int, n: int, chunk_bytes: int = _CHUNK_BYTES) -> int:
    return max(1, min(n, chunk_bytes // max(1, per_image_bytes)))


def _windows(xp: np.ndarray, hh: int, ww: int, stride: int) -> np.ndarray:
    """Strided view (N, C, HH, WW, H', W') of every window of the padded input; no copy."""
    view = sliding_window_view(xp, (hh, ww), axis=(2, 3))  # (N, C, Hp-HH+1, Wp-WW+1, HH, WW)
    view = view[:, :, ::stride, ::stride]  # (N, C, H', W', HH, WW)
    return view.transpose(0, 1, 4, 5, 2, 3)  # (N, C, HH, WW, H', W')


def _im2col(windows: np.ndarray, i: int, m: int, buf: np.ndarray) -> np.ndarray:
    """Columns (C*HH*WW, m*H'*W') of images i..i+m-1, copied into the flat buffer ``buf``.

    Column ``j * H'*W' + p`` is the window of image i+j at output position p, so one matrix
    product with the chunk's dout in the same (F, m*H'*W') layout sums dw over the chunk.
    """
    _, c, hh, ww, h_out, w_out = windows.shape
    # BEGIN SOLUTION
    cols = buf[:c * hh * ww * m * h_out * w_out].reshape(c, hh, ww, m, h_out, w_out)
    cols[...] = windows[i:i + m].transpose(1, 2, 3, 0, 4, 5)  # the one copy: im2col
    return cols.reshape(c * hh * ww, m * h_out * w_out)
    # END SOLUTION


def _col2im_stride1(w2: np.ndarray, dout: np.ndarray, pad: int, hh: int, ww: int,
                    dx: np.ndarray) -> None:
    """Write dx (N, C, H, W) from dout (N, F, H', W') and w2 (F, C*HH*WW), stride 1 only.

    Flat trick: place each image's dout in the top-left corner of a zero (Hp, Wp) block
    (the padded input's size) and lay a chunk of m blocks end to end. Then the gradient of
    filter offset (a, e) lands on ONE contiguous run of the flattened padded input, shifted
    by ``a * Wp + e``; the zeros spill harmlessly into the next block.
    """
    n, f, h_out, w_out = dout.shape
    _, c, h, width = dx.shape
    hp, wp = h + 2 * pad, width + 2 * pad
    dtype = w2.dtype
    block = hp * wp
    step = _chunk_size(w2.shape[1] * block * dtype.itemsize, n, _DX_CHUNK_BYTES)
    # BEGIN SOLUTION
    spill = (hh - 1) * wp + ww - 1
    dwide = np.zeros((f, step, hp, wp), dtype=dtype)  # zero margins are written only once
    flat = np.empty((c, step * block + spill), dtype=dtype)
    for i in range(0, n, step):
        m = min(step, n - i)
        if m < step:  # last, shorter chunk: fresh contiguous buffers
            dwide = np.zeros((f, m, hp, wp), dtype=dtype)
            flat = np.empty((c, m * block + spill), dtype=dtype)
        dwide[:, :, :h_out, :w_out] = dout[i:i + m].transpose(1, 0, 2, 3)  # (F, m, H', W')
        length = m * block
        dcols = (w2.T @ dwide.reshape(f, length)).reshape(c, hh, ww, length)
        flat[:, :length] = dcols[:, 0, 0]  # offset (0, 0) covers the run exactly
        flat[:, length:] = 0
        for a in range(hh):
            for e in range(ww):
                if a or e:
                    start = a * wp + e
                    flat[:, start:start + length] += dcols[:, a, e]
        dxp = flat[:, :length].reshape(c, m, hp, wp)  # (C, m, Hp, Wp)
        dx[i:i + m] = dxp[:, :, pad:pad + h, pad:pad + width].transpose(1, 0, 2, 3)
    # END SOLUTION


def _col2im(w2: np.ndarray, dout: np.ndarray, padded_shape: tuple[int, ...], hh: int, ww: int,
            stride: int) -> np.ndarray:
    """Gradient of the padded input, (m, C, Hp, Wp), from dout (m, F, H', W') and w2 (F, C*HH*WW).

    ``dcols = w2.T @ dout`` holds, for every window offset (a, e), the gradient of the input
    pixel that offset saw; adding each offset's (H', W') block onto a strided slice of the
    padded input sums every contribution (HH*WW array additions, no loop over pixels).
    """
    m, f, h_out, w_out = dout.shape
    c, hp, wp = padded_shape
    # BEGIN SOLUTION
    dcols = np.matmul(w2.T, dout.reshape(m, f, h_out * w_out))  # (m, C*HH*WW, H'*W')
    dcols = dcols.reshape(m, c, hh, ww, h_out, w_out)
    dxp = np.zeros((m, c, hp, wp), dtype=w2.dtype)
    for a in range(hh):
        for e in range(ww):
            dxp[:, :, a:a + stride * h_out:stride, e:e + stride * w_out:stride] += dcols[:, :, a, e]
    return dxp
    # END SOLUTION


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                 conv_param: Mapping[str, int]) -> tuple[np.ndarray, ConvCache]:
    """Convolution layer forward pass.

    Args:
        x: (N, C, H, W) input images.
        w: (F, C, HH, WW) filters.
        b: (F,) biases, one per filter.
        conv_param: {"stride": s >= 1, "pad": p >= 0}; p zero pixels are added on EACH side.

    Returns:
        out: (N, F, H', W') with ``H' = 1 + (H + 2p - HH) / s`` and ``W' = 1 + (W + 2p - WW) / s``;
            dtype float32 only if x, w and b are all float32.
        cache: for :func:`conv_backward`.

    Raises:
        ValueError: wrong channel count, a filter larger than the padded input, a stride
            that does not divide ``H + 2p - HH`` (or the width equivalent), or NaN / inf in
            x, w or b (``NonFiniteError``; one ``isfinite`` scan each).
    """
    stride, pad = _conv_settings(conv_param)
    x = as_float_array("x", x, ndim=4)
    w = as_float_array("w", w, ndim=4)
    b = as_float_array("b", b, ndim=1)
    check_shape("b", b, (w.shape[0],))
    h_out, w_out = conv_output_shape(x.shape, w.shape, stride, pad)
    dtype = result_dtype(x, w, b)
    x, w, b = x.astype(dtype, copy=False), w.astype(dtype, copy=False), b.astype(dtype, copy=False)
    n, c, _, _ = x.shape
    f, _, hh, ww = w.shape
    # BEGIN SOLUTION
    xp = _pad(x, pad)
    windows = _windows(xp, hh, ww, stride)  # (N, C, HH, WW, H', W') view
    k, hw = c * hh * ww, h_out * w_out
    w2 = w.reshape(f, k)  # (F, C*HH*WW)
    out = np.empty((n, f, hw), dtype=dtype)  # (N, F, H'*W')
    step = _chunk_size(k * hw * dtype.itemsize, n)
    keep = n * k * hw * dtype.itemsize <= _KEEP_COLS_BYTES
    kept = np.empty((n, c, hh, ww, h_out, w_out), dtype=dtype) if keep else None

    def run(lo: int, hi: int) -> None:  # images lo..hi-1, a few at a time (cache-sized)
        buf = kept if keep else np.empty((step, c, hh, ww, h_out, w_out), dtype=dtype)
        for i in range(lo, hi, step):
            m = min(step, hi - i)
            cols = buf[i:i + m] if keep else buf[:m]  # (m, C, HH, WW, H', W')
            cols[...] = windows[i:i + m]  # the one copy: im2col
            np.matmul(w2, cols.reshape(m, k, hw), out=out[i:i + m])  # (m, F, H'*W')
            out[i:i + m] += b[:, None]

    map_ranges(run, n, _chunk_size(k * hw * dtype.itemsize, n, _PARALLEL_MIN_BYTES))
    if kept is not None:
        kept = kept.reshape(n, k, hw)  # (N, C*HH*WW, H'*W')
    out = out.reshape(n, f, h_out, w_out)
    # END SOLUTION
    return out, (xp, w, stride, pad, x.shape, kept)


def conv_backward(dout: np.ndarray, cache: ConvCache,
                  need_dx: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Convolution layer backward pass.

    Args:
        dout: (N, F, H', W') upstream gradient.
        cache: from :func:`conv_forward`.
        need_dx: set False for a network's first layer (its input is data, whose gradient
            nobody uses); dx is then not computed and returned as None, saving the col2im.

    Returns:
        dx: (N, C, H, W) gradient with respect to x, or None when ``need_dx`` is False.
        dw: (F, C, HH, WW) gradient with respect to w.
        db: (F,) gradient with respect to b.
    """
    xp, w, stride, pad, x_shape, kept = cache
    n, c, h, width = x_shape
    f, _, hh, ww = w.shape
    h_out = 1 + (h + 2 * pad - hh) // stride
    w_out = 1 + (width + 2 * pad - ww) // stride
    dout = as_float_array("dout", dout, ndim=4, finite=False)
    check_shape("dout", dout, (n, f, h_out, w_out))
    dout = dout.astype(w.dtype, copy=False)
    # BEGIN SOLUTION
    k, hw = c * hh * ww, h_out * w_out
    w2 = w.reshape(f, k)  # (F, C*HH*WW)
    d2 = dout.reshape(n, f, hw)  # (N, F, H'*W')
    db = d2.sum(axis=(0, 2))
    step = _chunk_size(k * hw * w.dtype.itemsize, n)
    windows = _windows(xp, hh, ww, stride)  # (N, C, HH, WW, H', W') view
    dx = np.empty(x_shape, dtype=w.dtype) if need_dx else None

    def run(lo: int, hi: int) -> np.ndarray:
        """dx of images lo..hi-1 (written in place) and their share of dw, transposed."""
        # dw = sum over images of dout[n] @ cols[n].T, computed as its transpose
        # (C*HH*WW, F): OpenBLAS runs cols @ dout.T markedly faster than dout @ cols.T
        if kept is not None:
            dw2t = np.matmul(kept[lo:hi], d2[lo:hi].transpose(0, 2, 1)).sum(axis=0)
        else:
            dw2t = np.zeros((k, f), dtype=w.dtype)
            buf = np.empty(k * step * hw, dtype=w.dtype)
            dbuf = np.empty(f * step * hw, dtype=w.dtype)
            for i in range(lo, hi, step):
                m = min(step, hi - i)
                cols = _im2col(windows, i, m, buf)  # (C*HH*WW, m*H'*W'), rebuilt per chunk
                dchunk = dbuf[:f * m * hw].reshape(f, m, hw)
                dchunk[...] = d2[i:i + m].transpose(1, 0, 2)  # (F, m, H'*W') like cols
                dw2t += cols @ dchunk.reshape(f, m * hw).T  # one product sums the chunk
        if dx is not None and stride == 1:
            _col2im_stride1(w2, dout[lo:hi], pad, hh, ww, dx[lo:hi])
        elif dx is not None:
            for i in range(lo, hi, step):
                j = min(i + step, hi)
                dxp = _col2im(w2, dout[i:j], xp.shape[1:], hh, ww, stride)  # (m, C, Hp, Wp)
                dx[i:j] = dxp[:, :, pad:pad + h, pad:pad + width]
        return dw2t

    parts = map_ranges(run, n, _chunk_size(k * hw * w.dtype.itemsize, n, _PARALLEL_MIN_BYTES))
    dw2t = reduce(np.add, parts)  # in range order: the sum does not depend on thread timing
    dw = np.ascontiguousarray(dw2t.T).reshape(w.shape)
    # END SOLUTION
    return dx, dw, db
