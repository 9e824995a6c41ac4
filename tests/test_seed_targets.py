"""Tests for cs_nn.course.seed_targets on synthetic data (the real CIFAR-10 figures come from
benchmarks/seed_targets.py)."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn.course.seed_targets import TARGETS, describe, get_target, run_target, target_data


def fake_data(n_train=120, n_val=40, n_test=30, d=3 * 32 * 32, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((10, d)).astype(np.float32)

    def part(n):
        y = rng.integers(0, 10, size=n)
        return (centres[y] + 0.5 * rng.standard_normal((n, d))).astype(np.float32), y

    (X_train, y_train), (X_val, y_val), (X_test, y_test) = part(n_train), part(n_val), part(n_test)
    return {"X_train": X_train, "y_train": y_train, "X_val": X_val, "y_val": y_val,
            "X_test": X_test, "y_test": y_test, "class_names": [str(c) for c in range(10)]}


def test_every_target_names_its_seed_split_and_threshold():
    for name, t in TARGETS.items():
        assert t.name == name and t.split in ("train", "val", "test") and 0 < t.threshold <= 1
        assert t.config.validate() is t.config and t.config.dataset == "cifar10"
        assert "hidden" in describe(t)
    assert get_target("overfit_50").num_train == 50
    with pytest.raises(KeyError, match="known"):
        get_target("nope")


def test_target_data_subsets_scales_and_leaves_data_alone():
    data = fake_data()
    before = data["X_train"].copy()
    arrays = target_data(get_target("overfit_50"), data)
    assert arrays["X_train"].shape[0] == 50 and arrays["X_val"].shape[0] == 40
    elu = target_data(get_target("elu_003"), data)  # train + val together, evaluated on test
    assert elu["X_train"].shape[0] == 160
    np.testing.assert_allclose(elu["X_val"], 255.0 * data["X_test"])
    np.testing.assert_array_equal(data["X_train"], before)
    with pytest.raises(ValueError, match="needs 500"):
        target_data(get_target("overfit_75"), data)


def test_overfit_50_memorises_and_test_is_only_measured_on_request():
    result = run_target("overfit_50", fake_data())
    assert result.num_train == 50 and result.solver.epoch == 20
    assert result.accuracies["train"] == 1.0 and result.met
    assert "test" not in result.accuracies
    assert "test" in run_target("overfit_50", fake_data(), quick=True, test=True).accuracies


def test_step_based_recipe_runs_exactly_its_steps_and_evaluates_periodically():
    result = run_target("elu_003", fake_data(), quick=True)
    assert result.solver.iteration == get_target("elu_003").quick_steps == 300
    assert result.eval_steps == [100, 200, 300]
    assert result.accuracies["test"] == result.eval_acc[-1]
    assert result.model.activation == "elu"
