"""Learning-rate tuner: the logic (retraining with the chosen lr, stored histories, listeners)
and the widget's callbacks, driven directly (no browser): slider changes and button clicks are
simulated by setting ``slider.value`` and calling the click handlers."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn.course.widgets import LearningRateTuner, RunHistory, figure_png
from cs_nn.models import FullyConnectedNet

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")


def toy_data(seed=0, n=300, D=6, C=3):
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.normal(size=(C, D))
    y = rng.integers(0, C, n)
    X = (centres[y] + rng.normal(size=(n, D))).astype(np.float32)
    return {"X_train": X[:240], "y_train": y[:240], "X_val": X[240:], "y_val": y[240:]}


class RecordingFactory:
    """A model factory that remembers every model it built."""

    def __init__(self):
        self.models = []

    def __call__(self):
        model = FullyConnectedNet([16], input_dim=6, num_classes=3, weight_scale="he", seed=0)
        self.models.append(model)
        return model


def make_tuner(**options):
    opts = {"update_rule": "sgd", "num_epochs": 3, "batch_size": 40, "seed": 0, **options}
    return LearningRateTuner(RecordingFactory(), toy_data(), opts)


def test_run_retrains_a_fresh_model_with_that_lr():
    tuner = make_tuner()
    run = tuner.run(0.05)
    assert isinstance(run, RunHistory) and run.lr == 0.05 and run.done and run.error is None
    assert tuner.solver.optim_configs["W1"]["learning_rate"] == 0.05
    assert len(run.loss_history) == 3 * 6 and len(run.val_acc_history) == 3
    tuner.run(0.2)
    assert len(tuner.model_factory.models) == 2  # a new model per run
    assert tuner.solver.model is tuner.model_factory.models[1]
    assert [r.lr for r in tuner.runs] == [0.05, 0.2] and tuner.last is tuner.runs[1]
    # the recorded history is the solver's
    assert tuner.runs[1].loss_history == tuner.solver.loss_history
    assert tuner.runs[0].loss_history != tuner.runs[1].loss_history


def test_histories_match_an_independent_solver_run():
    from cs_nn.solver import Solver

    tuner = make_tuner()
    run = tuner.run(0.1)
    ref = Solver(FullyConnectedNet([16], input_dim=6, num_classes=3, weight_scale="he", seed=0),
                 toy_data(), update_rule="sgd", optim_config={"learning_rate": 0.1},
                 num_epochs=3, batch_size=40, seed=0).train()
    np.testing.assert_allclose(run.loss_history, ref.loss_history)
    assert run.val_acc_history == ref.val_acc_history


def test_listeners_hear_every_epoch_and_the_end():
    tuner = make_tuner()
    events = []
    tuner.listeners.append(lambda event, run: events.append((event, len(run.val_acc_history))))
    tuner.run(0.05)
    assert events == [("epoch", 1), ("epoch", 2), ("epoch", 3), ("end", 3)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverging_run_is_recorded_not_raised():
    tuner = make_tuner()
    run = tuner.run(1e6)
    assert run.done and run.error is not None and "diverged" in run.error


def test_bad_arguments():
    with pytest.raises(TypeError, match="model_factory"):
        LearningRateTuner(FullyConnectedNet([4], input_dim=6, num_classes=3), toy_data())
    with pytest.raises(ValueError, match="learning_rate"):
        LearningRateTuner(RecordingFactory(), toy_data(), {"optim_config": {"learning_rate": 1}})
    with pytest.raises(ValueError, match="lr must be"):
        make_tuner().run(-1.0)


def test_find_lr_uses_the_tuner_settings():
    tuner = make_tuner(update_rule="sgd_momentum")
    result = tuner.find_lr(num_steps=30, lr_min=1e-4, lr_max=10.0)
    assert result.lrs.shape[0] <= 30 and result.lrs[0] == pytest.approx(1e-4)
    assert len(tuner.model_factory.models) == 1  # a fresh model for the test


# ---------------------------------------------------------------- the widget part
@pytest.fixture
def widget(capsys):
    from cs_nn.course.widgets import TunerWidget

    return TunerWidget(make_tuner(), lr=1e-3, lr_min=1e-4, lr_max=1.0)


def test_widget_has_a_log_slider_and_buttons(widget):
    import ipywidgets as w

    assert isinstance(widget.slider, w.FloatLogSlider)
    assert widget.slider.base == 10 and widget.slider.min == pytest.approx(-4)
    assert widget.slider.max == pytest.approx(0)
    assert isinstance(widget.run_button, w.Button) and isinstance(widget.output, w.Output)
    assert widget.slider in widget.container.children[0].children


def test_button_click_trains_with_slider_value_and_redraws(widget):
    widget.slider.value = 0.1
    widget.on_run_clicked(widget.run_button)
    run = widget.tuner.last
    assert run.lr == pytest.approx(0.1)
    assert widget.tuner.solver.optim_configs["W1"]["learning_rate"] == pytest.approx(0.1)
    assert widget.draw_count == 4  # after each of the 3 epochs, and at the end
    loss_ax = widget.figure.axes[0]
    np.testing.assert_allclose(loss_ax.lines[0].get_ydata(), run.loss_history)
    assert "1.00e-01" in widget.figure.texts[0].get_text()  # suptitle names the lr
    assert "val acc" in widget.status.value
    # a second click with a new value: the figure now shows the new run
    widget.slider.value = 0.01
    widget.run_button.click()  # ipywidgets' own click dispatch reaches the same handler
    assert widget.tuner.last.lr == pytest.approx(0.01) and len(widget.tuner.runs) == 2
    np.testing.assert_allclose(widget.figure.axes[0].lines[0].get_ydata(),
                               widget.tuner.last.loss_history)
    acc_ax = widget.figure.axes[1]
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), widget.tuner.last.val_acc_history)


def test_slider_change_retrains_when_enabled(capsys):
    from cs_nn.course.widgets import TunerWidget

    quiet = TunerWidget(make_tuner(), lr_min=1e-4, lr_max=1.0)
    quiet.slider.value = 0.1
    assert quiet.tuner.runs == []  # default: only the button trains
    live = TunerWidget(make_tuner(), lr_min=1e-4, lr_max=1.0, run_on_change=True)
    live.slider.value = 0.05
    assert [r.lr for r in live.tuner.runs] == [pytest.approx(0.05)]


def test_find_button_moves_slider_to_suggestion(widget, monkeypatch):
    original = widget.tuner.find_lr
    monkeypatch.setattr(widget.tuner, "find_lr",
                        lambda: original(num_steps=60, lr_min=1e-5, lr_max=100.0))
    widget.on_find_clicked(widget.find_button)
    result = widget.finder_result
    assert result is not None and result.suggestion is not None
    expected = min(max(result.suggestion, 1e-4), 1.0)
    assert widget.slider.value == pytest.approx(expected, rel=0.15)  # slider snaps to its step
    np.testing.assert_allclose(widget.figure.axes[0].lines[1].get_ydata(), result.smoothed)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverged_run_is_reported_in_status(widget):
    widget.slider.value = 1.0
    widget.tuner.solver_options["optim_config"] = None
    widget.tuner.run = lambda lr, _run=widget.tuner.run: _run(1e6)
    widget.on_run_clicked()
    assert "loss became" in widget.status.value or "diverged" in widget.status.value


def test_figure_png_renders_bytes():
    from matplotlib.figure import Figure

    fig = Figure()
    fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    assert figure_png(fig).startswith(b"\x89PNG")


def test_importing_needs_neither_ipywidgets_nor_matplotlib():
    import subprocess
    import sys

    code = ("import sys, cs_nn.course.widgets, cs_nn.course.lr_finder, cs_nn.course.training; "
            "heavy = {'ipywidgets', 'matplotlib', 'IPython', 'tqdm'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
