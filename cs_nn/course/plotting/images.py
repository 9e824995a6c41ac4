"""Image plots: learned filters as a grid, a confusion matrix, sample images with labels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from cs_nn._checks import as_float_array
from cs_nn._util.arrays import make_grid
from cs_nn.course.plotting.figures import _figure, new_axes


def _show(ax: Any, grid: np.ndarray) -> None:
    """imshow an (H, W, C) image in [0, 1]; grayscale when C == 1."""
    if grid.shape[-1] == 1:
        ax.imshow(grid[..., 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(np.clip(grid, 0.0, 1.0), interpolation="nearest")
    ax.set_axis_off()


def plot_weight_grid(W: np.ndarray, image_shape: Sequence[int] | None = None,
                     ncols: int | None = None, padding: int = 1, ax: Any = None,
                     title: str | None = None) -> Any:
    """Show learned filters as a grid of small images, each min-max normalised.

    Args:
        W: conv filters (F, C, HH, WW) with C in {1, 3}, or first-layer linear weights (D, M)
            whose M columns are images of ``image_shape`` (the layout of ``x.reshape(N, D)``).
        image_shape: (C, H, W) with C * H * W = D, e.g. (3, 32, 32) or (1, 28, 28); only for 2-D W.
        ncols, padding: passed to :func:`make_grid` (padding is white).
        ax: Axes to draw into; default a new figure.
        title: axes title; default "<number> filters".

    Returns:
        The Figure; its image data is ``make_grid(filters, ncols, padding)``.
    """
    w = as_float_array("W", W)
    if w.ndim == 2:
        if image_shape is None or len(image_shape) != 3:
            raise ValueError("linear weights W (D, M) need image_shape=(C, H, W), e.g. (3, 32, 32)")
        if int(np.prod(image_shape)) != w.shape[0]:
            raise ValueError(f"image_shape {tuple(image_shape)} holds {int(np.prod(image_shape))} "
                             f"values but W has D = {w.shape[0]} rows")
        filters = w.T.reshape(w.shape[1], *image_shape)  # (M, C, H, W)
    elif w.ndim == 4:
        filters = w
    else:
        raise ValueError(f"W must be conv filters (F, C, HH, WW) or linear weights (D, M), "
                         f"got shape {w.shape}")
    grid = make_grid(filters, ncols=ncols, padding=padding)
    fig, ax = new_axes(ax, (6.0, 6.0))
    _show(ax, grid)
    ax.set_title(title if title is not None else f"{filters.shape[0]} filters")
    return fig


def plot_confusion_matrix(cm: np.ndarray, class_names: Sequence[str] | None = None,
                          normalize: bool = False, ax: Any = None, colorbar: bool = True) -> Any:
    """Draw a confusion matrix (rows = true class, columns = predicted) with every cell annotated.

    Args:
        cm: (C, C) counts, e.g. from :func:`cs_nn.metrics.confusion_matrix`.
        class_names: C tick labels; default 0 .. C-1.
        normalize: divide each row by its total (recall on the diagonal; empty rows stay 0) and
            print fractions with two decimals instead of counts.
        ax: Axes to draw into; default a new figure.
        colorbar: add a colour bar next to the matrix.

    Returns:
        The Figure.
    """
    m = as_float_array("cm", cm, ndim=2)
    C = m.shape[0]
    if m.shape != (C, C) or C == 0:
        raise ValueError(f"cm must be a square (C, C) matrix, got shape {m.shape}")
    if np.any(m < 0):
        raise ValueError("cm holds negative counts; pass the output of confusion_matrix")
    names = [str(c) for c in range(C)] if class_names is None else [str(n) for n in class_names]
    if len(names) != C:
        raise ValueError(f"class_names has {len(names)} names but cm has {C} classes")
    if normalize:
        rows = m.sum(axis=1, keepdims=True)  # (C, 1)
        m = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    fig, ax = new_axes(ax, (1.0 + 0.6 * C, 0.8 + 0.6 * C) if C > 6 else (5.0, 4.5))
    im = ax.imshow(m, cmap="Blues", vmin=0.0, interpolation="nearest")
    threshold = m.max() / 2 if m.max() > 0 else 1.0
    for i in range(C):  # C * C text labels: a loop over cells, not pixels
        for j in range(C):
            text = f"{m[i, j]:.2f}" if normalize else f"{int(round(m[i, j]))}"
            ax.text(j, i, text, ha="center", va="center",
                    color="white" if m[i, j] > threshold else "black")
    ax.set_xticks(np.arange(C), labels=names, rotation=45, ha="right")
    ax.set_yticks(np.arange(C), labels=names)
    ax.set(xlabel="predicted label", ylabel="true label",
           title="Confusion matrix (row-normalised)" if normalize else "Confusion matrix")
    if colorbar:
        fig.colorbar(im, ax=ax)
    return fig


def plot_images(X: np.ndarray, labels: Sequence[int] | np.ndarray | None = None,
                class_names: Sequence[str] | None = None, ncols: int = 8, fig: Any = None) -> Any:
    """Show sample images, optionally titled with their labels.

    Args:
        X: (N, C, H, W) images with values in [0, 1], C in {1, 3}; at most 256 of them.
        labels: (N,) integer labels shown as titles; names from ``class_names`` when given.
        class_names: names indexed by label.
        ncols: images per row.
        fig: an empty Figure to draw into; default a new one.

    Returns:
        The Figure, with exactly N axes (one per image, in order).
    """
    x = as_float_array("X", X, ndim=4)
    N, C = x.shape[:2]
    if C not in (1, 3):
        raise ValueError(f"X must have 1 or 3 channels (axis 1 of (N, C, H, W)), got {C}")
    if not 1 <= N <= 256:
        raise ValueError(f"X holds {N} images; pass between 1 and 256, e.g. X[:32]")
    if x.min() < 0 or x.max() > 1:
        raise ValueError(f"X must lie in [0, 1], got values from {x.min():.3g} to {x.max():.3g}; "
                         "undo any mean subtraction (or divide uint8 pixels by 255)")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (N,):
            raise ValueError(f"labels must have shape ({N},), got {labels.shape}")
        if class_names is not None and (labels.min() < 0 or labels.max() >= len(class_names)):
            raise ValueError(f"labels must lie in [0, {len(class_names)}) to index class_names, "
                             f"got values from {labels.min()} to {labels.max()}")
    ncols = max(1, min(int(ncols), N))
    nrows = math.ceil(N / ncols)
    fig = _figure(fig, (1.3 * ncols, 1.4 * nrows))
    for i in range(N):  # one axes per image
        ax = fig.add_subplot(nrows, ncols, i + 1)
        _show(ax, x[i].transpose(1, 2, 0))  # (H, W, C)
        if labels is not None:
            k = int(labels[i])
            ax.set_title(class_names[k] if class_names is not None else str(k), fontsize=8)
    return fig
