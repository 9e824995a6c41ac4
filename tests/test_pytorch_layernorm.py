"""Tests of cs_nn.pytorch.layernorm: the autograd module, the autograd.Function and its module.

PyTorch is an optional extra, so the whole module is skipped without it (CI installs it).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from cs_nn.layers import layernorm_backward, layernorm_forward  # noqa: E402
from cs_nn.pytorch.layernorm import (  # noqa: E402
    LayerNormAutograd,
    LayerNormFunction,
    LayerNormManual,
)

MODULES = [LayerNormAutograd, LayerNormManual]


def tensors(s=6, m=5, seed=0, requires_grad=(True, True, True)):
    """x (S, M) with mean 3 and std 2, gamma (M,), beta (M,), float64."""
    g = torch.Generator().manual_seed(seed)
    x = 3 + 2 * torch.randn(s, m, generator=g, dtype=torch.float64)
    gamma = 1 + 0.5 * torch.randn(m, generator=g, dtype=torch.float64)
    beta = 0.5 * torch.randn(m, generator=g, dtype=torch.float64)
    return tuple(t.requires_grad_(r) for t, r in zip((x, gamma, beta), requires_grad))


def module(cls, m, gamma=None, beta=None, eps=1e-5):
    mod = cls(m, eps=eps).double()
    if gamma is not None:
        with torch.no_grad():
            mod.gamma.copy_(gamma)
            mod.beta.copy_(beta)
    return mod


# ---------------------------------------------------------------- the modules


@pytest.mark.parametrize("cls", MODULES)
def test_parameters_are_registered_and_initialised(cls):
    mod = cls(7)
    assert [name for name, _ in mod.named_parameters()] == ["gamma", "beta"]
    assert torch.equal(mod.gamma, torch.ones(7)) and torch.equal(mod.beta, torch.zeros(7))
    assert set(mod.state_dict()) == {"gamma", "beta"}
    assert mod.double().gamma.dtype == torch.float64
    assert "n_neurons=7" in repr(mod) and "eps=1e-05" in repr(mod)


@pytest.mark.parametrize("cls", MODULES)
@pytest.mark.parametrize("shape", [(6, 5), (1, 4), (32, 2)])
def test_modules_agree_with_torch_layer_norm(cls, shape):
    x, gamma, beta = tensors(*shape, seed=1)
    mod = module(cls, shape[1], gamma, beta)
    out = mod(x)
    ref = torch.nn.functional.layer_norm(x, (shape[1],), gamma, beta, eps=1e-5)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    dout = torch.randn(shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    out.backward(dout)
    ref_grads = torch.autograd.grad(ref, (x, gamma, beta), dout)
    for got, want in zip((x.grad, mod.gamma.grad, mod.beta.grad), ref_grads):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


def test_each_row_has_zero_mean_and_unit_variance():
    x, _, _ = tensors(4, 400, seed=3)
    out = LayerNormManual(400).double()(x * torch.arange(1.0, 5.0, dtype=torch.float64)[:, None])
    torch.testing.assert_close(out.mean(dim=1), torch.zeros(4, dtype=torch.float64),
                               atol=1e-12, rtol=0)
    torch.testing.assert_close(out.var(dim=1, unbiased=False),
                               torch.ones(4, dtype=torch.float64), atol=1e-4, rtol=0)


@pytest.mark.parametrize("cls", MODULES)
def test_float32_modules_work_in_float32(cls):
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(4))
    out = cls(4)(x)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, torch.nn.functional.layer_norm(x, (4,), eps=1e-5))


def test_same_as_the_numpy_layer():
    x, gamma, beta = tensors(5, 6, seed=5)
    dout = torch.randn(5, 6, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    out = LayerNormFunction.apply(x, gamma, beta, 1e-5)
    out.backward(dout)
    np_out, cache = layernorm_forward(x.detach().numpy(), gamma.detach().numpy(),
                                      beta.detach().numpy(), {"eps": 1e-5})
    np.testing.assert_allclose(out.detach().numpy(), np_out, rtol=1e-13, atol=1e-14)
    for got, want in zip((x.grad, gamma.grad, beta.grad),
                         layernorm_backward(dout.numpy(), cache)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-13)


# ---------------------------------------------------------------- the Function


@pytest.mark.parametrize("shape", [(4, 3), (1, 5), (8, 1)])
def test_function_passes_gradcheck_in_double_precision(shape):
    x, gamma, beta = tensors(*shape, seed=7)
    assert torch.autograd.gradcheck(LayerNormFunction.apply, (x, gamma, beta, 1e-5),
                                    eps=1e-6, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("mask", [(True, False, False), (False, True, False),
                                  (False, False, True), (True, True, False),
                                  (False, True, True)])
def test_function_gradcheck_for_every_subset_of_inputs(mask):
    x, gamma, beta = tensors(3, 4, seed=8, requires_grad=mask)
    assert torch.autograd.gradcheck(LayerNormFunction.apply, (x, gamma, beta, 1e-3),
                                    eps=1e-6, atol=1e-8, rtol=1e-6)


@settings(max_examples=20, deadline=None)
@given(s=st.integers(1, 8), m=st.integers(2, 9), seed=st.integers(0, 2**31 - 1),
       eps=st.sampled_from([1e-5, 1e-2, 1.0]))
def test_property_function_matches_the_autograd_module(s, m, seed, eps):
    x, gamma, beta = tensors(s, m, seed=seed)
    dout = torch.randn(s, m, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    manual = LayerNormFunction.apply(x, gamma, beta, eps)
    auto = module(LayerNormAutograd, m, gamma.detach(), beta.detach(), eps=eps)
    x_auto = x.detach().clone().requires_grad_(True)
    reference = auto(x_auto)
    torch.testing.assert_close(manual, reference, rtol=1e-12, atol=1e-12)
    got = torch.autograd.grad(manual, (x, gamma, beta), dout)
    want = torch.autograd.grad(reference, (x_auto, auto.gamma, auto.beta), dout)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-9, atol=1e-11)


def test_backward_returns_none_for_inputs_needing_no_gradient():
    dout = torch.ones(3, 4, dtype=torch.float64)
    for mask in [(True, False, False), (False, True, True), (False, False, True)]:
        x, gamma, beta = tensors(3, 4, seed=9, requires_grad=mask)
        out = LayerNormFunction.apply(x, gamma, beta, 1e-5)
        ctx = out.grad_fn  # a custom Function's node is its ctx
        grads = LayerNormFunction.backward(ctx, dout)
        assert len(grads) == 4 and grads[3] is None  # eps is not a tensor
        for g, needed, t in zip(grads, mask, (x, gamma, beta)):
            assert (g is None) == (not needed)
            if needed:
                assert g.shape == t.shape


def test_forward_saves_only_what_backward_needs():
    def saved(mask):
        x, gamma, beta = tensors(6, 5, seed=10, requires_grad=mask)
        out = LayerNormFunction.apply(x, gamma, beta, 1e-5)
        return [None if t is None else tuple(t.shape) for t in out.grad_fn.saved_tensors]

    # x_hat (S, M), gamma (M,), 1/std (S, 1): no copy of x, the mean or the output
    assert saved((True, True, True)) == [(6, 5), (5,), (6, 1)]
    assert saved((False, True, True)) == [(6, 5), None, None]  # dgamma needs only x_hat
    assert saved((False, False, True)) == [None, None, None]  # dbeta needs nothing


def test_function_is_differentiable_once_only():
    x, gamma, beta = tensors(3, 4, seed=11)
    out = LayerNormFunction.apply(x, gamma, beta, 1e-5)
    (gx,) = torch.autograd.grad(out.pow(2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable|double backward|twice"):
        gx.sum().backward()


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("cls", MODULES)
def test_wrong_input_shapes_get_clear_errors(cls):
    mod = cls(5)
    with pytest.raises(ValueError, match=r"shape \(S, M\) = \(batch size, 5\), got \(3, 4\)"):
        mod(torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r"got \(5,\)"):
        mod(torch.zeros(5))
    with pytest.raises(ValueError, match=r"got \(2, 5, 1\).*flatten"):
        mod(torch.zeros(2, 5, 1))
    with pytest.raises(ValueError, match="no samples"):
        mod(torch.zeros(0, 5))
    with pytest.raises(TypeError, match="floating-point"):
        mod(torch.zeros(2, 5, dtype=torch.int64))
    with pytest.raises(TypeError, match="torch.Tensor"):
        mod(np.zeros((2, 5)))


def test_bad_constructor_and_function_arguments():
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="n_neurons must be a positive integer"):
            LayerNormAutograd(bad)
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        LayerNormManual(4, eps=0.0)
    x, gamma, beta = tensors(3, 4)
    with pytest.raises(ValueError, match=r"gamma and beta must both have shape \(M,\)"):
        LayerNormFunction.apply(x, gamma, beta[:3], 1e-5)
    with pytest.raises(ValueError, match=r"batch size, 3"):
        LayerNormFunction.apply(x, gamma[:3], beta[:3], 1e-5)
    with pytest.raises(ValueError, match="eps must be"):
        LayerNormFunction.apply(x, gamma, beta, -1.0)


def test_import_cs_nn_does_not_import_torch():
    code = ("import sys, cs_nn, cs_nn.layers, cs_nn.models, cs_nn.course.questions, "
            "cs_nn.course.delivery; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
