"""Tests for cs_nn.nn.conv: Conv2d and MaxPool2d modules."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn.gradcheck import eval_numerical_gradient_array, rel_error
from cs_nn.layers import conv_forward_naive, max_pool_forward_naive
from cs_nn.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential


def test_conv2d_forward_backward_match_functional():
    rng = np.random.default_rng(0)
    layer = Conv2d(3, 4, 3, stride=2, pad=1, weight_scale=0.5, dtype=np.float64, rng=0)
    assert layer.params["W"].shape == (4, 3, 3, 3) and layer.params["b"].shape == (4,)
    x = rng.standard_normal((2, 3, 7, 7))
    out = layer(x)
    ref = conv_forward_naive(x, layer.params["W"], layer.params["b"], {"stride": 2, "pad": 1})[0]
    np.testing.assert_allclose(out, ref, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    assert set(layer.grads) == {"W", "b"}
    dx_num = eval_numerical_gradient_array(layer.forward, x, dout)
    assert rel_error(dx, dx_num) < 1e-7
    w0 = layer.params["W"].copy()

    def f(w):
        layer.params["W"] = w
        return layer.forward(x)

    dw_num = eval_numerical_gradient_array(f, w0, dout)
    layer.params["W"] = w0
    assert rel_error(layer.grads["W"], dw_num) < 1e-7


def test_maxpool2d_matches_naive_and_routes_gradient():
    rng = np.random.default_rng(1)
    pool = MaxPool2d(3, stride=2)
    x = rng.standard_normal((2, 2, 7, 7))
    out = pool(x)
    param = {"pool_height": 3, "pool_width": 3, "stride": 2}
    np.testing.assert_array_equal(out, max_pool_forward_naive(x, param)[0])
    dout = rng.standard_normal(out.shape)
    dx = pool.backward(dout)
    assert rel_error(dx, eval_numerical_gradient_array(pool.forward, x, dout)) < 1e-8
    assert pool.params == {}


def test_small_convnet_in_sequential():
    rng = np.random.default_rng(2)
    net = Sequential(Conv2d(1, 2, 3, pad=1, dtype=np.float64, rng=1), ReLU(), MaxPool2d(),
                     Flatten(), Linear(2 * 3 * 3, 4, dtype=np.float64, rng=2))
    x = rng.standard_normal((3, 1, 6, 6))
    out = net(x)
    assert out.shape == (3, 4)
    dx = net.backward(np.ones_like(out))
    assert dx.shape == x.shape
    names = [n for n, _ in net.named_gradients()]
    assert any(n.endswith("W") for n in names)


def test_rng_reproducible_and_float32_default():
    a, b = Conv2d(3, 5, 3, rng=7), Conv2d(3, 5, 3, rng=7)
    np.testing.assert_array_equal(a.params["W"], b.params["W"])
    assert a.params["W"].dtype == np.float32
    he = Conv2d(16, 32, 3, weight_scale="he", rng=0)
    assert he.params["W"].std() == pytest.approx(np.sqrt(2 / (16 * 9)), rel=0.1)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match=r"kernel_size must be an integer >= 1"):
        Conv2d(3, 4, 0)
    with pytest.raises(ValueError, match=r"weight_scale must be"):
        Conv2d(3, 4, 3, weight_scale="big")
    with pytest.raises(ValueError, match=r"channel mismatch"):
        Conv2d(3, 4, 3)(np.zeros((1, 2, 5, 5), np.float32))
    with pytest.raises(RuntimeError, match=r"before forward"):
        Conv2d(3, 4, 3).backward(np.zeros((1, 4, 3, 3)))
    with pytest.raises(ValueError, match=r"pool_size must be"):
        MaxPool2d(0)
    assert "Conv2d(3, 4, kernel_size=3" in repr(Conv2d(3, 4, 3))
