"""Question 08: the convolution layer, forward and backward, with stride 2 and padding 1.

Shapes: x (2, 3, 7, 7), w (4, 3, 3, 3), b (4,); with stride 2 and one zero pixel on each
side the output is (2, 4, 4, 4), since ``1 + (7 + 2 * 1 - 3) / 2 = 4``.
"""

from __future__ import annotations

import numpy as np

from cs_nn import layers
from cs_nn.course.questions import ArraySpec, Question

NOTEBOOK = "08_convolution"
X_SHAPE = (2, 3, 7, 7)
W_SHAPE = (4, 3, 3, 3)
CONV_PARAM = {"stride": 2, "pad": 1}
OUT_SHAPE = (2, 4, 4, 4)

_IN = {"x": ArraySpec(X_SHAPE), "w": ArraySpec(W_SHAPE), "b": ArraySpec((W_SHAPE[0],))}


def _inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"x": rng.standard_normal(X_SHAPE), "w": 0.3 * rng.standard_normal(W_SHAPE),
            "b": 0.1 * rng.standard_normal(W_SHAPE[0])}


def _backward_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {**_inputs(rng), "dout": rng.standard_normal(OUT_SHAPE)}


def _forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    return {"": layers.conv_forward(x, w, b, CONV_PARAM)[0]}


def _backward(x: np.ndarray, w: np.ndarray, b: np.ndarray,
              dout: np.ndarray) -> dict[str, np.ndarray]:
    _, cache = layers.conv_forward(x, w, b, CONV_PARAM)
    dx, dw, db = layers.conv_backward(dout, cache)
    return {"dx": dx, "dw": dw, "db": db}


QUESTIONS = [
    Question("conv_forward", NOTEBOOK, _IN, {"": ArraySpec(OUT_SHAPE)}, _inputs, _forward,
             params=CONV_PARAM, points=3.0),
    Question("conv_backward", NOTEBOOK, {**_IN, "dout": ArraySpec(OUT_SHAPE)},
             {"dx": ArraySpec(X_SHAPE), "dw": ArraySpec(W_SHAPE), "db": ArraySpec((W_SHAPE[0],))},
             _backward_inputs, _backward, params=CONV_PARAM, points=4.0),
]
