"""Im2col column layouts shared by the fast convolution layers (instructor-only speed path).

Two layouts of the same windows, both starting from a strided *view* of the padded input (no
copy) and made real by one copy into the caller's buffer:

- (C*HH*WW, H'*W') per image (CS231n's layout): ``weights (F, K) @ columns``; each copied run
  is an output row, W' floats long;
- channels-last, (H'*W', HH*WW*C) per image: ``columns @ weights (K, F)``; each copied run is
  a window row of the channels-last input, WW*C floats long.

:func:`channels_last_pays` picks between them; tests/test_fast_columns.py checks every view
and copy against the plain im2col of :mod:`cs_nn.layers.conv`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def padded(x: np.ndarray, pad: int) -> np.ndarray:
    """Zero-pad the last two axes by ``pad`` on each side (a fresh array, x untouched)."""
    if pad == 0:
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=x.dtype)
    xp[:, :, pad:pad + h, pad:pad + w] = x
    return xp


def window_view(xp: np.ndarray, hh: int, ww: int, stride: int) -> np.ndarray:
    """Strided view (N, C, HH, WW, H', W') of every window of the padded input; no copy."""
    view = sliding_window_view(xp, (hh, ww), axis=(2, 3))  # (N, C, Hp-HH+1, Wp-WW+1, HH, WW)
    view = view[:, :, ::stride, ::stride]  # (N, C, H', W', HH, WW)
    return view.transpose(0, 1, 4, 5, 2, 3)  # (N, C, HH, WW, H', W')


def padded_channels_last(x: np.ndarray, pad: int) -> np.ndarray:
    """x (N, C, H, W) zero-padded and moved to channels-last: a fresh (N, Hp, Wp, C) array."""
    n, c, h, w = x.shape
    xp = np.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=x.dtype)
    xp[:, pad:pad + h, pad:pad + w] = x.transpose(0, 2, 3, 1)
    return xp


def window_view_channels_last(xp: np.ndarray, hh: int, ww: int, stride: int) -> np.ndarray:
    """Strided view (N, H', W', HH, WW, C) of every window of a channels-last padded input
    (N, Hp, Wp, C); no copy. One window row, (WW, C), is a contiguous run of the input."""
    view = sliding_window_view(xp, (hh, ww), axis=(1, 2))  # (N, Hp-HH+1, Wp-WW+1, C, HH, WW)
    return view[:, ::stride, ::stride].transpose(0, 1, 2, 4, 5, 3)  # (N, H', W', HH, WW, C)


def weights_channels_last(w: np.ndarray) -> np.ndarray:
    """w (F, C, HH, WW) as the (HH*WW*C, F) matrix that multiplies channels-last columns."""
    return np.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(-1, w.shape[0])


def channels_last_pays(c: int, ww: int, w_out: int) -> bool:
    """Whether the forward should build channels-last columns (when it keeps them): each of
    their copied runs is a window row, WW*C floats, against W' for the (C*HH*WW, H'*W')
    layout, and the product (m*H'*W', K) @ (K, F) runs faster with few filters. Measured:
    3x3 on 16 channels of 16x16 (runs 48 vs 16) forward 3.0 -> 2.1 ms; 7x7 on 3 channels of
    32x32 (21 vs 32) no gain."""
    return ww * c >= w_out


def im2col(windows: np.ndarray, i: int, m: int, buf: np.ndarray) -> np.ndarray:
    """Columns (C*HH*WW, m*H'*W') of images i..i+m-1, copied into the flat buffer ``buf``.

    Column ``j * H'*W' + p`` is the window of image i+j at output position p, so one matrix
    product with the chunk's dout in the same (F, m*H'*W') layout sums dw over the chunk.
    """
    _, c, hh, ww, h_out, w_out = windows.shape
    cols = buf[:c * hh * ww * m * h_out * w_out].reshape(c, hh, ww, m, h_out, w_out)
    cols[...] = windows[i:i + m].transpose(1, 2, 3, 0, 4, 5)  # the one copy: im2col
    return cols.reshape(c * hh * ww, m * h_out * w_out)
