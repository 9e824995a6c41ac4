"""The instructor's fast model losses (cs_nn/_fast/models.py) equal the models' solution
regions, which call the learner-facing layers; and the work they skip is really skipped."""

from __future__ import annotations

import copy
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_submissions import instructor_only

from cs_nn._fast import models as fast
from cs_nn._util import speed as _speed
from cs_nn.layers import ACTIVATIONS
from cs_nn.layers.linear import check_linear_inputs, linear_forward
from cs_nn.models.convnet import ThreeLayerConvNet
from cs_nn.models.fcnet import FullyConnectedNet

INSTRUCTOR_ONLY = True  # not shipped in the student release
pytestmark = instructor_only  # cs_nn/_fast/ is not shipped in the student release


def _compare(model, X, y, rtol, atol):
    twin = copy.deepcopy(model)  # batchnorm's running averages change with every training call
    with _speed.plain():
        want_scores, (want_loss, want_grads) = model.loss(X), model.loss(X, y)
    got_scores, (got_loss, got_grads) = twin.loss(X), twin.loss(X, y)
    np.testing.assert_allclose(got_scores, want_scores, rtol=rtol, atol=atol)
    assert got_loss == pytest.approx(want_loss, rel=rtol, abs=atol)
    assert got_grads.keys() == want_grads.keys() == model.params.keys()
    for name, g in want_grads.items():
        assert got_grads[name].dtype == g.dtype
        np.testing.assert_allclose(got_grads[name], g, rtol=rtol, atol=atol, err_msg=name)


@settings(max_examples=30, deadline=None)
@given(hidden=st.lists(st.integers(1, 7), max_size=3), n=st.integers(1, 6),
       d=st.integers(1, 6), classes=st.integers(2, 5), dropout=st.sampled_from([0.0, 0.3]),
       reg=st.sampled_from([0.0, 0.7]), activation=st.sampled_from(sorted(ACTIVATIONS)),
       normalization=st.sampled_from([None, "batchnorm", "layernorm"]),
       dtype=st.sampled_from([np.float64, np.float32]), seed=st.integers(0, 1000))
def test_fcnet_fast_equals_plain(hidden, n, d, classes, dropout, reg, activation, normalization,
                                 dtype, seed):
    if normalization == "batchnorm":
        n = max(n, 2)  # batch statistics need two samples
    model = FullyConnectedNet(hidden, input_dim=d, num_classes=classes, dropout=dropout, reg=reg,
                              weight_scale="he", dtype=dtype, seed=seed, activation=activation,
                              normalization=normalization)
    model.dropout_seed = seed  # the same dropout masks in every call
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.integers(0, classes, n)
    tol = (1e-12, 1e-12) if dtype == np.float64 else (1e-4, 1e-5)
    _compare(model, X, y, *tol)


@pytest.mark.parametrize("dtype, tol", [(np.float64, (1e-11, 1e-12)), (np.float32, (1e-4, 1e-5))])
@pytest.mark.parametrize("reg", [0.0, 0.1])
def test_convnet_fast_equals_plain(dtype, tol, reg):
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=4, filter_size=3, hidden_dim=7,
                              num_classes=5, weight_scale=0.1, reg=reg, dtype=dtype, seed=1)
    rng = np.random.default_rng(2)
    _compare(model, rng.standard_normal((6, 3, 8, 8)), rng.integers(0, 5, 6), *tol)


@pytest.mark.parametrize("hidden_dims", [[], [6], [6, 5]])
def test_fcnet_skips_first_layer_dx_second_nan_scan_and_zero_reg(hidden_dims, monkeypatch):
    calls = {"forward": [], "backward": 0, "no_dx": 0, "l2": 0}
    real_fwd, real_bwd, real_no_dx = (fast._linear_forward, fast.linear_backward,
                                      fast._linear_backward_no_dx)

    def fwd(x, w, b, check_x_finite):
        calls["forward"].append(check_x_finite)
        return real_fwd(x, w, b, check_x_finite)

    def bwd(dout, cache):
        calls["backward"] += 1
        return real_bwd(dout, cache)

    def no_dx(dout, cache):
        calls["no_dx"] += 1
        return real_no_dx(dout, cache)

    def l2(w, reg):
        calls["l2"] += 1
        return 0.0, np.zeros_like(w)

    for name, fn in (("_linear_forward", fwd), ("linear_backward", bwd),
                     ("_linear_backward_no_dx", no_dx), ("l2_regularization", l2)):
        monkeypatch.setattr(fast, name, fn)
    model = FullyConnectedNet(hidden_dims, input_dim=8, num_classes=3, seed=0)
    X = np.random.default_rng(0).standard_normal((4, 8))
    y = np.array([0, 1, 2, 0])
    model.loss(X, y)
    L = len(hidden_dims) + 1
    assert calls["forward"] == [False] + [True] * (L - 1)  # X was scanned by the model
    assert (calls["backward"], calls["no_dx"]) == (L - 1, 1)  # no dx for the data layer
    assert calls["l2"] == 0  # reg = 0: no penalty computed
    model.reg = 0.5
    model.loss(X, y)
    assert calls["l2"] == L
    bad = X.copy()
    bad[2, 3] = np.inf  # the one remaining scan still names the model's input
    with pytest.raises(ValueError, match="X contains 1 NaN or infinite"):
        model.loss(bad, y)


def test_check_x_finite_false_skips_only_the_scan_of_x():
    rng = np.random.default_rng(9)
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    out, _ = fast._linear_forward(x, w, b, check_x_finite=False)
    np.testing.assert_array_equal(out, linear_forward(x, w, b)[0])
    x_nan = x.copy()
    x_nan[0, 0] = np.nan
    out, _ = fast._linear_forward(x_nan, w, b, check_x_finite=False)  # the caller's job
    assert np.isnan(out[0]).all() and np.isfinite(out[1:]).all()
    w_inf = w.copy()
    w_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="w contains 1 NaN or infinite"):
        check_linear_inputs(x, w_inf, b, check_x_finite=False)
    with pytest.raises(ValueError, match="w must have shape"):
        check_linear_inputs(x, w[:3], b, check_x_finite=False)
    with pytest.raises(TypeError, match="x must be a float32"):
        check_linear_inputs(x.astype(np.complex128), w, b, check_x_finite=False)


@pytest.mark.parametrize("n", [37, 50])
def test_convnet_whole_step_on_two_threads_equals_plain_and_repeats_exactly(n, monkeypatch):
    # With a 2-thread BLAS the whole step runs on two ranges of images (odd n: unequal
    # ranges); the result must match the plain code and not depend on thread timing.
    threadpoolctl = pytest.importorskip("threadpoolctl")
    cuts = []
    real_split = fast.split

    def spy(*args, **kwargs):
        cuts.append(real_split(*args, **kwargs))
        return cuts[-1]

    monkeypatch.setattr(fast, "split", spy)
    model = ThreeLayerConvNet(weight_scale=0.05, reg=0.01, dtype=np.float32, seed=3)
    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, n)
    runs = []
    for threads in (2, 2, 1):
        with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
            runs.append(copy.deepcopy(model).loss(X, y))
    if (os.cpu_count() or 1) >= 2:
        assert len(cuts[0]) == 3 and len(cuts[2]) == 2  # two ranges, then one
    with _speed.plain():
        want_loss, want_grads = copy.deepcopy(model).loss(X, y)
    for loss, grads in runs:
        assert loss == pytest.approx(want_loss, rel=1e-5)
        for name, g in want_grads.items():
            np.testing.assert_allclose(grads[name], g, rtol=1e-3, atol=1e-5 * np.abs(g).max(),
                                       err_msg=name)
    assert runs[0][0] == runs[1][0]
    for name in want_grads:  # same thread count: bitwise the same
        np.testing.assert_array_equal(runs[0][1][name], runs[1][1][name])
