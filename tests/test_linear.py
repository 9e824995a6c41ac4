"""Tests of cs_nn.layers.linear: oracle formulas, numeric gradients, PyTorch, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.gradcheck import eval_numerical_gradient_array, rel_error
from cs_nn.layers import linear_backward, linear_forward


def _loop_linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Naive oracle: explicit loops over samples, outputs and flattened features."""
    n = x.shape[0]
    flat = [list(np.ravel(x[i])) for i in range(n)]
    d, m = w.shape
    out = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            total = float(b[j])
            for k in range(d):
                total += float(flat[i][k]) * float(w[k, j])
            out[i, j] = total
    return out


def _inputs(rng: np.random.Generator, sample: tuple[int, ...], n: int = 3, m: int = 4,
            dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = int(np.prod(sample))
    x = rng.standard_normal((n, *sample)).astype(dtype)
    w = rng.standard_normal((d, m)).astype(dtype)
    b = rng.standard_normal(m).astype(dtype)
    return x, w, b


@pytest.mark.parametrize("sample", [(4,), (2, 3), (2, 3, 2)])
def test_forward_matches_explicit_loops(sample: tuple[int, ...]) -> None:
    x, w, b = _inputs(np.random.default_rng(0), sample)
    out, _ = linear_forward(x, w, b)
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out, _loop_linear(x, w, b), rtol=1e-12, atol=1e-12)


def test_fixed_small_case_by_hand() -> None:
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])
    w = np.array([[1.0, 0.0, 2.0], [3.0, -1.0, 1.0]])
    b = np.array([0.5, 1.0, -1.0])
    out, _ = linear_forward(x, w, b)
    expected = np.array([[1 + 6 + 0.5, -2 + 1, 2 + 2 - 1],
                         [-1 + 1.5 + 0.5, -0.5 + 1, -2 + 0.5 - 1]])
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("sample", [(5,), (2, 3), (2, 1, 3)])
def test_backward_matches_numeric_gradients(sample: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    x, w, b = _inputs(rng, sample)
    dout = rng.standard_normal((3, 4))
    _, cache = linear_forward(x, w, b)
    dx, dw, db = linear_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: linear_forward(v, w, b)[0], x, dout)
    dw_num = eval_numerical_gradient_array(lambda v: linear_forward(x, v, b)[0], w, dout)
    db_num = eval_numerical_gradient_array(lambda v: linear_forward(x, w, v)[0], b, dout)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    assert rel_error(dx, dx_num) < 1e-8
    assert rel_error(dw, dw_num) < 1e-8
    assert rel_error(db, db_num) < 1e-8


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), sample=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       m=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_property_forward_and_backward_einsum(n: int, sample: list[int], m: int,
                                              seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, w, b = _inputs(rng, tuple(sample), n=n, m=m)
    d = int(np.prod(sample))
    out, cache = linear_forward(x, w, b)
    x2 = x.reshape(n, d)
    np.testing.assert_allclose(out, np.einsum("nd,dm->nm", x2, w) + b[None, :], rtol=1e-10,
                               atol=1e-12)
    dout = rng.standard_normal((n, m))
    dx, dw, db = linear_backward(dout, cache)
    np.testing.assert_allclose(dx, np.einsum("nm,dm->nd", dout, w).reshape(x.shape),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dw, np.einsum("nd,nm->dm", x2, dout), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db, np.einsum("nm->m", dout), rtol=1e-10, atol=1e-12)
    # linearity in dout: the backward of dout + dout equals twice the backward
    dx2, dw2, db2 = linear_backward(2 * dout, cache)
    np.testing.assert_allclose(dx2, 2 * dx, rtol=1e-12, atol=1e-14)


def test_agrees_with_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, w, b = _inputs(rng, (2, 3, 2), n=4, m=5)
    dout = rng.standard_normal((4, 5))
    out, cache = linear_forward(x, w, b)
    dx, dw, db = linear_backward(dout, cache)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    tout = torch.nn.functional.linear(tx.reshape(4, -1), tw.T, tb)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, tb.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_input(dtype: type) -> None:
    x, w, b = _inputs(np.random.default_rng(3), (2, 2), dtype=dtype)
    out, cache = linear_forward(x, w, b)
    assert out.dtype == dtype
    dx, dw, db = linear_backward(np.ones((3, 4), dtype=dtype), cache)
    assert dx.dtype == dw.dtype == db.dtype == dtype


def test_integer_inputs_are_promoted_to_float64() -> None:
    out, _ = linear_forward(np.ones((2, 3), dtype=np.int32), np.ones((3, 2)), np.zeros(2))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, np.full((2, 2), 3.0))


def test_arguments_are_not_mutated() -> None:
    rng = np.random.default_rng(4)
    x, w, b = _inputs(rng, (3, 2))
    dout = rng.standard_normal((3, 4))
    copies = [a.copy() for a in (x, w, b, dout)]
    out, cache = linear_forward(x, w, b)
    linear_backward(dout, cache)
    for before, after in zip(copies, (x, w, b, dout)):
        np.testing.assert_array_equal(before, after)


def test_bad_shapes_give_clear_errors() -> None:
    x, w, b = _inputs(np.random.default_rng(5), (2, 3))
    with pytest.raises(ValueError, match=r"w must have shape \(D, M\) with D = 6"):
        linear_forward(x, w[:5], b)
    with pytest.raises(ValueError, match=r"b must have shape \(M,\)"):
        linear_forward(x, w, b[:3])
    with pytest.raises(ValueError, match="w must have 2 dimension"):
        linear_forward(x, w.ravel(), b)
    with pytest.raises(ValueError, match="b must have 1 dimension"):
        linear_forward(x, w, b[None, :])
    _, cache = linear_forward(x, w, b)
    with pytest.raises(ValueError, match="dout has shape"):
        linear_backward(np.ones((3, 5)), cache)
    with pytest.raises(ValueError, match="dout must have 2 dimension"):
        linear_backward(np.ones(12), cache)


def test_bad_values_give_clear_errors() -> None:
    x, w, b = _inputs(np.random.default_rng(6), (4,))
    with pytest.raises(TypeError, match="x must be a float32 or float64 array"):
        linear_forward(np.array([["a"] * 4] * 3), w, b)
    with pytest.raises(TypeError, match="w must be a float32 or float64 array"):
        linear_forward(x, w.astype(np.complex128), b)
    x_nan = x.copy()
    x_nan[1, 2] = np.nan
    with pytest.raises(ValueError, match="x contains 1 NaN or infinite"):
        linear_forward(x_nan, w, b)
    with pytest.raises(ValueError, match="b contains 1 NaN or infinite"):
        linear_forward(x, w, np.array([0.0, np.inf, 0.0, 0.0]))
