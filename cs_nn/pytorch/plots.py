"""Curves of :class:`cs_nn.pytorch.loop.History` runs: loss per step, accuracy per evaluation.

matplotlib is imported lazily; the functions return the Figure and never call ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cs_nn._util.arrays import smooth
from cs_nn.pytorch.loop import History

NOTEBOOK = "13_pytorch_convnets"


def plot_history(histories: History | Mapping[str, History], smooth_window: int = 25,
                 fig: Any = None) -> Any:
    """Training loss per step (smoothed) and train / val accuracy per evaluation.

    Args:
        histories: one History, or a dict label -> History to compare runs on the same axes.
        smooth_window: moving-average window for the loss.
        fig: an empty Figure to draw into; default a new 11 x 4 inch figure.

    Returns:
        The Figure, with axes [loss, accuracy].
    """
    runs = {"": histories} if isinstance(histories, History) else dict(histories)
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(11.0, 4.0))
    ax_loss, ax_acc = fig.subplots(1, 2)
    for i, (label, h) in enumerate(runs.items()):
        color = f"C{i}"
        loss = np.asarray(h.train_loss, dtype=np.float64)
        steps = np.arange(1, loss.shape[0] + 1)
        window = max(1, min(smooth_window, loss.shape[0]))
        ax_loss.plot(steps, smooth(loss, window), color=color,
                     label=f"{label} (moving average {window})".strip())
        prefix = f"{label} " if label else ""
        ax_acc.plot(h.eval_steps, h.train_acc, color=color, linestyle="--", marker=".",
                    label=f"{prefix}train")
        ax_acc.plot(h.eval_steps, h.val_acc, color=color, marker="o", label=f"{prefix}val")
    ax_loss.set(title="Training loss", xlabel="step", ylabel="cross-entropy")
    ax_loss.legend()
    ax_acc.set(title="Accuracy", xlabel="step", ylabel="accuracy")
    ax_acc.legend()
    fig.tight_layout()
    return fig
