"""Notebook 12: batch / layer normalisation in numpy (cs_nn/layers/normalization.py) and
LayerNorm in PyTorch (cs_nn/pytorch/layernorm.py; those tests need torch)."""

from __future__ import annotations

import numpy as np
import pytest
from learner_cases_normalization import BN_PARAM
from learner_cases_pytorch import layernorm_output
from learner_support import compare, numeric_gradient_check
from make_tests import expected_value_test

import cs_nn.layers as layers

test_expected_values = expected_value_test("cs_nn.layers.normalization.")
test_pytorch_expected_values = expected_value_test("cs_nn.pytorch.layernorm.", needs="torch")
SHAPES = [(8, 3), (5, 7), (2, 1)]
EPS = 1e-5


def _data(shape: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    d = shape[1]
    return (rng.standard_normal(shape) * 3 + 2, rng.uniform(0.5, 2.0, d),
            rng.standard_normal(d), rng.standard_normal(shape))


@pytest.mark.parametrize("shape", SHAPES)
def test_batchnorm_train_output_has_mean_beta_and_std_gamma(shape):
    x, gamma, beta, _ = _data(shape)
    out, _ = layers.batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": EPS})
    compare("batchnorm train out.mean(axis=0)", out.mean(axis=0), beta, rtol=1e-6,
            hint="each FEATURE (column) is normalised over the batch (axis 0), then shifted "
                 "by beta")
    compare("batchnorm train out.std(axis=0)", out.std(axis=0),
            gamma * np.sqrt(x.var(axis=0) / (x.var(axis=0) + EPS)), rtol=1e-6,
            hint="use the biased variance (x.var(axis=0), dividing by N) plus eps under the "
                 "square root, then scale by gamma")


def test_batchnorm_updates_the_running_averages_with_new_arrays():
    x, gamma, beta, _ = _data((6, 4))
    old_mean, old_var = np.full(4, 0.5), np.full(4, 2.0)
    bn_param = {**BN_PARAM, "mode": "train", "running_mean": old_mean, "running_var": old_var}
    layers.batchnorm_forward(x, gamma, beta, bn_param)
    m = BN_PARAM["momentum"]
    compare("bn_param['running_mean'] after one train step", bn_param["running_mean"],
            m * 0.5 + (1 - m) * x.mean(axis=0), rtol=1e-10,
            hint="running_mean = momentum * running_mean + (1 - momentum) * batch mean, "
                 "stored back in bn_param with bn_param['momentum'] (not a fixed 0.9)")
    compare("bn_param['running_var'] after one train step", bn_param["running_var"],
            m * 2.0 + (1 - m) * x.var(axis=0), rtol=1e-10,
            hint="the same update with the biased batch variance x.var(axis=0)")
    assert np.all(old_mean == 0.5) and np.all(old_var == 2.0), (
        "batchnorm_forward changed the old running_mean / running_var arrays in place: store "
        "NEW arrays in bn_param (bn_param['running_mean'] = momentum * ... + ...)")


def test_batchnorm_test_mode_uses_the_running_averages():
    x, gamma, beta, _ = _data((6, 4))
    rng = np.random.default_rng(3)
    mean, var = rng.standard_normal(4), rng.uniform(0.5, 2.0, 4)
    bn_param = {**BN_PARAM, "mode": "test", "running_mean": mean, "running_var": var}
    out, _ = layers.batchnorm_forward(x, gamma, beta, bn_param)
    alone, _ = layers.batchnorm_forward(x[:1], gamma, beta, dict(bn_param))
    compare("batchnorm test-mode output of one sample alone", alone, out[:1], rtol=1e-12,
            hint="test mode must not use the statistics of the batch: normalise with "
                 "bn_param['running_mean'] and bn_param['running_var']")
    unit = {**bn_param, "running_mean": np.zeros(4), "running_var": np.full(4, 1 - EPS)}
    compare("batchnorm test mode with running_mean 0, running_var 1 - eps",
            layers.batchnorm_forward(x, gamma, beta, unit)[0], gamma * x + beta, rtol=1e-10,
            hint="x_hat = (x - running_mean) / sqrt(running_var + eps); out = gamma * x_hat "
                 "+ beta")
    assert bn_param["running_mean"] is mean and bn_param["running_var"] is var, (
        "test mode must leave the running averages in bn_param as they are")


@pytest.mark.parametrize("shape", SHAPES[:2])
def test_layernorm_normalises_each_sample_on_its_own(shape):
    x, _, _, _ = _data(shape)
    d = shape[1]
    out, _ = layers.layernorm_forward(x, np.ones(d), np.zeros(d), {"eps": EPS})
    worst = float(np.max(np.abs(out.mean(axis=1))))
    assert worst < 1e-8, (
        f"with gamma 1 and beta 0 every row of the layernorm output should have mean 0, but "
        f"one has mean {worst:.3g}: normalise each ROW (sample) over its features (axis=1)")
    compare("layernorm out.std(axis=1) with gamma 1, beta 0", out.std(axis=1),
            np.sqrt(x.var(axis=1) / (x.var(axis=1) + EPS)), rtol=1e-6,
            hint="the biased variance of each row (x.var(axis=1)), plus eps")
    first, _ = layers.layernorm_forward(x[:1], np.ones(d), np.zeros(d), {"eps": EPS})
    compare("layernorm output of the first sample alone", first, out[:1], rtol=1e-12,
            hint="a sample's output must not depend on the other samples of the batch")


def test_spatial_batchnorm_is_batchnorm_over_pixels():
    rng = np.random.default_rng(4)
    x, dout = rng.standard_normal((2, 3, 4, 5)) + 1, rng.standard_normal((2, 3, 4, 5))
    gamma, beta = rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    out, cache = layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    rows = x.transpose(0, 2, 3, 1).reshape(-1, 3)  # one pixel per row, channels last
    out_rows, cache_rows = layers.batchnorm_forward(rows, gamma, beta, {"mode": "train"})
    hint = ("statistics are per CHANNEL over (N, H, W): move the channels last, reshape to "
            "(N*H*W, C), run batchnorm, and undo both")
    compare("spatial_batchnorm_forward out", out,
            out_rows.reshape(2, 4, 5, 3).transpose(0, 3, 1, 2), rtol=1e-10, hint=hint)
    dx, dgamma, dbeta = layers.spatial_batchnorm_backward(dout, cache)
    dx_rows, dgamma_rows, dbeta_rows = layers.batchnorm_backward(
        dout.transpose(0, 2, 3, 1).reshape(-1, 3), cache_rows)
    compare("spatial_batchnorm_backward dx", dx,
            dx_rows.reshape(2, 4, 5, 3).transpose(0, 3, 1, 2), rtol=1e-10, hint=hint)
    compare("spatial_batchnorm_backward dgamma", dgamma, dgamma_rows, rtol=1e-10, hint=hint)
    compare("spatial_batchnorm_backward dbeta", dbeta, dbeta_rows, rtol=1e-10, hint=hint)


def _forward(kind: str, x, gamma, beta):
    if kind == "layernorm":
        return layers.layernorm_forward(x, gamma, beta, {"eps": EPS})
    if kind == "spatial_batchnorm":
        return layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    mode = kind.split("_")[1]
    param = {"mode": mode, "eps": EPS, "running_mean": np.linspace(-1, 1, x.shape[1]),
             "running_var": np.linspace(0.5, 2, x.shape[1])}
    return layers.batchnorm_forward(x, gamma, beta, param)


BACKWARD = {"batchnorm_train": layers.batchnorm_backward,
            "batchnorm_test": layers.batchnorm_backward,
            "layernorm": layers.layernorm_backward,
            "spatial_batchnorm": layers.spatial_batchnorm_backward}


@pytest.mark.parametrize("kind", sorted(BACKWARD))
def test_normalization_gradients_numerically(kind):
    rng = np.random.default_rng(5)
    shape = (3, 2, 3, 2) if kind == "spatial_batchnorm" else (5, 4)
    c = shape[1]
    x, dout = rng.standard_normal(shape) * 2 + 1, rng.standard_normal(shape)
    gamma, beta = rng.uniform(0.5, 2, c), rng.standard_normal(c)
    _, cache = _forward(kind, x, gamma, beta)
    dx, dgamma, dbeta = BACKWARD[kind](dout, cache)
    numeric_gradient_check(lambda v: _forward(kind, v, gamma, beta)[0], x, dout, dx,
                           f"{kind} dx", tol=1e-6)
    numeric_gradient_check(lambda v: _forward(kind, x, v, beta)[0], gamma, dout, dgamma,
                           f"{kind} dgamma", tol=1e-6)
    numeric_gradient_check(lambda v: _forward(kind, x, gamma, v)[0], beta, dout, dbeta,
                           f"{kind} dbeta", tol=1e-6)


@pytest.mark.parametrize("kind", ["batchnorm_train", "layernorm"])
def test_normalization_agrees_with_pytorch(kind):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional  # noqa: N806 - the PyTorch convention
    x, gamma, beta, dout = _data((6, 5), seed=6)
    out, cache = _forward(kind, x, gamma, beta)
    grads = BACKWARD[kind](dout, cache)
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    if kind == "layernorm":
        ot = F.layer_norm(xt, (5,), gt, bt, eps=EPS)
    else:
        ot = F.batch_norm(xt, None, None, gt, bt, training=True, eps=EPS)
    ot.backward(torch.tensor(dout))
    compare(f"{kind} out (against PyTorch)", out, ot.detach().numpy(), rtol=1e-8)
    for name, got, t in zip(("dx", "dgamma", "dbeta"), grads, (xt, gt, bt), strict=True):
        compare(f"{kind} {name} (against PyTorch)", got, t.grad.numpy(), rtol=1e-8)


# ------------------------------------------------------------------ LayerNorm in PyTorch
KINDS = ["autograd", "function", "manual"]


def _ln_tensors(torch, seed: int = 7, s: int = 4, m: int = 6):
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.standard_normal((s, m)) * 2 + 1, requires_grad=True)
    gamma = torch.nn.Parameter(torch.tensor(rng.uniform(0.5, 2, m)))
    beta = torch.nn.Parameter(torch.tensor(rng.standard_normal(m)))
    return x, gamma, beta


@pytest.mark.parametrize("kind", KINDS)
def test_pytorch_layernorm_matches_layer_norm(kind):
    torch = pytest.importorskip("torch")
    x, gamma, beta = _ln_tensors(torch)
    out = layernorm_output(kind, x, gamma, beta)
    want = torch.nn.functional.layer_norm(x, (6,), gamma, beta, eps=1e-5)
    compare(f"LayerNorm ({kind}) output (against torch layer_norm)", out.detach().numpy(),
            want.detach().numpy(), rtol=1e-8,
            hint="normalise each row with x.var(dim=1, unbiased=False): torch.var divides by "
                 "M - 1 unless told otherwise")
    dout = torch.tensor(np.random.default_rng(8).standard_normal((4, 6)))
    got = torch.autograd.grad(out, [x, gamma, beta], dout)
    ref = torch.autograd.grad(want, [x, gamma, beta], dout)
    for name, g, r in zip(("dx", "dgamma", "dbeta"), got, ref, strict=True):
        compare(f"LayerNorm ({kind}) {name} (against torch layer_norm)", g.numpy(),
                r.numpy(), rtol=1e-8)


def test_layernorm_function_passes_gradcheck():
    torch = pytest.importorskip("torch")
    from cs_nn.pytorch.layernorm import LayerNormFunction

    x, gamma, beta = _ln_tensors(torch, s=3, m=4)
    assert torch.autograd.gradcheck(LayerNormFunction.apply, (x, gamma, beta, 1e-5),
                                    eps=1e-6, atol=1e-6, raise_exception=False), (
        "LayerNormFunction's backward does not match finite differences of its forward "
        "(torch.autograd.gradcheck in float64): check dx first (three terms, sums over dim 1)")


@pytest.mark.parametrize("need", [(True, False, False), (False, True, True), (False, True, False)])
def test_layernorm_function_skips_gradients_not_needed(need):
    torch = pytest.importorskip("torch")
    from cs_nn.pytorch.layernorm import LayerNormFunction

    x, gamma, beta = (t.detach().requires_grad_(n)
                      for t, n in zip(_ln_tensors(torch), need, strict=True))
    out = LayerNormFunction.apply(x, gamma, beta, 1e-5)
    grads = out.grad_fn.apply(torch.ones_like(out))
    assert len(grads) == 4, f"backward must return 4 gradients (x, gamma, beta, eps), got " \
                            f"{len(grads)}"
    for name, needed, g in zip(("x", "gamma", "beta", "eps"), (*need, False), grads,
                               strict=True):
        assert (g is not None) == needed, (
            f"LayerNormFunction.backward returned {'None' if g is None else 'a tensor'} for "
            f"{name} although ctx.needs_input_grad says it is {'' if needed else 'not '}needed: "
            "compute a gradient only `if ctx.needs_input_grad[i]`, else return None")


@pytest.mark.parametrize("kind", ["autograd", "manual"])
def test_layernorm_modules_have_gamma_and_beta_parameters(kind):
    torch = pytest.importorskip("torch")
    from cs_nn.pytorch import layernorm

    module = getattr(layernorm, f"LayerNorm{kind.capitalize()}")(5)
    params = dict(module.named_parameters())
    assert set(params) == {"gamma", "beta"}, (
        f"LayerNorm{kind.capitalize()}(5) has parameters {sorted(params)}: register exactly "
        "self.gamma and self.beta as nn.Parameter in __init__")
    compare("gamma at the start", params["gamma"].detach().numpy(), np.ones(5),
            hint="gamma starts at ones: torch.ones(n_neurons)")
    compare("beta at the start", params["beta"].detach().numpy(), np.zeros(5),
            hint="beta starts at zeros: torch.zeros(n_neurons)")
    with pytest.raises(ValueError, match="shape"):
        module(torch.zeros(3, 4))
