"""Live learning-rate tuning in a notebook (JupyterLab or Colab).

Two layers, so the logic is testable without a browser:

- :class:`LearningRateTuner` (no widgets): holds a model factory, the data and the Solver
  options; ``run(lr)`` trains a fresh model with that learning rate and returns its histories;
  listeners ``fn(event, history)`` hear about every finished epoch ("epoch") and run ("end").
  ``find_lr()`` runs the learning-rate range test of :mod:`cs_nn.course.lr_finder`.
- :class:`TunerWidget` (ipywidgets, imported lazily): a log-scale slider, a "Train" button, a
  "Find lr" button and an output area with the loss and accuracy curves, redrawn in place after
  every epoch. Display it as the last expression of a cell::

      tuner = LearningRateTuner(lambda: FullyConnectedNet([50], input_dim=64, seed=0), data,
                                {"update_rule": "sgd_momentum", "num_epochs": 5})
      TunerWidget(tuner)

Widget outputs change from run to run: mark such cells so nbval ignores their output.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from io import BytesIO  # the standard library (cs_nn.io is the graded-CSV module)
from typing import Any

import numpy as np

from cs_nn.course.lr_finder import LRFinderResult, lr_range_test, plot_lr_range_test
from cs_nn.course.plotting import plot_training_curves
from cs_nn.solver import Solver

Listener = Callable[[str, "RunHistory"], None]


@dataclasses.dataclass
class RunHistory:
    """One training run of the tuner (lists grow while it trains).

    Attributes: ``lr``; ``loss_history`` (one per iteration); ``train_acc_history`` and
    ``val_acc_history`` (one per epoch); ``done``; ``error`` (message if training diverged).
    """

    lr: float
    loss_history: list[float] = dataclasses.field(default_factory=list)
    train_acc_history: list[float] = dataclasses.field(default_factory=list)
    val_acc_history: list[float] = dataclasses.field(default_factory=list)
    done: bool = False
    error: str | None = None

    @property
    def final_val_acc(self) -> float | None:
        return self.val_acc_history[-1] if self.val_acc_history else None


class LearningRateTuner:
    """Retrain a small model with a chosen learning rate; keeps every run's histories.

    Args:
        model_factory: zero-argument callable returning a fresh model (``.params``, ``.loss``).
        data: ``X_train`` (N, ...), ``y_train`` (N,), ``X_val``, ``y_val`` for the Solver.
        solver_options: keyword options of :class:`cs_nn.solver.Solver` (``update_rule``,
            ``num_epochs``, ``batch_size``, ``optim_config`` without the learning rate, ...).
            ``callbacks`` are kept and called after the tuner's own.
    """

    def __init__(self, model_factory: Callable[[], Any], data: dict[str, np.ndarray],
                 solver_options: dict[str, Any] | None = None) -> None:
        if not callable(model_factory):
            raise TypeError("model_factory must be a zero-argument callable returning a new "
                            f"model, got {type(model_factory).__name__}")
        options = dict(solver_options or {})
        if "learning_rate" in (options.get("optim_config") or {}):
            raise ValueError("leave learning_rate out of optim_config: the tuner sets it")
        self.model_factory = model_factory
        self.data = data
        self.solver_options = options
        self.runs: list[RunHistory] = []
        self.listeners: list[Listener] = []
        self.solver: Solver | None = None  # the Solver of the latest run

    def _notify(self, event: str, run: RunHistory) -> None:
        for listener in self.listeners:
            listener(event, run)

    def run(self, lr: float) -> RunHistory:
        """Train a fresh model with learning rate ``lr``; returns (and stores) its histories.

        A diverging run (NaN / inf loss) is kept with ``error`` set instead of raising.
        """
        lr = float(lr)
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
        opts = dict(self.solver_options)
        opts["optim_config"] = {**(opts.get("optim_config") or {}), "learning_rate": lr}
        record = RunHistory(lr=lr)
        self.runs.append(record)

        def on_event(solver: Solver, event: str) -> None:
            if event == "epoch":
                record.loss_history[:] = solver.loss_history
                record.train_acc_history[:] = solver.train_acc_history
                record.val_acc_history[:] = solver.val_acc_history
                self._notify("epoch", record)

        opts["callbacks"] = [on_event, *opts.get("callbacks", ())]
        self.solver = Solver(self.model_factory(), self.data, **opts)
        try:
            self.solver.train()
        except FloatingPointError as exc:
            record.error = str(exc)
        record.loss_history[:] = self.solver.loss_history
        record.done = True
        self._notify("end", record)
        return record

    @property
    def last(self) -> RunHistory | None:
        """The latest run, or None before the first."""
        return self.runs[-1] if self.runs else None

    def find_lr(self, **kwargs: Any) -> LRFinderResult:
        """Learning-rate range test on a fresh model
        (see :func:`cs_nn.course.lr_finder.lr_range_test`).

        Uses the tuner's update rule, batch size and seed unless ``kwargs`` override them.
        """
        o = self.solver_options
        rule = o.get("update_rule", "sgd")
        defaults = {"update_rule": rule if isinstance(rule, str) else "sgd",
                    "batch_size": o.get("batch_size", 100),
                    "optim_config": o.get("optim_config"),
                    "seed": o.get("seed", 0) if isinstance(o.get("seed", 0), int) else 0}
        return lr_range_test(self.model_factory, self.data, **{**defaults, **kwargs})


def figure_png(fig: Any, dpi: int = 80) -> bytes:
    """Render a matplotlib Figure to PNG bytes (works with any backend, or none)."""
    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _enable_colab_widgets() -> None:
    """On Colab, ipywidgets 8 needs the custom widget manager; elsewhere do nothing."""
    try:
        from google.colab import output  # type: ignore[import-not-found]
    except ImportError:
        return
    output.enable_custom_widget_manager()


class TunerWidget:
    """Slider + buttons + live curves for a :class:`LearningRateTuner`.

    Args:
        tuner: the tuner to drive.
        lr: initial slider value; lr_min, lr_max: slider range (log scale).
        run_on_change: retrain when the slider is released (else only on "Train").
        smooth_window: moving-average window of the loss curve.

    Attributes: ``slider`` (FloatLogSlider), ``run_button``, ``find_button``, ``status``
    (Label), ``output`` (Output), ``container`` (VBox), ``figure`` (the matplotlib Figure that
    is redrawn), ``finder_result`` (last range test), ``draw_count``.
    """

    def __init__(self, tuner: LearningRateTuner, lr: float = 1e-3, lr_min: float = 1e-6,
                 lr_max: float = 1.0, run_on_change: bool = False,
                 smooth_window: int = 10) -> None:
        import ipywidgets as w  # lazy: only the widget needs ipywidgets
        from matplotlib.figure import Figure  # not pyplot: no second copy shown by the backend

        if not 0 < lr_min < lr_max:
            raise ValueError(f"need 0 < lr_min < lr_max, got lr_min={lr_min}, lr_max={lr_max}")
        _enable_colab_widgets()
        self.tuner = tuner
        self.smooth_window = smooth_window
        self.figure = Figure(figsize=(10.0, 3.6))
        self.finder_result: LRFinderResult | None = None
        self.draw_count = 0
        self.slider = w.FloatLogSlider(value=min(max(lr, lr_min), lr_max), base=10,
                                       min=math.log10(lr_min), max=math.log10(lr_max),
                                       step=0.1, description="learning rate",
                                       readout_format=".1e", continuous_update=False,
                                       style={"description_width": "initial"},
                                       layout=w.Layout(width="420px"))
        self.run_button = w.Button(description="Train", icon="play", button_style="primary")
        self.find_button = w.Button(description="Find lr", icon="search")
        self.status = w.Label(value="press Train")
        self.output = w.Output()
        self.run_button.on_click(self.on_run_clicked)
        self.find_button.on_click(self.on_find_clicked)
        if run_on_change:
            self.slider.observe(self.on_lr_change, names="value")
        self.container = w.VBox([w.HBox([self.slider, self.run_button, self.find_button]),
                                 self.status, self.output])
        tuner.listeners.append(self.on_tuner_event)

    # ---------------------------------------------------------------- handlers
    def on_run_clicked(self, _button: Any = None) -> None:
        """"Train": retrain with the slider's learning rate."""
        lr = float(self.slider.value)
        self.status.value = f"training with lr = {lr:.2e} ..."
        run = self.tuner.run(lr)
        self.status.value = (f"lr = {lr:.2e}: " + (run.error.split(":")[0] if run.error else
                             f"final val acc {run.final_val_acc:.3f}"))

    def on_lr_change(self, change: dict[str, Any]) -> None:
        """Slider released (``run_on_change=True``): retrain with the new value."""
        self.on_run_clicked()

    def on_find_clicked(self, _button: Any = None) -> None:
        """"Find lr": range test, plot it, move the slider to the suggestion."""
        self.status.value = "running the learning-rate range test ..."
        result = self.finder_result = self.tuner.find_lr()
        self.figure.clear()
        plot_lr_range_test(result, ax=self.figure.add_subplot(1, 1, 1))
        self._show()
        if result.suggestion is None:
            self.status.value = "range test: the loss never fell; widen the lr range"
            return
        s = self.slider
        s.value = float(np.clip(result.suggestion, s.base ** s.min, s.base ** s.max))
        self.status.value = f"suggested lr {result.suggestion:.2e} (slider moved there)"

    def on_tuner_event(self, event: str, run: RunHistory) -> None:
        """Listener: redraw the curves after every epoch and at the end of a run."""
        if run.loss_history:
            self.redraw(run)

    # ---------------------------------------------------------------- drawing
    def redraw(self, run: RunHistory) -> None:
        """Draw ``run``'s loss and accuracy curves into ``figure`` and show it in ``output``."""

        self.figure.clear()
        window = max(1, min(self.smooth_window, len(run.loss_history)))
        plot_training_curves(dataclasses.asdict(run), smooth_window=window, fig=self.figure)
        done = "diverged" if run.error else ("done" if run.done else "training ...")
        self.figure.suptitle(f"lr = {run.lr:.2e} ({done})")
        self.figure.tight_layout()
        self._show()

    def _show(self) -> None:
        from IPython.display import Image, clear_output, display

        self.draw_count += 1
        with self.output:
            clear_output(wait=True)
            display(Image(data=figure_png(self.figure)))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.container)
