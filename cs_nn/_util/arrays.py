"""Pure numpy helpers behind the plots: a trailing moving average and an image grid."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cs_nn._checks import as_float_array, check_int


def smooth(values: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average: ``out[t] = mean(values[max(0, t - window + 1) : t + 1])``.

    Args:
        values: (T,) numbers, e.g. the loss of every iteration.
        window: number of points averaged (>= 1); the first points average what exists so far.

    Returns:
        (T,) float64, the same length as ``values``.
    """
    v = as_float_array("values", values, ndim=1).astype(np.float64)
    window = check_int("window", window, 1)
    csum = np.concatenate([[0.0], np.cumsum(v)])  # (T + 1,)
    t = np.arange(v.shape[0])
    lo = np.maximum(0, t - window + 1)
    return (csum[t + 1] - csum[lo]) / (t + 1 - lo)


def make_grid(images: np.ndarray, ncols: int | None = None, padding: int = 1,
              pad_value: float = 1.0, normalize: bool = True) -> np.ndarray:
    """Tile images into one picture, row by row.

    Args:
        images: (N, C, H, W), C in {1, 3}.
        ncols: tiles per row; default ceil(sqrt(N)), never more than N.
        padding: pixels of ``pad_value`` between neighbouring tiles (none around the border).
        pad_value: colour of the padding and of unused cells in the last row.
        normalize: min-max scale each image on its own to [0, 1] (a constant image becomes 0).

    Returns:
        grid: (R*H + (R-1)*padding, K*W + (K-1)*padding, C) with K = ncols, R = ceil(N / K);
        the images' float dtype (integers become float64).
    """
    x = as_float_array("images", images, ndim=4)
    N, C, H, W = x.shape
    if C not in (1, 3):
        raise ValueError(f"images must have 1 or 3 channels (axis 1 of (N, C, H, W)), got {C}")
    if N == 0:
        raise ValueError("images is empty; nothing to tile")
    if ncols is None:
        ncols = math.ceil(math.sqrt(N))
    check_int("ncols", ncols, 1)
    check_int("padding", padding, 0)
    ncols = min(int(ncols), N)
    nrows = math.ceil(N / ncols)
    if normalize:
        lo = x.min(axis=(1, 2, 3), keepdims=True)  # (N, 1, 1, 1)
        span = x.max(axis=(1, 2, 3), keepdims=True) - lo
        x = np.where(span > 0, (x - lo) / np.where(span > 0, span, 1), 0).astype(x.dtype)
    p = padding
    cells = np.full((nrows * ncols, C, H + p, W + p), pad_value, dtype=x.dtype)
    cells[:N, :, :H, :W] = x  # each tile followed by p padding rows / columns
    grid = cells.reshape(nrows, ncols, C, H + p, W + p).transpose(0, 3, 1, 4, 2)
    grid = grid.reshape(nrows * (H + p), ncols * (W + p), C)  # (R*(H+p), K*(W+p), C)
    return grid[:nrows * (H + p) - p, :ncols * (W + p) - p]  # drop the trailing padding
