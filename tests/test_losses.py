"""Tests of cs_nn.layers.losses: softmax, softmax cross-entropy and L2 regularisation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.gradcheck import eval_numerical_gradient, rel_error
from cs_nn.layers import l2_regularization, softmax, softmax_loss


def _naive_loss(scores: np.ndarray, y: np.ndarray) -> float:
    """Oracle: the textbook formula with loops and math.fsum (only for moderate scores)."""
    total = 0.0
    for row, label in zip(scores, y):
        denom = math.fsum(math.exp(s) for s in row)
        total += -math.log(math.exp(row[label]) / denom)
    return total / len(y)


def test_softmax_loss_matches_naive_formula() -> None:
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, 6)
    loss, _ = softmax_loss(scores, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(_naive_loss(scores, y), rel=1e-12)


def test_uniform_scores_give_log_c() -> None:
    for c in (2, 3, 10):
        loss, dscores = softmax_loss(np.zeros((5, c)), np.arange(5) % c)
        assert loss == pytest.approx(math.log(c), rel=1e-14)
        onehot = np.eye(c)[np.arange(5) % c]
        np.testing.assert_allclose(dscores, (1 / c - onehot) / 5, atol=1e-16)


def test_softmax_rows_sum_to_one_and_match_formula() -> None:
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-5.0, 5.0, 0.0]])
    p = softmax(scores)
    e = np.exp(scores)
    np.testing.assert_allclose(p, e / e.sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)


@pytest.mark.parametrize("shape", [(1, 2), (4, 3), (7, 10)])
def test_softmax_loss_gradient_is_numeric_gradient(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[0] * 10 + shape[1])
    scores = 2 * rng.standard_normal(shape)
    y = rng.integers(0, shape[1], shape[0])
    _, dscores = softmax_loss(scores, y)
    num = eval_numerical_gradient(lambda s: softmax_loss(s, y)[0], scores, verbose=False)
    # tiny entries make the element-wise relative error noisy: also bound the absolute error
    assert rel_error(dscores, num) < 1e-5
    np.testing.assert_allclose(dscores, num, rtol=1e-6, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), c=st.integers(2, 6), shift=st.floats(-500, 500),
       seed=st.integers(0, 2**32 - 1))
def test_property_shift_invariance_and_gradient_rows(n: int, c: int, shift: float,
                                                     seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = 3 * rng.standard_normal((n, c))
    y = rng.integers(0, c, n)
    loss, dscores = softmax_loss(scores, y)
    loss2, dscores2 = softmax_loss(scores + shift, y)
    assert loss2 == pytest.approx(loss, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(dscores2, dscores, atol=1e-12)
    # each gradient row sums to 0; only the true class has a negative entry
    np.testing.assert_allclose(dscores.sum(axis=1), 0.0, atol=1e-15)
    assert np.all(dscores[np.arange(n), y] <= 0)
    assert loss >= 0


def test_agrees_with_pytorch_cross_entropy() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    scores = 4 * rng.standard_normal((8, 5))
    y = rng.integers(0, 5, 8)
    loss, dscores = softmax_loss(scores, y)
    ts = torch.tensor(scores, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(ts, torch.tensor(y))
    tloss.backward()
    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(dscores, ts.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_extreme_scores_stay_finite(big: float) -> None:
    scores = np.array([[big, 0.0, 1.0], [0.0, big, -big], [2.0, 1.0, 0.0]])
    y = np.array([1, 1, 0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dscores = softmax_loss(scores, y)
        p = softmax(scores)
    assert math.isfinite(loss) and np.all(np.isfinite(dscores)) and np.all(np.isfinite(p))
    if big > 0:  # row 0: label 1 is 1000 below the max, so the loss is about 1000
        assert loss == pytest.approx((1000.0 + 0.0 + _naive_loss(scores[2:], y[2:])) / 3,
                                     rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_input(dtype: type) -> None:
    scores = np.random.default_rng(4).standard_normal((3, 4)).astype(dtype)
    _, dscores = softmax_loss(scores, np.array([0, 1, 3]))
    assert dscores.dtype == dtype
    assert softmax(scores).dtype == dtype
    _, dw = l2_regularization(scores, 0.1)
    assert dw.dtype == dtype


def test_arguments_are_not_mutated() -> None:
    rng = np.random.default_rng(5)
    scores = rng.standard_normal((4, 3))
    y = np.array([0, 2, 1, 2])
    w = rng.standard_normal((3, 3))
    copies = (scores.copy(), y.copy(), w.copy())
    softmax_loss(scores, y)
    softmax(scores)
    l2_regularization(w, 0.5)
    for before, after in zip(copies, (scores, y, w)):
        np.testing.assert_array_equal(before, after)


def test_float_labels_that_are_integral_are_accepted() -> None:
    scores = np.random.default_rng(6).standard_normal((3, 4))
    a, da = softmax_loss(scores, np.array([0.0, 3.0, 1.0]))
    b, db = softmax_loss(scores, np.array([0, 3, 1]))
    assert a == b
    np.testing.assert_array_equal(da, db)


def test_softmax_loss_bad_input() -> None:
    scores = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"y must lie in \[0, 4\), got values from 0 to 4"):
        softmax_loss(scores, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"y must lie in \[0, 4\), got values from -1"):
        softmax_loss(scores, np.array([-1, 1, 2]))
    with pytest.raises(ValueError, match="y has 2 labels but there are 3 samples"):
        softmax_loss(scores, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"y must have shape \(N,\)"):
        softmax_loss(scores, np.zeros((3, 1), dtype=int))
    with pytest.raises(TypeError, match="y must hold integer class labels"):
        softmax_loss(scores, np.array([0.5, 1.0, 2.0]))
    with pytest.raises(TypeError, match="y must be an integer array"):
        softmax_loss(scores, np.array(["a", "b", "c"]))
    with pytest.raises(ValueError, match="scores must have 2 dimension"):
        softmax_loss(np.zeros(4), np.array([0]))
    with pytest.raises(ValueError, match="scores is empty"):
        softmax_loss(np.zeros((0, 4)), np.array([], dtype=int))
    with pytest.raises(ValueError, match="scores contains 1 NaN"):
        softmax_loss(np.array([[0.0, np.nan]]), np.array([0]))
    with pytest.raises(TypeError, match="scores must be a float32 or float64"):
        softmax_loss(np.array([["a", "b"]]), np.array([0]))


def test_l2_matches_formula_and_numeric_gradient() -> None:
    w = np.random.default_rng(7).standard_normal((4, 5))
    loss, dw = l2_regularization(w, 0.3)
    assert isinstance(loss, float)
    assert loss == pytest.approx(0.5 * 0.3 * math.fsum(v * v for v in w.ravel()), rel=1e-13)
    num = eval_numerical_gradient(lambda v: l2_regularization(v, 0.3)[0], w, verbose=False)
    assert rel_error(dw, num) < 1e-6
    np.testing.assert_allclose(dw, num, rtol=1e-6, atol=1e-10)
    loss0, dw0 = l2_regularization(w, 0.0)
    assert loss0 == 0.0 and not np.any(dw0)


def test_l2_bad_input() -> None:
    with pytest.raises(ValueError, match="reg must be a non-negative number, got -0.1"):
        l2_regularization(np.ones(3), -0.1)
    with pytest.raises(ValueError, match="reg must be a non-negative number, got nan"):
        l2_regularization(np.ones(3), float("nan"))
    with pytest.raises(ValueError, match="w contains 1 NaN"):
        l2_regularization(np.array([1.0, np.inf]), 0.1)
    with pytest.raises(TypeError, match="w must be a float32 or float64"):
        l2_regularization(np.array(["x"]), 0.1)
