"""Object-style layers: each module wraps a functional layer and keeps its own cache.

``forward(x)`` stores what the backward pass needs; ``backward(dout)`` uses the cache of the
LAST forward call, fills ``grads`` (for modules with parameters) and returns ``dx``. Calling
backward before any forward is an error with a clear message.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cs_nn._checks import as_dtype, as_float_array, check_int
from cs_nn.layers import (
    dropout_backward,
    dropout_forward,
    elu_backward,
    elu_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    linear_backward,
    linear_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax,
    tanh_backward,
    tanh_forward,
)
from cs_nn.modelkit import WeightScale, init_weight
from cs_nn.nn.module import Module

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "05_fully_connected_nets"


class _Cached(Module):
    """A module that remembers the cache of its last forward call."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: Any = None

    def _last_cache(self) -> Any:
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward was called before forward: "
                               "run forward on a batch first, then backward")
        return self._cache


class Linear(_Cached):
    """Fully-connected layer ``out = x.reshape(N, D) @ W + b``.

    Args:
        in_features: D, the flattened size of one input sample.
        out_features: M, the number of outputs.
        weight_scale: standard deviation of the initial weights, or "he" / "xavier".
        dtype: float32 or float64 for the parameters.
        rng: a Generator (shared, so several layers can draw from one stream) or a seed.

    params: "W" (D, M) and "b" (M,), zero-initialised biases.
    """

    def __init__(self, in_features: int, out_features: int, weight_scale: WeightScale = 1e-2,
                 dtype: Any = np.float32, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            check_int(name, value, 1)
        self.in_features, self.out_features = int(in_features), int(out_features)
        dt = as_dtype(dtype)
        rng = np.random.default_rng(rng)
        self.params["W"] = init_weight(self.in_features, self.out_features, weight_scale, dt, rng)
        self.params["b"] = np.zeros(self.out_features, dtype=dt)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, d1..dk) with d1 * ... * dk = in_features. Returns (N, out_features)."""
        x = as_float_array("x", x, min_ndim=1, finite=False)
        d = int(np.prod(x.shape[1:], dtype=np.int64))
        if d != self.in_features:
            raise ValueError(f"{self!r} expects {self.in_features} features per sample, got x of "
                             f"shape {x.shape} ({d} features); reshape x to (N, "
                             f"{self.in_features}) or change in_features")
        out, self._cache = linear_forward(x, self.params["W"], self.params["b"])
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (N, out_features). Sets grads "W", "b"; returns dx with the input's shape."""
        dx, self.grads["W"], self.grads["b"] = linear_backward(dout, self._last_cache())
        return dx

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features})"


class _Activation(_Cached):
    """Element-wise activation from a functional (forward, backward) pair."""

    _forward = staticmethod(relu_forward)
    _backward = staticmethod(relu_backward)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape. Returns out of x's shape."""
        out, self._cache = type(self)._forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: the output's shape. Returns dx of the input's shape."""
        return type(self)._backward(dout, self._last_cache())


class ReLU(_Activation):
    """``max(0, x)``."""


class Tanh(_Activation):
    """Hyperbolic tangent."""

    _forward = staticmethod(tanh_forward)
    _backward = staticmethod(tanh_backward)


class Sigmoid(_Activation):
    """Logistic sigmoid ``1 / (1 + exp(-x))``."""

    _forward = staticmethod(sigmoid_forward)
    _backward = staticmethod(sigmoid_backward)


class LeakyReLU(_Cached):
    """``x`` for x > 0, else ``alpha * x`` (default alpha 0.01)."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape. Returns out of x's shape."""
        out, self._cache = leaky_relu_forward(x, self.alpha)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: the output's shape. Returns dx of the input's shape."""
        return leaky_relu_backward(dout, self._last_cache())

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class ELU(_Cached):
    """``x`` for x > 0, else ``alpha * (exp(x) - 1)`` (default alpha 1.0)."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape. Returns out of x's shape."""
        out, self._cache = elu_forward(x, self.alpha)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: the output's shape. Returns dx of the input's shape."""
        return elu_backward(dout, self._last_cache())

    def __repr__(self) -> str:
        return f"ELU(alpha={self.alpha})"


class Softmax(_Cached):
    """Row-wise softmax of (N, C) scores into probabilities (pair it with CrossEntropy)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C). Returns probabilities (N, C), each row summing to 1."""
        probs = softmax(x)
        self._cache = probs
        return probs

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (N, C) gradient w.r.t. the probabilities. Returns dx (N, C)."""
        probs = self._last_cache()
        dout = as_float_array("dout", dout, ndim=2, finite=False)
        if dout.shape != probs.shape:
            raise ValueError(f"dout has shape {dout.shape} but the output has shape {probs.shape}")
        # BEGIN SOLUTION
        # Jacobian of softmax: diag(p) - p p^T, applied to each row of dout.
        dx = probs * (dout - np.sum(dout * probs, axis=1, keepdims=True))  # (N, C)
        # END SOLUTION
        return dx


class Dropout(_Cached):
    """Inverted dropout with DROP probability ``p``; active only in training mode.

    Args:
        p: probability of zeroing each unit, in [0, 1).
        rng: a Generator (shared with other layers, for a reproducible stream) or a seed.

    Set ``dropout_seed`` to an int to draw the SAME mask on every call (for gradient checks).
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        p = float(p)
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout p is the probability of DROPPING a unit and must lie in "
                             f"[0, 1), got {p}")
        self.p = p
        self.rng = np.random.default_rng(rng)
        self.dropout_seed: int | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape. Returns x's shape: masked and scaled in training, x itself in eval."""
        rng = self.rng if self.dropout_seed is None else np.random.default_rng(self.dropout_seed)
        param = {"p": self.p, "mode": "train" if self.training else "test", "rng": rng}
        out, self._cache = dropout_forward(x, param)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: the output's shape. Applies the mask of the last forward (identity in eval)."""
        return dropout_backward(dout, self._last_cache())

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class Flatten(_Cached):
    """Reshape (N, d1..dk) to (N, d1 * ... * dk); backward restores the shape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, d1..dk). Returns (N, D) with D = d1 * ... * dk."""
        x = as_float_array("x", x, min_ndim=1, finite=False)
        self._cache = x.shape
        return x.reshape(x.shape[0], int(np.prod(x.shape[1:], dtype=np.int64)))  # (N, D)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (N, D). Returns dx (N, d1..dk), the input's shape."""
        shape = self._last_cache()
        dout = np.asarray(dout)
        if dout.size != int(np.prod(shape, dtype=np.int64)) or dout.shape[:1] != shape[:1]:
            raise ValueError(f"dout has shape {dout.shape}, which does not match the flattened "
                             f"input of shape {shape}")
        return dout.reshape(shape)
