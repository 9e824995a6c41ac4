"""Element-wise activation functions with their backward rules side by side.

Every forward takes x of any shape and returns ``(out, cache)`` with out of x's shape;
every backward takes ``(dout, cache)`` with dout of x's shape and returns dx of x's shape.
"""

from __future__ import annotations

import numpy as np

from cs_nn._checks import as_float_array, check_same_shape

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "02_linear_and_activations"


def _check_dout(dout: np.ndarray, ref: np.ndarray) -> np.ndarray:
    dout = as_float_array("dout", dout, finite=False)
    check_same_shape("dout", dout, "the layer's input", ref)
    return dout


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ReLU, ``max(0, x)``. x: any shape. Returns out (x's shape) and cache x."""
    x = as_float_array("x", x, finite=False)
    # BEGIN SOLUTION
    out = np.maximum(x, 0)
    # END SOLUTION
    return out, x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """ReLU gradient: dout where x > 0, else 0 (the kink at 0 gets gradient 0)."""
    x = cache
    dout = _check_dout(dout, x)
    # BEGIN SOLUTION
    dx = dout * (x > 0)
    # END SOLUTION
    return dx


def leaky_relu_forward(x: np.ndarray, alpha: float = 0.01
                       ) -> tuple[np.ndarray, tuple[np.ndarray, float]]:
    """Leaky ReLU, ``x`` where x > 0 else ``alpha * x``. x: any shape."""
    x = as_float_array("x", x, finite=False)
    # BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * x).astype(x.dtype, copy=False)
    # END SOLUTION
    return out, (x, alpha)


def leaky_relu_backward(dout: np.ndarray, cache: tuple[np.ndarray, float]) -> np.ndarray:
    """Leaky ReLU gradient: dout where x > 0, else ``alpha * dout``."""
    x, alpha = cache
    dout = _check_dout(dout, x)
    # BEGIN SOLUTION
    dx = np.where(x > 0, dout, alpha * dout).astype(dout.dtype, copy=False)
    # END SOLUTION
    return dx


def elu_forward(x: np.ndarray, alpha: float = 1.0
                ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, float]]:
    """ELU, ``x`` where x > 0 else ``alpha * (exp(x) - 1)``. x: any shape."""
    x = as_float_array("x", x, finite=False)
    # BEGIN SOLUTION
    neg = alpha * np.expm1(np.minimum(x, 0))  # clipped so large positive x cannot overflow
    out = np.where(x > 0, x, neg).astype(x.dtype, copy=False)
    # END SOLUTION
    return out, (x, out, alpha)


def elu_backward(dout: np.ndarray, cache: tuple[np.ndarray, np.ndarray, float]) -> np.ndarray:
    """ELU gradient: dout where x > 0, else ``dout * (out + alpha)`` (= alpha * exp(x))."""
    x, out, alpha = cache
    dout = _check_dout(dout, x)
    # BEGIN SOLUTION
    dx = np.where(x > 0, dout, dout * (out + alpha)).astype(dout.dtype, copy=False)
    # END SOLUTION
    return dx


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow. x: any shape."""
    x = as_float_array("x", x, finite=False)
    # BEGIN SOLUTION
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    out = np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)
    # END SOLUTION
    return out, out


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Sigmoid gradient: ``dout * s * (1 - s)`` with s the forward output."""
    s = cache
    dout = _check_dout(dout, s)
    # BEGIN SOLUTION
    dx = dout * s * (1 - s)
    # END SOLUTION
    return dx


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hyperbolic tangent. x: any shape."""
    x = as_float_array("x", x, finite=False)
    # BEGIN SOLUTION
    out = np.tanh(x)
    # END SOLUTION
    return out, out


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """tanh gradient: ``dout * (1 - t**2)`` with t the forward output."""
    t = cache
    dout = _check_dout(dout, t)
    # BEGIN SOLUTION
    dx = dout * (1 - t * t)
    # END SOLUTION
    return dx


#: The activations a network can be built with, by name: (forward, backward), each with its
#: default parameters (leaky ReLU alpha 0.01, ELU alpha 1.0).
ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
    "elu": (elu_forward, elu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}
