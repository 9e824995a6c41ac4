"""Question 04: inverted dropout. Graded statistically, since masks differ between RNGs.

Both questions follow seed 001: the forward pass with drop probability p = 0.3 in both
modes, the backward pass with p = 0.8 in both modes (in test mode dx is dout unchanged),
together with the training-mode forward output whose mask the training-mode dx must reuse.
"""

from __future__ import annotations

import numpy as np

from cs_nn import layers
from cs_nn.course.questions import ArraySpec, Question

NOTEBOOK = "04_dropout"
SHAPE = (100, 50)
P = 0.3  # dropout_forward
P_BACKWARD = 0.8  # dropout_backward: seed 001 uses a different p for the backward files
SEED = 42


def _forward(x: np.ndarray) -> dict[str, np.ndarray]:
    train, _ = layers.dropout_forward(x, {"p": P, "mode": "train", "seed": SEED})
    test, _ = layers.dropout_forward(x, {"p": P, "mode": "test"})
    return {"train": train, "test": test}


def _backward(x: np.ndarray, dout: np.ndarray) -> dict[str, np.ndarray]:
    # "forward" is the training-mode output of the pass whose cache dx["train"] used, so the
    # grader can check that the backward pass reused the forward mask.
    out = {}
    for mode in ("train", "test"):
        forward, cache = layers.dropout_forward(x, {"p": P_BACKWARD, "mode": mode, "seed": SEED})
        if mode == "train":
            out["forward"] = forward
        out[mode] = layers.dropout_backward(dout, cache)
    return out


def _x(rng: np.random.Generator) -> np.ndarray:
    return 5.0 + rng.standard_normal(SHAPE)  # bounded away from 0, so a zero means "dropped"


QUESTIONS = [
    Question("dropout_forward", NOTEBOOK, {"x": ArraySpec(SHAPE)},
             {"train": ArraySpec(SHAPE), "test": ArraySpec(SHAPE)},
             lambda rng: {"x": _x(rng)}, _forward, grading="dropout",
             params={"p": P, "seed": SEED}, points=2.0),
    Question("dropout_backward", NOTEBOOK, {"x": ArraySpec(SHAPE), "dout": ArraySpec(SHAPE)},
             {"forward": ArraySpec(SHAPE), "train": ArraySpec(SHAPE), "test": ArraySpec(SHAPE)},
             lambda rng: {"x": _x(rng), "dout": 5.0 + rng.standard_normal(SHAPE)},
             _backward, grading="dropout", params={"p": P_BACKWARD, "seed": SEED}, points=2.0),
]
