"""Question 03: softmax cross-entropy and L2 regularisation."""

from __future__ import annotations

import numpy as np

from cs_nn import layers
from cs_nn.course.questions import ArraySpec, Question

NOTEBOOK = "03_softmax_and_regularization"
N, C = 16, 10
W_SHAPE = (12, 7)
REG = 0.3


def _softmax_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    # a wide range of scores, some large enough to overflow a naive exp
    scores = 5 * rng.standard_normal((N, C))
    scores[0] += 1000.0
    return {"scores": scores, "y": rng.integers(0, C, N)}


def _softmax(scores: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    loss, dscores = layers.softmax_loss(scores, y)
    return {"loss": np.array([loss]), "dscores": dscores}


def _l2(w: np.ndarray) -> dict[str, np.ndarray]:
    loss, dw = layers.l2_regularization(w, REG)
    return {"loss": np.array([loss]), "dw": dw}


QUESTIONS = [
    Question("softmax_loss", NOTEBOOK,
             {"scores": ArraySpec((N, C)), "y": ArraySpec((N,), "int64")},
             {"loss": ArraySpec((1,)), "dscores": ArraySpec((N, C))},
             _softmax_inputs, _softmax, points=3.0),
    Question("l2", NOTEBOOK, {"w": ArraySpec(W_SHAPE)},
             {"loss": ArraySpec((1,)), "dw": ArraySpec(W_SHAPE)},
             lambda rng: {"w": rng.standard_normal(W_SHAPE)}, _l2, params={"reg": REG}),
]
