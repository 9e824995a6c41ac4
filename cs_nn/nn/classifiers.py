"""Two ready-made classifiers on the :class:`~cs_nn.nn.classifier.Classifier` base.

A classification model in the object style is a network (a :class:`Sequential` of modules
that maps inputs (N, D) to scores (N, C)) plus the one training step every model shares,
``Classifier.loss(X, y)``: the softmax cross-entropy data loss plus ``0.5 * reg * sum(W**2)``
over the weight matrices only (biases are not regularised), and the gradients of both. So a
new model only has to say which modules it is made of; the Solver trains them all alike.

    linear = LinearClassifier(input_dim=3072, num_classes=10, reg=1e-3, seed=0)
    net = TwoLayerNet(input_dim=3072, hidden_dim=100, num_classes=10, reg=1e-3, seed=0)
    loss, grads = net.loss(X_batch, y_batch)       # the shared training step
    Solver(net, data, update_rule="sgd", optim_config={"learning_rate": 1e-1}).train()

Both draw their weights from one ``np.random.default_rng(seed)`` in layer order, exactly as
:func:`~cs_nn.nn.classifier.mlp` does, so ``TwoLayerNet(D, H, C, seed=s)`` starts with the
weights of ``mlp(D, [H], C, seed=s)`` and ``LinearClassifier(D, C, seed=s)`` with those of
``mlp(D, [], C, seed=s)``; their ``config`` rebuilds that equivalent network.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cs_nn.nn.classifier import Classifier, check_architecture, check_seed, mlp_spec
from cs_nn.nn.containers import Sequential
from cs_nn.nn.layers import Linear, ReLU, WeightScale, as_dtype

NOTEBOOK = "05_fully_connected_nets"


class LinearClassifier(Classifier):
    """Softmax regression: scores = X W + b, one Linear module.

    Args:
        input_dim: D, the flattened size of one input sample.
        num_classes: C.
        weight_scale: std of the initial weights, or "he" / "xavier".
        reg: L2 strength on W (not on b).
        dtype: float32 (fast) or float64 (gradient checks).
        seed: seeds the generator that draws W.

    params: "0.W" (D, C), "0.b" (C,).
    """

    def __init__(self, input_dim: int, num_classes: int = 10, weight_scale: WeightScale = 1e-2,
                 reg: float = 0.0, dtype: Any = np.float32, seed: int | None = None) -> None:
        check_architecture([], input_dim, num_classes, 0.0)
        rng = np.random.default_rng(check_seed(seed))
        network = Sequential(Linear(input_dim, num_classes, weight_scale, dtype, rng))
        network.spec = mlp_spec(input_dim, [], num_classes, "relu", 0.0, weight_scale,
                                as_dtype(dtype), seed)
        super().__init__(network, reg=reg)


class TwoLayerNet(Classifier):
    """linear - ReLU - linear: one hidden layer of ``hidden_dim`` units.

    Args:
        input_dim: D, the flattened size of one input sample.
        hidden_dim: H, the width of the hidden layer.
        num_classes: C.
        weight_scale: std of the initial weights, or "he" / "xavier".
        reg: L2 strength on both weight matrices (not on the biases).
        dtype: float32 (fast) or float64 (gradient checks).
        seed: seeds the one generator that draws W1, then W2.

    params: "0.W" (D, H), "0.b" (H,), "2.W" (H, C), "2.b" (C,).
    """

    def __init__(self, input_dim: int, hidden_dim: int = 100, num_classes: int = 10,
                 weight_scale: WeightScale = 1e-2, reg: float = 0.0, dtype: Any = np.float32,
                 seed: int | None = None) -> None:
        (hidden_dim,) = check_architecture([hidden_dim], input_dim, num_classes, 0.0)
        rng = np.random.default_rng(check_seed(seed))
        # BEGIN SOLUTION
        network = Sequential(Linear(input_dim, hidden_dim, weight_scale, dtype, rng), ReLU(),
                             Linear(hidden_dim, num_classes, weight_scale, dtype, rng))
        # END SOLUTION
        network.spec = mlp_spec(input_dim, [hidden_dim], num_classes, "relu", 0.0,
                                weight_scale, as_dtype(dtype), seed)
        super().__init__(network, reg=reg)
