"""Numeric gradients by centred differences, for checking hand-written backward passes.

``df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)``: the error of the centred formula is
O(h^2), so with float64 and h = 1e-5 a correct backward pass agrees to about 1e-8 relative.
Two ways to measure the agreement: :func:`rel_error` (CS231n's, element by element, so one
tiny entry can dominate) and :func:`scaled_rel_error` (the largest difference relative to
the largest magnitude, the measure behind seed 004's thresholds of 1e-9 and 1e-10).
Each function perturbs a private copy of ``x``: the caller's array is never modified.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _float64_copy(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype != np.float64:
        raise TypeError(f"numeric gradients need float64 inputs (got {x.dtype}): in float32 "
                        "the rounding error of f swamps the finite difference")
    return x.copy()


def _centred_differences(x: np.ndarray, h: float, evaluate: Callable[[np.ndarray], Any],
                         difference: Callable[[Any, Any], float],
                         verbose: bool = False) -> np.ndarray:
    """``grad[i] = difference(evaluate(x + h e_i), evaluate(x - h e_i)) / (2 h)`` for every
    index i of a float64 copy of x (restored after each step); grad has x's shape."""
    x = _float64_copy(x)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        plus = evaluate(x)
        x[ix] = old - h
        minus = evaluate(x)
        x[ix] = old
        grad[ix] = difference(plus, minus) / (2 * h)
        if verbose:
            print(ix, f"{grad[ix]:.8e}")
    return grad


def eval_numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, verbose: bool = True,
                            h: float = 1e-5) -> np.ndarray:
    """Numeric gradient of a scalar function.

    Args:
        f: maps an array of x's shape to a scalar.
        x: float64 point of any shape at which to differentiate.
        verbose: print each index and its partial derivative (for small x only).
        h: step of the centred difference.

    Returns:
        grad: x's shape, ``grad[i] ~ df/dx[i]``.
    """
    return _centred_differences(x, h, lambda z: float(f(z)), lambda fxph, fxmh: fxph - fxmh,
                                verbose)


def eval_numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                                  df: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Numeric gradient of ``sum(f(x) * df)``: the vector-Jacobian product a backward computes.

    Args:
        f: maps an array of x's shape to an array of df's shape.
        x: float64 point of any shape.
        df: upstream gradient with the shape of f(x).
        h: step of the centred difference.

    Returns:
        grad: x's shape.
    """
    df = np.asarray(df, dtype=np.float64)

    def difference(pos: np.ndarray, neg: np.ndarray) -> float:
        if pos.shape != df.shape:
            raise ValueError(f"f(x) has shape {pos.shape} but df has shape {df.shape}")
        return np.sum((pos - neg) * df)

    return _centred_differences(x, h, lambda z: np.array(f(z), dtype=np.float64), difference)


def grad_check_sparse(f: Callable[[np.ndarray], float], x: np.ndarray, analytic_grad: np.ndarray,
                      num_checks: int = 10, h: float = 1e-5,
                      rng: np.random.Generator | int | None = 0) -> float:
    """Compare an analytic gradient with numeric partials at a few random entries.

    For parameters too big to difference in full. Returns the largest relative error seen.

    Args:
        f: maps an array of x's shape to a scalar.
        x: float64 parameters of any shape.
        analytic_grad: x's shape, the gradient to check.
        num_checks: how many random entries to test.
        rng: a Generator or a seed for choosing the entries.
    """
    x = _float64_copy(x)
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(f"analytic_grad has shape {analytic_grad.shape} but x has shape {x.shape}")
    rng = np.random.default_rng(rng)
    worst = 0.0
    for flat in rng.choice(x.size, size=min(num_checks, x.size), replace=False):
        ix = np.unravel_index(flat, x.shape)
        old = x[ix]
        x[ix] = old + h
        fxph = float(f(x))
        x[ix] = old - h
        fxmh = float(f(x))
        x[ix] = old
        numeric = (fxph - fxmh) / (2 * h)
        worst = max(worst, rel_error(np.array(numeric), np.array(analytic_grad[ix])))
    return worst


def _pair(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays as float64, after checking that their shapes agree."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"cannot compare arrays of shapes {x.shape} and {y.shape}")
    return x, y


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    """Largest element-wise relative error ``|x - y| / max(1e-8, |x| + |y|)``."""
    x, y = _pair(x, y)
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def scaled_rel_error(x: np.ndarray, y: np.ndarray, eps: float = 1e-10) -> float:
    """``max_i |x_i - y_i| / (max_i |x_i| + max_i |y_i| + eps)``: differences relative to the
    arrays' scale, so entries far smaller than the largest one do not dominate."""
    x, y = _pair(x, y)
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y)) / (np.max(np.abs(x)) + np.max(np.abs(y)) + eps))
