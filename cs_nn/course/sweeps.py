"""Compare training runs: one base config trained once per change, and a table of the results.

    runs = sweep(TrainConfig(dataset="digits", num_epochs=5), data,
                 {"lr 1e-3": {"lr": 1e-3}, "lr 1e-2": {"lr": 1e-2}})
    print(runs_table(runs, "learning rate"))

A diverging run (an infinite loss or NaN activations) is reported, not raised, so one bad
setting does not stop a comparison.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from cs_nn.course.training import TrainConfig, TrainResult, train_model


def sweep(base: TrainConfig, data: dict[str, Any], changes: dict[Any, dict[str, Any]],
          test: bool = False) -> dict[Any, TrainResult | None]:
    """Train ``base`` once per entry of ``changes`` ({label: {field: value, ...}}) on ``data``.

    Returns {label: TrainResult}, with None for a run that diverged (an infinite loss or NaN
    activations), so one bad setting does not stop a comparison. The test set is left alone
    unless ``test`` (measure it once, on the model you pick).
    """
    results: dict[Any, TrainResult | None] = {}
    for label, change in changes.items():
        config = dataclasses.replace(base, **change).validate()
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                results[label] = train_model(config, data, test=test)
        except FloatingPointError:
            results[label] = None
    return results


def runs_table(runs: dict[Any, TrainResult | None], title: str) -> str:
    """A text table, one row per run: final train / val accuracy, best val, final loss.

    The final loss is the mean of the last 10 minibatch losses ("> 100" when unstable).
    """
    lines = [f"{title:<16} {'train acc':>9} {'val acc':>8} {'best val':>9} {'final loss':>11}"]
    for label, result in runs.items():
        if result is None:
            lines.append(f"{label!s:<16} {'diverged':>9}")
            continue
        s = result.solver
        loss = float(np.mean(s.loss_history[-10:]))
        loss_text = f"{loss:11.4f}" if loss < 100 else f"{'> 100':>11}"
        lines.append(f"{label!s:<16} {s.train_acc_history[-1]:9.3f} {s.val_acc_history[-1]:8.3f} "
                     f"{s.best_val_acc:9.3f} {loss_text}")
    return "\n".join(lines)
