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
of the input (no copy) followed by one transposed copy into a small reused buffer, a few
images at a time so the buffer stays in cache; col2im adds HH*WW strided slices instead of
looping over pixels; float32 stays float32 throughout.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cs_nn._checks import as_float_array, check_shape, result_dtype

ConvCache = tuple[np.ndarray, np.ndarray, int, int, tuple[int, ...]]

# Bytes of columns built per step: about the size of a core's L2 cache share.
_CHUNK_BYTES = 1_500_000


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
    for name, value, low in (("stride", stride, 1), ("pad", pad, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"conv_param['{name}'] must be an integer >= {low}, got {value!r}")
    return int(stride), int(pad)


def _pad(x: np.ndarray, pad: int) -> np.ndarray:
    """Zero-pad the last two axes by ``pad`` on each side (a fresh array, x untouched)."""
    if pad == 0:
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=x.dtype)
    xp[:, :, pad:pad + h, pad:pad + w] = x
    return xp


def _chunk_size(per_image_bytes: int, n: int) -> int:
    return max(1, min(n, _CHUNK_BYTES // max(1, per_image_bytes)))


def _windows(xp: np.ndarray, hh: int, ww: int, stride: int) -> np.ndarray:
    """Strided view (N, C, HH, WW, H', W') of every window of the padded input; no copy."""
    view = sliding_window_view(xp, (hh, ww), axis=(2, 3))  # (N, C, Hp-HH+1, Wp-WW+1, HH, WW)
    view = view[:, :, ::stride, ::stride]  # (N, C, H', W', HH, WW)
    return view.transpose(0, 1, 4, 5, 2, 3)  # (N, C, HH, WW, H', W')


def _col2im(w2: np.ndarray, dout: np.ndarray, padded_shape: tuple[int, ...], hh: int, ww: int,
            stride: int) -> np.ndarray:
    """Gradient of the padded input, (m, C, Hp, Wp), from dout (m, F, H', W') and w2 (F, C*HH*WW).

    ``dcols = w2.T @ dout`` holds, for every window offset (a, e), the gradient of the input
    pixel that offset saw; adding each offset's (H', W') block onto a strided slice of the
    padded input sums every contribution (HH*WW array additions, no loop over pixels).
    """
    m, f, h_out, w_out = dout.shape
    c, hp, wp = padded_shape
    dtype = w2.dtype
    if stride == 1:
        # Flat trick: give dout the padded width (zeros in the extra columns), so the block of
        # offset (a, e) is ONE contiguous run of the flattened padded image starting at
        # a * Wp + e; the zero columns spill harmlessly into the next row.
        dwide = np.zeros((m, f, h_out, wp), dtype=dtype)  # (m, F, H', Wp)
        dwide[..., :w_out] = dout
        dcols = np.matmul(w2.T, dwide.reshape(m, f, h_out * wp))  # (m, C*HH*WW, H'*Wp)
        dcols = dcols.reshape(m, c, hh, ww, h_out * wp)
        flat = np.zeros((m, c, hp * wp + ww), dtype=dtype)  # room for the last spill
        for a in range(hh):
            for e in range(ww):
                start = a * wp + e
                flat[:, :, start:start + h_out * wp] += dcols[:, :, a, e]
        return flat[:, :, :hp * wp].reshape(m, c, hp, wp)
    dcols = np.matmul(w2.T, dout.reshape(m, f, h_out * w_out))  # (m, C*HH*WW, H'*W')
    dcols = dcols.reshape(m, c, hh, ww, h_out, w_out)
    dxp = np.zeros((m, c, hp, wp), dtype=dtype)
    for a in range(hh):
        for e in range(ww):
            dxp[:, :, a:a + stride * h_out:stride, e:e + stride * w_out:stride] += dcols[:, :, a, e]
    return dxp


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
        ValueError: wrong channel count, a filter larger than the padded input, or a stride
            that does not divide ``H + 2p - HH`` (or the width equivalent).
    """
    stride, pad = _conv_settings(conv_param)
    x = as_float_array("x", x, ndim=4, finite=False)
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
    k = c * hh * ww
    w2 = w.reshape(f, k)  # (F, C*HH*WW)
    out = np.empty((n, f, h_out * w_out), dtype=dtype)  # (N, F, H'*W')
    step = _chunk_size(k * h_out * w_out * dtype.itemsize, n)
    buf = np.empty((step, c, hh, ww, h_out, w_out), dtype=dtype)
    for i in range(0, n, step):  # a few images at a time, so the columns stay in cache
        m = min(step, n - i)
        cols = buf[:m]
        cols[...] = windows[i:i + m]  # the one copy: im2col
        np.matmul(w2, cols.reshape(m, k, h_out * w_out), out=out[i:i + m])
    out += b[:, None]
    out = out.reshape(n, f, h_out, w_out)
    # END SOLUTION
    return out, (xp, w, stride, pad, x.shape)


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
    xp, w, stride, pad, x_shape = cache
    n, c, h, width = x_shape
    f, _, hh, ww = w.shape
    h_out = 1 + (h + 2 * pad - hh) // stride
    w_out = 1 + (width + 2 * pad - ww) // stride
    dout = as_float_array("dout", dout, ndim=4, finite=False)
    check_shape("dout", dout, (n, f, h_out, w_out))
    dout = dout.astype(w.dtype, copy=False)
    # BEGIN SOLUTION
    k = c * hh * ww
    w2 = w.reshape(f, k)  # (F, C*HH*WW)
    d2 = dout.reshape(n, f, h_out * w_out)  # (N, F, H'*W')
    db = d2.sum(axis=(0, 2))
    windows = _windows(xp, hh, ww, stride)  # (N, C, HH, WW, H', W') view
    dw2 = np.zeros((f, k), dtype=w.dtype)
    dx = np.empty(x_shape, dtype=w.dtype) if need_dx else None
    step = _chunk_size(k * h_out * w_out * w.dtype.itemsize, n)
    buf = np.empty((step, c, hh, ww, h_out, w_out), dtype=w.dtype)
    for i in range(0, n, step):
        m = min(step, n - i)
        cols = buf[:m]
        cols[...] = windows[i:i + m]  # rebuild this chunk's columns (cheaper than caching all)
        # dw = sum over images of dout[n] @ cols[n].T
        dw2 += np.matmul(d2[i:i + m], cols.reshape(m, k, -1).transpose(0, 2, 1)).sum(axis=0)
        if need_dx:
            dxp = _col2im(w2, dout[i:i + m], xp.shape[1:], hh, ww, stride)  # (m, C, Hp, Wp)
            dx[i:i + m] = dxp[:, :, pad:pad + h, pad:pad + width]
    dw = dw2.reshape(w.shape)
    # END SOLUTION
    return dx, dw, db
