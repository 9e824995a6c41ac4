"""Tests for the object-style modules: cs_nn.nn.layers, cs_nn.nn.containers, cs_nn.nn.loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.gradcheck import eval_numerical_gradient, eval_numerical_gradient_array
from cs_nn.modelkit import init_weight
from cs_nn.nn import (
    ELU,
    CrossEntropy,
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    SoftmaxCrossEntropy,
    Tanh,
)


def fixed_dropout():
    m = Dropout(0.4, rng=0)
    m.dropout_seed = 11
    return m


MODULES = {
    "linear": lambda: Linear(6, 3, weight_scale=0.5, dtype=np.float64, rng=0),
    "relu": ReLU,
    "leaky_relu": lambda: LeakyReLU(0.1),
    "elu": lambda: ELU(0.7),
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "softmax": Softmax,
    "flatten": Flatten,
    "dropout": fixed_dropout,
    "sequential": lambda: Sequential(Linear(6, 5, 0.5, np.float64, 1), Tanh(),
                                     Linear(5, 3, 0.5, np.float64, 2)),
}


def module_input(kind, rng):
    # (N, 2, 3) inputs: Linear/Sequential/Flatten see 6 features; Softmax needs (N, C)
    return rng.normal(size=(4, 6) if kind == "softmax" else (4, 2, 3))


def check_module_gradients(m, x, dout):
    out = m.forward(x)
    dx = m.backward(dout)
    num_dx = eval_numerical_gradient_array(m.forward, x, dout)
    np.testing.assert_allclose(dx, num_dx, rtol=1e-6, atol=1e-9)
    for name, value in list(m.named_parameters()):
        analytic = dict(m.named_gradients())[name]
        owner, key = m, name
        if "." in name:
            idx, key = name.split(".")
            owner = m[int(idx)]

        def f(w, owner=owner, key=key):
            owner.params[key] = w
            return m.forward(x)

        num = eval_numerical_gradient_array(f, value, dout)
        owner.params[key] = value
        np.testing.assert_allclose(analytic, num, rtol=1e-6, atol=1e-9, err_msg=name)
    return out


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_module_backward_matches_numeric_gradient(kind):
    rng = np.random.default_rng(0)
    m = MODULES[kind]()
    x = module_input(kind, rng)
    out = m.forward(x)
    dout = rng.normal(size=out.shape)
    check_module_gradients(m, x, dout)


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_backward_before_forward_is_a_clear_error(kind):
    m = MODULES[kind]()
    with pytest.raises(RuntimeError, match="before forward"):
        m.backward(np.ones((4, 3)))


@settings(max_examples=20, deadline=None)
@given(kind=st.sampled_from(["relu", "leaky_relu", "elu", "tanh", "sigmoid", "softmax"]),
       shape=st.tuples(st.integers(1, 4), st.integers(1, 5)), seed=st.integers(0, 2**16))
def test_activation_gradients_random_shapes(kind, shape, seed):
    rng = np.random.default_rng(seed)
    m = MODULES[kind]()
    x = rng.normal(size=shape)
    x[np.abs(x) < 1e-3] = 0.5  # stay off the kink of the ReLU family
    check_module_gradients(m, x, rng.normal(size=shape))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 4), d_in=st.integers(1, 5), d_out=st.integers(1, 5),
       seed=st.integers(0, 2**16))
def test_linear_gradients_random_shapes(n, d_in, d_out, seed):
    rng = np.random.default_rng(seed)
    m = Linear(d_in, d_out, weight_scale=1.0, dtype=np.float64, rng=seed)
    m.params["b"] = rng.normal(size=d_out)
    check_module_gradients(m, rng.normal(size=(n, d_in)), rng.normal(size=(n, d_out)))


def test_linear_params_init_and_forward():
    m = Linear(300, 200, weight_scale=0.1, rng=0)
    assert m.params["W"].shape == (300, 200) and m.params["b"].shape == (200,)
    assert m.params["W"].dtype == np.float32 and np.all(m.params["b"] == 0)
    assert abs(m.params["W"].std() - 0.1) < 0.005
    x = np.random.default_rng(1).normal(size=(3, 300)).astype(np.float32)
    np.testing.assert_allclose(m(x), x @ m.params["W"], rtol=1e-5, atol=1e-6)
    assert np.array_equal(Linear(4, 2, rng=3).params["W"], Linear(4, 2, rng=3).params["W"])


def test_init_weight_schemes():
    rng = np.random.default_rng(0)
    assert abs(init_weight(500, 300, "he", np.float64, rng).std() - np.sqrt(2 / 500)) < 2e-3
    assert abs(init_weight(500, 300, "xavier", np.float64, rng).std() - np.sqrt(2 / 800)) < 2e-3
    assert np.all(init_weight(3, 2, 0.0, np.float32, rng) == 0)
    with pytest.raises(ValueError, match="'he' or 'xavier'"):
        init_weight(3, 2, "kaiming", np.float32, rng)


def test_linear_errors():
    m = Linear(6, 3)
    with pytest.raises(ValueError, match=r"expects 6 features per sample.*\(4, 7\)"):
        m.forward(np.zeros((4, 7)))
    with pytest.raises(ValueError, match="in_features must be an integer >= 1"):
        Linear(0, 3)
    with pytest.raises(ValueError, match="out_features"):
        Linear(3, 2.5)
    with pytest.raises(TypeError, match="float32 or float64"):
        Linear(3, 2, dtype=np.int64)


# ---------------------------------------------------------------- dropout


def test_dropout_train_and_eval_behaviour():
    p = 0.3
    m = Dropout(p, rng=0)
    x = np.random.default_rng(1).uniform(1, 2, size=(200, 100))
    out = m.forward(x)
    kept = out != 0
    assert abs(1 - kept.mean() - p) < 0.01
    np.testing.assert_allclose(out[kept], x[kept] / (1 - p))
    assert abs(out.mean() / x.mean() - 1) < 0.02  # inverted dropout keeps the expectation
    dout = np.ones_like(x)
    np.testing.assert_allclose(m.backward(dout), kept / (1 - p))

    m.eval()
    assert not m.training
    np.testing.assert_array_equal(m.forward(x), x)
    np.testing.assert_array_equal(m.backward(dout), dout)
    m.train()
    assert not np.array_equal(m.forward(x), x)


def test_dropout_masks_change_unless_seed_is_fixed():
    x = np.ones((5, 8))
    m = Dropout(0.5, rng=0)
    assert not np.array_equal(m.forward(x), m.forward(x))
    m.dropout_seed = 4
    np.testing.assert_array_equal(m.forward(x), m.forward(x))
    a, b = Dropout(0.5, rng=9), Dropout(0.5, rng=9)
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    with pytest.raises(ValueError, match="DROPPING"):
        Dropout(1.0)


# ---------------------------------------------------------------- Sequential


def test_sequential_names_children_and_parameters():
    net = Sequential(Linear(4, 3, rng=0), ReLU(), Dropout(0.5), Linear(3, 2, rng=1))
    assert [name for name, _ in net.children()] == ["0", "1", "2", "3"]
    assert [name for name, _ in net.named_parameters()] == ["0.W", "0.b", "3.W", "3.b"]
    assert dict(net.named_parameters())["3.W"] is net[3].params["W"]
    assert len(net) == 4 and isinstance(net[1], ReLU)
    nested = Sequential(Flatten(), net)
    assert [name for name, _ in nested.named_parameters()] == ["1.0.W", "1.0.b", "1.3.W",
                                                               "1.3.b"]
    nested.eval()
    assert not net[2].training and not net.training
    nested.train()
    assert net[2].training
    assert "Linear(4, 3)" in repr(net)


def test_sequential_forward_is_composition_and_fills_grads():
    rng = np.random.default_rng(0)
    net = Sequential(Linear(6, 5, 0.5, np.float64, 1), ELU(), Linear(5, 3, 0.5, np.float64, 2))
    x = rng.normal(size=(4, 6))
    manual = net[2].forward(net[1].forward(net[0].forward(x)))
    np.testing.assert_allclose(net.forward(x), manual)
    with pytest.raises(RuntimeError, match="call backward first"):
        dict(net.named_gradients())
    net.backward(np.ones((4, 3)))
    grads = dict(net.named_gradients())
    assert set(grads) == {"0.W", "0.b", "2.W", "2.b"}
    assert all(grads[k].shape == v.shape for k, v in net.named_parameters())


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match=r"ReLU\(\)"):
        Sequential(Linear(2, 2), ReLU)


# ---------------------------------------------------------------- losses


def test_softmax_cross_entropy_gradient_and_log_c():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(5, 4))
    y = rng.integers(0, 4, size=5)
    loss_fn = SoftmaxCrossEntropy()
    with pytest.raises(RuntimeError, match="before forward"):
        loss_fn.backward()
    loss = loss_fn(scores, y)
    assert isinstance(loss, float)
    num = eval_numerical_gradient(lambda s: SoftmaxCrossEntropy().forward(s, y), scores,
                                  verbose=False)
    np.testing.assert_allclose(loss_fn.backward(), num, rtol=1e-6, atol=1e-9)
    assert loss_fn(np.zeros((3, 7)), np.array([0, 3, 6])) == pytest.approx(np.log(7))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        loss_fn(scores, np.array([0, 1, 2, 3, 4]))


def test_softmax_then_cross_entropy_equals_fused_loss():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(6, 5))
    y = rng.integers(0, 5, size=6)
    fused = SoftmaxCrossEntropy()
    sm, ce = Softmax(), CrossEntropy()
    assert ce(sm(scores), y) == pytest.approx(fused(scores, y), rel=1e-12)
    np.testing.assert_allclose(sm.backward(ce.backward()), fused.backward(), rtol=1e-10,
                               atol=1e-14)
    num = eval_numerical_gradient(lambda p: CrossEntropy().forward(p, y), sm(scores),
                                  verbose=False)
    np.testing.assert_allclose(ce.backward(), num, rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="probabilities"):
        ce(scores * 10, y)


def test_softmax_and_loss_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(4, 6)) * 3
    y = rng.integers(0, 6, size=4)
    dout = rng.normal(size=(4, 6))
    t = torch.tensor(scores, requires_grad=True)
    torch.softmax(t, dim=1).backward(torch.from_numpy(dout))
    sm = Softmax()
    np.testing.assert_allclose(sm(scores), torch.softmax(t, dim=1).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(sm.backward(dout), t.grad.numpy(), rtol=1e-10, atol=1e-14)

    t2 = torch.tensor(scores, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(t2, torch.from_numpy(y))
    t_loss.backward()
    fused = SoftmaxCrossEntropy()
    assert fused(scores, y) == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(fused.backward(), t2.grad.numpy(), rtol=1e-10, atol=1e-14)
