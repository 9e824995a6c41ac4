"""Tests for cs_nn.layers.sandwich: numeric gradients and agreement with the separate layers."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn.gradcheck import eval_numerical_gradient_array, rel_error
from cs_nn.layers import (
    conv_forward_naive,
    conv_relu_backward,
    conv_relu_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
    linear_relu_backward,
    linear_relu_forward,
    max_pool_forward_naive,
)

CONV = {"stride": 1, "pad": 1}
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}


def _check_grads(forward, backward, inputs, rng, tol=1e-7):
    out, cache = forward(*inputs)
    dout = rng.standard_normal(out.shape)
    grads = backward(dout, cache)
    for i, (arg, grad) in enumerate(zip(inputs, grads, strict=True)):
        def f(v, i=i):
            args = list(inputs)
            args[i] = v
            return forward(*args)[0]
        num = eval_numerical_gradient_array(f, arg, dout)
        assert rel_error(grad, num) < tol, f"gradient {i}"


def test_linear_relu_gradients():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 2, 4)), rng.standard_normal((8, 5)), rng.standard_normal(5)
    _check_grads(linear_relu_forward, linear_relu_backward, (x, w, b), rng)
    out, _ = linear_relu_forward(x, w, b)
    np.testing.assert_allclose(out, np.maximum(x.reshape(3, 8) @ w + b, 0))


def test_conv_relu_gradients_and_values():
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((3, 3, 3, 3)),
               rng.standard_normal(3))
    _check_grads(lambda *a: conv_relu_forward(*a, CONV), conv_relu_backward, (x, w, b), rng)
    out, _ = conv_relu_forward(x, w, b, CONV)
    np.testing.assert_allclose(out, np.maximum(conv_forward_naive(x, w, b, CONV)[0], 0),
                               atol=1e-12)


def test_conv_relu_pool_gradients_and_values():
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((3, 3, 3, 3)),
               rng.standard_normal(3))
    _check_grads(lambda *a: conv_relu_pool_forward(*a, CONV, POOL), conv_relu_pool_backward,
                 (x, w, b), rng)
    # pooling before the ReLU is an optimisation: compare with relu-then-pool, the definition
    out, _ = conv_relu_pool_forward(x, w, b, CONV, POOL)
    conv_out = conv_forward_naive(x, w, b, CONV)[0]
    ref = max_pool_forward_naive(np.maximum(conv_out, 0), POOL)[0]
    np.testing.assert_allclose(out, ref, atol=1e-12)



def test_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, w, b = (rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((4, 3, 3, 3)),
               rng.standard_normal(4))
    out, cache = conv_relu_pool_forward(x, w, b, CONV, POOL)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_relu_pool_backward(dout, cache)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    fn = torch.nn.functional
    ot = fn.max_pool2d(fn.relu(fn.conv2d(xt, wt, bt, padding=1)), 2, 2)
    ot.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ot.detach().numpy(), atol=1e-10)
    for got, t in ((dx, xt), (dw, wt), (db, bt)):
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = np.zeros(4, np.float32)
    out, cache = conv_relu_pool_forward(x, w, b, CONV, POOL)
    grads = conv_relu_pool_backward(np.ones_like(out), cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
