"""cs_nn.pytorch.loop: batches, determinism, early stopping, restoring the best weights."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cs_nn.pytorch.device import seeded  # noqa: E402
from cs_nn.pytorch.loop import (  # noqa: E402
    batch_schedule,
    evaluate,
    fit,
    make_optimizer,
    predict,
    train_step,
)
from cs_nn.pytorch.mlp import MLP  # noqa: E402


def _blobs(n: int = 120, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = (rng.standard_normal((n, 4)) + 2.5 * np.eye(3, 4)[y]).astype(np.float32)
    return {"X_train": X[:90], "y_train": y[:90], "X_val": X[90:], "y_val": y[90:]}


def _mlp(dropout: float = 0.0) -> MLP:
    with seeded(0):
        return MLP(4, [16], 3, dropout=dropout)


def test_batch_schedule_covers_each_epoch_once():
    it = batch_schedule(10, 3, seed=1)
    epoch = np.concatenate([next(it) for _ in range(3)])
    assert len(set(epoch.tolist())) == 9  # 3 full batches, the last sample dropped
    again = batch_schedule(10, 3, seed=1)
    assert np.array_equal(next(again), epoch[:3])
    with pytest.raises(ValueError):
        next(batch_schedule(5, 6, seed=0))


def test_train_step_lowers_the_loss():
    data = _blobs()
    mlp = _mlp()
    opt = make_optimizer("sgd", mlp.parameters(), lr=0.5)
    X, y = torch.from_numpy(data["X_train"]), torch.from_numpy(data["y_train"])
    losses = [train_step(mlp, opt, X, y) for _ in range(20)]
    assert losses[-1] < 0.5 * losses[0]


def test_fit_learns_and_is_deterministic():
    data = _blobs()
    runs = []
    for _ in range(2):
        mlp = _mlp(dropout=0.2)
        h = fit(mlp, data, lr=1e-2, batch_size=16, num_epochs=8, seed=4, progress=False)
        runs.append((h, mlp))
    (h1, m1), (h2, m2) = runs
    assert h1.train_loss == h2.train_loss and h1.val_acc == h2.val_acc
    assert all(torch.equal(p, q) for p, q in zip(m1.parameters(), m2.parameters()))
    assert h1.best_val_acc > 0.8
    assert h1.num_steps == 8 * (90 // 16) and h1.eval_steps[-1] == h1.num_steps


def test_different_seeds_differ():
    data = _blobs()
    a = fit(_mlp(), data, lr=1e-2, batch_size=16, num_steps=10, seed=1, progress=False)
    b = fit(_mlp(), data, lr=1e-2, batch_size=16, num_steps=10, seed=2, progress=False)
    assert a.train_loss != b.train_loss


def test_early_stopping_and_best_weights_restored():
    data = _blobs()
    data["y_val"] = np.zeros_like(data["y_val"])  # val accuracy cannot keep improving
    mlp = _mlp()
    h = fit(mlp, data, lr=5e-2, batch_size=10, num_steps=400, eval_every=3, patience=2,
            seed=0, progress=False)
    assert h.stopped_early and h.num_steps < 400
    assert len(h.eval_steps) - 1 - h.eval_steps.index(h.best_step) == 2
    _, acc = evaluate(mlp, data["X_val"], data["y_val"])
    assert acc == pytest.approx(h.best_val_acc)


def test_on_eval_sees_each_evaluation():
    seen = []
    fit(_mlp(), _blobs(), num_steps=9, eval_every=3, batch_size=10, progress=False,
        on_eval=lambda h: seen.append(h.eval_steps[-1]))
    assert seen == [3, 6, 9]


def test_predict_matches_evaluate():
    data = _blobs()
    mlp = _mlp()
    preds = predict(mlp, data["X_val"], batch_size=7)
    _, acc = evaluate(mlp, data["X_val"], data["y_val"], batch_size=7)
    assert preds.dtype == np.int64 and preds.shape == (30,)
    assert acc == pytest.approx(np.mean(preds == data["y_val"]))


def test_divergence_is_reported():
    data = _blobs()
    data["X_train"] = data["X_train"] * 1e30
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        fit(_mlp(), data, optimizer="sgd", lr=1e10, batch_size=10, num_steps=20,
            progress=False)


@pytest.mark.parametrize("kwargs, match", [
    ({"num_steps": 5, "num_epochs": 1}, "exactly one"),
    ({}, "exactly one"),
    ({"num_steps": 5, "optimizer": "lbfgs"}, "optimizer"),
    ({"num_steps": 5, "eval_every": 0}, ">= 1"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit(_mlp(), _blobs(), progress=False, **kwargs)


def test_missing_data_keys():
    with pytest.raises(KeyError, match="X_val"):
        fit(_mlp(), {"X_train": np.zeros((4, 4)), "y_train": np.zeros(4)}, num_steps=1)
