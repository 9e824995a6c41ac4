"""Tests for cs_nn.models.convnet.ThreeLayerConvNet."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cs_nn.gradcheck import eval_numerical_gradient, rel_error
from cs_nn.layers import conv_forward_naive, max_pool_forward_naive
from cs_nn.models.convnet import ThreeLayerConvNet


def _data(n, input_dim, num_classes, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, *input_dim)).astype(dtype)
    y = rng.integers(0, num_classes, n)
    return X, y


def test_shapes_and_config_round_trip():
    model = ThreeLayerConvNet(input_dim=(3, 10, 12), num_filters=4, filter_size=5, hidden_dim=6,
                              num_classes=3, seed=1)
    p = model.params
    assert p["W1"].shape == (4, 3, 5, 5) and p["b1"].shape == (4,)
    assert p["W2"].shape == (4 * 5 * 6, 6) and p["b2"].shape == (6,)
    assert p["W3"].shape == (6, 3) and p["b3"].shape == (3,)
    assert all(v.dtype == np.float32 for v in p.values())
    assert all(not np.any(p[k]) for k in ("b1", "b2", "b3"))
    cfg = json.loads(json.dumps(model.config))
    assert cfg["dtype"] == "float32"
    twin = ThreeLayerConvNet(**cfg)
    for k in p:
        np.testing.assert_array_equal(p[k], twin.params[k])  # same seed, same weights
    X, _ = _data(2, (3, 10, 12), 3, dtype=np.float32)
    scores = model.loss(X)
    assert scores.shape == (2, 3) and scores.dtype == np.float32


def test_scores_match_naive_layers():
    model = ThreeLayerConvNet(input_dim=(2, 6, 6), num_filters=3, filter_size=3, hidden_dim=5,
                              num_classes=4, weight_scale=0.5, dtype=np.float64, seed=2)
    X, _ = _data(3, (2, 6, 6), 4)
    p = model.params
    h = conv_forward_naive(X, p["W1"], p["b1"], {"stride": 1, "pad": 1})[0]
    h = max_pool_forward_naive(np.maximum(h, 0), {"pool_height": 2, "pool_width": 2,
                                                  "stride": 2})[0]
    h = np.maximum(h.reshape(3, -1) @ p["W2"] + p["b2"], 0)
    np.testing.assert_allclose(model.loss(X), h @ p["W3"] + p["b3"], rtol=1e-10, atol=1e-12)


def test_initial_loss_is_log_num_classes():
    model = ThreeLayerConvNet(input_dim=(3, 16, 16), num_filters=8, hidden_dim=20, seed=0)
    X, y = _data(20, (3, 16, 16), 10)
    loss, _ = model.loss(X, y)
    assert abs(loss - np.log(10)) < 0.01


def test_reg_increases_loss_and_adds_to_weight_grads_only():
    X, y = _data(4, (3, 8, 8), 5)
    kw = dict(input_dim=(3, 8, 8), num_filters=3, filter_size=3, hidden_dim=6, num_classes=5,
              weight_scale=1e-1, dtype=np.float64, seed=4)
    loss0, grads0 = ThreeLayerConvNet(**kw).loss(X, y)
    model = ThreeLayerConvNet(reg=0.5, **kw)
    loss1, grads1 = model.loss(X, y)
    penalty = 0.25 * sum(np.sum(model.params[k] ** 2) for k in ("W1", "W2", "W3"))
    assert loss1 > loss0
    assert loss1 == pytest.approx(loss0 + penalty, rel=1e-12)
    for k in ("W1", "W2", "W3"):
        np.testing.assert_allclose(grads1[k], grads0[k] + 0.5 * model.params[k], atol=1e-12)
    for k in ("b1", "b2", "b3"):
        np.testing.assert_allclose(grads1[k], grads0[k])


@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_numeric_gradients_all_params(reg):
    model = ThreeLayerConvNet(input_dim=(2, 6, 6), num_filters=3, filter_size=3, hidden_dim=5,
                              num_classes=4, weight_scale=0.3, reg=reg, dtype=np.float64, seed=5)
    X, y = _data(2, (2, 6, 6), 4, seed=1)
    _, grads = model.loss(X, y)
    for name in sorted(model.params):
        def f(v, name=name):
            old = model.params[name]
            model.params[name] = v
            try:
                return model.loss(X, y)[0]
            finally:
                model.params[name] = old
        num = eval_numerical_gradient(f, model.params[name], verbose=False, h=1e-6)
        assert rel_error(grads[name], num) < 1e-6, name


def test_overfits_small_data_with_adam():
    X, y = _data(50, (3, 8, 8), 10, seed=3, dtype=np.float32)
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=8, filter_size=3, hidden_dim=50,
                              weight_scale=1e-2, seed=0)
    lr, beta1, beta2, eps = 1e-2, 0.9, 0.999, 1e-8
    m = {k: np.zeros_like(v) for k, v in model.params.items()}
    v2 = {k: np.zeros_like(v) for k, v in model.params.items()}
    first = None
    for t in range(1, 121):
        loss, grads = model.loss(X, y)
        first = loss if first is None else first
        for k, g in grads.items():
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v2[k] = beta2 * v2[k] + (1 - beta2) * g * g
            mhat, vhat = m[k] / (1 - beta1 ** t), v2[k] / (1 - beta2 ** t)
            model.params[k] -= (lr * mhat / (np.sqrt(vhat) + eps)).astype(model.dtype)
    acc = np.mean(model.predict(X) == y)
    assert loss < 0.1 * first
    assert acc == 1.0


def test_bad_inputs_have_clear_errors():
    with pytest.raises(ValueError, match=r"filter_size must be odd"):
        ThreeLayerConvNet(filter_size=4)
    with pytest.raises(ValueError, match=r"input_dim must be \(C, H, W\)"):
        ThreeLayerConvNet(input_dim=(32, 32))
    with pytest.raises(ValueError, match=r"reg must be"):
        ThreeLayerConvNet(reg=-1)
    with pytest.raises(TypeError, match=r"dtype"):
        ThreeLayerConvNet(dtype=np.int32)
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=2, filter_size=3, hidden_dim=4)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 3, 8, 8\).*got \(2, 8, 8, 3\)"):
        model.loss(np.zeros((2, 8, 8, 3)))
    with pytest.raises(ValueError, match=r"y must lie in \[0, 10\)"):
        model.loss(np.zeros((2, 3, 8, 8)), np.array([0, 10]))
    with pytest.raises(ValueError, match=r"2 samples"):
        model.loss(np.zeros((2, 3, 8, 8)), np.array([0, 1, 2]))
