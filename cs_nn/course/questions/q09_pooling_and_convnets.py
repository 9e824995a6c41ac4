"""Question 09: 2x2 max pooling with stride 2, forward and backward.

The inputs hold distinct values (a random permutation of an evenly spaced grid), so every
window has exactly one maximum: no tie-breaking rule can change the graded answer.
"""

from __future__ import annotations

import math

import numpy as np

from cs_nn import layers
from cs_nn.course.questions import ArraySpec, Question

NOTEBOOK = "09_pooling_and_convnets"
X_SHAPE = (2, 3, 8, 8)
POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}
OUT_SHAPE = (2, 3, 4, 4)


def _distinct(rng: np.random.Generator) -> np.ndarray:
    """Values -2 .. 2 on an even grid, shuffled: all different, so no window has a tie."""
    size = math.prod(X_SHAPE)
    return rng.permutation(np.linspace(-2.0, 2.0, size)).reshape(X_SHAPE)


def _forward(x: np.ndarray) -> dict[str, np.ndarray]:
    return {"": layers.max_pool_forward(x, POOL_PARAM)[0]}


def _backward(x: np.ndarray, dout: np.ndarray) -> dict[str, np.ndarray]:
    _, cache = layers.max_pool_forward(x, POOL_PARAM)
    return {"": layers.max_pool_backward(dout, cache)}


QUESTIONS = [
    Question("maxpool_forward", NOTEBOOK, {"x": ArraySpec(X_SHAPE)}, {"": ArraySpec(OUT_SHAPE)},
             lambda rng: {"x": _distinct(rng)}, _forward, params=POOL_PARAM, points=2.0),
    Question("maxpool_backward", NOTEBOOK,
             {"x": ArraySpec(X_SHAPE), "dout": ArraySpec(OUT_SHAPE)}, {"": ArraySpec(X_SHAPE)},
             lambda rng: {"x": _distinct(rng), "dout": rng.standard_normal(OUT_SHAPE)},
             _backward, params=POOL_PARAM, points=3.0),
]
