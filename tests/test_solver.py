"""Solver: overfitting, sampling without replacement, seeding, schedules, early stopping,
errors, callbacks and checkpoints. Uses a tiny softmax-regression model defined here."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn import optim
from cs_nn._util.checkpoint import load_checkpoint
from cs_nn.layers import linear_backward, linear_forward, softmax_loss
from cs_nn.schedules import StepDecay, momentum_ramp
from cs_nn.solver import Solver, SolverOptions


class SoftmaxRegression:
    """scores = X @ W + b, mean softmax cross-entropy; records the training inputs it sees."""

    def __init__(self, D, C, dtype=np.float64, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W": (0.01 * rng.normal(size=(D, C))).astype(dtype),
                       "b": np.zeros(C, dtype=dtype)}
        self.seen: list[np.ndarray] = []

    def loss(self, X, y=None):
        scores, cache = linear_forward(X, self.params["W"], self.params["b"])
        if y is None:
            return scores
        self.seen.append(X[:, 0].copy())
        loss, dscores = softmax_loss(scores, y)
        _, dW, db = linear_backward(dscores, cache)
        return loss, {"W": dW, "b": db}


def blobs(n=60, D=4, C=3, seed=0, sep=4.0):
    """Linearly separable clusters: class k is shifted by ``sep`` along feature k + 1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, C, size=n)
    X = rng.normal(size=(n, D))
    X[np.arange(n), y + 1] += sep
    return X, y


def make_data(n_train=60, n_val=30, **kw):
    X, y = blobs(n_train + n_val, **kw)
    return {"X_train": X[:n_train], "y_train": y[:n_train],
            "X_val": X[n_train:], "y_val": y[n_train:]}


def test_overfits_tiny_separable_set():
    data = make_data(n_train=20, sep=6.0)
    solver = Solver(SoftmaxRegression(4, 3), data, update_rule="sgd_momentum",
                    optim_config={"learning_rate": 0.5}, num_epochs=15, batch_size=5, seed=0)
    assert solver.train() is solver
    assert solver.train_acc_history[-1] == 1.0
    assert solver.check_accuracy(data["X_train"], data["y_train"]) == 1.0
    assert solver.loss_history[-1] < 0.2 * solver.loss_history[0]
    assert len(solver.loss_history) == 15 * 4 and len(solver.val_acc_history) == 15
    assert solver.epoch == 15 and solver.iteration == 60 and not solver.stopped_early


def test_each_sample_seen_once_per_epoch():
    data = make_data(n_train=23)
    data["X_train"] = data["X_train"].copy()
    data["X_train"][:, 0] = np.arange(23)  # feature 0 is the sample id
    model = SoftmaxRegression(4, 3)
    solver = Solver(model, data, num_epochs=3, batch_size=5, seed=1)
    model.seen.clear()
    solver.train()
    assert solver.iterations_per_epoch == 5  # ceil(23 / 5): the last batch holds 3
    assert [len(b) for b in model.seen] == [5, 5, 5, 5, 3] * 3
    epochs = [np.concatenate(model.seen[i:i + 5]).astype(int) for i in (0, 5, 10)]
    for ids in epochs:
        np.testing.assert_array_equal(np.sort(ids), np.arange(23))
    assert not np.array_equal(epochs[0], epochs[1])  # a fresh permutation each epoch


def _histories(seed, **kw):
    s = Solver(SoftmaxRegression(4, 3), make_data(), update_rule="adam",
               optim_config={"learning_rate": 0.05}, num_epochs=3, batch_size=7, seed=seed,
               num_train_samples=20, num_val_samples=10, **kw).train()
    return s.loss_history, s.train_acc_history, s.val_acc_history, s.model.params["W"]


def test_same_seed_same_run_different_seed_different_run():
    a, b, c = _histories(5), _histories(5), _histories(6)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert a[0] != c[0]
    # a Generator works as the seed too
    d = _histories(np.random.default_rng(5))
    np.testing.assert_array_equal(d[0], a[0])


def _recording_rule(log):
    def rule(w, dw, config=None):
        log.append(dict((k, v) for k, v in (config or {}).items()
                        if not isinstance(v, np.ndarray)))
        return optim.sgd_momentum(w, dw, config)
    return rule


def test_lr_decay_applied_per_epoch():
    log, lrs = [], []
    solver = Solver(SoftmaxRegression(4, 3), make_data(n_train=20),
                    update_rule=_recording_rule(log), optim_config={"learning_rate": 0.1},
                    lr_decay=0.5, num_epochs=3, batch_size=10, seed=0,
                    callbacks=[lambda s, e: lrs.append((s.epoch, s.lr)) if e == "iteration"
                               else None])
    solver.train()
    # 2 iterations x 2 params per epoch
    got = [entry["learning_rate"] for entry in log]
    assert got == pytest.approx([0.1] * 4 + [0.05] * 4 + [0.025] * 4)
    assert lrs == [(0, pytest.approx(0.1))] * 2 + [(1, pytest.approx(0.05))] * 2 + [
        (2, pytest.approx(0.025))] * 2
    assert solver.optim_configs["W"] is not solver.optim_configs["b"]  # state per parameter
    assert solver.optim_configs["W"]["velocity"].shape == (4, 3)


def test_lr_and_momentum_schedules():
    log = []
    ramp = momentum_ramp(0.5, 0.9, num_epochs=2)
    Solver(SoftmaxRegression(4, 3), make_data(n_train=10), update_rule=_recording_rule(log),
           optim_config={"learning_rate": 0.1}, lr_decay=0.1,  # overridden by the schedule
           lr_schedule=StepDecay(0.2, factor=0.5, step_size=2), momentum_schedule=ramp,
           num_epochs=4, batch_size=10, seed=0).train()
    lr = [e["learning_rate"] for e in log[::2]]
    mom = [e["momentum"] for e in log[::2]]
    assert lr == pytest.approx([0.2, 0.2, 0.1, 0.1])
    assert mom == pytest.approx([0.5, 0.7, 0.9, 0.9])


def test_momentum_schedule_sets_beta1_for_adam_and_is_refused_for_sgd():
    s = Solver(SoftmaxRegression(4, 3), make_data(n_train=10), update_rule="adam",
               momentum_schedule=momentum_ramp(0.5, 0.9, 1), num_epochs=2, batch_size=10)
    s.train()
    assert s.optim_configs["W"]["beta1"] == pytest.approx(0.9) and s.momentum == 0.9
    with pytest.raises(ValueError, match="momentum_schedule needs a rule with momentum"):
        Solver(SoftmaxRegression(4, 3), make_data(), momentum_schedule=momentum_ramp())


@pytest.mark.parametrize("monitor", ["val_acc", "val_loss"])
def test_early_stopping_stops_and_restores_best(monitor):
    data = make_data(n_train=40, n_val=40, sep=5.0)
    data["y_val"] = (data["y_val"] + 1) % 3  # wrong labels: validation gets worse with training
    snapshots = {}

    def snap(s, event):
        if event == "epoch":
            snapshots[s.epoch] = {k: v.copy() for k, v in s.model.params.items()}

    solver = Solver(SoftmaxRegression(4, 3), data, update_rule="sgd",
                    optim_config={"learning_rate": 0.2}, num_epochs=30, batch_size=10,
                    seed=0, patience=2, monitor=monitor, callbacks=[snap]).train()
    assert solver.stopped_early and solver.stop_reason == "patience"
    if monitor == "val_acc":
        best = int(np.argmax(solver.val_acc_history)) + 1  # first best epoch
    else:
        best = int(np.argmin(solver.val_loss_history)) + 1
    assert solver.epoch == best + 2 < 30
    assert solver.best_epoch == int(np.argmax(solver.val_acc_history)) + 1
    assert solver.best_val_acc == max(solver.val_acc_history)
    for k in solver.model.params:  # best_params (best val accuracy) are back in the model
        np.testing.assert_array_equal(solver.model.params[k], snapshots[solver.best_epoch][k])
        np.testing.assert_array_equal(solver.best_params[k], snapshots[solver.best_epoch][k])


def test_best_params_not_restored_without_patience_unless_asked():
    data = make_data()
    data["y_val"] = (data["y_val"] + 1) % 3
    kw = dict(optim_config={"learning_rate": 0.2}, num_epochs=4, batch_size=10, seed=0)
    s = Solver(SoftmaxRegression(4, 3), data, **kw).train()
    assert not np.array_equal(s.model.params["W"], s.best_params["W"])
    s2 = Solver(SoftmaxRegression(4, 3), data, restore_best=True, **kw).train()
    np.testing.assert_array_equal(s2.model.params["W"], s2.best_params["W"])


class NaNAfter(SoftmaxRegression):
    def __init__(self, k):
        super().__init__(4, 3)
        self.calls, self.k = 0, k

    def loss(self, X, y=None):
        if y is None:
            return super().loss(X)
        self.calls += 1
        loss, grads = super().loss(X, y)
        return (float("nan") if self.calls >= self.k else loss), grads


def test_nan_loss_raises_with_iteration_and_lr():
    solver = Solver(NaNAfter(3), make_data(n_train=20), optim_config={"learning_rate": 0.5},
                    num_epochs=2, batch_size=10, seed=0)
    with pytest.raises(FloatingPointError,
                       match=r"nan at iteration 3 \(epoch 2\) with learning rate 0.5.*smaller"):
        solver.train()
    assert len(solver.loss_history) == 2


def test_callbacks_see_events_in_order_and_can_stop():
    events = []
    Solver(SoftmaxRegression(4, 3), make_data(n_train=30), num_epochs=2, batch_size=10,
           callbacks=[lambda s, e: events.append((e, s.epoch, s.iteration))]).train()
    it = [("iteration", 0, 1), ("iteration", 0, 2), ("iteration", 0, 3), ("epoch", 1, 3),
          ("iteration", 1, 4), ("iteration", 1, 5), ("iteration", 1, 6), ("epoch", 2, 6),
          ("end", 2, 6)]
    assert events == it

    def stopper(s, event):
        events.append(event)
        if event == "iteration" and s.iteration == 4:
            s.stop_requested = True

    events = []
    s = Solver(SoftmaxRegression(4, 3), make_data(n_train=30), num_epochs=5, batch_size=10,
               callbacks=[stopper]).train()
    assert events == ["iteration"] * 3 + ["epoch", "iteration", "end"]
    assert s.stopped_early and s.stop_reason == "callback" and len(s.loss_history) == 4


def test_unknown_option_and_update_rule():
    data = make_data()
    with pytest.raises(TypeError, match=r"unknown option 'num_epoch' \(did you mean "
                                        r"'num_epochs'\?\).*'batch_size'"):
        Solver(SoftmaxRegression(4, 3), data, num_epoch=3)
    with pytest.raises(ValueError, match=r"unknown update rule 'adamw'.*'sgd_momentum'"):
        Solver(SoftmaxRegression(4, 3), data, update_rule="adamw")
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['momentum'\] for 'sgd'"):
        Solver(SoftmaxRegression(4, 3), data, optim_config={"momentum": 0.9})
    assert "patience" in [f for f in SolverOptions.__dataclass_fields__]


@pytest.mark.parametrize("change, exc, match", [
    (lambda d: d.pop("y_val"), KeyError, "missing \\['y_val'\\]"),
    (lambda d: d.__setitem__("y_train", d["y_train"][:-1]), ValueError, "59 labels but"),
    (lambda d: d.__setitem__("y_val", d["y_val"] + 3), ValueError, r"y_val.*\[0, 3\)"),
    (lambda d: d.__setitem__("X_train", d["X_train"].astype(str)), TypeError, "numeric"),
])
def test_bad_data(change, exc, match):
    data = make_data()
    change(data)
    with pytest.raises(exc, match=match):
        Solver(SoftmaxRegression(4, 3), data)


@pytest.mark.parametrize("options, match", [
    ({"batch_size": 0}, "batch_size"), ({"num_epochs": -1}, "num_epochs"),
    ({"monitor": "train_acc"}, "monitor"), ({"patience": 0}, "patience"),
    ({"lr_decay": 0}, "lr_decay"), ({"num_train_samples": 0}, "num_train_samples"),
])
def test_bad_options(options, match):
    with pytest.raises(ValueError, match=match):
        Solver(SoftmaxRegression(4, 3), make_data(), **options)


def test_float32_model_with_float64_data_and_no_mutation():
    data = make_data()
    before = {k: v.copy() for k, v in data.items()}
    model = SoftmaxRegression(4, 3, dtype=np.float32)
    solver = Solver(model, data, update_rule="adam", num_epochs=2, batch_size=16, seed=0)
    solver.train()
    assert all(w.dtype == np.float32 for w in model.params.values())
    assert solver.X_train.dtype == np.float32
    assert data.keys() == before.keys()
    for k in data:
        assert data[k].dtype == before[k].dtype
        np.testing.assert_array_equal(data[k], before[k])


def test_check_accuracy_and_predict():
    data = make_data()
    solver = Solver(SoftmaxRegression(4, 3), data, num_epochs=1, seed=3).train()
    scores = solver.model.loss(data["X_val"])
    want = np.mean(scores.argmax(axis=1) == data["y_val"])
    assert solver.check_accuracy(data["X_val"], data["y_val"], batch_size=7) == want
    np.testing.assert_array_equal(solver.predict(data["X_val"], batch_size=4),
                                  scores.argmax(axis=1))
    # seeded subsampling: two identical solvers draw the same subsamples
    other = Solver(SoftmaxRegression(4, 3), data, num_epochs=1, seed=3).train()
    a = [solver.check_accuracy(data["X_train"], data["y_train"], num_samples=9)
         for _ in range(3)]
    b = [other.check_accuracy(data["X_train"], data["y_train"], num_samples=9)
         for _ in range(3)]
    assert a == b and all(x * 9 == round(x * 9) for x in a)
    with pytest.raises(ValueError, match="y must lie in"):
        solver.check_accuracy(data["X_val"], data["y_val"] + 5)


def test_val_loss_history_is_cross_entropy():
    data = make_data()
    solver = Solver(SoftmaxRegression(4, 3), data, num_epochs=1, seed=0).train()
    want, _ = softmax_loss(solver.model.loss(data["X_val"]), data["y_val"])
    assert solver.val_loss_history[-1] == pytest.approx(want, rel=1e-12)


def test_checkpoints_written(tmp_path):
    solver = Solver(SoftmaxRegression(4, 3), make_data(n_train=20), num_epochs=4, batch_size=10,
                    seed=0, checkpoint_dir=tmp_path / "ck", checkpoint_every=2,
                    lr_schedule=StepDecay(0.1, 0.5, 1)).train()
    assert [p.name for p in solver.checkpoint_paths] == ["epoch_002.npz", "epoch_004.npz"]
    params, meta = load_checkpoint(solver.checkpoint_paths[-1])
    for k, w in solver.model.params.items():
        np.testing.assert_array_equal(params[k], w)
    assert meta["epoch"] == 4 and meta["loss_history"] == solver.loss_history
    assert meta["lr_schedule"] == {"type": "StepDecay", "initial": 0.1, "factor": 0.5,
                                   "step_size": 1}
    assert meta["lr"] == pytest.approx(0.1 * 0.5**3)


def test_verbose_progress_bar_and_print_every(capsys):
    pytest.importorskip("tqdm")
    Solver(SoftmaxRegression(4, 3), make_data(n_train=20), num_epochs=2, batch_size=10,
           verbose=True, print_every=2).train()
    out = capsys.readouterr()
    assert "(iteration 2 / 4) loss:" in out.out + out.err
    assert "training" in out.err  # the tqdm bar


def test_zero_epochs_and_manual_steps():
    events = []
    s = Solver(SoftmaxRegression(4, 3), make_data(), num_epochs=0,
               callbacks=[lambda s, e: events.append(e)]).train()
    assert events == ["end"] and s.loss_history == [] and s.best_params == {}
    loss = s.step()
    assert s.loss_history == [loss] and s.iteration == 1


def test_callable_update_rule_without_learning_rate():
    calls = []

    def half_step(w, dw, config=None):
        calls.append(config)
        return w - 0.5 * dw, {} if config is None else dict(config)

    s = Solver(SoftmaxRegression(4, 3), make_data(n_train=10), update_rule=half_step,
               num_epochs=1, batch_size=10).train()
    assert s.lr is None and calls == [{}, {}]  # the Solver adds no learning rate of its own
    with pytest.raises(ValueError, match="lr_decay needs a learning rate"):
        Solver(SoftmaxRegression(4, 3), make_data(), update_rule=half_step, lr_decay=0.9)


def test_nan_activations_inside_a_diverging_model_become_floating_point_error():
    from cs_nn.models import FullyConnectedNet

    model = FullyConnectedNet([20, 20], input_dim=4, num_classes=3, weight_scale="he",
                              dtype=np.float32, seed=0)
    solver = Solver(model, make_data(n_train=40), update_rule="sgd",
                    optim_config={"learning_rate": 1e4}, num_epochs=5, batch_size=10, seed=0)
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(FloatingPointError) as info:
        solver.train()
    msg, cause = str(info.value), info.value.__cause__
    # the layers' own input check fired first (a hidden activation x, not the loss)
    assert isinstance(cause, ValueError) and "x contains" in str(cause)
    assert f"at iteration {solver.iteration + 1} (epoch {solver.epoch + 1})" in msg
    assert "learning rate 10000.0" in msg and "diverged" in msg and "smaller" in msg
    assert np.isfinite(solver.loss_history).all()  # the loss itself never became NaN


def test_nan_in_the_training_data_is_not_reported_as_divergence():
    from cs_nn.models import FullyConnectedNet

    data = make_data(n_train=40)
    data["X_train"] = data["X_train"].copy()
    data["X_train"][17, 2] = np.nan  # not among the first two rows the constructor probes
    model = FullyConnectedNet([5], input_dim=4, num_classes=3, seed=0)
    solver = Solver(model, data, optim_config={"learning_rate": 1e-3}, batch_size=40, seed=0)
    with pytest.raises(ValueError, match="X contains 1 NaN or infinite") as info:
        solver.step()
    assert not isinstance(info.value, FloatingPointError) and info.value.__cause__ is None
