"""The instructor's fast max pooling (cs_nn/_fast/pool.py) equals the plain loops learners
write (cs_nn/layers/pool.py), ties included, on random shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_submissions import instructor_only

from cs_nn._fast import pool as fast
from cs_nn._fast._parallel import split
from cs_nn.layers import pool as plain

INSTRUCTOR_ONLY = True  # not shipped in the student release
pytestmark = instructor_only  # cs_nn/_fast/ is not shipped in the student release


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       ph=st.integers(1, 3), pw=st.integers(1, 3), stride=st.integers(1, 3),
       ties=st.booleans(), dtype=st.sampled_from([np.float64, np.float32]),
       seed=st.integers(0, 10_000))
def test_fast_equals_plain(n, c, h, w, ph, pw, stride, ties, dtype, seed):
    h, w = max(h, ph), max(w, pw)
    rng = np.random.default_rng(seed)
    x = (rng.integers(0, 3, (n, c, h, w)) if ties else rng.standard_normal((n, c, h, w)))
    x = x.astype(dtype)
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out_p, cache_p = plain.max_pool_forward.plain(x, param)
    out_f, cache_f = fast.max_pool_forward(x, param)
    np.testing.assert_array_equal(out_f, out_p)
    dout = rng.standard_normal(out_p.shape).astype(dtype)
    dx_p = plain.max_pool_backward.plain(dout, cache_p)
    dx_f = fast.max_pool_backward(dout, cache_f)
    assert dx_f.dtype == dx_p.dtype
    np.testing.assert_allclose(dx_f, dx_p, rtol=1e-12 if dtype == np.float64 else 1e-6,
                               atol=1e-12 if dtype == np.float64 else 1e-6)
    np.testing.assert_array_equal(fast.max_pool_backward(dout, cache_p), dx_p)  # plain cache


@pytest.mark.parametrize("ph,pw,stride,h,w", [(2, 2, 2, 32, 32), (2, 2, 2, 33, 31),
                                            (3, 3, 2, 17, 17)])
def test_images_split_over_threads_equal_plain(monkeypatch, ph, pw, stride, h, w):
    # With a 2-thread BLAS the batch is cut into ranges of images run on two threads (here
    # at least 2 images a range: 11 images make 4 ranges of 2-3). The result is the same as
    # on one thread and as the plain loops', ties included. Odd sizes leave rows and columns
    # that no window covers (their gradient must be zero).
    threadpoolctl = pytest.importorskip("threadpoolctl")
    monkeypatch.setattr(fast, "_PARALLEL_MIN_BYTES", 2 * 4 * h * w * 8)  # 2+ images a range
    rng = np.random.default_rng(h * w + ph)
    x = rng.integers(0, 4, (11, 4, h, w)).astype(np.float64)
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out_p, cache_p = plain.max_pool_forward.plain(x, param)
    dout = rng.standard_normal(out_p.shape)
    dx_p = plain.max_pool_backward.plain(dout, cache_p)
    runs = []
    for threads in (1, 2):
        with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
            ranges = split(11, fast._min_images(x))
            out_f, cache_f = fast.max_pool_forward(x, param)
            runs.append((ranges, out_f, fast.max_pool_backward(dout, cache_f)))
    (ranges1, out1, dx1), (ranges2, out2, dx2) = runs
    assert ranges1 == [0, 11] and len(ranges2) == 5  # one range; 4 ranges of 2-3 images
    np.testing.assert_array_equal(out1, out_p)
    np.testing.assert_array_equal(out2, out_p)
    np.testing.assert_array_equal(dx2, dx1)  # the split changes nothing, to the last bit
    np.testing.assert_allclose(dx1, dx_p, rtol=1e-12, atol=1e-12)  # (overlapping windows
    # add in another order than the plain loops)
