"""The instructor's fused conv -> max-pool -> ReLU block (cs_nn/_fast/conv_pool.py) equals
the plain layers learners write (conv_relu_pool_forward / _backward under speed.plain()),
ties included, in float64 and float32, for any batch size and thread count."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from speed_paths import check_thread_runs
from synthetic_submissions import instructor_only

from cs_nn._checks import NonFiniteError
from cs_nn._fast import conv as fast_conv
from cs_nn._fast import conv_pool as fused
from cs_nn._fast import pool as fast_pool
from cs_nn._util import speed as _speed
from cs_nn.layers import relu_backward, relu_forward
from cs_nn.layers.sandwich import conv_relu_pool_backward, conv_relu_pool_forward

INSTRUCTOR_ONLY = True  # not shipped in the student release
pytestmark = instructor_only  # cs_nn/_fast/ is not shipped in the student release


def _plain(x, w, b, conv_param, pool_param, dout):
    with _speed.plain():
        out, cache = conv_relu_pool_forward(x, w, b, conv_param, pool_param)
        _, dw, db = conv_relu_pool_backward(dout, cache)
    return out, dw, db


def _fused(x, w, b, conv_param, pool_param, dout):
    out, cache = fused.conv_pool_relu_forward(x, w, b, conv_param, pool_param)
    return (out, *fused.conv_pool_relu_backward_no_dx(dout, cache))


@st.composite
def cases(draw):
    n, c, f = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    hh = draw(st.integers(1, 4))
    stride, pad, k = draw(st.integers(1, 2)), draw(st.integers(0, 2)), draw(st.integers(1, 3))
    h = draw(st.integers(1, 10))
    while (h + 2 * pad - hh) % stride or h + 2 * pad < hh or (h + 2 * pad - hh) // stride < k - 1:
        h += 1  # the conv must fit and its output must hold one pooling window
    return n, c, h, f, hh, stride, pad, k, draw(st.booleans()), draw(st.integers(0, 2**16))


@settings(max_examples=60, deadline=None)
@given(cases(), st.sampled_from([np.float64, np.float32]))
def test_fused_equals_plain(case, dtype):
    n, c, h, f, hh, stride, pad, k, ties, seed = case
    rng = np.random.default_rng(seed)
    if ties:  # small integers: many equal maxima inside a window, and exact zeros for ReLU
        x = rng.integers(-1, 2, (n, c, h, h)).astype(dtype)
        w = rng.integers(-1, 2, (f, c, hh, hh)).astype(dtype)
    else:
        x = rng.standard_normal((n, c, h, h)).astype(dtype)
        w = rng.standard_normal((f, c, hh, hh)).astype(dtype)
    # integer biases with ties: pooled maxima of exactly zero, whose ReLU passes no gradient
    b = (rng.integers(-1, 2, f) if ties else rng.standard_normal(f)).astype(dtype)
    conv_param = {"stride": stride, "pad": pad}
    pool_param = {"pool_height": k, "pool_width": k, "stride": k}
    h2 = ((h + 2 * pad - hh) // stride + 1) // k
    dout = rng.standard_normal((n, f, h2, h2)).astype(dtype)
    want = _plain(x, w, b, conv_param, pool_param, dout)
    got = _fused(x, w, b, conv_param, pool_param, dout)
    tol = (1e-12, 1e-12) if dtype == np.float64 else (1e-4, 1e-5)
    for g, e, name in zip(got, want, ("out", "dw", "db"), strict=True):
        assert g.shape == e.shape and g.dtype == e.dtype == dtype, name
        np.testing.assert_allclose(g, e, rtol=tol[0], atol=tol[1] * max(1.0, np.abs(e).max()),
                                   err_msg=name)


@pytest.mark.parametrize("n", [1, 37, 64])
def test_threads_give_the_same_result_every_time(n):
    # Big enough to be cut over threads with a 2-thread BLAS; odd batch sizes included.
    threadpoolctl = pytest.importorskip("threadpoolctl")
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 3, 32, 32)).astype(np.float32)
    w = (0.1 * rng.standard_normal((32, 3, 7, 7))).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    conv_param, pool_param = {"stride": 1, "pad": 3}, {"pool_height": 2, "pool_width": 2,
                                                       "stride": 2}
    dout = rng.standard_normal((n, 32, 16, 16)).astype(np.float32)
    runs = []
    for threads in (1, 2, 2, 1):
        with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
            runs.append(_fused(x, w, b, conv_param, pool_param, dout))
    want = _plain(*(a.astype(np.float64) for a in (x, w, b)), conv_param, pool_param,
                  dout.astype(np.float64))
    check_thread_runs(runs, want, same_pairs=[(1, 2), (0, 3)])


def test_overlapping_pooling_is_refused_with_a_clear_message():
    x, w, b = np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), np.zeros(1)
    pool_param = {"pool_height": 3, "pool_width": 3, "stride": 1}
    assert not fused.fusable(pool_param)
    assert fused.fusable({"pool_height": 2, "pool_width": 2, "stride": 2})
    assert fused.fusable({"pool_height": 15, "pool_width": 15, "stride": 15})
    # a 16x16 window's offsets 0..255 would not fit in the one-byte record beside its mark
    assert not fused.fusable({"pool_height": 16, "pool_width": 16, "stride": 16})
    with pytest.raises(ValueError, match="stride == pool_height == pool_width"):
        fused.conv_pool_relu_forward(x, w, b, {"stride": 1, "pad": 1}, pool_param)


def test_overflow_and_bad_dout_are_refused_like_the_plain_layers():
    x = np.full((1, 1, 4, 4), 3e38, dtype=np.float32)
    w, b = np.ones((1, 1, 3, 3), np.float32), np.zeros(1, np.float32)
    params = ({"stride": 1, "pad": 1}, {"pool_height": 2, "pool_width": 2, "stride": 2})
    with pytest.raises(NonFiniteError, match="overflow"):
        fused.conv_pool_relu_forward(x, w, b, *params)
    _, cache = fused.conv_pool_relu_forward(np.ones((2, 1, 4, 4)), np.ones((3, 1, 3, 3)),
                                            np.zeros(3), *params)
    with pytest.raises(ValueError, match="dout must have shape"):
        fused.conv_pool_relu_backward_no_dx(np.ones((2, 3, 2, 3)), cache)


@pytest.mark.parametrize("n, size, k, dtype", [(50, 32, 5, np.float32), (50, 32, 7, np.float32),
                                               (13, 15, 3, np.float64), (7, 9, 3, np.float32)])
def test_one_thread_matches_the_unfused_speed_path_and_repeats_exactly(n, size, k, dtype):
    # The fused block multiplies channels-last columns (another summation order than the
    # unfused fast conv): equal to float precision, and the same bits on every call.
    threadpoolctl = pytest.importorskip("threadpoolctl")
    rng = np.random.default_rng(k)
    x = rng.standard_normal((n, 3, size, size)).astype(dtype)
    w = (0.1 * rng.standard_normal((8, 3, k, k))).astype(dtype)
    b = rng.standard_normal(8).astype(dtype)
    conv_param = {"stride": 1, "pad": (k - 1) // 2}
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        out, cache = fused.conv_pool_relu_forward(x, w, b, conv_param, pool_param)
        dout = rng.standard_normal(out.shape).astype(dtype)
        got = (out, *fused.conv_pool_relu_backward_no_dx(dout, cache))
        out2, cache2 = fused.conv_pool_relu_forward(x, w, b, conv_param, pool_param)
        again = (out2, *fused.conv_pool_relu_backward_no_dx(dout, cache2))
        a, conv_cache = fast_conv.conv_forward(x, w, b, conv_param)
        pooled, pool_cache = fast_pool.max_pool_forward(a, pool_param)
        want_out, relu_cache = relu_forward(pooled)
        da = fast_pool.max_pool_backward(relu_backward(dout, relu_cache), pool_cache)
        _, dw, db = fast_conv.conv_backward(da, conv_cache, need_dx=False)
    rtol = 1e-4 if dtype == np.float32 else 1e-11
    for g, e, r in zip(got, (want_out, dw, db), again, strict=True):
        np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol * np.abs(e).max())
        np.testing.assert_array_equal(g, r)
