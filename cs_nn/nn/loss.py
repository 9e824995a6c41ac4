"""Loss modules: ``forward(scores, y) -> loss`` (a float), then ``backward() -> dscores``.

A loss sits at the end of the chain, so its backward needs no upstream gradient: the
gradient of the loss with respect to itself is 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cs_nn._checks import as_float_array, as_label_array
from cs_nn.layers import softmax_loss

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "05_fully_connected_nets"


class Loss:
    """Base class of the loss modules; ``loss(scores, y)`` is ``loss.forward(scores, y)``."""

    def __init__(self) -> None:
        self._cache: Any = None

    def forward(self, scores: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def __call__(self, scores: np.ndarray, y: np.ndarray) -> float:
        return self.forward(scores, y)

    def _last_cache(self) -> Any:
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward was called before forward: "
                               "compute the loss with forward(scores, y) first")
        return self._cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, fused for numerical stability.

    forward: scores (N, C), y (N,) integer labels in [0, C) -> mean loss over N.
    backward: -> dscores (N, C) = (softmax(scores) - onehot(y)) / N.
    """

    def forward(self, scores: np.ndarray, y: np.ndarray) -> float:
        loss, dscores = softmax_loss(scores, y)
        self._cache = dscores
        return loss

    def backward(self) -> np.ndarray:
        return self._last_cache().copy()


class CrossEntropy(Loss):
    """Cross-entropy of probabilities (the output of a Softmax module) and integer labels.

    forward: probs (N, C) with rows summing to 1, y (N,) -> ``-mean_i log probs[i, y_i]``.
    backward: -> dprobs (N, C), ``-1 / (N * probs[i, y_i])`` at the label, 0 elsewhere.
    Probabilities are clipped at ``eps`` so a zero probability gives a large, finite loss.
    """

    def __init__(self, eps: float = 1e-12) -> None:
        super().__init__()
        self.eps = float(eps)

    def forward(self, scores: np.ndarray, y: np.ndarray) -> float:
        probs = as_float_array("probs", scores, ndim=2)
        n, c = probs.shape
        if n == 0:
            raise ValueError("probs is empty: CrossEntropy needs at least one sample")
        if probs.min() < 0 or probs.max() > 1:
            raise ValueError("CrossEntropy expects probabilities in [0, 1] (put a Softmax "
                             "module before it, or use SoftmaxCrossEntropy on raw scores)")
        y = as_label_array("y", y, num_classes=c, n=n)
        rows = np.arange(n)
        # BEGIN SOLUTION
        p_true = np.maximum(probs[rows, y], self.eps)  # (N,)
        loss = float(-np.mean(np.log(p_true)))
        dprobs = np.zeros_like(probs)
        dprobs[rows, y] = -1.0 / (n * p_true)
        # END SOLUTION
        self._cache = dprobs
        return loss

    def backward(self) -> np.ndarray:
        return self._last_cache().copy()
