"""Tests for cs_nn.layers.pool against the naive loops, numeric gradients and PyTorch,
through the speed path and the plain code alike."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from speed_paths import both_paths  # noqa: F401  (fixture)

from cs_nn.gradcheck import eval_numerical_gradient_array, rel_error
from cs_nn.layers import (
    max_pool_backward,
    max_pool_backward_naive,
    max_pool_forward,
    max_pool_forward_naive,
)

pytestmark = pytest.mark.usefixtures("both_paths")
P22 = {"pool_height": 2, "pool_width": 2, "stride": 2}


def test_fixed_case_by_hand():
    x = np.array([[1.0, 5.0, 2.0, 0.0],
                  [3.0, 4.0, 7.0, 1.0],
                  [0.0, 0.0, 9.0, 8.0],
                  [6.0, 2.0, 3.0, 4.0]]).reshape(1, 1, 4, 4)
    out, cache = max_pool_forward(x, P22)
    np.testing.assert_array_equal(out[0, 0], [[5.0, 7.0], [6.0, 9.0]])
    dx = max_pool_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    want = np.zeros((4, 4))
    want[0, 1], want[1, 2], want[3, 0], want[2, 2] = 1.0, 2.0, 3.0, 4.0
    np.testing.assert_array_equal(dx[0, 0], want)
    ref, ref_cache = max_pool_forward_naive(x, P22)
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("param", [P22, {"pool_height": 3, "pool_width": 3, "stride": 2},
                                   {"pool_height": 2, "pool_width": 3, "stride": 1}])
def test_ties_route_to_first_maximum(param):
    x = np.zeros((2, 2, 6, 7))  # every window is a tie
    out, cache = max_pool_forward(x, param)
    dout = np.arange(1.0, out.size + 1).reshape(out.shape)
    dx = max_pool_backward(dout, cache)
    np.testing.assert_allclose(dx.sum(), dout.sum())  # nothing duplicated or lost
    np.testing.assert_array_equal(dx, max_pool_backward_naive(dout, max_pool_forward_naive(
        x, param)[1]))
    # the first (top-left) element of each window gets that window's gradient
    s = param["stride"]
    assert dx[0, 0, 0, 0] == dout[0, 0, 0, 0]
    if s >= param["pool_width"]:
        assert dx[0, 0, 0, 1] == 0


def test_numeric_gradient_2x2():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 6))  # distinct values: no ties, so a true gradient exists
    out, cache = max_pool_forward(x, P22)
    dout = rng.standard_normal(out.shape)
    dx = max_pool_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: max_pool_forward(v, P22)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-8


def test_numeric_gradient_overlapping():
    rng = np.random.default_rng(1)
    param = {"pool_height": 3, "pool_width": 2, "stride": 1}
    x = rng.standard_normal((2, 2, 5, 5))
    out, cache = max_pool_forward(x, param)
    dout = rng.standard_normal(out.shape)
    dx = max_pool_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: max_pool_forward(v, param)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-8
    dx_naive = max_pool_backward_naive(dout, max_pool_forward_naive(x, param)[1])
    dx_num_naive = eval_numerical_gradient_array(lambda v: max_pool_forward_naive(v, param)[0],
                                                 x, dout)
    assert rel_error(dx_naive, dx_num_naive) < 1e-8


@st.composite
def pool_cases(draw):
    ph, pw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.sampled_from([1, 2, 3, ph]))
    h = draw(st.integers(ph, ph + 6))
    w = draw(st.integers(pw, pw + 6))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ties = draw(st.booleans())  # small integers make many ties
    seed = draw(st.integers(0, 2**16))
    return n, c, h, w, ph, pw, stride, ties, seed


@settings(max_examples=25, deadline=None)
@given(pool_cases())
def test_fast_matches_naive_property(case):
    n, c, h, w, ph, pw, stride, ties, seed = case
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, (n, c, h, w)).astype(np.float64) if ties else \
        rng.standard_normal((n, c, h, w))
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = max_pool_forward(x, param)
    ref, ref_cache = max_pool_forward_naive(x, param)
    np.testing.assert_array_equal(out, ref)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(max_pool_backward(dout, cache),
                               max_pool_backward_naive(dout, ref_cache), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ph,pw,stride", [(2, 2, 2), (3, 3, 2), (2, 3, 1), (3, 3, 3)])
def test_agrees_with_pytorch(ph, pw, stride):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 9, 8))
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = max_pool_forward(x, param)
    dout = rng.standard_normal(out.shape)
    dx = max_pool_backward(dout, cache)
    xt = torch.tensor(x, requires_grad=True)
    ot = torch.nn.functional.max_pool2d(xt, (ph, pw), stride=stride)
    ot.backward(torch.tensor(dout))
    np.testing.assert_array_equal(out, ot.detach().numpy())
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_float32_stays_float32():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    for param in (P22, {"pool_height": 3, "pool_width": 3, "stride": 1}):
        out, cache = max_pool_forward(x, param)
        dx = max_pool_backward(rng.standard_normal(out.shape).astype(np.float32), cache)
        assert out.dtype == np.float32 and dx.dtype == np.float32


def test_input_not_mutated():
    x = np.random.default_rng(3).standard_normal((1, 2, 4, 4))
    x0 = x.copy()
    out, cache = max_pool_forward(x, P22)
    max_pool_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(x, x0)


def test_bad_inputs_have_clear_errors():
    with pytest.raises(ValueError, match=r"pool_height 5 is larger than the input height 4"):
        max_pool_forward(np.zeros((1, 1, 4, 6)), {"pool_height": 5, "pool_width": 2, "stride": 1})
    with pytest.raises(ValueError, match=r"pool_width 7 is larger than the input width 6"):
        max_pool_forward(np.zeros((1, 1, 4, 6)), {"pool_height": 2, "pool_width": 7, "stride": 1})
    with pytest.raises(ValueError, match=r"pool_param\['stride'\] must be an integer >= 1"):
        max_pool_forward(np.zeros((1, 1, 4, 4)), {"pool_height": 2, "pool_width": 2, "stride": 0})
    with pytest.raises(ValueError, match=r"keys 'pool_height'"):
        max_pool_forward(np.zeros((1, 1, 4, 4)), {"pool_height": 2, "stride": 2})
    with pytest.raises(ValueError, match=r"x must have 4 dimension"):
        max_pool_forward(np.zeros((4, 4)), P22)
    _, cache = max_pool_forward(np.zeros((1, 2, 4, 4)), P22)
    with pytest.raises(ValueError, match=r"dout must have shape \(1, 2, 2, 2\)"):
        max_pool_backward(np.zeros((1, 2, 3, 2)), cache)
