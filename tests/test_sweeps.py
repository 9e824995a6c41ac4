"""cs_nn.course.sweeps: train one base config per change; a diverging run is None, not an error."""

from __future__ import annotations

import pytest

from cs_nn.course.sweeps import runs_table, sweep
from cs_nn.course.training import TrainConfig, load_data

pytest.importorskip("sklearn")  # the digits ship with scikit-learn


def test_sweep_trains_each_change_and_reports_divergence_as_none():
    base = TrainConfig(hidden_dims=[16], num_epochs=1, num_train=300, update_rule="sgd")
    data = load_data(base)
    runs = sweep(base, data, {"lr 0.1": {"lr": 0.1}, "lr 1e5": {"lr": 1e9, "num_epochs": 3}})
    assert runs["lr 1e5"] is None
    ok = runs["lr 0.1"]
    assert ok.config.lr == 0.1 and ok.solver.epoch == 1
    assert ok.model.params["W1"].shape == (64, 16)
    assert "test" not in ok.accuracies  # model selection leaves the test set alone
    table = runs_table(runs, "learning rate").splitlines()
    assert table[0].startswith("learning rate") and "diverged" in table[2]
    assert f"{ok.solver.val_acc_history[-1]:8.3f}" in table[1]
