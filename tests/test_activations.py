"""Tests of cs_nn.layers.activations: closed forms, numeric gradients, PyTorch, edge cases."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cs_nn import layers
from cs_nn.gradcheck import eval_numerical_gradient_array, rel_error


def _scalar_closed_form(name: str) -> Callable[[float], float]:
    """Independent oracles written element by element with the math module."""
    def sigmoid(v: float) -> float:
        return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))

    return {
        "relu": lambda v: max(v, 0.0),
        "leaky_relu": lambda v: v if v > 0 else 0.01 * v,
        "elu": lambda v: v if v > 0 else math.exp(v) - 1,
        "sigmoid": sigmoid,
        "tanh": math.tanh,
    }[name]


NAMES = ["relu", "leaky_relu", "elu", "sigmoid", "tanh"]


def _fwd(name: str) -> Callable:
    return getattr(layers, f"{name}_forward")


def _bwd(name: str) -> Callable:
    return getattr(layers, f"{name}_backward")


def _away_from_kink(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Normal values pushed at least 0.01 away from 0, so centred differences are exact enough."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.01, 0.5, x)


@pytest.mark.parametrize("name", NAMES)
def test_forward_matches_closed_form(name: str) -> None:
    x = np.array([[-3.0, -0.5, 0.0], [0.25, 1.0, 4.0]])
    out, _ = _fwd(name)(x)
    expected = np.vectorize(_scalar_closed_form(name))(x)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-15)


def test_alpha_parameters() -> None:
    x = np.array([-2.0, -1.0, 3.0])
    out, _ = layers.leaky_relu_forward(x, alpha=0.2)
    np.testing.assert_allclose(out, [-0.4, -0.2, 3.0])
    out, _ = layers.elu_forward(x, alpha=2.0)
    np.testing.assert_allclose(out, [2 * (math.exp(-2) - 1), 2 * (math.exp(-1) - 1), 3.0])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 2)])
def test_backward_matches_numeric_gradient(name: str, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(abs(hash((name, shape))) % 2**32)
    x = _away_from_kink(rng, shape)
    dout = rng.standard_normal(shape)
    _, cache = _fwd(name)(x)
    dx = _bwd(name)(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: _fwd(name)(v)[0], x, dout)
    assert dx.shape == x.shape
    assert rel_error(dx, dx_num) < 1e-7


@pytest.mark.parametrize("alpha", [0.1, 0.5])
def test_alpha_backward_matches_numeric_gradient(alpha: float) -> None:
    rng = np.random.default_rng(7)
    x = _away_from_kink(rng, (4, 5))
    dout = rng.standard_normal((4, 5))
    for fwd, bwd in ((layers.leaky_relu_forward, layers.leaky_relu_backward),
                     (layers.elu_forward, layers.elu_backward)):
        dx = bwd(dout, fwd(x, alpha)[1])
        dx_num = eval_numerical_gradient_array(lambda v, f=fwd: f(v, alpha)[0], x, dout)
        assert rel_error(dx, dx_num) < 1e-7


@settings(max_examples=25, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                    elements=st.floats(-20, 20)))
def test_property_forward_and_backward_closed_forms(x: np.ndarray) -> None:
    dout = np.linspace(-1, 1, x.size).reshape(x.shape)
    # relu
    out, cache = layers.relu_forward(x)
    np.testing.assert_array_equal(out, np.where(x > 0, x, 0.0))
    np.testing.assert_array_equal(layers.relu_backward(dout, cache), np.where(x > 0, dout, 0.0))
    # sigmoid: s' = s (1 - s), and sigmoid(-x) = 1 - sigmoid(x)
    s, cache = layers.sigmoid_forward(x)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(layers.sigmoid_forward(-x)[0], 1 - s, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(layers.sigmoid_backward(dout, cache),
                               dout * np.exp(-x) / (1 + np.exp(-x)) ** 2, rtol=1e-9, atol=1e-15)
    # tanh = 2 sigmoid(2x) - 1, derivative 1 / cosh^2
    t, cache = layers.tanh_forward(x)
    np.testing.assert_allclose(t, 2 * layers.sigmoid_forward(2 * x)[0] - 1, atol=1e-12)
    np.testing.assert_allclose(layers.tanh_backward(dout, cache), dout / np.cosh(x) ** 2,
                               rtol=1e-9, atol=1e-15)
    # elu derivative alpha * exp(x) on the negative side
    e, cache = layers.elu_forward(x)
    np.testing.assert_allclose(layers.elu_backward(dout, cache),
                               np.where(x > 0, dout, dout * np.exp(np.minimum(x, 0))),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_agrees_with_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    torch_fn = {"relu": functional.relu, "leaky_relu": lambda t: functional.leaky_relu(t, 0.01),
                "elu": functional.elu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[name]
    rng = np.random.default_rng(8)
    x = 3 * _away_from_kink(rng, (5, 6))
    dout = rng.standard_normal((5, 6))
    out, cache = _fwd(name)(x)
    dx = _bwd(name)(dout, cache)
    tx = torch.tensor(x, requires_grad=True)
    tout = torch_fn(tx)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_input(name: str, dtype: type) -> None:
    x = np.linspace(-2, 2, 12, dtype=dtype).reshape(3, 4)
    out, cache = _fwd(name)(x)
    assert out.dtype == dtype
    assert _bwd(name)(np.ones_like(x), cache).dtype == dtype


@pytest.mark.parametrize("name", NAMES)
def test_arguments_are_not_mutated(name: str) -> None:
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 3))
    dout = rng.standard_normal((4, 3))
    x0, dout0 = x.copy(), dout.copy()
    _, cache = _fwd(name)(x)
    _bwd(name)(dout, cache)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, dout0)


@pytest.mark.parametrize("name", ["sigmoid", "elu", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_values_stay_finite(name: str, dtype: type) -> None:
    x = np.array([-1000.0, -100.0, 100.0, 1000.0], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow warning
        out, cache = _fwd(name)(x)
        dx = _bwd(name)(np.ones_like(x), cache)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dx))
    if name == "sigmoid":
        np.testing.assert_allclose(out, [0.0, 0.0, 1.0, 1.0], atol=1e-30)
    if name == "elu":
        np.testing.assert_allclose(out, [-1.0, -1.0, 100.0, 1000.0])


def test_nan_propagates_through_activations() -> None:
    # activations accept non-finite values (finite=False) and propagate them element-wise
    x = np.array([np.nan, 1.0])
    for name in NAMES:
        out, _ = _fwd(name)(x)
        assert np.isnan(out[0]) and np.isfinite(out[1])


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_gives_clear_errors(name: str) -> None:
    with pytest.raises(TypeError, match="x must be a float32 or float64 array"):
        _fwd(name)(np.array(["1.0", "2.0"]))
    _, cache = _fwd(name)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dout has shape \(3, 2\) but the layer's input"):
        _bwd(name)(np.ones((3, 2)), cache)
    with pytest.raises(TypeError, match="dout must be a float32 or float64 array"):
        _bwd(name)(np.full((2, 3), "a"), cache)
