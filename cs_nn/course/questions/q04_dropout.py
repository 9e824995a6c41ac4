"""Question 04: inverted dropout. Graded statistically, since masks differ between RNGs."""

from __future__ import annotations

import numpy as np

from cs_nn import layers
from cs_nn.course.questions import ArraySpec, Question

NOTEBOOK = "04_dropout"
SHAPE = (100, 50)
P = 0.3
SEED = 42


def _forward(x: np.ndarray) -> dict[str, np.ndarray]:
    train, _ = layers.dropout_forward(x, {"p": P, "mode": "train", "seed": SEED})
    test, _ = layers.dropout_forward(x, {"p": P, "mode": "test"})
    return {"train": train, "test": test}


def _backward(x: np.ndarray, dout: np.ndarray) -> dict[str, np.ndarray]:
    train, cache = layers.dropout_forward(x, {"p": P, "mode": "train", "seed": SEED})
    return {"train": train, "dx": layers.dropout_backward(dout, cache)}


def _x(rng: np.random.Generator) -> np.ndarray:
    return 5.0 + rng.standard_normal(SHAPE)  # bounded away from 0, so a zero means "dropped"


QUESTIONS = [
    Question("dropout_forward", NOTEBOOK, {"x": ArraySpec(SHAPE)},
             {"train": ArraySpec(SHAPE), "test": ArraySpec(SHAPE)},
             lambda rng: {"x": _x(rng)}, _forward, grading="dropout",
             params={"p": P, "seed": SEED}, points=2.0),
    Question("dropout_backward", NOTEBOOK, {"x": ArraySpec(SHAPE), "dout": ArraySpec(SHAPE)},
             {"train": ArraySpec(SHAPE), "dx": ArraySpec(SHAPE)},
             lambda rng: {"x": _x(rng), "dout": 5.0 + rng.standard_normal(SHAPE)},
             _backward, grading="dropout", params={"p": P, "seed": SEED}, points=2.0),
]
