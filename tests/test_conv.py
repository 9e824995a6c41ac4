"""Tests for cs_nn.layers.conv (im2col) against the naive loops, numeric gradients and
PyTorch, through the speed path and the plain code alike."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from speed_paths import both_paths  # noqa: F401  (fixture)

from cs_nn.gradcheck import eval_numerical_gradient_array, rel_error
from cs_nn.layers import (
    conv_backward,
    conv_backward_naive,
    conv_forward,
    conv_forward_naive,
)

pytestmark = pytest.mark.usefixtures("both_paths")


def _case(rng, n, c, h, w, f, hh, ww, dtype=np.float64):
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((f, c, hh, ww)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    return x, wt, b


def test_fixed_case_matches_naive_and_hand_computed():
    # one 3x3 image, one 2x2 filter, no padding: every output is a hand-checkable dot product
    x = np.arange(9, dtype=np.float64).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    b = np.array([0.5])
    out, _ = conv_forward(x, w, b, {"stride": 1, "pad": 0})
    # out[r, s] = x[r, s] - x[r+1, s+1] + 0.5 = -4 + 0.5 everywhere
    np.testing.assert_allclose(out, np.full((1, 1, 2, 2), -3.5))
    naive, _ = conv_forward_naive(x, w, b, {"stride": 1, "pad": 0})
    np.testing.assert_allclose(out, naive)


def test_seed_sized_case_stride2_pad2_matches_naive():
    rng = np.random.default_rng(0)
    x, w, b = _case(rng, 2, 3, 4, 4, 3, 4, 4)
    param = {"stride": 2, "pad": 2}
    out, cache = conv_forward(x, w, b, param)
    ref, ref_cache = conv_forward_naive(x, w, b, param)
    assert out.shape == (2, 3, 3, 3)  # 1 + (4 + 2*2 - 4) / 2
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    grads, ref_grads = conv_backward(dout, cache), conv_backward_naive(dout, ref_cache)
    for got, want in zip(grads, ref_grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("stride,pad,k,h", [(1, 1, 3, 5), (2, 1, 3, 5), (1, 0, 2, 4),
                                            (3, 2, 4, 6)])
def test_numeric_gradients(stride, pad, k, h):
    rng = np.random.default_rng(stride * 10 + pad)
    x, w, b = _case(rng, 2, 2, h, h, 3, k, k)
    param = {"stride": stride, "pad": pad}
    out, cache = conv_forward(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: conv_forward(v, w, b, param)[0], x, dout)
    dw_num = eval_numerical_gradient_array(lambda v: conv_forward(x, v, b, param)[0], w, dout)
    db_num = eval_numerical_gradient_array(lambda v: conv_forward(x, w, v, param)[0], b, dout)
    assert rel_error(dx, dx_num) < 1e-7
    assert rel_error(dw, dw_num) < 1e-7
    assert rel_error(db, db_num) < 1e-7


def test_naive_backward_numeric_gradient():
    rng = np.random.default_rng(3)
    x, w, b = _case(rng, 1, 2, 5, 5, 2, 3, 3)
    param = {"stride": 2, "pad": 1}
    out, cache = conv_forward_naive(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    dx, dw, _ = conv_backward_naive(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: conv_forward_naive(v, w, b, param)[0], x,
                                           dout)
    dw_num = eval_numerical_gradient_array(lambda v: conv_forward_naive(x, v, b, param)[0], w,
                                           dout)
    assert rel_error(dx, dx_num) < 1e-7
    assert rel_error(dw, dw_num) < 1e-7


@st.composite
def conv_cases(draw):
    n = draw(st.integers(1, 3))
    c = draw(st.integers(1, 3))
    f = draw(st.integers(1, 4))
    hh = draw(st.integers(1, 4))
    ww = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    pad = draw(st.integers(0, 2))
    # pick output sizes, then input sizes that make the stride divide exactly
    ho, wo = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    h = max(1, (ho - 1) * stride + hh - 2 * pad)
    w = max(1, (wo - 1) * stride + ww - 2 * pad)
    while (h + 2 * pad - hh) % stride or h + 2 * pad < hh:
        h += 1
    while (w + 2 * pad - ww) % stride or w + 2 * pad < ww:
        w += 1
    seed = draw(st.integers(0, 2**16))
    return n, c, h, w, f, hh, ww, stride, pad, seed


@settings(max_examples=25, deadline=None)
@given(conv_cases())
def test_matches_naive_property(case):
    n, c, h, w, f, hh, ww, stride, pad, seed = case
    rng = np.random.default_rng(seed)
    x, wt, b = _case(rng, n, c, h, w, f, hh, ww)
    param = {"stride": stride, "pad": pad}
    out, cache = conv_forward(x, wt, b, param)
    ref, ref_cache = conv_forward_naive(x, wt, b, param)
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-10)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward(dout, cache)
    dx_r, dw_r, db_r = conv_backward_naive(dout, ref_cache)
    np.testing.assert_allclose(dx, dx_r, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dw, dw_r, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(db, db_r, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stride,pad,k", [(1, 3, 7), (1, 1, 3), (2, 1, 3), (2, 0, 4)])
def test_agrees_with_pytorch(stride, pad, k):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    h = 9 if (9 + 2 * pad - k) % stride == 0 else 10
    x, w, b = _case(rng, 3, 4, h, h, 5, k, k)
    param = {"stride": stride, "pad": pad}
    out, cache = conv_forward(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward(dout, cache)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ot = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=pad)
    ot.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ot.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(db, bt.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_float32_stays_float32_and_is_accurate():
    rng = np.random.default_rng(1)
    x, w, b = _case(rng, 4, 3, 8, 8, 5, 3, 3)
    param = {"stride": 1, "pad": 1}
    out32, cache = conv_forward(x.astype(np.float32), w.astype(np.float32),
                                b.astype(np.float32), param)
    dout = rng.standard_normal(out32.shape)
    grads32 = conv_backward(dout.astype(np.float32), cache)
    assert out32.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads32)
    out64, cache64 = conv_forward(x, w, b, param)
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-4)
    for g32, g64 in zip(grads32, conv_backward(dout, cache64), strict=True):
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4)
    # mixed precision promotes to float64
    out_mixed, _ = conv_forward(x.astype(np.float32), w, b, param)
    assert out_mixed.dtype == np.float64


def test_inputs_not_mutated():
    rng = np.random.default_rng(4)
    x, w, b = _case(rng, 2, 2, 5, 5, 3, 3, 3)
    copies = [a.copy() for a in (x, w, b)]
    out, cache = conv_forward(x, w, b, {"stride": 1, "pad": 1})
    dout = rng.standard_normal(out.shape)
    dout_copy = dout.copy()
    conv_backward(dout, cache)
    for a, a0 in zip((x, w, b, dout), (*copies, dout_copy), strict=True):
        np.testing.assert_array_equal(a, a0)


def test_bad_inputs_have_clear_errors():
    x = np.zeros((2, 3, 5, 5))
    b = np.zeros(4)
    with pytest.raises(ValueError, match=r"channel mismatch.*C = 3.*w has 2"):
        conv_forward(x, np.zeros((4, 2, 3, 3)), b, {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match=r"filter height 8 is larger than the padded input "
                                         r"height 7"):
        conv_forward(x, np.zeros((4, 3, 8, 3)), b, {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match=r"filter width 9 is larger"):
        conv_forward(x, np.zeros((4, 3, 3, 9)), b, {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match=r"stride 2 does not divide the height.*= 4"
                                         r"|stride 3 does not divide the height"):
        conv_forward(x, np.zeros((4, 3, 3, 3)), b, {"stride": 3, "pad": 1})
    with pytest.raises(ValueError, match=r"stride 2 does not divide the width"):
        conv_forward(np.zeros((2, 3, 5, 6)), np.zeros((4, 3, 3, 3)), b, {"stride": 2, "pad": 0})
    with pytest.raises(ValueError, match=r"b must have shape \(4\)"):
        conv_forward(x, np.zeros((4, 3, 3, 3)), np.zeros(3), {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match=r"conv_param\['stride'\] must be an integer >= 1"):
        conv_forward(x, np.zeros((4, 3, 3, 3)), b, {"stride": 0, "pad": 1})
    with pytest.raises(ValueError, match=r"keys 'stride' and 'pad'"):
        conv_forward(x, np.zeros((4, 3, 3, 3)), b, {"stride": 1})
    with pytest.raises(ValueError, match=r"x must have 4 dimension"):
        conv_forward(np.zeros((3, 5, 5)), np.zeros((4, 3, 3, 3)), b, {"stride": 1, "pad": 1})
    _, cache = conv_forward(x, np.zeros((4, 3, 3, 3)), b, {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 4, 5, 5\)"):
        conv_backward(np.zeros((2, 4, 5, 4)), cache)
    with pytest.raises(ValueError, match=r"channel mismatch"):
        conv_forward_naive(x, np.zeros((4, 2, 3, 3)), b, {"stride": 1, "pad": 1})
