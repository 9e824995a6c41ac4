"""A model's buffers (batchnorm's running averages) travel with its params: Solver checkpoints,
restore_checkpoint, the search's best trial (in memory and in its .best.npz file)."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn._util.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from cs_nn._util.model_state import load_state, restore_checkpoint, snapshot
from cs_nn.course.search import MLPBuilder, load_results, run_search, solver_kwargs
from cs_nn.models import FullyConnectedNet
from cs_nn.solver import Solver


def blobs(n: int = 240, seed: int = 0) -> dict[str, np.ndarray]:
    """Three shifted Gaussian blobs in 10-D (not centred: the running means are far from 0)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(3, 2, size=(3, 10))
    y = rng.integers(0, 3, size=n)
    X = centres[y] + rng.normal(size=(n, 10))
    half = n // 2
    return {"X_train": X[:half], "y_train": y[:half], "X_val": X[half:], "y_val": y[half:]}


def bn_net(seed: int = 0, normalization: str | None = "batchnorm") -> FullyConnectedNet:
    return FullyConnectedNet([9, 6], input_dim=10, num_classes=3, weight_scale=0.1, seed=seed,
                             normalization=normalization)


def trained(tmp_path, **options) -> Solver:
    return Solver(bn_net(), blobs(), num_epochs=3, batch_size=20, seed=0,
                  optim_config={"learning_rate": 0.05}, checkpoint_dir=tmp_path / "ck",
                  **options).train()


def test_solver_checkpoint_restores_identical_test_mode_predictions(tmp_path):
    solver = trained(tmp_path)
    X = blobs()["X_val"]
    model = bn_net(seed=1)  # the same architecture, other weights and fresh running stats
    meta = restore_checkpoint(model, solver.checkpoint_paths[-1])
    assert meta["epoch"] == 3
    np.testing.assert_array_equal(model.loss(X), solver.model.loss(X))
    for name, value in solver.model.buffers.items():
        np.testing.assert_array_equal(model.buffers[name], value)
    # the test means something: the params alone predict differently (fresh running stats)
    params_only = bn_net(seed=1)
    for name, w in load_checkpoint(solver.checkpoint_paths[-1])[0].items():
        params_only.params[name] = w
    assert not np.allclose(params_only.loss(X), solver.model.loss(X))


def test_checkpoint_file_holds_the_buffers_and_version_two(tmp_path):
    solver = trained(tmp_path)
    ck = read_checkpoint(solver.checkpoint_paths[-1])
    assert set(ck.params) == set(solver.model.params)
    assert set(ck.buffers) == {"running_mean1", "running_var1", "running_mean2",
                               "running_var2"}
    for name, value in solver.model.buffers.items():
        assert value.any()
        np.testing.assert_array_equal(ck.buffers[name], value)
    plain = save_checkpoint(tmp_path / "plain.npz", {"W": np.ones(2)})
    assert read_checkpoint(plain).buffers == {}
    with np.load(plain) as npz:
        assert b'"version": 1' in npz["header"].tobytes()  # no buffers: old readers read it
    with np.load(solver.checkpoint_paths[-1]) as npz:
        assert b'"version": 2' in npz["header"].tobytes()


def test_models_without_buffers_round_trip_too(tmp_path):
    solver = Solver(bn_net(normalization="layernorm"), blobs(), num_epochs=1, batch_size=20,
                    seed=0, checkpoint_dir=tmp_path / "ck").train()
    model = bn_net(seed=3, normalization="layernorm")
    restore_checkpoint(model, solver.checkpoint_paths[-1])
    X = blobs()["X_val"]
    np.testing.assert_array_equal(model.loss(X), solver.model.loss(X))


def test_restore_refuses_missing_buffers_and_wrong_architectures(tmp_path):
    solver = trained(tmp_path)
    path = solver.checkpoint_paths[-1]
    ck = read_checkpoint(path)
    no_buffers = save_checkpoint(tmp_path / "old.npz", ck.params, ck.metadata)
    model = bn_net(seed=1)
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"holds buffers \[\] but its FullyConnectedNet needs"):
        restore_checkpoint(model, no_buffers)
    for name, w in before.params.items():  # nothing was changed by the failed restore
        np.testing.assert_array_equal(model.params[name], w)
    with pytest.raises(ValueError, match="W1 has shape"):
        restore_checkpoint(FullyConnectedNet([5, 6], input_dim=10, num_classes=3,
                                             normalization="batchnorm"), path)
    bad = {**ck.buffers, "running_var1": -np.ones(9)}
    with pytest.raises(ValueError, match="invalid buffers.*negative"):
        load_state(bn_net(), ck.params, bad, where="test")


def test_snapshot_is_a_copy():
    model = bn_net()
    data = blobs()
    model.loss(data["X_train"][:20], data["y_train"][:20])  # a training step's statistics
    params, buffers = snapshot(model)
    model.loss(data["X_train"][20:40], data["y_train"][20:40])
    model.params["W1"] += 1
    assert not np.array_equal(params["W1"], model.params["W1"])
    assert not np.array_equal(buffers["running_mean1"], model.buffers["running_mean1"])


def test_search_best_model_keeps_the_running_averages(tmp_path):
    data = blobs()
    builder = MLPBuilder(input_dim=10, num_classes=3, hidden_dims=(9, 6), weight_scale=0.1,
                         normalization="batchnorm")
    options = {"update_rule": "sgd", "num_epochs": 4, "batch_size": 20, "patience": 2}
    trials = [{"lr": 0.05}]
    results = tmp_path / "search.jsonl"
    result = run_search(builder, data, trials, options, seed=0, results_path=results,
                        progress=False)
    row = result.best_row
    # the reference: the same trial trained directly (its best epoch restored by patience)
    ref = builder({**row["config"], "seed": row["seed"]})
    solver = Solver(ref, data, **solver_kwargs(row["config"], options, row["seed"])).train()
    X = data["X_val"]
    assert set(result.best_buffers) == set(ref.buffers)
    np.testing.assert_array_equal(result.best_model().loss(X), solver.model.loss(X))
    reloaded = load_results(results, builder)  # from the .best.npz file
    np.testing.assert_array_equal(reloaded.best_model().loss(X), solver.model.loss(X))
    fresh = builder({**row["config"], "seed": row["seed"]})
    for name, w in result.best_params.items():
        fresh.params[name] = w
    assert not np.allclose(fresh.loss(X), solver.model.loss(X))  # the buffers matter
