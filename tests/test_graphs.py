"""Tests of cs_nn.graphs: the scalar graphs f1..f4 against closed forms and differences."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.graphs import F4_GRAPH, f1, f2, f3, f4

H = 1e-6


def _centred(fn: Callable[..., float], args: Sequence[float], i: int, h: float = H) -> float:
    plus = list(args)
    minus = list(args)
    plus[i] += h
    minus[i] -= h
    return (fn(*plus) - fn(*minus)) / (2 * h)


def _close(a: float, b: float, tol: float = 1e-6) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


moderate = st.floats(-5, 5, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(args=st.lists(moderate, min_size=6, max_size=6))
def test_f1_value_and_gradients(args: list[float]) -> None:
    x1, w1, x2, w2, b, y = args
    L, grads = f1(*args)
    assert L == pytest.approx((x1 * w1 + x2 * w2 + b - y) ** 2, rel=1e-12, abs=1e-12)
    assert len(grads) == 5  # y is a target: no gradient for it
    for i, g in enumerate(grads):  # inputs 0..4 are x1, w1, x2, w2, b
        # L is quadratic in each input, so a large step is exact and keeps rounding small
        num = _centred(lambda *a: f1(*a)[0], args, i, h=1e-3)
        assert _close(g, num), (i, g, num)


def test_f1_fixed_case_by_hand() -> None:
    # y_hat = 2*3 + (-1)*4 + 0.5 = 2.5; d = 2.5 - 1 = 1.5; L = 2.25; dL/dy_hat = 3
    L, grads = f1(2.0, 3.0, -1.0, 4.0, 0.5, 1.0)
    assert L == 2.25
    assert grads == (9.0, 6.0, 12.0, -3.0, 3.0)


@settings(max_examples=30, deadline=None)
@given(x=st.one_of(st.floats(-20, 20), st.floats(-349, 349)))
def test_f2_is_tanh_and_gradient(x: float) -> None:
    L, (g,) = f2(x)
    assert L == pytest.approx(math.tanh(x), rel=1e-12, abs=1e-15)
    assert g == pytest.approx(1 / math.cosh(x) ** 2, rel=1e-7, abs=1e-15)
    assert _close(g, _centred(lambda v: f2(v)[0], [x], 0))


@pytest.mark.parametrize("x", [-350.0, -200.0, 178.0, 200.0, 350.0])
def test_f2_gradient_vanishes_for_large_inputs(x: float) -> None:
    # regression: b * b overflowed for x > 177 and the gradient came out as 2 instead of 0
    L, (g,) = f2(x)
    assert L == math.copysign(1.0, x)
    assert 0.0 <= g < 1e-150


def test_f2_limits() -> None:
    with pytest.raises(ValueError, match=r"overflows for \|x\| > 350"):
        f2(351.0)
    with pytest.raises(ValueError, match="x must be finite"):
        f2(float("nan"))
    with pytest.raises(TypeError, match="x must be a real number"):
        f2("one")


def _neg_log_softmax(s: Sequence[float], y: int) -> float:
    """Oracle: log-sum-exp form, -log softmax(s)[y - 1]."""
    m = max(s)
    return -(s[y - 1] - m - math.log(math.fsum(math.exp(v - m) for v in s)))


@settings(max_examples=25, deadline=None)
@given(s1=st.floats(-50, 50), s2=st.floats(-50, 50), y=st.sampled_from([1, 2]))
def test_f3_is_neg_log_softmax_and_gradient(s1: float, s2: float, y: int) -> None:
    L, (g1, g2) = f3(s1, s2, y)
    assert L == pytest.approx(_neg_log_softmax([s1, s2], y), rel=1e-9, abs=1e-12)
    p = np.exp(np.array([s1, s2]) - max(s1, s2))
    p /= p.sum()
    onehot = np.array([y == 1, y == 2], dtype=float)
    np.testing.assert_allclose([g1, g2], p - onehot, rtol=1e-8, atol=1e-12)
    assert g1 + g2 == pytest.approx(0.0, abs=1e-12)
    for i, g in enumerate((g1, g2)):
        num = _centred(lambda a, b: f3(a, b, y)[0], [s1, s2], i)
        assert _close(g, num), (i, g, num)


def test_f3_large_scores_stay_finite() -> None:
    L, (g1, g2) = f3(1000.0, 999.0, 2)
    assert L == pytest.approx(_neg_log_softmax([1000.0, 999.0], 2), rel=1e-12)
    assert math.isfinite(g1) and math.isfinite(g2)
    L, (g1, g2) = f3(0.0, 600.0, 1)
    assert L == pytest.approx(600.0, rel=1e-12)
    assert (g1, g2) == (pytest.approx(-1.0), pytest.approx(1.0))
    with pytest.raises(ValueError, match=r"\|s1 - s2\| > 700"):
        f3(0.0, 1000.0, 1)


@pytest.mark.parametrize("y", [0, 3, -1, "1", None])
def test_f3_bad_label(y: object) -> None:
    with pytest.raises(ValueError, match="y must be the class 1 or 2"):
        f3(0.5, -0.5, y)


def test_bad_scalars() -> None:
    with pytest.raises(ValueError, match="s2 must be finite"):
        f3(0.0, float("inf"), 1)
    with pytest.raises(TypeError, match="w2 must be a real number"):
        f1(1.0, 2.0, 3.0, [4.0], 5.0, 6.0)
    with pytest.raises(ValueError, match="y must be finite"):
        f1(1.0, 2.0, 3.0, 4.0, 5.0, float("nan"))


def test_numpy_scalars_are_accepted() -> None:
    a = f1(*np.arange(6, dtype=np.float32))
    b = f1(*range(6))
    assert a == b
    assert f3(np.float64(0.2), np.float64(-0.3), np.int64(2)) == f3(0.2, -0.3, 2)


@settings(max_examples=25, deadline=None)
@given(args=st.lists(moderate, min_size=5, max_size=5))
def test_f4_value_and_gradients(args: list[float]) -> None:
    x, w, b, lam, t = args
    L, grads = f4(*args)
    s = 1 / (1 + math.exp(-(w * x + b)))
    assert L == pytest.approx((s - t) ** 2 + lam * w * w, rel=1e-12, abs=1e-12)
    dz = 2 * (s - t) * s * (1 - s)
    closed = (dz * w, dz * x + 2 * lam * w, dz, w * w)  # w's two paths add up
    assert len(grads) == 4  # t is a target: no gradient for it
    for i, (g, want) in enumerate(zip(grads, closed, strict=True)):
        assert _close(g, want, 1e-10), (i, g, want)
        assert _close(g, _centred(lambda *a: f4(*a)[0], args, i), 1e-6), i


def test_f4_saturated_sigmoid_stays_finite_and_graph_has_enough_operators() -> None:
    L, grads = f4(1.0, -1000.0, 0.0, 0.5, 0.3)  # z = -1000: exp(1000) overflows
    assert math.isfinite(L) and all(math.isfinite(g) for g in grads)
    assert L == pytest.approx(0.3 ** 2 + 0.5 * 1e6)
    assert grads[0] == 0.0 and grads[1] == pytest.approx(2 * 0.5 * -1000.0)
    inputs = {name for name, *_ in F4_GRAPH["nodes"]} - {dst for _, dst in F4_GRAPH["edges"]}
    assert inputs == {"x", "w", "b", "lam", "t"}
    assert len(F4_GRAPH["nodes"]) - len(inputs) >= 5  # the seed asks for >= 5 operators
    with pytest.raises(TypeError, match="real number"):
        f4("one", 1, 1, 1, 1)
