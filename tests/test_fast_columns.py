"""The fast convolution's column layouts (cs_nn/_fast/_columns.py): every strided view and
copy holds exactly the windows an explicit loop over output positions would cut, and the
two layouts give the same product with their weight matrices."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_submissions import instructor_only

from cs_nn._fast import _columns as columns

INSTRUCTOR_ONLY = True  # not shipped in the student release
pytestmark = instructor_only  # cs_nn/_fast/ is not shipped in the student release


@st.composite
def shapes(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    hh, ww = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, pad = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, hh - 2 * pad), 9))
    w = draw(st.integers(max(1, ww - 2 * pad), 9))
    return n, c, h, w, hh, ww, stride, pad, draw(st.integers(0, 2**16))


def _loop_windows(x, hh, ww, stride, pad):
    """(N, C, HH, WW, H', W') windows cut one output position at a time."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    h_out, w_out = (h + 2 * pad - hh) // stride + 1, (w + 2 * pad - ww) // stride + 1
    out = np.empty((n, c, hh, ww, h_out, w_out), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            out[..., i, j] = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
    return out


@settings(max_examples=40, deadline=None)
@given(shapes())
def test_both_window_views_and_the_column_copy_hold_the_windows(case):
    n, c, h, w, hh, ww, stride, pad, seed = case
    x = np.random.default_rng(seed).standard_normal((n, c, h, w))
    x_before = x.copy()
    want = _loop_windows(x, hh, ww, stride, pad)
    view = columns.window_view(columns.padded(x, pad), hh, ww, stride)
    np.testing.assert_array_equal(view, want)
    view_cl = columns.window_view_channels_last(columns.padded_channels_last(x, pad), hh, ww,
                                                stride)  # (N, H', W', HH, WW, C)
    np.testing.assert_array_equal(view_cl, want.transpose(0, 4, 5, 2, 3, 1))
    for i, m in [(0, n), (n - 1, 1)]:
        buf = np.full(c * hh * ww * n * want.shape[4] * want.shape[5] + 3, np.nan)
        cols = columns.im2col(view, i, m, buf)  # (C*HH*WW, m*H'*W')
        expected = want[i:i + m].transpose(1, 2, 3, 0, 4, 5).reshape(cols.shape[0], -1)
        np.testing.assert_array_equal(cols, expected)
    np.testing.assert_array_equal(x, x_before)


@settings(max_examples=30, deadline=None)
@given(shapes(), st.integers(1, 5))
def test_the_two_layouts_give_the_same_product(case, f):
    n, c, h, w, hh, ww, stride, pad, seed = case
    rng = np.random.default_rng(seed)
    x, wt = rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, hh, ww))
    view = columns.window_view(columns.padded(x, pad), hh, ww, stride)
    _, _, _, _, h_out, w_out = view.shape
    cols = view.reshape(n, c * hh * ww, h_out * w_out)
    view_cl = columns.window_view_channels_last(columns.padded_channels_last(x, pad), hh, ww,
                                                stride)
    cols_cl = view_cl.reshape(n * h_out * w_out, hh * ww * c)
    out = np.matmul(wt.reshape(f, -1), cols)  # (N, F, H'*W')
    out_cl = cols_cl @ columns.weights_channels_last(wt)  # (N*H'*W', F)
    np.testing.assert_allclose(out_cl.reshape(n, h_out * w_out, f).transpose(0, 2, 1), out,
                               rtol=1e-12, atol=1e-12)


def test_padding_zero_returns_the_input_and_padding_never_writes_it():
    x = np.arange(24.0).reshape(1, 2, 3, 4)
    assert columns.padded(x, 0) is x
    xp = columns.padded(x, 2)
    assert xp.shape == (1, 2, 7, 8) and xp[:, :, :2].sum() == 0 and xp[..., -2:].sum() == 0
    xp[:] = -1
    np.testing.assert_array_equal(x, np.arange(24.0).reshape(1, 2, 3, 4))
    assert columns.padded_channels_last(x, 1).shape == (1, 5, 6, 2)


def test_channels_last_is_chosen_for_long_window_rows_only():
    assert columns.channels_last_pays(c=16, ww=3, w_out=16)  # conv (b): 48 against 16
    assert not columns.channels_last_pays(c=3, ww=7, w_out=32)  # the 7x7 first layer: 21 < 32
    assert columns.channels_last_pays(c=3, ww=7, w_out=21)  # equal runs: channels-last
