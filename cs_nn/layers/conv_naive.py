"""Loop-based convolution and max pooling: slow on purpose, readable, and a test oracle.

Each function spells the definition out with explicit loops over images, filters and output
positions, so it can be read next to the maths. The fast versions in :mod:`cs_nn.layers.conv`
and :mod:`cs_nn.layers.pool` must agree with these (the tests check that).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cs_nn._checks import as_float_array, check_shape, result_dtype
from cs_nn.layers.conv import conv_output_shape, conv_settings
from cs_nn.layers.pool import pool_output_shape, pool_settings

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "08_convolution"
#: Functions taught elsewhere, by name prefix.
NOTEBOOK_BY_PREFIX = {"max_pool": "09_pooling_and_convnets"}


def conv_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                       conv_param: Mapping[str, int]) -> tuple[np.ndarray, tuple]:
    """Convolution with four nested loops; same contract as ``conv_forward``.

    Args:
        x: (N, C, H, W) inputs. w: (F, C, HH, WW) filters. b: (F,) biases.
        conv_param: {"stride": s, "pad": p}, p zero pixels on each side.

    Returns:
        out: (N, F, H', W'). cache: (x, w, b, conv_param).
    """
    stride, pad = conv_settings(conv_param)
    x = as_float_array("x", x, ndim=4)
    w = as_float_array("w", w, ndim=4)
    b = as_float_array("b", b, ndim=1)
    check_shape("b", b, (w.shape[0],))
    h_out, w_out = conv_output_shape(x.shape, w.shape, stride, pad)
    n, f = x.shape[0], w.shape[0]
    hh, ww = w.shape[2:]
    out = np.zeros((n, f, h_out, w_out), dtype=result_dtype(x, w, b))
    # BEGIN SOLUTION
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    for i in range(n):
        for k in range(f):
            for r in range(h_out):
                for s in range(w_out):
                    top, left = r * stride, s * stride
                    window = xp[i, :, top:top + hh, left:left + ww]  # (C, HH, WW)
                    out[i, k, r, s] = np.sum(window * w[k]) + b[k]
    # END SOLUTION
    return out, (x, w, b, {"stride": stride, "pad": pad})


def conv_backward_naive(dout: np.ndarray,
                        cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of :func:`conv_forward_naive`, one output position at a time.

    Args:
        dout: (N, F, H', W') upstream gradient. cache: from :func:`conv_forward_naive`.

    Returns:
        dx (N, C, H, W), dw (F, C, HH, WW), db (F,): the gradients with respect to x, w, b.
    """
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, f = x.shape[0], w.shape[0]
    hh, ww = w.shape[2:]
    h_out, w_out = conv_output_shape(x.shape, w.shape, stride, pad)
    dout = as_float_array("dout", dout, ndim=4, finite=False)
    check_shape("dout", dout, (n, f, h_out, w_out))
    dtype = result_dtype(x, w, b)
    # BEGIN SOLUTION
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros(xp.shape, dtype=dtype)
    dw = np.zeros(w.shape, dtype=dtype)
    db = np.zeros(b.shape, dtype=dtype)
    for i in range(n):
        for k in range(f):
            for r in range(h_out):
                for s in range(w_out):
                    top, left = r * stride, s * stride
                    g = dout[i, k, r, s]
                    db[k] += g
                    dw[k] += g * xp[i, :, top:top + hh, left:left + ww]
                    dxp[i, :, top:top + hh, left:left + ww] += g * w[k]
    dx = dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]].copy()
    # END SOLUTION
    return dx, dw, db


def max_pool_forward_naive(x: np.ndarray,
                           pool_param: Mapping[str, int]) -> tuple[np.ndarray, tuple]:
    """Max pooling with loops; same contract as ``max_pool_forward``.

    Args:
        x: (N, C, H, W). pool_param: {"pool_height", "pool_width", "stride"}.

    Returns:
        out: (N, C, H', W') with ``H' = 1 + (H - pool_height) // stride``. cache: (x, pool_param).
    """
    ph, pw, stride = pool_settings(pool_param)
    x = as_float_array("x", x, ndim=4)
    h_out, w_out = pool_output_shape(x.shape, ph, pw, stride)
    n, c = x.shape[:2]
    out = np.zeros((n, c, h_out, w_out), dtype=x.dtype)
    # BEGIN SOLUTION
    for i in range(n):
        for ch in range(c):
            for r in range(h_out):
                for s in range(w_out):
                    top, left = r * stride, s * stride
                    out[i, ch, r, s] = np.max(x[i, ch, top:top + ph, left:left + pw])
    # END SOLUTION
    return out, (x, {"pool_height": ph, "pool_width": pw, "stride": stride})


def max_pool_backward_naive(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Backward of :func:`max_pool_forward_naive`: each window's gradient goes to its maximum.

    On ties the FIRST maximum (in row-major order inside the window) takes all of it.
    Returns dx (N, C, H, W).
    """
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    h_out, w_out = pool_output_shape(x.shape, ph, pw, stride)
    n, c = x.shape[:2]
    dout = as_float_array("dout", dout, ndim=4, finite=False)
    check_shape("dout", dout, (n, c, h_out, w_out))
    dx = np.zeros(x.shape, dtype=result_dtype(x, dout))
    # BEGIN SOLUTION
    for i in range(n):
        for ch in range(c):
            for r in range(h_out):
                for s in range(w_out):
                    top, left = r * stride, s * stride
                    window = x[i, ch, top:top + ph, left:left + pw]
                    a, e = np.unravel_index(np.argmax(window), window.shape)  # first maximum
                    dx[i, ch, top + a, left + e] += dout[i, ch, r, s]
    # END SOLUTION
    return dx
