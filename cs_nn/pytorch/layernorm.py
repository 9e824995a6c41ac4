"""Layer normalisation in PyTorch, two ways (seed 003, section 3).

For an input X of shape (S, M) (S samples, M features), every row s is normalised over its
M features and then scaled and shifted per feature::

    mu_s = mean_i X_si,   var_s = mean_i (X_si - mu_s)^2            (biased: divide by M)
    X_hat_si = (X_si - mu_s) / sqrt(var_s + eps),   Y_si = gamma_i X_hat_si + beta_i

* :class:`LayerNormAutograd` (3.1) writes the forward pass with tensor operations and lets
  autograd derive the backward pass.
* :class:`LayerNormFunction` (3.2b) is a ``torch.autograd.Function`` with a hand-written
  backward pass: with G = dL/dY and dX_hat = G * gamma,

      dL/dgamma_i = sum_s G_si X_hat_si,     dL/dbeta_i = sum_s G_si,
      dL/dX_si = 1 / (M sqrt(var_s + eps)) * (M dX_hat_si - sum_j dX_hat_sj
                                             - X_hat_si sum_j dX_hat_sj X_hat_sj).

  It saves only the tensors its backward needs and returns None for the inputs that need
  no gradient (``ctx.needs_input_grad``).
* :class:`LayerNormManual` (3.2c) is the module that calls it.

This module imports torch; nothing in ``cs_nn`` outside ``cs_nn.pytorch`` imports it.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.autograd.function import once_differentiable

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "12_normalization"


def check_layernorm_input(x: object, n_neurons: int) -> None:
    """Raise a clear error unless ``x`` is a float tensor of shape (S, n_neurons), S >= 1."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"the input must be a torch.Tensor of shape (S, {n_neurons}), got a "
                        f"{type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"the input must be a floating-point tensor, got dtype {x.dtype}; "
                        "convert it with x.float() or x.double()")
    if x.dim() != 2 or x.shape[1] != n_neurons:
        raise ValueError(f"the input must have shape (S, M) = (batch size, {n_neurons}), got "
                         f"{tuple(x.shape)}; flatten each sample first, e.g. "
                         "x.reshape(x.shape[0], -1)")
    if x.shape[0] == 0:
        raise ValueError("the input holds no samples (shape (0, M)); pass at least one row")


def _check_arguments(n_neurons: object, eps: object) -> tuple[int, float]:
    if not isinstance(n_neurons, int) or isinstance(n_neurons, bool) or n_neurons < 1:
        raise ValueError(f"n_neurons must be a positive integer (M, the number of features), "
                         f"got {n_neurons!r}")
    eps = float(eps)  # type: ignore[arg-type]
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps}")
    return n_neurons, eps


class _LayerNormBase(nn.Module):
    """Holds M, eps and the learnable gamma (M,) (starts at ones) and beta (M,) (zeros)."""

    def __init__(self, n_neurons: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.n_neurons, self.eps = _check_arguments(n_neurons, eps)
        # BEGIN SOLUTION
        self.gamma = nn.Parameter(torch.ones(n_neurons))
        self.beta = nn.Parameter(torch.zeros(n_neurons))
        # END SOLUTION

    def extra_repr(self) -> str:
        return f"n_neurons={self.n_neurons}, eps={self.eps:g}"


class LayerNormAutograd(_LayerNormBase):
    """Layer normalisation as an ``nn.Module`` whose backward pass autograd derives (3.1).

    Args:
        n_neurons: M, the number of features of each sample.
        eps: added to the variance before the square root.

    Call with x (S, M); returns (S, M). Wrong shapes raise a ValueError saying what was
    expected. ``.double()`` converts gamma and beta to float64 (for gradient checks).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_layernorm_input(x, self.n_neurons)
        # BEGIN SOLUTION
        mean = x.mean(dim=1, keepdim=True)  # (S, 1)
        var = x.var(dim=1, unbiased=False, keepdim=True)  # (S, 1), biased
        x_hat = (x - mean) / torch.sqrt(var + self.eps)  # (S, M)
        out = self.gamma * x_hat + self.beta
        # END SOLUTION
        return out


class LayerNormFunction(torch.autograd.Function):
    """Layer normalisation with a hand-written backward pass (3.2b).

    ``LayerNormFunction.apply(x, gamma, beta, eps)``: x (S, M), gamma (M,), beta (M,), eps a
    float; returns (S, M). The backward returns gradients for x, gamma and beta (None for
    any that does not require one) and None for eps. It is differentiable once (a second
    derivative raises an error instead of silently being wrong).
    """

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor,
                gamma: torch.Tensor, beta: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
        if not (isinstance(gamma, torch.Tensor) and isinstance(beta, torch.Tensor)):
            raise TypeError("gamma and beta must be tensors of shape (M,)")
        if gamma.dim() != 1 or beta.shape != gamma.shape:
            raise ValueError(f"gamma and beta must both have shape (M,) (one value per "
                             f"feature), got {tuple(gamma.shape)} and {tuple(beta.shape)}")
        check_layernorm_input(x, gamma.shape[0])
        _check_arguments(gamma.shape[0], eps)
        # BEGIN SOLUTION
        mean = x.mean(dim=1, keepdim=True)  # (S, 1)
        var = x.var(dim=1, unbiased=False, keepdim=True)  # (S, 1), biased
        inv_std = 1.0 / torch.sqrt(var + eps)  # (S, 1)
        x_hat = (x - mean) * inv_std  # (S, M)
        out = gamma * x_hat + beta
        need_x, need_gamma = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        # dx needs x_hat, gamma and inv_std; dgamma needs x_hat; dbeta needs nothing saved
        ctx.save_for_backward(x_hat if need_x or need_gamma else None,
                              gamma if need_x else None, inv_std if need_x else None)
        # END SOLUTION
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx: torch.autograd.function.FunctionCtx, grad_output: torch.Tensor
                 ) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None,
                            None]:
        grad_x = grad_gamma = grad_beta = None
        # BEGIN SOLUTION
        x_hat, gamma, inv_std = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            m = grad_output.shape[1]
            dx_hat = grad_output * gamma  # (S, M)
            grad_x = inv_std / m * (m * dx_hat - dx_hat.sum(dim=1, keepdim=True)
                                    - x_hat * (dx_hat * x_hat).sum(dim=1, keepdim=True))
        if ctx.needs_input_grad[1]:
            grad_gamma = (grad_output * x_hat).sum(dim=0)  # (M,)
        if ctx.needs_input_grad[2]:
            grad_beta = grad_output.sum(dim=0)  # (M,)
        # END SOLUTION
        return grad_x, grad_gamma, grad_beta, None


class LayerNormManual(_LayerNormBase):
    """Layer normalisation as an ``nn.Module`` that calls :class:`LayerNormFunction` (3.2c).

    Same arguments, parameters and shape check as :class:`LayerNormAutograd`.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_layernorm_input(x, self.n_neurons)
        # BEGIN SOLUTION
        out = LayerNormFunction.apply(x, self.gamma, self.beta, self.eps)
        # END SOLUTION
        return out
