"""Convolution layer by matrix product (im2col), with any stride and zero padding.

A convolution slides each of F filters (C, HH, WW) over the zero-padded input and takes a
dot product at every position. Gathering every input window into a column turns the whole
layer into one matrix product per image::

    cols[n] : (C*HH*WW, H'*W')      every window of image n, one column each
    out[n]  = w.reshape(F, -1) @ cols[n] + b     -> (F, H'*W'), already channel-first

The backward pass is the same trick in reverse: ``dw = sum_n dout[n] @ cols[n].T`` and
``dcols[n] = w.T @ dout[n]``, which col2im adds back onto the input windows. Like most
libraries we compute a cross-correlation (the filter is not flipped).

The instructor's repository runs a faster equivalent of these two functions (chunked
columns, threads: cs_nn/_fast/conv.py, see :mod:`cs_nn._util.speed`); the student release runs
the code written here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cs_nn._checks import as_float_array, check_int, check_shape, result_dtype
from cs_nn._util.speed import speed_path

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "08_convolution"

ConvCache = tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]


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


def conv_settings(conv_param: Mapping[str, int]) -> tuple[int, int]:
    """(stride, pad) from ``conv_param``, or a ValueError saying what is wrong with it."""
    if not isinstance(conv_param, Mapping) or "stride" not in conv_param or "pad" not in conv_param:
        raise ValueError("conv_param must be a dict with keys 'stride' and 'pad', "
                         f"got {conv_param!r}")
    stride, pad = conv_param["stride"], conv_param["pad"]
    return check_int("conv_param['stride']", stride, 1), check_int("conv_param['pad']", pad, 0)


def check_conv_inputs(x: object, w: object, b: object, conv_param: Mapping[str, int]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int, tuple[int, int]]:
    """x (N, C, H, W), w (F, C, HH, WW), b (F,) in one float dtype (float32 only if all three
    are), stride, pad and (H', W'); or a clear error saying what does not fit."""
    stride, pad = conv_settings(conv_param)
    x = as_float_array("x", x, ndim=4)
    w = as_float_array("w", w, ndim=4)
    b = as_float_array("b", b, ndim=1)
    check_shape("b", b, (w.shape[0],))
    out_shape = conv_output_shape(x.shape, w.shape, stride, pad)
    dtype = result_dtype(x, w, b)
    x, w, b = x.astype(dtype, copy=False), w.astype(dtype, copy=False), b.astype(dtype, copy=False)
    return x, w, b, stride, pad, out_shape


@speed_path("conv")
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
        cache: (x, w, b, conv_param) for :func:`conv_backward`.

    Raises:
        ValueError: wrong channel count, a filter larger than the padded input, a stride
            that does not divide ``H + 2p - HH`` (or the width equivalent), or NaN / inf in
            x, w or b (``NonFiniteError``; one ``isfinite`` scan each).
    """
    x, w, b, stride, pad, (h_out, w_out) = check_conv_inputs(x, w, b, conv_param)
    dtype = x.dtype
    n, c, _, _ = x.shape
    f, _, hh, ww = w.shape
    # BEGIN SOLUTION
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # im2col: cols[n, :, p] holds the C*HH*WW input values that output position p sees
    cols = np.empty((n, c, hh, ww, h_out, w_out), dtype=dtype)
    for i in range(hh):
        for j in range(ww):
            cols[:, :, i, j] = xp[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride]
    cols = cols.reshape(n, c * hh * ww, h_out * w_out)
    out = w.reshape(f, -1) @ cols + b[:, None]  # (N, F, H'*W')
    out = out.reshape(n, f, h_out, w_out)
    # END SOLUTION
    return out, (x, w, b, {"stride": stride, "pad": pad})


@speed_path("conv")
def conv_backward(dout: np.ndarray, cache: ConvCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convolution layer backward pass.

    Args:
        dout: (N, F, H', W') upstream gradient.
        cache: (x, w, b, conv_param) from :func:`conv_forward`.

    Returns:
        dx: (N, C, H, W) gradient with respect to x.
        dw: (F, C, HH, WW) gradient with respect to w.
        db: (F,) gradient with respect to b.
    """
    x, w, b, conv_param = cache
    stride, pad = conv_settings(conv_param)
    n, c, h, width = x.shape
    f, _, hh, ww = w.shape
    h_out, w_out = conv_output_shape(x.shape, w.shape, stride, pad)
    dout = as_float_array("dout", dout, ndim=4, finite=False)
    check_shape("dout", dout, (n, f, h_out, w_out))
    dout = dout.astype(w.dtype, copy=False)
    # BEGIN SOLUTION
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((n, c, hh, ww, h_out, w_out), dtype=x.dtype)  # im2col, as in the forward
    for i in range(hh):
        for j in range(ww):
            cols[:, :, i, j] = xp[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride]
    cols = cols.reshape(n, c * hh * ww, h_out * w_out)
    dout2 = dout.reshape(n, f, h_out * w_out)
    db = dout.sum(axis=(0, 2, 3))
    dw = (dout2 @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    # col2im: add each column's gradient back onto the input window it came from
    dcols = (w.reshape(f, -1).T @ dout2).reshape(n, c, hh, ww, h_out, w_out)
    dxp = np.zeros_like(xp)
    for i in range(hh):
        for j in range(ww):
            dxp[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride] += dcols[:, :, i, j]
    dx = dxp[:, :, pad:pad + h, pad:pad + width]
    # END SOLUTION
    return dx, dw, db
