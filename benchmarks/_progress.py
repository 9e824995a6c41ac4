"""One progress line per epoch for the accuracy benchmarks (a Solver callback)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np


def epoch_printer(t0: float, num_epochs: int | None = None,
                  momentum: bool = False) -> Callable[[Any, str], None]:
    """A Solver callback printing, after every epoch: epoch (of num_epochs), lr, [momentum,]
    the epoch's mean training loss, train and val accuracy, and seconds since ``t0``."""
    def report(solver: Any, event: str) -> None:
        if event != "epoch":
            return
        of = f"/{num_epochs}" if num_epochs is not None else ""
        mom = f" momentum {solver.momentum:.2f}" if momentum else ""
        loss = np.mean(solver.loss_history[-solver.iterations_per_epoch:])
        print(f"  epoch {solver.epoch:2d}{of}: lr {solver.lr:.2e}{mom}  loss {loss:.4f}  "
              f"train acc {solver.train_acc_history[-1]:.4f}  "
              f"val acc {solver.val_acc_history[-1]:.4f}  "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return report
