"""Tests for cs_nn.nn.classifiers: LinearClassifier and TwoLayerNet (seed 004 Tasks 2-3)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.gradcheck import eval_numerical_gradient, rel_error, scaled_rel_error
from cs_nn.models import FullyConnectedNet
from cs_nn.nn import Classifier, LinearClassifier, TwoLayerNet, mlp
from cs_nn.solver import Solver


def loss_of(model, name, X, y):
    def f(w):
        saved = model.params[name]
        model.params[name] = w
        try:
            return model.loss(X, y)[0]
        finally:
            model.params[name] = saved
    return f


def numeric_grads(model, X, y, h=1e-5):
    return {name: eval_numerical_gradient(loss_of(model, name, X, y), w, verbose=False, h=h)
            for name, w in model.params.items()}


def small_problem(seed=0, n=6, d=10, c=5):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, c, size=n)


def test_the_seeds_thresholds_hold_in_float64():
    # seed 004: every parameter of both classifiers within 1e-10 of the numeric gradient
    X, y = small_problem()
    for model in (LinearClassifier(10, 5, weight_scale=0.5, reg=0.1, dtype=np.float64, seed=0),
                  TwoLayerNet(10, 8, 5, weight_scale=0.5, reg=0.1, dtype=np.float64, seed=0)):
        _, grads = model.loss(X, y)
        for name, numeric in numeric_grads(model, X, y).items():
            assert scaled_rel_error(grads[name], numeric) < 1e-10, (type(model), name)
            assert rel_error(grads[name], numeric) < 1e-6, (type(model), name)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 5), d=st.integers(1, 6), h=st.integers(1, 6), c=st.integers(2, 5),
       reg=st.sampled_from([0.0, 0.3]), seed=st.integers(0, 10_000))
def test_gradients_match_numeric_for_random_shapes(n, d, h, c, reg, seed):
    X, y = small_problem(seed, n, d, c)
    model = TwoLayerNet(d, h, c, weight_scale=0.7, reg=reg, dtype=np.float64, seed=seed)
    _, grads = model.loss(X, y)
    for name, numeric in numeric_grads(model, X, y).items():
        assert scaled_rel_error(grads[name], numeric) < 1e-7, name


def test_same_weights_and_numbers_as_mlp_and_fully_connected_net():
    X, y = small_problem(1)
    net = TwoLayerNet(10, 8, 5, weight_scale="he", reg=0.2, dtype=np.float64, seed=3)
    twin = Classifier(mlp(10, [8], 5, weight_scale="he", dtype=np.float64, seed=3), reg=0.2)
    for name in net.params:
        np.testing.assert_array_equal(net.params[name], twin.params[name])
    fc = FullyConnectedNet([8], input_dim=10, num_classes=5, reg=0.2, dtype=np.float64)
    fc.params = {"W1": net.params["0.W"], "b1": net.params["0.b"],
                 "W2": net.params["2.W"], "b2": net.params["2.b"]}
    loss, grads = net.loss(X, y)
    fc_loss, fc_grads = fc.loss(X, y)
    assert loss == pytest.approx(fc_loss, rel=1e-12)
    for ours, theirs in (("0.W", "W1"), ("0.b", "b1"), ("2.W", "W2"), ("2.b", "b2")):
        np.testing.assert_allclose(grads[ours], fc_grads[theirs], rtol=1e-10, atol=1e-14)
    linear = LinearClassifier(10, 5, seed=4)
    softmax_regression = dict(mlp(10, [], 5, seed=4).named_parameters())
    np.testing.assert_array_equal(linear.params["0.W"], softmax_regression["0.W"])


def test_l2_is_on_the_weights_only():
    X, y = small_problem(2)
    plain = TwoLayerNet(10, 8, 5, weight_scale=0.3, dtype=np.float64, seed=5)
    regd = TwoLayerNet(10, 8, 5, weight_scale=0.3, reg=0.7, dtype=np.float64, seed=5)
    loss0, g0 = plain.loss(X, y)
    loss1, g1 = regd.loss(X, y)
    squares = sum(np.sum(regd.params[k] ** 2) for k in ("0.W", "2.W"))
    assert loss1 - loss0 == pytest.approx(0.5 * 0.7 * squares, rel=1e-12)
    for name in ("0.b", "2.b"):
        np.testing.assert_array_equal(g0[name], g1[name])  # biases: no L2 term
    for name in ("0.W", "2.W"):
        np.testing.assert_allclose(g1[name] - g0[name], 0.7 * regd.params[name], atol=1e-12)


def test_both_train_with_the_same_solver_step():
    rng = np.random.default_rng(0)
    centres = 3.0 * rng.standard_normal((3, 4))
    y = rng.integers(0, 3, size=300)
    X = centres[y] + rng.standard_normal((300, 4))
    data = {"X_train": X[:240], "y_train": y[:240], "X_val": X[240:], "y_val": y[240:]}
    for model in (LinearClassifier(4, 3, reg=1e-3, seed=0),
                  TwoLayerNet(4, 16, 3, reg=1e-3, seed=0)):
        before = model.loss(X[:240], y[:240])[0]
        solver = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 0.5},
                        num_epochs=10, batch_size=40, seed=0)
        solver.train()
        assert model.loss(X[:240], y[:240])[0] < 0.5 * before
        assert solver.val_acc_history[-1] > 0.8  # chance is 1/3


def test_config_rebuilds_the_same_network_and_bad_arguments_are_clear():
    net = TwoLayerNet(7, 5, 3, reg=0.25, seed=9)
    twin = Classifier.from_config(net.config)
    assert twin.reg == 0.25
    for name in net.params:
        np.testing.assert_array_equal(net.params[name], twin.params[name])
    assert LinearClassifier(7, 3).config["mlp"]["hidden_dims"] == []
    with pytest.raises(ValueError, match="hidden_dims"):
        TwoLayerNet(7, 0, 3)
    with pytest.raises(ValueError, match="num_classes"):
        LinearClassifier(7, 1)
    with pytest.raises(TypeError, match="seed"):
        TwoLayerNet(7, 5, 3, seed=1.5)
