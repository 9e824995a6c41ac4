"""The instructor's fast convolution (cs_nn/_fast/conv.py) equals the plain im2col code that
learners write (cs_nn/layers/conv.py), on random shapes, in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from speed_paths import check_thread_runs
from synthetic_submissions import instructor_only

from cs_nn._fast import conv as fast
from cs_nn._util import speed as _speed
from cs_nn.layers import conv as plain

INSTRUCTOR_ONLY = True  # not shipped in the student release
pytestmark = instructor_only  # cs_nn/_fast/ is not shipped in the student release


def _case(rng, n, c, h, w, f, hh, ww, dtype=np.float64):
    return (rng.standard_normal((n, c, h, w)).astype(dtype),
            rng.standard_normal((f, c, hh, ww)).astype(dtype),
            rng.standard_normal(f).astype(dtype))


@st.composite
def conv_cases(draw):
    n, c, f = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    hh, ww = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, pad = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    while (h + 2 * pad - hh) % stride or h + 2 * pad < hh:
        h += 1
    while (w + 2 * pad - ww) % stride or w + 2 * pad < ww:
        w += 1
    return n, c, h, w, f, hh, ww, stride, pad, draw(st.integers(0, 2**16))


def _both(x, w, b, param, dout_rng):
    out_p, cache_p = plain.conv_forward.plain(x, w, b, param)
    out_f, cache_f = fast.conv_forward(x, w, b, param)
    dout = dout_rng.standard_normal(out_p.shape).astype(out_p.dtype)
    return (out_p, *plain.conv_backward.plain(dout, cache_p)), \
        (out_f, *fast.conv_backward(dout, cache_f))


def test_the_learner_facing_functions_dispatch_to_the_fast_path():
    assert _speed.installed()
    rng = np.random.default_rng(0)
    x, w, b = _case(rng, 2, 2, 5, 5, 3, 3, 3)
    _, cache = plain.conv_forward(x, w, b, {"stride": 1, "pad": 1})
    assert isinstance(cache, fast.FastConvCache)
    with _speed.plain():
        _, cache = plain.conv_forward(x, w, b, {"stride": 1, "pad": 1})
    assert not isinstance(cache, fast.FastConvCache)
    # a plain cache given to the fast backward is handed to the plain backward
    dout = rng.standard_normal((2, 3, 5, 5))
    for got, want in zip(fast.conv_backward(dout, cache), plain.conv_backward.plain(dout, cache),
                         strict=True):
        np.testing.assert_array_equal(got, want)


@settings(max_examples=40, deadline=None)
@given(conv_cases())
def test_fast_equals_plain_float64(case):
    n, c, h, w, f, hh, ww, stride, pad, seed = case
    rng = np.random.default_rng(seed)
    x, wt, b = _case(rng, n, c, h, w, f, hh, ww)
    want, got = _both(x, wt, b, {"stride": stride, "pad": pad}, rng)
    for g, e in zip(got, want, strict=True):
        assert g.shape == e.shape and g.dtype == e.dtype == np.float64
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(e).max()))


@settings(max_examples=15, deadline=None)
@given(conv_cases())
def test_fast_equals_plain_float32(case):
    n, c, h, w, f, hh, ww, stride, pad, seed = case
    rng = np.random.default_rng(seed)
    x, wt, b = _case(rng, n, c, h, w, f, hh, ww, dtype=np.float32)
    want, got = _both(x, wt, b, {"stride": stride, "pad": pad}, rng)
    for g, e in zip(got, want, strict=True):
        assert g.dtype == e.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(e).max()))


def test_need_dx_false_skips_dx_only():
    rng = np.random.default_rng(2)
    x, w, b = _case(rng, 2, 3, 6, 6, 4, 3, 3)
    out, cache = fast.conv_forward(x, w, b, {"stride": 1, "pad": 1})
    dout = rng.standard_normal(out.shape)
    dx, dw, db = fast.conv_backward(dout, cache, need_dx=False)
    assert dx is None
    _, dw_full, db_full = fast.conv_backward(dout, cache)
    np.testing.assert_array_equal(dw, dw_full)
    np.testing.assert_array_equal(db, db_full)


@pytest.mark.parametrize("c,hw,k,pad,stride,channels_last", [
    (16, 8, 3, 1, 1, True),  # window rows of 48 floats, output rows of 8
    (3, 32, 7, 3, 1, False),  # 21 against 32 (the course's first layer)
    (4, 9, 3, 0, 2, True),  # 12 against 4
    (1, 21, 3, 1, 2, False),  # 3 against 11
])
def test_kept_columns_layout_follows_the_copy_run_length(c, hw, k, pad, stride, channels_last):
    # Kept columns are channels-last when a window row (WW*C floats) is at least as long as
    # an output row (W'); both layouts, and their backward, equal the plain layer.
    rng = np.random.default_rng(c * 100 + k)
    x, w, b = _case(rng, 3, c, hw, hw, 5, k, k)
    param = {"stride": stride, "pad": pad}
    _, cache = fast.conv_forward(x, w, b, param)
    assert cache[5] is not None and cache[6] is channels_last
    want, got = _both(x, w, b, param, rng)
    for g, e in zip(got, want, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(e).max()))


@pytest.mark.parametrize("hh,ww,pad", [(7, 7, 3), (5, 5, 2), (7, 3, 1), (3, 7, 2), (3, 3, 1)])
@pytest.mark.parametrize("chunk_bytes", [1, 40_000, 4_000_000])
def test_stride1_col2im_one_and_two_stage_adds_equal_plain(monkeypatch, hh, ww, pad,
                                                           chunk_bytes):
    # Filters with hh * ww > 2 * (hh + ww) (the 7x7 first layer) add their offsets in two
    # stages (rows, then row sums); small ones offset by offset. Chunk sizes from one image
    # per chunk to the whole batch, with a shorter last chunk (7 images).
    monkeypatch.setattr(fast, "_DX_CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(hh * 10 + ww)
    x, w, b = _case(rng, 7, 3, 9, 8, 4, hh, ww)
    want, got = _both(x, w, b, {"stride": 1, "pad": pad}, rng)
    for g, e in zip(got, want, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(e).max()))


@pytest.mark.parametrize("stride,keep_cols", [(1, True), (1, False), (2, False)])
def test_large_batch_paths_match_plain_and_are_deterministic(monkeypatch, stride, keep_cols):
    # Big enough for the paths small tests never reach: columns rebuilt in the backward
    # (not kept from the forward) and, with a 2-thread BLAS, the batch split over threads.
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not keep_cols:
        monkeypatch.setattr(fast, "_KEEP_COLS_BYTES", 0)
    rng = np.random.default_rng(40 + stride)
    x, w, b = _case(rng, 64, 16, 17, 17, 32, 3, 3, dtype=np.float32)
    param = {"stride": stride, "pad": 1}
    h_out = (17 + 2 - 3) // stride + 1
    dout = rng.standard_normal((64, 32, h_out, h_out)).astype(np.float32)
    results = []
    for threads in (1, 2, 2):
        with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
            out, cache = fast.conv_forward(x, w, b, param)
            results.append((out, *fast.conv_backward(dout, cache)))
    x64, w64, b64 = (a.astype(np.float64) for a in (x, w, b))
    out64, cache64 = plain.conv_forward.plain(x64, w64, b64, param)
    expected = (out64, *plain.conv_backward.plain(dout.astype(np.float64), cache64))
    check_thread_runs(results, expected, same_pairs=[(1, 2)])
