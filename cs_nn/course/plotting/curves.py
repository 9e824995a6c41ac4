"""Training curves: loss and accuracy of one run, a learning-rate sweep, a comparison of runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cs_nn._checks import as_float_array
from cs_nn._util.arrays import smooth
from cs_nn.course.plotting.figures import _figure

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
