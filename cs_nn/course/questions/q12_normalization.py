"""Question 12: batch normalisation (training mode) and layer normalisation, forward and backward.

Both use ``eps = 1e-5`` and biased variances. The batchnorm questions run in training mode
(batch statistics) starting from fresh running averages; the graded outputs do not depend on
the running averages or the momentum.
"""

from __future__ import annotations

import numpy as np

from cs_nn import layers
from cs_nn.course.questions import ArraySpec, Question

NOTEBOOK = "12_normalization"
N, D = 10, 6
EPS = 1e-5
SHAPE = (N, D)
_IN = {"x": ArraySpec(SHAPE), "gamma": ArraySpec((D,)), "beta": ArraySpec((D,))}
_GRADS = {"dx": ArraySpec(SHAPE), "dgamma": ArraySpec((D,)), "dbeta": ArraySpec((D,))}


def _inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    # features with different means and scales, so that forgetting to centre or to scale
    # (or normalising along the wrong axis) changes the answer
    means, scales = rng.normal(2.0, 1.0, size=D), rng.uniform(0.5, 4.0, size=D)
    x = means + scales * rng.standard_normal(SHAPE)  # (N, D)
    return {"x": x, "gamma": rng.uniform(0.5, 2.0, D), "beta": rng.normal(0.0, 1.0, D)}


def _backward_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {**_inputs(rng), "dout": rng.standard_normal(SHAPE)}


def _bn_param() -> dict[str, object]:
    return {"mode": "train", "eps": EPS}


def _batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray
                       ) -> dict[str, np.ndarray]:
    return {"": layers.batchnorm_forward(x, gamma, beta, _bn_param())[0]}


def _batchnorm_backward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                        dout: np.ndarray) -> dict[str, np.ndarray]:
    _, cache = layers.batchnorm_forward(x, gamma, beta, _bn_param())
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


def _layernorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray
                       ) -> dict[str, np.ndarray]:
    return {"": layers.layernorm_forward(x, gamma, beta, {"eps": EPS})[0]}


def _layernorm_backward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                        dout: np.ndarray) -> dict[str, np.ndarray]:
    _, cache = layers.layernorm_forward(x, gamma, beta, {"eps": EPS})
    dx, dgamma, dbeta = layers.layernorm_backward(dout, cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


_BACKWARD_IN = {**_IN, "dout": ArraySpec(SHAPE)}

QUESTIONS = [
    Question("batchnorm_forward", NOTEBOOK, _IN, {"": ArraySpec(SHAPE)}, _inputs,
             _batchnorm_forward, params={"mode": "train", "eps": EPS}, points=2.0),
    Question("batchnorm_backward", NOTEBOOK, _BACKWARD_IN, _GRADS, _backward_inputs,
             _batchnorm_backward, params={"mode": "train", "eps": EPS}, points=3.0),
    Question("layernorm_forward", NOTEBOOK, _IN, {"": ArraySpec(SHAPE)}, _inputs,
             _layernorm_forward, params={"eps": EPS}, points=2.0),
    Question("layernorm_backward", NOTEBOOK, _BACKWARD_IN, _GRADS, _backward_inputs,
             _layernorm_backward, params={"eps": EPS}, points=3.0),
]
