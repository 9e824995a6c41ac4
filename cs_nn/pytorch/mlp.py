"""The multi-layer perceptron of seed 003 section 2, in PyTorch.

    linear - activation  (once per hidden layer)  -  linear  ->  class scores

The same network as the numpy ``FullyConnectedNet`` (notebook 05), written with ``torch.nn``
so that autograd computes the backward pass. With ``n_hidden=[100]`` and ELU it is the network
of seed 003 sections 1.2 and 2.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

NOTEBOOK = "11_from_numpy_to_pytorch"

#: hidden-layer non-linearities, named as in ``cs_nn.layers.ACTIVATIONS``
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
}


def make_activation(name: str) -> nn.Module:
    """A fresh activation module; leaky ReLU slope 0.01 and ELU alpha 1, as in cs_nn.layers."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


class MLP(nn.Module):
    """Fully-connected classifier.

    Args:
        n_inputs: D, the number of features of one (flattened) sample, e.g. 3 * 32 * 32.
        n_hidden: widths of the hidden layers, e.g. [100]; [] gives softmax regression.
        n_classes: C, the number of classes.
        activation: a key of :data:`ACTIVATIONS` ("elu" as in seed 003).
        dropout: DROP probability after every hidden activation (0 turns it off).

    Shapes: ``forward(X)`` takes (N, d1, ..., dk) with d1 * ... * dk = D and returns scores
    (N, C); the softmax is left to the loss (``torch.nn.functional.cross_entropy``).
    """

    def __init__(self, n_inputs: int, n_hidden: Sequence[int], n_classes: int,
                 activation: str = "elu", dropout: float = 0.0) -> None:
        super().__init__()
        if int(n_inputs) < 1 or int(n_classes) < 2 or any(int(h) < 1 for h in n_hidden):
            raise ValueError(f"need n_inputs >= 1, n_classes >= 2 and positive hidden widths; "
                             f"got {n_inputs}, {n_classes}, {list(n_hidden)}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        self.config: dict[str, Any] = {
            "n_inputs": int(n_inputs), "n_hidden": [int(h) for h in n_hidden],
            "n_classes": int(n_classes), "activation": activation, "dropout": float(dropout)}
        dims = [int(n_inputs), *self.config["n_hidden"], int(n_classes)]
        layers: list[nn.Module] = []
        # BEGIN SOLUTION
        for d_in, d_out in zip(dims[:-2], dims[1:-1]):
            layers += [nn.Linear(d_in, d_out), make_activation(activation)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(dims[-2], dims[-1]))
        # END SOLUTION
        self.layers = nn.Sequential(*layers)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Scores (N, C) for inputs (N, d1, ..., dk)."""
        # BEGIN SOLUTION
        return self.layers(X.flatten(start_dim=1))  # (N, D) -> (N, C)
        # END SOLUTION

    def linear_layers(self) -> list[nn.Linear]:
        """The linear layers in order (W1/b1 first), for converting to and from numpy."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]
