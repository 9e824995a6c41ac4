"""Tests of cs_nn.gradcheck: numeric gradients of known functions, rel_error, sparse checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cs_nn.gradcheck import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)

finite_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                           elements=st.floats(-3, 3))


@settings(max_examples=25, deadline=None)
@given(x=finite_arrays)
def test_gradient_of_sum_of_squares_is_2x(x: np.ndarray) -> None:
    grad = eval_numerical_gradient(lambda v: np.sum(v ** 2), x, verbose=False)
    assert grad.shape == x.shape and grad.dtype == np.float64
    # rounding error of the centred difference ~ eps * |f| / h, with |f| up to ~ 600 here
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-7, atol=1e-7)


def test_gradient_of_other_known_functions() -> None:
    x = np.random.default_rng(0).uniform(0.5, 2.0, (3, 4))
    grad = eval_numerical_gradient(lambda v: np.sum(np.sin(v)), x, verbose=False)
    np.testing.assert_allclose(grad, np.cos(x), rtol=1e-8)
    grad = eval_numerical_gradient(lambda v: np.sum(np.log(v)), x, verbose=False)
    np.testing.assert_allclose(grad, 1 / x, rtol=1e-8)
    a = np.arange(12.0).reshape(3, 4)
    grad = eval_numerical_gradient(lambda v: float(np.sum(a * v)), x, verbose=False)
    np.testing.assert_allclose(grad, a, rtol=1e-8, atol=1e-9)


def test_array_gradient_is_vector_jacobian_product() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4))
    m = rng.standard_normal((4, 5))
    df = rng.standard_normal((3, 5))
    grad = eval_numerical_gradient_array(lambda v: v @ m, x, df)
    np.testing.assert_allclose(grad, df @ m.T, rtol=1e-8, atol=1e-10)
    grad = eval_numerical_gradient_array(np.exp, x, np.ones_like(x))
    np.testing.assert_allclose(grad, np.exp(x), rtol=1e-8)


def test_verbose_prints_each_index(capsys: pytest.CaptureFixture[str]) -> None:
    eval_numerical_gradient(lambda v: np.sum(v ** 2), np.array([1.0, 2.0]), verbose=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("(0,)") and float(lines[0].split()[-1]) == pytest.approx(2.0)
    eval_numerical_gradient(lambda v: np.sum(v ** 2), np.array([1.0, 2.0]), verbose=False)
    assert capsys.readouterr().out == ""


def test_caller_x_is_not_modified_even_if_f_fails() -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    x0 = x.copy()
    eval_numerical_gradient(lambda v: np.sum(v ** 3), x, verbose=False)
    eval_numerical_gradient_array(lambda v: v * 2, x, np.ones_like(x))
    grad_check_sparse(lambda v: np.sum(v), x, np.ones_like(x), num_checks=2)
    np.testing.assert_array_equal(x, x0)

    seen = []

    def f(v: np.ndarray) -> float:
        seen.append(v)
        return float(np.sum(v))

    eval_numerical_gradient(f, x, verbose=False)
    assert all(v is not x for v in seen)


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_non_float64_inputs_are_refused(dtype: type) -> None:
    x = np.ones(3, dtype=dtype)
    with pytest.raises(TypeError, match="numeric gradients need float64 inputs"):
        eval_numerical_gradient(np.sum, x, verbose=False)
    with pytest.raises(TypeError, match="need float64"):
        eval_numerical_gradient_array(lambda v: v, x, np.ones(3))
    with pytest.raises(TypeError, match="need float64"):
        grad_check_sparse(np.sum, x, np.ones(3))


def test_array_gradient_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=r"f\(x\) has shape \(3,\) but df has shape \(2,\)"):
        eval_numerical_gradient_array(lambda v: v, np.ones(3), np.ones(2))


@settings(max_examples=25, deadline=None)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
def test_rel_error_properties(data: st.DataObject, shape: tuple[int, ...]) -> None:
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)))
    y = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)))
    assert rel_error(x, x) == 0.0
    e = rel_error(x, y)
    assert 0.0 <= e <= 1.0  # |x - y| <= |x| + |y|
    assert e == rel_error(y, x)
    if np.all(np.abs(x) + np.abs(y) > 1e-6):  # above the 1e-8 floor, scaling changes nothing
        assert rel_error(3 * x, 3 * y) == pytest.approx(e, rel=1e-9, abs=1e-12)


def test_rel_error_values() -> None:
    assert rel_error(np.array([1.0]), np.array([-1.0])) == 1.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 2e-6])) == pytest.approx(
        2e-6 / (4 + 2e-6))
    assert rel_error(np.array([0.0]), np.array([1e-12])) == pytest.approx(1e-4)  # floor 1e-8
    assert rel_error(np.array([]), np.array([])) == 0.0
    assert isinstance(rel_error(np.ones(2), np.ones(2)), float)
    with pytest.raises(ValueError, match=r"cannot compare arrays of shapes \(2,\) and \(3,\)"):
        rel_error(np.ones(2), np.ones(3))


def test_grad_check_sparse_accepts_right_and_finds_wrong_gradient() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((20, 10))
    good = 2 * x
    assert grad_check_sparse(lambda v: np.sum(v ** 2), x, good, num_checks=15) < 1e-7
    bad = good.copy()
    bad[np.abs(bad) > 0] *= 1.1  # every entry 10 % off
    assert grad_check_sparse(lambda v: np.sum(v ** 2), x, bad, num_checks=5) > 1e-2
    # a single wrong entry is found when every entry is checked
    one_bad = good.copy()
    one_bad[3, 7] = -one_bad[3, 7]
    assert grad_check_sparse(lambda v: np.sum(v ** 2), x, one_bad, num_checks=x.size) > 0.9
    with pytest.raises(ValueError, match="analytic_grad has shape"):
        grad_check_sparse(lambda v: np.sum(v ** 2), x, good.T)


def test_grad_check_sparse_is_reproducible() -> None:
    x = np.linspace(-1, 1, 50)
    noisy = 2 * x + np.linspace(0, 1e-3, 50)
    a = grad_check_sparse(lambda v: np.sum(v ** 2), x, noisy, num_checks=5, rng=7)
    b = grad_check_sparse(lambda v: np.sum(v ** 2), x, noisy, num_checks=5, rng=7)
    assert a == b


def test_scaled_rel_error_is_relative_to_the_largest_magnitude():
    from cs_nn.gradcheck import scaled_rel_error

    a = np.array([1.0, 1e-6])
    b = np.array([1.0, 2e-6])
    assert rel_error(a, b) > 0.3  # element-wise: the tiny entry dominates
    assert scaled_rel_error(a, b) == pytest.approx(1e-6 / 2, rel=1e-6)
    assert scaled_rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert scaled_rel_error(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match="shapes"):
        scaled_rel_error(np.zeros(2), np.zeros(3))
