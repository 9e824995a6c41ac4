"""Question 11: the ELU MLP of seed 003 in PyTorch, graded on the numbers of the bridge.

The network's weights are inputs, in cs_nn's layout (W1 (D, H), W2 (H, C)), so the answer
does not depend on PyTorch's initialisation: build ``cs_nn.pytorch.mlp.MLP``, copy the
weights in (transposed: ``nn.Linear.weight`` is (out, in)), then let autograd do the rest.
The reference needs PyTorch; without it ``cs-nn outputs`` / ``grade`` skip these questions
and say so (``cs-nn check`` works either way).
"""

from __future__ import annotations

import numpy as np

from cs_nn.course.questions import ArraySpec, Question
from cs_nn.models import FullyConnectedNet

NOTEBOOK = "11_from_numpy_to_pytorch"
N, D, H, C = 10, 12, 16, 5
LR, NUM_STEPS = 0.1, 5
PARAMS = {"W1": ArraySpec((D, H)), "b1": ArraySpec((H,)), "W2": ArraySpec((H, C)),
          "b2": ArraySpec((C,))}
INPUTS = {**PARAMS, "X": ArraySpec((N, D)), "y": ArraySpec((N,), "int64")}


def _inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"W1": rng.standard_normal((D, H)) * np.sqrt(2.0 / D),
            "b1": 0.1 * rng.standard_normal(H),
            "W2": rng.standard_normal((H, C)) * np.sqrt(2.0 / H),
            "b2": 0.1 * rng.standard_normal(C),
            "X": rng.standard_normal((N, D)), "y": rng.integers(0, C, N)}


def _mlp(params: dict[str, np.ndarray]):
    from cs_nn.pytorch.convert import fcnet_to_torch  # lazy: imports torch

    net = FullyConnectedNet([H], input_dim=D, num_classes=C, dtype=np.float64, seed=0,
                            activation="elu")
    net.params = {k: np.array(params[k], dtype=np.float64) for k in PARAMS}
    return fcnet_to_torch(net)  # float64 MLP with these weights


def _loss(X: np.ndarray, y: np.ndarray, **params: np.ndarray) -> dict[str, np.ndarray]:
    import torch

    from cs_nn.pytorch.bridge import torch_loss_and_grads  # lazy: imports torch

    mlp = _mlp(params)
    loss, _ = torch_loss_and_grads(mlp, X, y)
    with torch.no_grad():
        scores = mlp(torch.from_numpy(np.asarray(X, dtype=np.float64))).numpy()
    return {"loss": np.array([loss]), "scores": scores}


def _grads(X: np.ndarray, y: np.ndarray, **params: np.ndarray) -> dict[str, np.ndarray]:
    from cs_nn.pytorch.bridge import torch_loss_and_grads  # lazy: imports torch

    return torch_loss_and_grads(_mlp(params), X, y)[1]


def _sgd_losses(X: np.ndarray, y: np.ndarray, **params: np.ndarray) -> dict[str, np.ndarray]:
    import torch

    from cs_nn.pytorch.loop import train_step  # lazy: imports torch

    mlp = _mlp(params)
    opt = torch.optim.SGD(mlp.parameters(), lr=LR)
    Xt, yt = torch.from_numpy(np.asarray(X, dtype=np.float64)), torch.from_numpy(y)
    return {"": np.array([train_step(mlp, opt, Xt, yt) for _ in range(NUM_STEPS)])}


_PARAMS = {"hidden_dims": [H], "activation": "elu", "dtype": "float64"}
QUESTIONS = [
    Question("torch_mlp_loss", NOTEBOOK, INPUTS,
             {"loss": ArraySpec((1,)), "scores": ArraySpec((N, C))}, _inputs, _loss,
             params=_PARAMS, points=2.0, requires=("torch",)),
    Question("torch_mlp_grads", NOTEBOOK, INPUTS, dict(PARAMS), _inputs, _grads,
             params=_PARAMS, points=3.0, requires=("torch",)),
    Question("torch_sgd_losses", NOTEBOOK, INPUTS, {"": ArraySpec((NUM_STEPS,))}, _inputs,
             _sgd_losses, params={**_PARAMS, "lr": LR, "num_steps": NUM_STEPS,
                                  "batch": "the whole of X, every step"},
             points=2.0, requires=("torch",)),
]
