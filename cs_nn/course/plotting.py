"""Plots for the notebooks: training curves, learning-rate sweeps, filter grids, confusion matrices.

matplotlib is imported inside the functions, so ``import cs_nn`` needs only numpy. Every
function returns its :class:`matplotlib.figure.Figure` and never calls ``plt.show()``. In a
notebook, assign the result (``fig = plot_training_curves(solver)``): the inline backend shows
the figure once at the end of the cell. Pass ``ax`` (or ``fig``) to draw into your own layout.

The array work (moving average, image grid) lives in :mod:`cs_nn._util.arrays`, pure numpy.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from io import BytesIO  # the standard library (cs_nn.io is the graded-CSV module)
from pathlib import Path
from typing import Any

import numpy as np

from cs_nn._checks import as_float_array
from cs_nn._util.arrays import make_grid, smooth
from cs_nn._util.files import atomic_write_bytes

__all__ = [
    "make_grid", "new_axes", "plot_confusion_matrix", "plot_images", "plot_learning_rate_sweep",
    "plot_training_curves", "plot_weight_grid", "save_figure", "smooth",
]

History = Any  # a Solver-like object or a dict with "loss_history", "train_acc_history", ...


def _get_history(history: History) -> dict[str, np.ndarray]:
    """loss / train_acc / val_acc arrays from a Solver-like object, a dict, or anything with a
    ``solver`` attribute (a training.TrainResult)."""
    if not isinstance(history, Mapping) and hasattr(history, "solver"):
        history = history.solver
    def get(key: str) -> object:
        if isinstance(history, Mapping):
            return history.get(key, [])
        return getattr(history, key, [])
    if (isinstance(history, Mapping) and "loss_history" not in history) or \
            (not isinstance(history, Mapping) and not hasattr(history, "loss_history")):
        raise TypeError("history must be a Solver (or any object) with a loss_history attribute, "
                        "or a dict with keys 'loss_history', 'train_acc_history', "
                        f"'val_acc_history'; got {type(history).__name__}")
    return {key: as_float_array(key, get(key), ndim=1, finite=False).astype(np.float64)
            for key in ("loss_history", "train_acc_history", "val_acc_history")}


def _epochs(acc: np.ndarray) -> np.ndarray:
    return np.arange(1, acc.shape[0] + 1)  # the Solver measures accuracy after each epoch


def _integer_ticks(ax: Any) -> None:
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs: 1, 2, 3, not 1.5


def _figure(fig: Any, figsize: tuple[float, float]) -> Any:
    if fig is not None:
        return fig
    import matplotlib.pyplot as plt
    return plt.figure(figsize=figsize)


def plot_training_curves(history: History, smooth_window: int = 25, fig: Any = None) -> Any:
    """Loss per iteration (raw and smoothed) and train / val accuracy per epoch, side by side.

    Args:
        history: a Solver after ``train()``, or a dict with "loss_history" (T,) and optionally
            "train_acc_history" (E,) and "val_acc_history" (E,) (entry k: after epoch k + 1).
        smooth_window: moving-average window for the smoothed loss line (see :func:`smooth`).
        fig: an empty Figure to draw into; default a new 11 x 4 inch figure.

    Returns:
        The Figure, with axes [loss, accuracy].
    """
    h = _get_history(history)
    fig = _figure(fig, (11.0, 4.0))
    ax_loss, ax_acc = fig.subplots(1, 2)
    loss = h["loss_history"]
    iters = np.arange(loss.shape[0])
    ax_loss.plot(iters, loss, color="tab:blue", alpha=0.3, linewidth=0.8, label="loss")
    ax_loss.plot(iters, smooth(loss, smooth_window), color="tab:blue",
                 label=f"moving average ({smooth_window})")
    ax_loss.set(title="Training loss", xlabel="iteration", ylabel="loss")
    ax_loss.legend()
    for key, label in (("train_acc_history", "train"), ("val_acc_history", "val")):
        ax_acc.plot(_epochs(h[key]), h[key], marker="o", label=label)
    ax_acc.set(title="Accuracy", xlabel="epoch", ylabel="accuracy")
    _integer_ticks(ax_acc)
    ax_acc.legend()
    fig.tight_layout()
    return fig


def plot_learning_rate_sweep(results: Mapping[float, History] | Sequence[tuple[float, History]],
                             smooth_window: int = 25, fig: Any = None) -> Any:
    """Compare training runs that differ in learning rate.

    Args:
        results: {lr: history} or [(lr, history), ...]; each history as in
            :func:`plot_training_curves`.
        smooth_window: moving-average window applied to every loss curve.
        fig: an empty Figure to draw into; default a new one.

    Returns:
        The Figure, with axes [smoothed loss per iteration, validation accuracy per epoch];
        one line per run in each, labelled ``lr = <value>``.
    """
    runs = list(results.items()) if isinstance(results, Mapping) else list(results)
    if not runs:
        raise ValueError("results is empty; pass {lr: solver_or_history, ...}")
    return plot_run_comparison([(f"lr = {float(lr):.3g}", h) for lr, h in runs],
                               smooth_window=smooth_window, fig=fig)


def plot_run_comparison(runs: Mapping[Any, History | None] | Sequence[tuple[Any, History]],
                        title: str | None = None, smooth_window: int = 25,
                        fig: Any = None) -> Any:
    """Training loss and validation accuracy of several runs side by side.

    Args:
        runs: {label: history} or [(label, history), ...]; a None history (a run that
            diverged) is left out. Each history as in :func:`plot_training_curves`.
        title: prefix of both panel titles, e.g. "batch size".
        smooth_window: moving-average window applied to every loss curve.
        fig: an empty Figure to draw into; default a new one.

    Returns:
        The Figure, with axes [smoothed loss per iteration, validation accuracy per epoch];
        one line per run in each, labelled with its label.
    """
    items = list(runs.items()) if isinstance(runs, Mapping) else list(runs)
    items = [(label, h) for label, h in items if h is not None]
    if not items:
        raise ValueError("runs is empty (or every run diverged); pass {label: solver, ...}")
    fig = _figure(fig, (11.0, 4.0))
    ax_loss, ax_acc = fig.subplots(1, 2)
    for label, history in items:
        h = _get_history(history)
        loss = h["loss_history"]
        ax_loss.plot(np.arange(loss.shape[0]), smooth(loss, smooth_window), label=str(label))
        ax_acc.plot(_epochs(h["val_acc_history"]), h["val_acc_history"], marker="o",
                    label=str(label))
    prefix = f"{title}: " if title else ""
    ax_loss.set(title=f"{prefix}training loss (moving average {smooth_window})",
                xlabel="iteration", ylabel="loss")
    ax_acc.set(title=f"{prefix}validation accuracy", xlabel="epoch", ylabel="accuracy")
    _integer_ticks(ax_acc)
    ax_loss.legend(fontsize=8)
    ax_acc.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _show(ax: Any, grid: np.ndarray) -> None:
    """imshow an (H, W, C) image in [0, 1]; grayscale when C == 1."""
    if grid.shape[-1] == 1:
        ax.imshow(grid[..., 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(np.clip(grid, 0.0, 1.0), interpolation="nearest")
    ax.set_axis_off()


def new_axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    """(figure, axes): ``ax`` and its figure, or a new pyplot figure of ``figsize`` inches
    with one axes (pyplot, so that notebooks display it and ``plt.show()`` shows it)."""
    if ax is not None:
        return ax.figure, ax
    fig = _figure(None, figsize)
    return fig, fig.add_subplot(1, 1, 1)


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


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Write ``fig`` as a PNG file atomically (rendered in memory, then temp file + rename).

    Args:
        fig: a matplotlib Figure.
        path: target file, must end in ".png"; parent folders are created.
        dpi: resolution.

    Returns:
        The path written.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"save_figure writes PNG files; {path.name!r} should end in '.png'")
    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return atomic_write_bytes(path, buffer.getvalue())
