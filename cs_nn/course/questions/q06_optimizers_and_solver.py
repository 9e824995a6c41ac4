"""Question 06: one step of SGD with momentum, RMSProp and Adam, from a given state.

The optimiser state (velocity; cache; m and v) is an input, so every rule is graded in the
middle of training, not only on its first step. Hyperparameters are fixed in ``params`` and
deliberately differ from the defaults.
"""

from __future__ import annotations

import numpy as np

from cs_nn import optim
from cs_nn.course.questions import ArraySpec, Question

NOTEBOOK = "06_optimizers_and_solver"
SHAPE = (6, 5)
SPEC = ArraySpec(SHAPE)

MOMENTUM_PARAMS = {"learning_rate": 0.05, "momentum": 0.8}
RMSPROP_PARAMS = {"learning_rate": 0.01, "decay_rate": 0.9, "epsilon": 1e-8}
ADAM_PARAMS = {"learning_rate": 0.02, "beta1": 0.85, "beta2": 0.99, "epsilon": 1e-8, "t": 5}


def _w_dw(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"w": rng.standard_normal(SHAPE), "dw": rng.standard_normal(SHAPE)}


def _momentum_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {**_w_dw(rng), "velocity": 0.1 * rng.standard_normal(SHAPE)}


def _rmsprop_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    # a running mean of squared gradients: positive and bounded away from zero
    return {**_w_dw(rng), "cache": 0.2 + rng.random(SHAPE)}


def _adam_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {**_w_dw(rng), "m": 0.3 * rng.standard_normal(SHAPE),
            "v": 0.2 + rng.random(SHAPE)}


def _momentum(w: np.ndarray, dw: np.ndarray, velocity: np.ndarray) -> dict[str, np.ndarray]:
    next_w, config = optim.sgd_momentum(w, dw, {**MOMENTUM_PARAMS, "velocity": velocity})
    return {"next_w": next_w, "velocity": config["velocity"]}


def _rmsprop(w: np.ndarray, dw: np.ndarray, cache: np.ndarray) -> dict[str, np.ndarray]:
    next_w, config = optim.rmsprop(w, dw, {**RMSPROP_PARAMS, "cache": cache})
    return {"next_w": next_w, "cache": config["cache"]}


def _adam(w: np.ndarray, dw: np.ndarray, m: np.ndarray, v: np.ndarray) -> dict[str, np.ndarray]:
    next_w, config = optim.adam(w, dw, {**ADAM_PARAMS, "m": m, "v": v})
    return {"next_w": next_w, "m": config["m"], "v": config["v"]}


QUESTIONS = [
    Question("sgd_momentum", NOTEBOOK, {"w": SPEC, "dw": SPEC, "velocity": SPEC},
             {"next_w": SPEC, "velocity": SPEC}, _momentum_inputs, _momentum,
             params=MOMENTUM_PARAMS, points=2.0),
    Question("rmsprop", NOTEBOOK, {"w": SPEC, "dw": SPEC, "cache": SPEC},
             {"next_w": SPEC, "cache": SPEC}, _rmsprop_inputs, _rmsprop,
             params=RMSPROP_PARAMS, points=2.0),
    Question("adam", NOTEBOOK, {"w": SPEC, "dw": SPEC, "m": SPEC, "v": SPEC},
             {"next_w": SPEC, "m": SPEC, "v": SPEC}, _adam_inputs, _adam,
             params=ADAM_PARAMS, points=3.0),
]
