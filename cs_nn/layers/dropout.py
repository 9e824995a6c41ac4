"""Inverted dropout: zero each activation with probability p in training, scale the rest.

Training: ``out = x * mask / (1 - p)`` with ``mask ~ Bernoulli(1 - p)``, so the expected value
of every unit is unchanged and the test-time network needs no rescaling. Test: ``out = x``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cs_nn._checks import as_float_array, check_same_shape

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "04_dropout"

DropoutCache = tuple[dict[str, Any], np.ndarray | None]


def _check_param(dropout_param: dict[str, Any]) -> tuple[float, str]:
    if not isinstance(dropout_param, dict):
        raise TypeError("dropout_param must be a dict like {'p': 0.5, 'mode': 'train', 'seed': 0}")
    unknown = set(dropout_param) - {"p", "mode", "seed", "rng"}
    if unknown:
        raise ValueError(f"dropout_param has unknown key(s) {sorted(unknown)}; "
                         "allowed: 'p', 'mode', 'seed', 'rng'")
    if "p" not in dropout_param:
        raise ValueError("dropout_param needs 'p', the probability of DROPPING a unit, in [0, 1)")
    p = float(dropout_param["p"])
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability p must lie in [0, 1), got {p}")
    mode = dropout_param.get("mode", "train")
    if mode not in ("train", "test"):
        raise ValueError(f"dropout mode must be 'train' or 'test', got {mode!r}")
    return p, mode


def dropout_forward(x: np.ndarray, dropout_param: dict[str, Any]
                    ) -> tuple[np.ndarray, DropoutCache]:
    """Inverted dropout.

    Args:
        x: activations of any shape.
        dropout_param: ``p`` (drop probability in [0, 1)), ``mode`` ("train" or "test",
            default "train"), and optionally ``seed`` (int) or ``rng`` (np.random.Generator)
            for a reproducible mask. Without either a fresh generator is used.

    Returns:
        out: x's shape; ``x * mask / (1 - p)`` in training, ``x`` in test mode.
        cache: (dropout_param, mask) where mask already holds the 1 / (1 - p) scale
            (None in test mode).
    """
    p, mode = _check_param(dropout_param)
    x = as_float_array("x", x, finite=False)
    if mode == "test":
        return x.copy(), (dropout_param, None)
    rng = dropout_param.get("rng")
    if rng is None:
        rng = np.random.default_rng(dropout_param.get("seed"))
    # BEGIN SOLUTION
    keep = rng.random(x.shape) >= p  # True with probability 1 - p
    mask = keep.astype(x.dtype) / x.dtype.type(1.0 - p)  # (x's shape), 0 or 1/(1-p)
    out = x * mask
    # END SOLUTION
    return out, (dropout_param, mask)


def dropout_backward(dout: np.ndarray, cache: DropoutCache) -> np.ndarray:
    """Gradient of inverted dropout: the same scaled mask applied to dout (identity in test)."""
    dropout_param, mask = cache
    dout = as_float_array("dout", dout, finite=False)
    if mask is None:
        return dout.copy()
    check_same_shape("dout", dout, "the dropout mask", mask)
    # BEGIN SOLUTION
    dx = dout * mask
    # END SOLUTION
    return dx
