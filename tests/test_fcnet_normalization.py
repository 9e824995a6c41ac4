"""FullyConnectedNet(normalization="batchnorm" | "layernorm"): parameters, modes, gradients,
the PyTorch oracle, the Solver and saving / loading with the running averages."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_fcnet import numeric_grads  # centred differences for every parameter

from cs_nn._util.checkpoint import load_checkpoint, save_checkpoint
from cs_nn.course.delivery import load_model, save_model
from cs_nn.course.model_size import num_params
from cs_nn.models import FullyConnectedNet
from cs_nn.solver import Solver

NORMS = ["batchnorm", "layernorm"]


def problem(n=8, d=10, c=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, c, size=n)


def net(normalization, hidden_dims=(7, 5), **kwargs):
    args = {"input_dim": 10, "num_classes": 4, "weight_scale": 0.5, "dtype": np.float64,
            "seed": 3, **kwargs}
    return FullyConnectedNet(list(hidden_dims), normalization=normalization, **args)


def perturb_norm_params(model, seed=1):
    """gamma / beta away from 1 / 0, so their gradients and roles are actually tested."""
    rng = np.random.default_rng(seed)
    for name in model.params:
        if name.startswith(("gamma", "beta")):
            w = model.params[name]
            model.params[name] = (w + rng.normal(0, 0.3, w.shape)).astype(w.dtype)


def norm_rel_error(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


# ---------------------------------------------------------------- construction


@pytest.mark.parametrize("normalization", NORMS)
def test_gamma_beta_per_hidden_layer_and_same_weights(normalization):
    model = net(normalization)
    plain = net(None)
    assert list(model.params) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2",
                                  "W3", "b3"]
    for i, h in ((1, 7), (2, 5)):
        np.testing.assert_array_equal(model.params[f"gamma{i}"], np.ones(h))
        np.testing.assert_array_equal(model.params[f"beta{i}"], np.zeros(h))
        assert model.params[f"gamma{i}"].dtype == np.float64
    for name, w in plain.params.items():  # the seed draws the same weights either way
        np.testing.assert_array_equal(model.params[name], w)
    assert len(model.bn_params) == 2
    assert list(net(normalization, hidden_dims=()).params) == ["W1", "b1"]


def test_bn_params_and_buffers():
    model = net("batchnorm", dtype=np.float32)
    assert model.bn_params[0]["momentum"] == 0.9 and model.bn_params[0]["eps"] == 1e-5
    assert list(model.buffers) == ["running_mean1", "running_var1", "running_mean2",
                                   "running_var2"]
    assert all(b.dtype == np.float32 and not b.any() for b in model.buffers.values())
    assert model.buffers["running_var2"].shape == (5,)
    assert net("layernorm").buffers == {} and net(None).buffers == {}
    assert net("layernorm").bn_params[0] == {"eps": 1e-5}


def test_config_carries_normalization_and_rebuilds():
    for normalization in (None, *NORMS):
        model = net(normalization)
        config = json.loads(json.dumps(model.config))
        assert config["normalization"] == normalization
        twin = FullyConnectedNet(**config)
        assert list(twin.params) == list(model.params)
        assert f"normalization={normalization!r}" in repr(model)
    with pytest.raises(ValueError, match="normalization must be None or one of"):
        net("groupnorm")


def test_num_params_counts_gamma_and_beta():
    for normalization in (None, *NORMS):
        model = net(normalization)
        held = sum(w.size for w in model.params.values())
        assert num_params(FullyConnectedNet, model.config) == held
        shapes = FullyConnectedNet.architecture(model.config).param_shapes
        assert shapes == {k: w.shape for k, w in model.params.items()}
        assert list(shapes) == list(model.params)  # in params order


# ---------------------------------------------------------------- modes


def test_batchnorm_train_mode_updates_running_averages_and_test_mode_uses_them():
    model = net("batchnorm")
    X, y = problem(n=20)
    model.loss(X)  # test mode: running averages untouched
    assert not any(b.any() for b in model.buffers.values())
    model.loss(X, y)
    h1 = X @ model.params["W1"] + model.params["b1"]
    np.testing.assert_allclose(model.buffers["running_mean1"], 0.1 * h1.mean(axis=0))
    np.testing.assert_allclose(model.buffers["running_var1"], 0.1 * h1.var(axis=0))
    before = {k: v.copy() for k, v in model.buffers.items()}
    scores = model.loss(X)
    for k, v in model.buffers.items():
        np.testing.assert_array_equal(v, before[k])
    # test mode: every sample's scores are independent of the rest of the batch
    for i in (0, 7):
        np.testing.assert_allclose(model.loss(X[i:i + 1])[0], scores[i], rtol=1e-12)
    # and they are computed with the running averages, written out by hand
    bn = model.bn_params[0]
    h = (h1 - bn["running_mean"]) / np.sqrt(bn["running_var"] + 1e-5)
    h = np.maximum(0, model.params["gamma1"] * h + model.params["beta1"])
    h2 = h @ model.params["W2"] + model.params["b2"]
    bn = model.bn_params[1]
    h = (h2 - bn["running_mean"]) / np.sqrt(bn["running_var"] + 1e-5)
    h = np.maximum(0, model.params["gamma2"] * h + model.params["beta2"])
    np.testing.assert_allclose(scores, h @ model.params["W3"] + model.params["b3"], rtol=1e-12)


def test_layernorm_is_the_same_in_train_and_test_and_per_sample():
    model = net("layernorm")
    perturb_norm_params(model)
    X, y = problem()
    scores = model.loss(X)
    model.loss(X, y)
    np.testing.assert_array_equal(model.loss(X), scores)
    np.testing.assert_allclose(model.loss(X[3:4])[0], scores[3], rtol=1e-12)


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("normalization", NORMS)
@pytest.mark.parametrize("extra", [{}, {"reg": 0.2}, {"dropout": 0.3, "activation": "tanh"}])
def test_gradient_check(normalization, extra):
    model = net(normalization, **extra)
    model.dropout_seed = 4
    perturb_norm_params(model)
    rng = np.random.default_rng(9)
    for i in (1, 2, 3):  # biases off zero keep ReLU inputs away from the kink
        model.params[f"b{i}"] = rng.normal(0, 0.5, size=model.params[f"b{i}"].shape)
    X, y = problem()
    _, grads = model.loss(X, y)
    num = numeric_grads(model, X, y)
    assert set(grads) == set(model.params)
    for name in model.params:
        assert grads[name].shape == model.params[name].shape
        if normalization == "batchnorm" and name in ("b1", "b2"):
            # the batch mean absorbs a hidden bias: its gradient is exactly zero in theory
            assert np.abs(grads[name]).max() < 1e-12 and np.abs(num[name]).max() < 1e-8
            continue
        assert norm_rel_error(grads[name], num[name]) < 1e-8, name


@pytest.mark.parametrize("normalization", NORMS)
def test_gamma_and_beta_are_not_regularised(normalization):
    plain, regd = net(normalization), net(normalization, reg=0.5)
    for model in (plain, regd):
        perturb_norm_params(model)
    X, y = problem()
    loss0, g0 = plain.loss(X, y)
    loss1, g1 = regd.loss(X, y)
    penalty = 0.25 * sum(float(np.sum(regd.params[f"W{i}"] ** 2)) for i in (1, 2, 3))
    assert loss1 == pytest.approx(loss0 + penalty, rel=1e-12)
    for name in g0:
        if not name.startswith("W"):
            np.testing.assert_allclose(g1[name], g0[name], rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- PyTorch oracle


@pytest.mark.parametrize("normalization", NORMS)
def test_agrees_with_pytorch_in_training_and_eval(normalization):
    torch = pytest.importorskip("torch")
    model = net(normalization, reg=0.1)
    perturb_norm_params(model)
    X, y = problem(n=12)
    layers, norms, lins = [], [], []
    for i in (1, 2, 3):
        lin = torch.nn.Linear(*model.params[f"W{i}"].shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(model.params[f"W{i}"].T))
            lin.bias.copy_(torch.from_numpy(model.params[f"b{i}"]))
        lins.append(lin)
        layers.append(lin)
        if i < 3:
            h = lin.out_features
            norm = (torch.nn.BatchNorm1d(h, eps=1e-5, momentum=0.1, dtype=torch.float64)
                    if normalization == "batchnorm" else
                    torch.nn.LayerNorm(h, eps=1e-5, dtype=torch.float64))
            with torch.no_grad():
                norm.weight.copy_(torch.from_numpy(model.params[f"gamma{i}"]))
                norm.bias.copy_(torch.from_numpy(model.params[f"beta{i}"]))
            norms.append(norm)
            layers += [norm, torch.nn.ReLU()]
    tnet = torch.nn.Sequential(*layers).train()
    scores = tnet(torch.from_numpy(X))
    t_loss = torch.nn.functional.cross_entropy(scores, torch.from_numpy(y))
    t_loss = t_loss + 0.05 * sum((lin.weight ** 2).sum() for lin in lins)
    t_loss.backward()
    loss, grads = model.loss(X, y)
    assert loss == pytest.approx(t_loss.item(), rel=1e-10)
    for i, lin in enumerate(lins, start=1):
        np.testing.assert_allclose(grads[f"W{i}"], lin.weight.grad.numpy().T, rtol=1e-8,
                                   atol=1e-12)
        np.testing.assert_allclose(grads[f"b{i}"], lin.bias.grad.numpy(), rtol=1e-8, atol=1e-12)
    for i, norm in enumerate(norms, start=1):
        np.testing.assert_allclose(grads[f"gamma{i}"], norm.weight.grad.numpy(), rtol=1e-8,
                                   atol=1e-12)
        np.testing.assert_allclose(grads[f"beta{i}"], norm.bias.grad.numpy(), rtol=1e-8,
                                   atol=1e-12)
    if normalization == "batchnorm":
        for i, norm in enumerate(norms, start=1):  # same running mean after one step
            np.testing.assert_allclose(model.buffers[f"running_mean{i}"],
                                       norm.running_mean.numpy(), rtol=1e-12)
            with torch.no_grad():  # PyTorch keeps an unbiased running variance: use ours
                norm.running_var.copy_(torch.from_numpy(model.buffers[f"running_var{i}"]))
    tnet.eval()
    with torch.no_grad():
        np.testing.assert_allclose(model.loss(X), tnet(torch.from_numpy(X)).numpy(),
                                   rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- Solver and model files


def blobs(n=300, d=10, c=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, size=(c, d))
    y = rng.integers(0, c, size=n)
    return centres[y] + rng.normal(size=(n, d)), y


@pytest.mark.parametrize("normalization", NORMS)
def test_solver_trains_every_parameter_and_restores_the_best_buffers(normalization):
    X, y = blobs()
    data = {"X_train": X[:200], "y_train": y[:200], "X_val": X[200:], "y_val": y[200:]}
    model = FullyConnectedNet([20, 20], input_dim=10, num_classes=3, weight_scale=0.1, seed=0,
                              normalization=normalization)
    start = {k: v.copy() for k, v in model.params.items()}
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-2},
                    num_epochs=4, batch_size=25, seed=0, restore_best=True)
    solver.train()
    assert solver.best_val_acc > 0.9
    assert all(not np.array_equal(model.params[k], start[k]) for k in start)
    assert set(solver.best_buffers) == set(model.buffers)
    for name, value in solver.best_buffers.items():
        np.testing.assert_array_equal(model.buffers[name], value)
    assert solver.check_accuracy(data["X_val"], data["y_val"]) == solver.best_val_acc


@pytest.mark.parametrize("normalization", NORMS)
def test_save_and_load_keep_gamma_beta_and_running_averages(tmp_path, normalization):
    X, y = blobs()
    model = FullyConnectedNet([9, 6], input_dim=10, num_classes=3, weight_scale=0.1, seed=0,
                              normalization=normalization)
    Solver(model, {"X_train": X, "y_train": y, "X_val": X, "y_val": y}, num_epochs=1,
           batch_size=50, seed=0, optim_config={"learning_rate": 0.05}).train()
    perturb_norm_params(model)
    path = save_model(tmp_path / "model.npz", model)
    loaded = load_model(path)
    assert loaded.config == model.config
    for name, w in model.params.items():
        np.testing.assert_array_equal(loaded.params[name], w)
    assert set(loaded.buffers) == set(model.buffers)
    for name, value in model.buffers.items():
        assert value.any()  # trained: not the zeros a fresh model starts with
        np.testing.assert_array_equal(loaded.buffers[name], value)
    np.testing.assert_array_equal(loaded.loss(X), model.loss(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def _rewrite(path, out, change):
    arrays, header = load_checkpoint(path)
    change(arrays)
    return save_checkpoint(out, arrays, header)


def test_model_files_with_wrong_buffers_are_refused(tmp_path):
    model = net("batchnorm")
    model.loss(*problem())
    path = save_model(tmp_path / "model.npz", model)
    missing = _rewrite(path, tmp_path / "missing.npz",
                       lambda a: a.pop("buffers/running_var2"))
    with pytest.raises(ValueError, match="holds buffers .* needs"):
        load_model(missing)
    wrong = _rewrite(path, tmp_path / "shape.npz",
                     lambda a: a.update({"buffers/running_mean1": np.zeros(3)}))
    with pytest.raises(ValueError, match=r"invalid buffers.*shape \(3,\)"):
        load_model(wrong)
    negative = _rewrite(path, tmp_path / "neg.npz",
                        lambda a: a.update({"buffers/running_var1": -np.ones(7)}))
    with pytest.raises(ValueError, match="negative variances"):
        load_model(negative)
    with pytest.raises(ValueError, match="buffers must have the names"):
        model.load_buffers({"running_mean1": np.zeros(7)})
