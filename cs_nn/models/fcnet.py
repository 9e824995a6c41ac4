"""FullyConnectedNet: a multi-layer perceptron built from the functional layers.

Architecture, for L = len(hidden_dims) hidden layers::

    {linear - activation - [dropout]} x L  -  linear  -  softmax cross-entropy

The activation is ReLU unless ``activation`` names another one of ``cs_nn.layers.ACTIVATIONS``
("leaky_relu", "elu", "sigmoid", "tanh").
With ``hidden_dims=[]`` it is softmax regression. The parameters live in ``self.params``
("W1", "b1", ..., "W{L+1}", "b{L+1}") so any optimiser loop (e.g. the Solver) can update them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cs_nn._checks import as_dtype, as_float_array, as_label_array, check_seed
from cs_nn.layers import (
    ACTIVATIONS,
    dropout_backward,
    dropout_forward,
    l2_regularization,
    linear_backward,
    linear_forward,
    softmax_loss,
)
from cs_nn.modelkit import (
    Architecture,
    check_architecture,
    init_weight,
    json_weight_scale,
    linear_param_shapes,
    predict_in_batches,
    register_model,
    with_defaults,
)

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "05_fully_connected_nets"


@register_model
class FullyConnectedNet:
    """Fully-connected classifier: ReLU (or another activation), inverted dropout, L2.

    Args:
        hidden_dims: widths of the hidden layers, e.g. [100, 50]; [] for softmax regression.
        input_dim: D, the flattened size of one input sample (3 * 32 * 32 for CIFAR-10).
        num_classes: C, the number of classes.
        dropout: DROP probability p in [0, 1) after every hidden activation; 0 turns it off.
        reg: L2 strength: loss = data loss + 0.5 * reg * sum of squared weights (not biases).
        weight_scale: std of the initial weights, or "he" / "xavier"; biases start at zero.
        dtype: float32 (fast) or float64 (for gradient checks); all parameters use it.
        seed: seeds ``np.random.default_rng``, which draws W1, W2, ... in order and then the
            dropout masks, so a fixed seed reproduces both initialisation and training.
        activation: the hidden layers' non-linearity, a key of ``cs_nn.layers.ACTIVATIONS``:
            "relu" (default), "leaky_relu", "elu", "sigmoid" or "tanh".

    Attributes:
        params: "W1" (D, H1), "b1" (H1,), ..., "W{L+1}" (H_L, C), "b{L+1}" (C,).
        rng: the Generator used for dropout masks.
        dropout_seed: None, or an int: then every loss call draws its masks from a fresh
            ``default_rng(dropout_seed)``, so the masks repeat exactly (for gradient checks).
    """

    def __init__(self, hidden_dims: Sequence[int], input_dim: int = 3 * 32 * 32,
                 num_classes: int = 10, dropout: float = 0.0, reg: float = 0.0,
                 weight_scale: float | str = 1e-2, dtype: Any = np.float32,
                 seed: int | None = None, activation: str = "relu") -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, "
                             f"got {activation!r}")
        self.activation = activation
        self.hidden_dims = check_architecture(hidden_dims, input_dim, num_classes, dropout)
        reg = float(reg)
        if not (np.isfinite(reg) and reg >= 0):
            raise ValueError(f"reg must be a finite number >= 0, got {reg}")
        self.input_dim = int(input_dim)
        self.num_classes = int(num_classes)
        self.dropout = float(dropout)
        self.use_dropout = self.dropout > 0
        self.reg = reg
        self.weight_scale = weight_scale
        self.dtype = as_dtype(dtype)
        self.seed = check_seed(seed)
        self.num_layers = len(self.hidden_dims) + 1
        self.dropout_seed: int | None = None

        self.rng = np.random.default_rng(self.seed)
        dims = [self.input_dim, *self.hidden_dims, self.num_classes]
        self.params: dict[str, np.ndarray] = {}
        for i in range(1, self.num_layers + 1):
            self.params[f"W{i}"] = init_weight(dims[i - 1], dims[i], weight_scale, self.dtype,
                                               self.rng)
            self.params[f"b{i}"] = np.zeros(dims[i], dtype=self.dtype)

    @property
    def config(self) -> dict[str, Any]:
        """JSON-able constructor arguments: ``FullyConnectedNet(**model.config)`` rebuilds it."""
        return {"hidden_dims": list(self.hidden_dims), "input_dim": self.input_dim,
                "num_classes": self.num_classes, "dropout": self.dropout, "reg": self.reg,
                "weight_scale": json_weight_scale(self.weight_scale), "dtype": self.dtype.name,
                "seed": self.seed, "activation": self.activation}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FullyConnectedNet:
        """A fresh model with the architecture ``config`` (a :attr:`config`) describes."""
        return cls(**config)

    @classmethod
    def architecture(cls, config: dict[str, Any]) -> Architecture:
        """Parameter shapes W1 (D, H1), b1 (H1,), ..., input shape (D,), without building."""
        cfg = with_defaults(cls, config)
        dims = [cfg["input_dim"], *cfg["hidden_dims"], cfg["num_classes"]]
        names = [f"%s{i}" for i in range(1, len(dims))]
        return Architecture((cfg["input_dim"],), cfg["num_classes"],
                            linear_param_shapes(dims, names))

    def _check_inputs(self, X: np.ndarray) -> np.ndarray:
        X = as_float_array("X", X, min_ndim=2)
        d = int(np.prod(X.shape[1:], dtype=np.int64))
        if d != self.input_dim:
            raise ValueError(f"X has {d} features per sample (shape {X.shape}) but the model "
                             f"expects input_dim={self.input_dim}; reshape X to (N, "
                             f"{self.input_dim}) or build the model with input_dim={d}")
        return X.astype(self.dtype, copy=False)  # compute in the parameters' dtype

    def loss(self, X: np.ndarray, y: np.ndarray | None = None
             ) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        """Class scores (test mode) or loss and gradients (training mode).

        Args:
            X: (N, d1..dk) inputs with d1 * ... * dk = input_dim.
            y: (N,) integer labels in [0, num_classes), or None.

        Returns:
            y is None: scores (N, C), dropout off.
            otherwise: (loss, grads), loss a float and grads[name] of params[name]'s shape.
        """
        X = self._check_inputs(X)
        train = y is not None
        if train:
            y = as_label_array("y", y, num_classes=self.num_classes, n=X.shape[0])
        rng = self.rng if self.dropout_seed is None else np.random.default_rng(self.dropout_seed)
        dropout_param = {"p": self.dropout, "mode": "train" if train else "test", "rng": rng}
        L = self.num_layers
        p = self.params
        act_forward, act_backward = ACTIVATIONS[self.activation]

        # BEGIN SOLUTION
        h = X
        caches = []  # one (linear, activation, dropout) triple per hidden layer
        for i in range(1, L):
            # X was checked for NaN / inf above: the first layer need not scan it again
            h, lin_cache = linear_forward(h, p[f"W{i}"], p[f"b{i}"],
                                          check_x_finite=i > 1)  # (N, H_i)
            h, act_cache = act_forward(h)
            drop_cache = None
            if self.use_dropout:
                h, drop_cache = dropout_forward(h, dropout_param)
            caches.append((lin_cache, act_cache, drop_cache))
        scores, out_cache = linear_forward(h, p[f"W{L}"], p[f"b{L}"],
                                           check_x_finite=L > 1)  # (N, C)
        # END SOLUTION
        if not train:
            return scores

        grads: dict[str, np.ndarray] = {}
        # BEGIN SOLUTION
        loss, dscores = softmax_loss(scores, y)
        # the first layer's input is the data: its gradient dx is never needed
        dh, grads[f"W{L}"], grads[f"b{L}"] = linear_backward(dscores, out_cache,
                                                             need_dx=L > 1)
        for i in range(L - 1, 0, -1):
            lin_cache, act_cache, drop_cache = caches[i - 1]
            if drop_cache is not None:
                dh = dropout_backward(dh, drop_cache)
            dh = act_backward(dh, act_cache)
            dh, grads[f"W{i}"], grads[f"b{i}"] = linear_backward(dh, lin_cache, need_dx=i > 1)
        if self.reg != 0:  # with reg = 0 the penalty and its gradient are exactly zero
            for i in range(1, L + 1):
                reg_loss, dw = l2_regularization(p[f"W{i}"], self.reg)
                loss += reg_loss
                grads[f"W{i}"] = grads[f"W{i}"] + dw
        # END SOLUTION
        return loss, grads

    def predict(self, X: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """X: (N, d1..dk). Returns (N,) int64 predicted classes, computed batch by batch."""
        X = self._check_inputs(X)
        return predict_in_batches(self.loss, X, batch_size)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"FullyConnectedNet({args})"
