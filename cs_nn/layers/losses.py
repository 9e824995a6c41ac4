"""Softmax cross-entropy loss and L2 weight regularisation."""

from __future__ import annotations

import numpy as np

from cs_nn._checks import as_float_array, as_label_array, check_score_margins

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "03_softmax_and_regularization"


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (N, C) scores, shifted by the row maximum so exp never overflows."""
    scores = as_float_array("scores", scores, ndim=2)
    shifted = scores - scores.max(axis=1, keepdims=True)  # (N, C), max of each row is 0
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_loss(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy over the batch and its gradient.

    Args:
        scores: (N, C) unnormalised class scores.
        y: (N,) integer labels in [0, C).

    Returns:
        loss: ``-mean_i log softmax(scores_i)[y_i]`` as a Python float.
        dscores: (N, C) gradient of ``loss`` with respect to ``scores``.

    Raises:
        NonFiniteError (a ValueError): NaN / inf scores, or scores so extreme (e.g. +-1.7e308)
            that the loss would overflow to inf.
    """
    scores = as_float_array("scores", scores, ndim=2)
    n, c = scores.shape
    if n == 0:
        raise ValueError("scores is empty: softmax_loss needs at least one sample")
    y = as_label_array("y", y, num_classes=c, n=n)
    check_score_margins(scores, y)  # an overflowing loss is an error, not a silent inf
    # BEGIN SOLUTION
    shifted = scores - scores.max(axis=1, keepdims=True)  # (N, C)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    rows = np.arange(n)
    loss = float(-log_probs[rows, y].mean())
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    dscores /= n
    # END SOLUTION
    return loss, dscores


def l2_regularization(w: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """L2 penalty ``0.5 * reg * sum(w ** 2)`` and its gradient ``reg * w``.

    Args:
        w: weights of any shape.
        reg: regularisation strength, >= 0.

    Returns:
        loss: the penalty as a Python float.
        dw: w's shape.
    """
    w = as_float_array("w", w)
    reg = float(reg)
    if not reg >= 0:
        raise ValueError(f"reg must be a non-negative number, got {reg}")
    # BEGIN SOLUTION
    loss = 0.5 * reg * float(np.sum(w * w))
    dw = reg * w
    # END SOLUTION
    return loss, dw
