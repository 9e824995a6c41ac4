"""Tests of cs_nn.layers.normalization: batchnorm, layernorm and spatial batchnorm.

Gradients are checked against centred differences in float64. For random shapes the check
uses the norm-wise relative error ||a - b|| / (||a|| + ||b||): the element-wise one of
``rel_error`` is dominated by the rounding error of entries that happen to be near zero.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.gradcheck import eval_numerical_gradient_array, rel_error
from cs_nn.layers import (
    batchnorm_backward,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)


def norm_rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def problem(shape: tuple[int, ...], seed: int = 0, axis_len: int | None = None):
    """x (shape) with mean 3 and std 2, gamma / beta for the last axis (or axis_len), dout."""
    rng = np.random.default_rng(seed)
    d = shape[-1] if axis_len is None else axis_len
    x = rng.normal(3.0, 2.0, size=shape)
    gamma = rng.normal(1.0, 0.5, size=d)
    beta = rng.normal(0.0, 0.5, size=d)
    dout = rng.normal(size=shape)
    return x, gamma, beta, dout


def numeric_grads(forward, x, gamma, beta, param, dout):
    """Numeric dx, dgamma, dbeta of forward(x, gamma, beta, copy of param)."""
    def run(xv, gv, bv):
        return forward(xv, gv, bv, dict(param))[0]

    return (eval_numerical_gradient_array(lambda v: run(v, gamma, beta), x, dout),
            eval_numerical_gradient_array(lambda v: run(x, v, beta), gamma, dout),
            eval_numerical_gradient_array(lambda v: run(x, gamma, v), beta, dout))


# ---------------------------------------------------------------- batchnorm forward


def test_batchnorm_train_normalises_each_column():
    x, _, _, _ = problem((200, 5))
    out, _ = batchnorm_forward(x, np.ones(5), np.zeros(5), {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-5)  # eps shrinks it by ~1e-6
    gamma, beta = np.array([1.0, 2.0, 3.0, 0.5, -1.0]), np.array([0.0, -1.0, 4.0, 2.0, 1.0])
    out, _ = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), np.abs(gamma), rtol=1e-5)


def test_batchnorm_train_matches_the_formula_with_biased_variance():
    x, gamma, beta, _ = problem((7, 4), seed=1)
    eps = 1e-3
    out, _ = batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": eps})
    mean = x.sum(axis=0) / 7
    var = ((x - mean) ** 2).sum(axis=0) / 7  # divides by N, not N - 1
    np.testing.assert_allclose(out, gamma * (x - mean) / np.sqrt(var + eps) + beta, rtol=1e-13)


def test_batchnorm_running_averages_start_at_zero_and_follow_momentum():
    x, gamma, beta, _ = problem((10, 3), seed=2)
    bn_param = {"mode": "train", "momentum": 0.8}
    batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(bn_param["running_mean"], 0.2 * x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(bn_param["running_var"], 0.2 * x.var(axis=0), rtol=1e-14)
    # repeated batches: running stats converge geometrically to the batch statistics
    for _ in range(200):
        batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(bn_param["running_mean"], x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], x.var(axis=0), rtol=1e-12)


def test_batchnorm_running_average_update_rule_and_extreme_momenta():
    rng = np.random.default_rng(3)
    x, gamma, beta, _ = problem((6, 4), seed=3)
    old_mean, old_var = rng.normal(size=4), rng.random(4) + 0.5
    saved = old_mean.copy(), old_var.copy()
    for momentum in (0.0, 0.37, 0.9, 1.0):
        bn_param = {"mode": "train", "momentum": momentum, "running_mean": old_mean,
                    "running_var": old_var}
        batchnorm_forward(x, gamma, beta, bn_param)
        np.testing.assert_allclose(bn_param["running_mean"],
                                   momentum * old_mean + (1 - momentum) * x.mean(axis=0),
                                   rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(bn_param["running_var"],
                                   momentum * old_var + (1 - momentum) * x.var(axis=0),
                                   rtol=1e-14, atol=1e-15)
    # the caller's arrays are replaced in bn_param, never modified in place
    assert bn_param["running_mean"] is not old_mean
    np.testing.assert_array_equal(old_mean, saved[0])
    np.testing.assert_array_equal(old_var, saved[1])


def test_batchnorm_test_mode_uses_the_running_statistics():
    x, gamma, beta, _ = problem((5, 3), seed=4)
    rm, rv = np.array([1.0, -2.0, 0.5]), np.array([4.0, 0.25, 1.0])
    bn_param = {"mode": "test", "running_mean": rm, "running_var": rv, "eps": 1e-5}
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(out, gamma * (x - rm) / np.sqrt(rv + 1e-5) + beta, rtol=1e-12,
                               atol=1e-14)
    assert bn_param["running_mean"] is rm and bn_param["running_var"] is rv  # not updated
    # each test-mode output depends on its own sample only (one sample at a time is allowed)
    for i in range(5):
        row, _ = batchnorm_forward(x[i:i + 1], gamma, beta, bn_param)
        np.testing.assert_allclose(row[0], out[i], rtol=1e-15)


def test_batchnorm_train_then_test_on_the_training_distribution():
    rng = np.random.default_rng(5)
    bn_param = {"mode": "train"}
    gamma, beta = np.ones(4), np.zeros(4)
    for _ in range(100):
        batchnorm_forward(rng.normal(3.0, 2.0, size=(64, 4)), gamma, beta, bn_param)
    bn_param["mode"] = "test"
    out, _ = batchnorm_forward(rng.normal(3.0, 2.0, size=(4000, 4)), gamma, beta, bn_param)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=0.1)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=0.1)


def test_batchnorm_eps_handling():
    x = np.column_stack([np.full(6, 2.5), np.arange(6.0)])  # first column is constant
    out, cache = batchnorm_forward(x, np.ones(2), np.array([0.7, 0.0]), {"mode": "train"})
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out[:, 0], 0.7)  # var 0: x_hat = 0 / sqrt(eps) = 0
    dx, _, _ = batchnorm_backward(np.ones_like(x), cache)
    assert np.all(np.isfinite(dx))
    for eps in (1e-5, 1.0, 100.0):  # a large eps visibly shrinks the output
        out, _ = batchnorm_forward(x, np.ones(2), np.zeros(2), {"mode": "train", "eps": eps})
        np.testing.assert_allclose(out[:, 1], (x[:, 1] - 2.5) / np.sqrt(x[:, 1].var() + eps),
                                   rtol=1e-14)
    default, _ = batchnorm_forward(x, np.ones(2), np.zeros(2), {})  # eps 1e-5, mode train
    explicit, _ = batchnorm_forward(x, np.ones(2), np.zeros(2), {"mode": "train", "eps": 1e-5})
    np.testing.assert_array_equal(default, explicit)


def test_batchnorm_two_samples_give_plus_minus_gamma():
    """With N = 2 in training, x_hat is +-1 whatever x is (up to eps): a batch-size limit."""
    x = np.array([[1.0, 10.0], [3.0, -30.0]])
    out, cache = batchnorm_forward(x, np.array([2.0, 1.0]), np.array([0.5, 0.0]),
                                   {"mode": "train"})
    np.testing.assert_allclose(out, [[-1.5, 1.0], [2.5, -1.0]], rtol=1e-5)
    dx, _, _ = batchnorm_backward(np.array([[1.0, 2.0], [0.5, -1.0]]), cache)
    assert np.abs(dx).max() < 1e-4  # out barely depends on x


def test_float32_stays_float32_and_inputs_are_not_modified():
    x, gamma, beta, dout = problem((6, 3), seed=6)
    x32, g32, b32, d32 = (a.astype(np.float32) for a in (x, gamma, beta, dout))
    copies = [a.copy() for a in (x32, g32, b32, d32)]
    for forward, backward in ((batchnorm_forward, batchnorm_backward),
                              (layernorm_forward, layernorm_backward)):
        out, cache = forward(x32, g32, b32, {})
        assert out.dtype == np.float32
        assert all(g.dtype == np.float32 for g in backward(d32, cache))
    for a, b in zip((x32, g32, b32, d32), copies):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("mode", ["train", "test"])
def test_batchnorm_backward_numeric(mode):
    x, gamma, beta, dout = problem((5, 4), seed=7)
    param = {"mode": mode, "running_mean": np.array([1.0, 2.0, 3.0, 4.0]),
             "running_var": np.array([1.0, 2.0, 0.5, 3.0])}
    _, cache = batchnorm_forward(x, gamma, beta, dict(param))
    grads = batchnorm_backward(dout, cache)
    for got, want in zip(grads, numeric_grads(batchnorm_forward, x, gamma, beta, param, dout)):
        assert rel_error(got, want) < 1e-8


def test_layernorm_backward_numeric():
    x, gamma, beta, dout = problem((4, 6), seed=8)
    _, cache = layernorm_forward(x, gamma, beta, {"eps": 1e-5})
    grads = layernorm_backward(dout, cache)
    for got, want in zip(grads, numeric_grads(layernorm_forward, x, gamma, beta, {}, dout)):
        assert rel_error(got, want) < 1e-8


def test_spatial_batchnorm_backward_numeric():
    x, gamma, beta, dout = problem((2, 3, 4, 5), seed=9, axis_len=3)
    _, cache = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    grads = spatial_batchnorm_backward(dout, cache)
    num = numeric_grads(spatial_batchnorm_forward, x, gamma, beta, {"mode": "train"}, dout)
    for got, want in zip(grads, num):
        assert got.shape == want.shape
        assert norm_rel_error(got, want) < 1e-8


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 9), d=st.integers(1, 7), seed=st.integers(0, 2**31 - 1),
       mode=st.sampled_from(["train", "test"]), eps=st.sampled_from([1e-5, 1e-3, 0.1]))
def test_property_batchnorm_gradients(n, d, seed, mode, eps):
    x, gamma, beta, dout = problem((n, d), seed=seed)
    rng = np.random.default_rng(seed + 1)
    param = {"mode": mode, "eps": eps, "running_mean": rng.normal(size=d),
             "running_var": rng.random(d) + 0.1}
    _, cache = batchnorm_forward(x, gamma, beta, dict(param))
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    num = numeric_grads(batchnorm_forward, x, gamma, beta, param, dout)
    for got, want in zip((dx, dgamma, dbeta), num):
        assert norm_rel_error(got, want) < 1e-8
    if mode == "train":  # the batch mean absorbs any shift: dx sums to zero per column
        np.testing.assert_allclose(dx.sum(axis=0), 0, atol=1e-10 * np.abs(dx).sum() + 1e-14)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 7), d=st.integers(3, 9), seed=st.integers(0, 2**31 - 1),
       eps=st.sampled_from([1e-5, 1e-3, 0.1]))
def test_property_layernorm_gradients(n, d, seed, eps):
    x, gamma, beta, dout = problem((n, d), seed=seed)
    _, cache = layernorm_forward(x, gamma, beta, {"eps": eps})
    dx, dgamma, dbeta = layernorm_backward(dout, cache)
    num = numeric_grads(layernorm_forward, x, gamma, beta, {"eps": eps}, dout)
    for got, want in zip((dx, dgamma, dbeta), num):
        assert norm_rel_error(got, want) < 1e-8
    np.testing.assert_allclose(dx.sum(axis=1), 0, atol=1e-10 * np.abs(dx).sum() + 1e-14)


@settings(max_examples=15, deadline=None)
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
                       st.integers(3, 4)), seed=st.integers(0, 2**31 - 1))
def test_property_spatial_batchnorm_gradients(shape, seed):
    x, gamma, beta, dout = problem(shape, seed=seed, axis_len=shape[1])
    _, cache = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    grads = spatial_batchnorm_backward(dout, cache)
    num = numeric_grads(spatial_batchnorm_forward, x, gamma, beta, {"mode": "train"}, dout)
    for got, want in zip(grads, num):
        assert norm_rel_error(got, want) < 1e-8


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 8), d=st.integers(3, 8), seed=st.integers(0, 2**31 - 1),
       scale=st.floats(0.1, 10.0), shift=st.floats(-5.0, 5.0))
def test_property_invariance_to_affine_rescaling(n, d, seed, scale, shift):
    """BN (train) ignores a per-column affine change of x, LN a per-row one (up to eps)."""
    x, gamma, beta, _ = problem((n, d), seed=seed)
    tiny = {"eps": 1e-12}  # so eps does not tell the scales apart
    a, _ = batchnorm_forward(x, gamma, beta, {"mode": "train", **tiny})
    b, _ = batchnorm_forward(scale * x + shift, gamma, beta, {"mode": "train", **tiny})
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    a, _ = layernorm_forward(x, gamma, beta, tiny)
    b, _ = layernorm_forward(scale * x + shift, gamma, beta, tiny)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- layernorm


def test_layernorm_normalises_each_row_independently():
    x, _, _, _ = problem((5, 300), seed=10)
    x = x * np.arange(1.0, 6.0)[:, None]  # rows with very different scales
    out, _ = layernorm_forward(x, np.ones(300), np.zeros(300), {})
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=1), 1, rtol=1e-5)
    x, gamma, beta, _ = problem((5, 4), seed=11)
    out, _ = layernorm_forward(x, gamma, beta, {"eps": 1e-5})
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    np.testing.assert_allclose(out, gamma * (x - mean) / np.sqrt(var + 1e-5) + beta, rtol=1e-13)
    for i in range(5):  # no batch statistics: a row's output ignores the other rows
        row, _ = layernorm_forward(x[i:i + 1], gamma, beta, {})
        np.testing.assert_allclose(row[0], out[i], rtol=1e-15)


def test_layernorm_ignores_mode_and_does_not_modify_ln_param():
    x, gamma, beta, _ = problem((3, 4), seed=12)
    ln_param = {"eps": 1e-5, "mode": "test"}
    a, _ = layernorm_forward(x, gamma, beta, ln_param)
    b, _ = layernorm_forward(x, gamma, beta, {"eps": 1e-5, "mode": "train"})
    np.testing.assert_array_equal(a, b)
    assert ln_param == {"eps": 1e-5, "mode": "test"}


def test_layernorm_eps_handling():
    x = np.array([[1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])  # first row constant
    out, cache = layernorm_forward(x, np.ones(3), np.array([0.1, 0.2, 0.3]), {})
    np.testing.assert_array_equal(out[0], [0.1, 0.2, 0.3])
    assert np.all(np.isfinite(layernorm_backward(np.ones_like(x), cache)[0]))
    out, _ = layernorm_forward(x, np.ones(3), np.zeros(3), {"eps": 1.0})
    np.testing.assert_allclose(out[1], np.array([-1.0, 0.0, 1.0]) / np.sqrt(2 / 3 + 1.0))


# ---------------------------------------------------------------- spatial batchnorm


def test_spatial_batchnorm_normalises_each_channel_over_n_h_w():
    x, gamma, beta, _ = problem((4, 3, 5, 6), seed=13, axis_len=3)
    x = x * np.array([1.0, 5.0, 0.1])[None, :, None, None]
    bn_param = {"mode": "train"}
    out, _ = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    assert out.shape == x.shape
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), np.abs(gamma), rtol=1e-3)
    assert bn_param["running_mean"].shape == (3,)
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(bn_param["running_var"], 0.1 * x.var(axis=(0, 2, 3)))
    bn_param["mode"] = "test"
    out, _ = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    rm = bn_param["running_mean"][None, :, None, None]
    rv = bn_param["running_var"][None, :, None, None]
    want = gamma[None, :, None, None] * (x - rm) / np.sqrt(rv + 1e-5) + beta[None, :, None, None]
    np.testing.assert_allclose(out, want, rtol=1e-12)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("bn_param, match", [
    ({"mode": "eval"}, "'train' or 'test'"),
    ({"eps": 0.0}, "eps.*> 0"),
    ({"eps": -1e-5}, "eps.*> 0"),
    ({"momentum": 1.5}, r"momentum.*\[0, 1\]"),
    ({"p": 0.5}, "unknown key"),
    ({"mode": "test"}, "no 'running_mean'.*train mode first"),
    ({"running_mean": np.zeros(4)}, r"running_mean.*\(3\), got \(4,\)"),
    ({"running_mean": np.zeros(3), "running_var": -np.ones(3)}, "negative"),
    ({"running_mean": np.array([0.0, np.nan, 0.0])}, "NaN"),
])
def test_batchnorm_rejects_bad_bn_param(bn_param, match):
    x, gamma, beta, _ = problem((4, 3))
    with pytest.raises(ValueError, match=match):
        batchnorm_forward(x, gamma, beta, bn_param)


def test_bad_arrays_get_clear_errors():
    x, gamma, beta, dout = problem((4, 3))
    with pytest.raises(TypeError, match="bn_param must be a dict"):
        batchnorm_forward(x, gamma, beta, None)
    with pytest.raises(ValueError, match="x must have 2 dimension"):
        batchnorm_forward(x[None], gamma, beta, {})
    with pytest.raises(ValueError, match=r"gamma.*\(3\)"):
        batchnorm_forward(x, np.ones(4), beta, {})
    with pytest.raises(ValueError, match=r"beta.*\(3\)"):
        layernorm_forward(x, gamma, np.ones((3, 1)), {})
    with pytest.raises(ValueError, match="NaN"):
        layernorm_forward(np.where(x > 3, np.nan, x), gamma, beta, {})
    with pytest.raises(ValueError, match="at least 2 samples"):
        batchnorm_forward(x[:1], gamma, beta, {"mode": "train"})
    with pytest.raises(ValueError, match="unknown key"):
        layernorm_forward(x, gamma, beta, {"momentum": 0.9})
    with pytest.raises(ValueError, match="x must have 4 dimension"):
        spatial_batchnorm_forward(x, gamma, beta, {})
    with pytest.raises(ValueError, match=r"N \* H \* W >= 2"):
        spatial_batchnorm_forward(np.ones((1, 3, 1, 1)), gamma, beta, {"mode": "train"})
    _, cache = batchnorm_forward(x, gamma, beta, {})
    with pytest.raises(ValueError, match="dout has shape"):
        batchnorm_backward(dout.T, cache)
    _, cache = spatial_batchnorm_forward(x.reshape(1, 3, 2, 2), gamma, beta, {})
    with pytest.raises(ValueError, match="does not match the forward"):
        spatial_batchnorm_backward(np.ones((1, 3, 2, 3)), cache)


# ---------------------------------------------------------------- PyTorch oracle


@pytest.mark.parametrize("shape", [(6, 4), (32, 10), (3, 1)])
def test_batchnorm_agrees_with_pytorch_in_training_and_eval(shape):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, gamma, beta, dout = problem(shape, seed=14)
    n, d = shape
    t = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    trm, trv = torch.zeros(d, dtype=torch.float64), torch.zeros(d, dtype=torch.float64)
    # PyTorch's momentum is the weight of the NEW statistic: ours 0.9 is its 0.1
    tout = F.batch_norm(t[0], trm, trv, t[1], t[2], training=True, momentum=0.1, eps=1e-5)
    tout.backward(torch.tensor(dout))
    bn_param = {"mode": "train", "momentum": 0.9}
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in zip(batchnorm_backward(dout, cache), t):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(bn_param["running_mean"], trm.numpy(), rtol=1e-12)
    # PyTorch keeps the UNBIASED variance (N - 1) in its running average; we keep the biased
    np.testing.assert_allclose(bn_param["running_var"], trv.numpy() * (n - 1) / n, rtol=1e-12)
    # eval mode: both normalise with the same given running statistics
    rm, rv = np.linspace(-1, 1, d), np.linspace(0.5, 2, d)
    teval = F.batch_norm(torch.tensor(x), torch.tensor(rm), torch.tensor(rv),
                         torch.tensor(gamma), torch.tensor(beta), training=False, eps=1e-5)
    out, _ = batchnorm_forward(x, gamma, beta, {"mode": "test", "running_mean": rm,
                                                "running_var": rv})
    np.testing.assert_allclose(out, teval.numpy(), rtol=1e-12, atol=1e-12)


def test_spatial_batchnorm_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    x, gamma, beta, dout = problem((3, 4, 5, 2), seed=15, axis_len=4)
    t = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    tout = torch.nn.functional.batch_norm(t[0], None, None, t[1], t[2], training=True,
                                          eps=1e-5)
    tout.backward(torch.tensor(dout))
    out, cache = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in zip(spatial_batchnorm_backward(dout, cache), t):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("shape", [(5, 6), (1, 8), (16, 2)])
def test_layernorm_agrees_with_pytorch(shape):
    torch = pytest.importorskip("torch")
    x, gamma, beta, dout = problem(shape, seed=16)
    t = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    tout = torch.nn.functional.layer_norm(t[0], (shape[1],), t[1], t[2], eps=1e-5)
    tout.backward(torch.tensor(dout))
    out, cache = layernorm_forward(x, gamma, beta, {"eps": 1e-5})
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in zip(layernorm_backward(dout, cache), t):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-9, atol=1e-11)
