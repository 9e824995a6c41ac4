"""Question 05: loss, test-mode scores and gradients of a small FullyConnectedNet.

The network's weights are inputs, so the answer does not depend on how a model initialises
itself: build the model, overwrite ``model.params`` with the input arrays, then call
``model.loss``.
"""

from __future__ import annotations

import numpy as np

from cs_nn.course.questions import ArraySpec, Question
from cs_nn.models import FullyConnectedNet

NOTEBOOK = "05_fully_connected_nets"
N, D, HIDDEN_DIMS, C = 8, 15, (20, 30), 7
REG = 0.1
DIMS = (D, *HIDDEN_DIMS, C)
NUM_LAYERS = len(DIMS) - 1
PARAM_NAMES = tuple(f"{kind}{i}" for i in range(1, NUM_LAYERS + 1) for kind in ("W", "b"))
PARAM_SPECS = {name: ArraySpec((DIMS[int(name[1:]) - 1], DIMS[int(name[1:])]) if name[0] == "W"
                               else (DIMS[int(name[1:])],))
               for name in PARAM_NAMES}
INPUTS = {**PARAM_SPECS, "X": ArraySpec((N, D)), "y": ArraySpec((N,), "int64")}


def _inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for i in range(1, NUM_LAYERS + 1):
        fan_in, fan_out = DIMS[i - 1], DIMS[i]
        # He-scaled weights keep the scores O(1); non-zero biases so that db is tested too
        arrays[f"W{i}"] = np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_in, fan_out))
        arrays[f"b{i}"] = 0.1 * rng.standard_normal(fan_out)
    arrays["X"] = rng.standard_normal((N, D))
    arrays["y"] = rng.integers(0, C, N)
    return arrays


def _model(params: dict[str, np.ndarray]) -> FullyConnectedNet:
    """The graded network, in float64, with its parameters replaced by the input arrays."""
    model = FullyConnectedNet(list(HIDDEN_DIMS), input_dim=D, num_classes=C, reg=REG,
                              dtype=np.float64, seed=0)
    for name in PARAM_NAMES:
        model.params[name] = np.array(params[name], dtype=np.float64)
    return model


def _loss(X: np.ndarray, y: np.ndarray, **params: np.ndarray) -> dict[str, np.ndarray]:
    model = _model(params)
    loss, _ = model.loss(X, y)
    return {"loss": np.array([loss]), "scores": model.loss(X)}


def _grads(X: np.ndarray, y: np.ndarray, **params: np.ndarray) -> dict[str, np.ndarray]:
    _, grads = _model(params).loss(X, y)
    return {name: grads[name] for name in PARAM_NAMES}


_PARAMS = {"hidden_dims": list(HIDDEN_DIMS), "input_dim": D, "num_classes": C, "reg": REG,
           "dropout": 0.0, "dtype": "float64"}

QUESTIONS = [
    Question("fcnet_loss", NOTEBOOK, INPUTS,
             {"loss": ArraySpec((1,)), "scores": ArraySpec((N, C))},
             _inputs, _loss, params=_PARAMS, points=3.0),
    Question("fcnet_grads", NOTEBOOK, INPUTS, dict(PARAM_SPECS), _inputs, _grads,
             params=_PARAMS, points=4.0),
]
