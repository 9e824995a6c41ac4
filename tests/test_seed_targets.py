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
    union = np.concatenate([data["X_train"], data["X_val"]])
    # re-centred on the mean of every training image, as the seed's cifar10_utils does
    np.testing.assert_allclose(elu["X_train"].mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(elu["X_val"], 255.0 * (data["X_test"] - union.mean(axis=0)),
                               rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(elu["X_test"], elu["X_val"])
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


def test_seed_replaces_the_recipes_seed_and_last_evaluations_are_averaged():
    data = fake_data()
    a, b = (run_target("elu_003", data, quick=True, seed=s) for s in (0, 1))
    again = run_target("elu_003", data, quick=True, seed=0)
    assert a.model.seed == 0 and b.model.seed == 1
    assert not np.array_equal(a.model.params["W1"], b.model.params["W1"])
    np.testing.assert_array_equal(a.model.params["W1"], again.model.params["W1"])
    assert a.mean_of_last_evals(2) == pytest.approx(np.mean(a.eval_acc[-2:]))
    with pytest.raises(ValueError, match="epoch-based"):
        run_target("overfit_50", data, quick=True).mean_of_last_evals()
