"""Question 02: the linear layer and the element-wise activations, forward and backward."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cs_nn import layers
from cs_nn.course.questions import ArraySpec, Question

NOTEBOOK = "02_linear_and_activations"
N, SAMPLE, M = 5, (2, 3, 4), 6
D = int(np.prod(SAMPLE))
ACT_SHAPE = (8, 10)


def _linear_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"x": rng.standard_normal((N, *SAMPLE)), "w": 0.5 * rng.standard_normal((D, M)),
            "b": rng.standard_normal(M)}


def _linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    return {"": layers.linear_forward(x, w, b)[0]}


def _linear_backward_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {**_linear_inputs(rng), "dout": rng.standard_normal((N, M))}


def _linear_backward(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                     dout: np.ndarray) -> dict[str, np.ndarray]:
    dx, dw, db = layers.linear_backward(dout, layers.linear_forward(x, w, b)[1])
    return {"dx": dx, "dw": dw, "db": db}


def _activation(name: str, forward: Callable, backward: Callable) -> list[Question]:
    spec = ArraySpec(ACT_SHAPE)

    def fwd(x: np.ndarray) -> dict[str, np.ndarray]:
        return {"": forward(x)[0]}

    def bwd(x: np.ndarray, dout: np.ndarray) -> dict[str, np.ndarray]:
        return {"": backward(dout, forward(x)[1])}

    def bwd_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {"x": 2 * rng.standard_normal(ACT_SHAPE), "dout": rng.standard_normal(ACT_SHAPE)}

    return [
        Question(f"{name}_forward", NOTEBOOK, {"x": spec}, {"": spec},
                 lambda rng: {"x": 2 * rng.standard_normal(ACT_SHAPE)}, fwd),
        Question(f"{name}_backward", NOTEBOOK, {"x": spec, "dout": spec}, {"": spec},
                 bwd_inputs, bwd),
    ]


_LINEAR_IN = {"x": ArraySpec((N, *SAMPLE)), "w": ArraySpec((D, M)), "b": ArraySpec((M,))}

QUESTIONS = [
    Question("linear_forward", NOTEBOOK, _LINEAR_IN, {"": ArraySpec((N, M))},
             _linear_inputs, _linear_forward, points=2.0),
    Question("linear_backward", NOTEBOOK, {**_LINEAR_IN, "dout": ArraySpec((N, M))},
             {"dx": ArraySpec((N, *SAMPLE)), "dw": ArraySpec((D, M)), "db": ArraySpec((M,))},
             _linear_backward_inputs, _linear_backward, points=3.0),
    *_activation("relu", layers.relu_forward, layers.relu_backward),
    *_activation("leaky_relu", layers.leaky_relu_forward, layers.leaky_relu_backward),
    *_activation("elu", layers.elu_forward, layers.elu_backward),
    *_activation("sigmoid", layers.sigmoid_forward, layers.sigmoid_backward),
    *_activation("tanh", layers.tanh_forward, layers.tanh_backward),
]

