"""Tests for cs_nn.nn.classifier: Classifier, its write-through params, and mlp."""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cs_nn.gradcheck import eval_numerical_gradient
from cs_nn.models.fcnet import FullyConnectedNet
from cs_nn.nn import Classifier, Dropout, Linear, ReLU, Sequential, mlp


def problem(n=6, d=10, c=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, c, size=n)


def randomize_biases(model, seed=99):
    """Non-zero biases keep ReLU inputs away from the kink at exactly 0."""
    rng = np.random.default_rng(seed)
    for name in list(model.params):
        if name.split(".")[-1].startswith("b"):
            model.params[name] = rng.normal(0, 0.5, size=model.params[name].shape)


def assert_grads_match(model, X, y, rtol=1e-6, atol=1e-9):
    _, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name in list(model.params):
        orig = model.params[name]

        def f(w, name=name):
            model.params[name] = w
            return model.loss(X, y)[0]

        num = eval_numerical_gradient(f, orig, verbose=False)
        model.params[name] = orig
        np.testing.assert_allclose(grads[name], num, rtol=rtol, atol=atol, err_msg=name)


def linear_names(clf):
    """Dotted names of the Linear layers, in order: ['0', '2', ...]."""
    return [name for name, m in clf.network.children() if isinstance(m, Linear)]


def copy_weights(fc, clf):
    for i, idx in enumerate(linear_names(clf), start=1):
        clf.params[f"{idx}.W"] = fc.params[f"W{i}"].copy()
        clf.params[f"{idx}.b"] = fc.params[f"b{i}"].copy()


# ---------------------------------------------------------------- params view


def test_params_are_the_module_arrays_and_write_through():
    clf = Classifier(mlp(5, [4], 3, seed=0))
    assert isinstance(clf.params, Mapping) and clf.params is clf.params  # built once
    assert list(clf.params) == ["0.W", "0.b", "2.W", "2.b"]
    assert clf.params["0.W"] is clf.network[0].params["W"]
    new = np.ones((4, 3), dtype=np.float32)
    clf.params["2.W"] = new  # what the Solver does after each update
    assert clf.network[2].params["W"] is new
    assert clf.params["2.W"] is new
    with pytest.raises(ValueError, match=r"has shape \(4, 3\)"):
        clf.params["2.W"] = np.ones((3, 4))
    with pytest.raises(KeyError, match="no parameter named"):
        clf.params["9.W"] = new
    with pytest.raises(TypeError, match="fixed"):
        del clf.params["0.W"]


def test_assigning_a_whole_params_dict_writes_through():
    clf = Classifier(mlp(5, [4], 3, seed=0))
    saved = {k: v.copy() + 1 for k, v in clf.params.items()}  # like solver.best_params
    clf.params = saved
    for k in saved:
        np.testing.assert_array_equal(clf.params[k], saved[k])
    np.testing.assert_array_equal(clf.network[0].params["b"], np.ones(4))
    with pytest.raises(KeyError, match="lack"):
        clf.params = {"0.W": saved["0.W"]}


def test_sgd_updates_through_params_reduce_the_loss():
    X, y = problem()
    clf = Classifier(mlp(10, [8], 4, weight_scale=0.3, dtype=np.float64, seed=0))
    first, _ = clf.loss(X, y)
    for _ in range(20):
        _, grads = clf.loss(X, y)
        for k in clf.params:
            clf.params[k] = clf.params[k] - 0.5 * grads[k]
    assert clf.loss(X, y)[0] < 0.5 * first


# ---------------------------------------------------------------- equivalence with FCNet


@pytest.mark.parametrize("hidden_dims", [[], [5], [4, 3, 6]])
@pytest.mark.parametrize("reg, dropout", [(0.0, 0.0), (0.4, 0.0), (0.4, 0.5)])
def test_same_seed_gives_same_loss_and_grads_as_fcnet(hidden_dims, reg, dropout):
    kwargs = dict(dropout=dropout, weight_scale=0.5, dtype=np.float64, seed=3)
    fc = FullyConnectedNet(hidden_dims, input_dim=10, num_classes=4, reg=reg, **kwargs)
    clf = Classifier(mlp(10, hidden_dims, 4, **kwargs), reg=reg)
    X, y = problem()
    for _ in range(2):  # the second call uses the next dropout masks of the shared stream
        loss_fc, grads_fc = fc.loss(X, y)
        loss_clf, grads_clf = clf.loss(X, y)
        assert loss_clf == pytest.approx(loss_fc, rel=1e-12)
        for i, idx in enumerate(linear_names(clf), start=1):
            np.testing.assert_allclose(grads_clf[f"{idx}.W"], grads_fc[f"W{i}"], rtol=1e-12)
            np.testing.assert_allclose(grads_clf[f"{idx}.b"], grads_fc[f"b{i}"], rtol=1e-12,
                                       atol=1e-15)
    np.testing.assert_allclose(clf.loss(X), fc.loss(X), rtol=1e-12)


def test_copied_weights_give_identical_loss_and_grads():
    fc = FullyConnectedNet([6, 5], input_dim=10, num_classes=4, reg=0.2, weight_scale=0.5,
                           dtype=np.float64, seed=1)
    clf = Classifier(mlp(10, [6, 5], 4, dtype=np.float64, seed=77), reg=0.2)
    copy_weights(fc, clf)
    X, y = problem()
    loss_fc, grads_fc = fc.loss(X, y)
    loss_clf, grads_clf = clf.loss(X, y)
    assert loss_clf == loss_fc
    for i, idx in enumerate(linear_names(clf), start=1):
        np.testing.assert_array_equal(grads_clf[f"{idx}.W"], grads_fc[f"W{i}"])
    np.testing.assert_array_equal(clf.predict(X), fc.predict(X))


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu", "tanh", "sigmoid"])
def test_gradient_check_every_activation_with_reg(activation):
    clf = Classifier(mlp(10, [6, 5], 4, activation=activation, weight_scale=0.5,
                         dtype=np.float64, seed=0), reg=0.3)
    randomize_biases(clf)
    assert_grads_match(clf, *problem())


def test_gradient_check_with_fixed_dropout_masks():
    clf = Classifier(mlp(10, [6, 5], 4, dropout=0.4, weight_scale=0.5, dtype=np.float64,
                         seed=0), reg=0.1)
    for _, m in clf.network.children():
        if isinstance(m, Dropout):
            m.dropout_seed = 5
    randomize_biases(clf)
    X, y = problem()
    assert clf.loss(X, y)[0] == clf.loss(X, y)[0]
    assert_grads_match(clf, X, y)


@settings(max_examples=10, deadline=None)
@given(hidden_dims=st.lists(st.integers(1, 5), max_size=3), input_dim=st.integers(1, 5),
       num_classes=st.integers(2, 4), n=st.integers(1, 4),
       activation=st.sampled_from(["relu", "elu", "tanh"]), seed=st.integers(0, 2**16))
def test_gradient_check_random_architectures(hidden_dims, input_dim, num_classes, n,
                                             activation, seed):
    clf = Classifier(mlp(input_dim, hidden_dims, num_classes, activation=activation,
                         weight_scale=0.7, dtype=np.float64, seed=seed), reg=0.25)
    randomize_biases(clf, seed)
    rng = np.random.default_rng(seed + 1)
    X = rng.normal(size=(n, input_dim))
    if activation == "relu":  # a numeric step across ReLU's kink is no test of the gradient
        assume(_smallest_hidden_preactivation(clf, X) > 1e-3)
    assert_grads_match(clf, X, rng.integers(0, num_classes, size=n), rtol=1e-5, atol=1e-8)


def _smallest_hidden_preactivation(clf, X):
    """min |pre-activation| over the hidden Linear layers' outputs for the batch X."""
    h, smallest = X, np.inf
    layers = list(clf.network.children())
    for _, m in layers:
        out = m.forward(h)
        if isinstance(m, Linear) and m is not layers[-1][1]:
            smallest = min(smallest, float(np.abs(out).min()))
        h = out
    return smallest


def test_agrees_with_pytorch_for_elu_mlp():
    torch = pytest.importorskip("torch")
    reg = 0.2
    clf = Classifier(mlp(10, [7, 5], 4, activation="elu", weight_scale=0.5, dtype=np.float64,
                         seed=2), reg=reg)
    X, y = problem()
    loss, grads = clf.loss(X, y)
    lins = []
    for idx in linear_names(clf):
        lin = torch.nn.Linear(*clf.params[f"{idx}.W"].shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(clf.params[f"{idx}.W"].T))
            lin.bias.copy_(torch.from_numpy(clf.params[f"{idx}.b"]))
        lins.append(lin)
    net = torch.nn.Sequential(lins[0], torch.nn.ELU(), lins[1], torch.nn.ELU(), lins[2])
    t_loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(X)), torch.from_numpy(y))
    t_loss = t_loss + 0.5 * reg * sum((lin.weight ** 2).sum() for lin in lins)
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-10)
    for idx, lin in zip(linear_names(clf), lins, strict=True):
        np.testing.assert_allclose(grads[f"{idx}.W"], lin.weight.grad.numpy().T, rtol=1e-8,
                                   atol=1e-12)
        np.testing.assert_allclose(grads[f"{idx}.b"], lin.bias.grad.numpy(), rtol=1e-8,
                                   atol=1e-12)


# ---------------------------------------------------------------- behaviour


def test_initial_loss_is_log_c_and_reg_only_on_weights():
    X, y = problem(n=50, c=10)
    clf = Classifier(mlp(10, [20], 10, weight_scale=1e-3, seed=0))
    assert abs(clf.loss(X, y)[0] - np.log(10)) < 1e-3
    net = mlp(10, [20], 10, weight_scale=0.1, dtype=np.float64, seed=0)
    net[0].params["b"] = np.full(20, 3.0)  # a large bias must NOT be penalised
    plain, regd = Classifier(net), Classifier(net, reg=2.0)
    penalty = 0.5 * 2.0 * (np.sum(net[0].params["W"] ** 2) + np.sum(net[2].params["W"] ** 2))
    assert regd.loss(X, y)[0] == pytest.approx(plain.loss(X, y)[0] + penalty, rel=1e-12)
    _, g_plain = plain.loss(X, y)
    _, g_regd = regd.loss(X, y)
    np.testing.assert_allclose(g_regd["0.b"], g_plain["0.b"])
    np.testing.assert_allclose(g_regd["0.W"], g_plain["0.W"] + 2.0 * net[0].params["W"])


def test_scores_mode_turns_dropout_off_and_predict_is_int64():
    clf = Classifier(mlp(10, [30], 4, dropout=0.5, weight_scale=0.3, seed=0))
    X, y = problem(n=9)
    scores = clf.loss(X)
    assert scores.shape == (9, 4) and not clf.network[2].training
    np.testing.assert_array_equal(scores, clf.loss(X))
    pred = clf.predict(X, batch_size=4)
    assert pred.dtype == np.int64
    np.testing.assert_array_equal(pred, scores.argmax(axis=1))
    clf.loss(X, y)
    assert clf.network[2].training


def test_config_round_trip_and_hand_built_networks():
    clf = Classifier(mlp(12, [6, 5], 3, activation="tanh", dropout=0.2, weight_scale="xavier",
                         dtype=np.float64, seed=4), reg=0.01)
    config = json.loads(json.dumps(clf.config))
    twin = Classifier.from_config(config)
    assert twin.config == clf.config
    assert all(np.array_equal(clf.params[k], twin.params[k]) for k in clf.params)
    assert Classifier(Sequential(Linear(3, 2), ReLU())).config is None
    with pytest.raises(ValueError, match="'mlp'"):
        Classifier.from_config({"reg": 0.0})


def test_errors():
    net = mlp(6, [4], 3, seed=0)
    with pytest.raises(ValueError, match="reg must be"):
        Classifier(net, reg=-1)
    with pytest.raises(TypeError, match="Module"):
        Classifier(lambda x: x)
    clf = Classifier(net)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        clf.loss(np.zeros((2, 6)), np.array([0, 3]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        clf.loss(np.full((2, 6), np.inf))
    with pytest.raises(ValueError, match="expects 6 features"):
        clf.loss(np.zeros((2, 7)))
    with pytest.raises(ValueError, match="activation must be one of"):
        mlp(6, [4], 3, activation="swish")
    with pytest.raises(TypeError, match=r"did you mean \[4\]"):
        mlp(6, 4, 3)
    with pytest.raises(ValueError, match="DROPPING"):
        mlp(6, [4], 3, dropout=1.5)


# ---------------------------------------------------------------- training


def test_both_styles_overfit_a_tiny_dataset_with_plain_sgd():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 12))
    y = rng.integers(0, 5, size=20)
    models = [FullyConnectedNet([40], input_dim=12, num_classes=5, weight_scale="he", seed=0),
              Classifier(mlp(12, [40], 5, weight_scale="he", seed=0))]
    for model in models:
        start = model.loss(X, y)[0]
        for _ in range(300):
            _, grads = model.loss(X, y)
            for k in model.params:
                model.params[k] = model.params[k] - 0.1 * grads[k]
        assert model.loss(X, y)[0] < 0.1 * start
        assert np.mean(model.predict(X) == y) == 1.0


def test_both_styles_train_with_the_solver():
    from cs_nn.solver import Solver

    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3, 2, 2))
    y = rng.integers(0, 4, size=40)
    data = {"X_train": X, "y_train": y, "X_val": X[:10], "y_val": y[:10]}
    models = [FullyConnectedNet([30], input_dim=12, num_classes=4, weight_scale="he", seed=0),
              Classifier(mlp(12, [30], 4, weight_scale="he", seed=0))]
    for model in models:
        solver = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 0.2},
                        num_epochs=40, batch_size=10, seed=0, restore_best=True)
        solver.train()
        assert solver.loss_history[-1] < 0.3 * solver.loss_history[0]
        assert solver.check_accuracy(X, y) > 0.9
    # same seed, same data, same update order: both styles follow the same trajectory
    np.testing.assert_allclose(models[1].params["0.W"], models[0].params["W1"], rtol=1e-4,
                               atol=1e-5)
