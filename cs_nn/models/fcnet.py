"""FullyConnectedNet: a multi-layer perceptron built from the functional layers.

Architecture, for L = len(hidden_dims) hidden layers::

    {linear - [batchnorm / layernorm] - activation - [dropout]} x L  -  linear  -  softmax CE

The activation is ReLU unless ``activation`` names another one of ``cs_nn.layers.ACTIVATIONS``
("leaky_relu", "elu", "sigmoid", "tanh"). ``normalization="batchnorm"`` or ``"layernorm"``
normalises every hidden layer's linear output before its activation.
With ``hidden_dims=[]`` it is softmax regression. The parameters live in ``self.params``
("W1", "b1", ..., "W{L+1}", "b{L+1}", plus "gamma1", "beta1", ... with normalisation) so any
optimiser loop (e.g. the Solver) can update them. Batchnorm's running averages are not
parameters (nothing learns them by gradient): they are state, kept in ``self.bn_params`` and
exposed as ``self.buffers`` ("running_mean1", "running_var1", ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cs_nn._checks import as_dtype, as_float_array, as_label_array, check_seed
from cs_nn._util.speed import speed_path
from cs_nn.layers import (
    ACTIVATIONS,
    NORMALIZATIONS,
    dropout_backward,
    dropout_forward,
    l2_regularization,
    linear_backward,
    linear_forward,
    softmax_loss,
)
from cs_nn.layers.normalization import BN_DEFAULTS, LN_DEFAULTS
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

BUFFER_KEYS = ("running_mean", "running_var")


@register_model
class FullyConnectedNet:
    """Fully-connected classifier: ReLU (or another activation), normalisation, dropout, L2.

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
        normalization: None (default), "batchnorm" or "layernorm": applied to every hidden
            layer's linear output, before the activation, with a learned scale gamma_i
            (starts at ones) and shift beta_i (zeros), which are not regularised.

    Attributes:
        params: "W1" (D, H1), "b1" (H1,), ..., "W{L+1}" (H_L, C), "b{L+1}" (C,); with
            normalisation also "gamma{i}" and "beta{i}" (H_i,) for every hidden layer i.
        bn_params: one dict per hidden layer, passed to the normalisation layer: batchnorm
            {"mode", "eps": 1e-5, "momentum": 0.9, "running_mean", "running_var"} (running
            averages start at zeros and are updated by every training-mode loss call; the
            mode is "train" when ``loss`` gets labels, else "test"); layernorm {"eps": 1e-5}.
        rng: the Generator used for dropout masks.
        dropout_seed: None, or an int: then every loss call draws its masks from a fresh
            ``default_rng(dropout_seed)``, so the masks repeat exactly (for gradient checks).
    """

    def __init__(self, hidden_dims: Sequence[int], input_dim: int = 3 * 32 * 32,
                 num_classes: int = 10, dropout: float = 0.0, reg: float = 0.0,
                 weight_scale: float | str = 1e-2, dtype: Any = np.float32,
                 seed: int | None = None, activation: str = "relu",
                 normalization: str | None = None) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, "
                             f"got {activation!r}")
        if normalization is not None and normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be None or one of {sorted(NORMALIZATIONS)}, "
                             f"got {normalization!r}")
        self.activation = activation
        self.normalization = normalization
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
            if normalization is not None and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(dims[i], dtype=self.dtype)
                self.params[f"beta{i}"] = np.zeros(dims[i], dtype=self.dtype)
        self.bn_params: list[dict[str, Any]] = []  # one per hidden layer, with normalisation
        if normalization == "batchnorm":
            self.bn_params = [{**BN_DEFAULTS, "running_mean": np.zeros(h, dtype=self.dtype),
                               "running_var": np.zeros(h, dtype=self.dtype)}
                              for h in self.hidden_dims]
        elif normalization == "layernorm":
            self.bn_params = [dict(LN_DEFAULTS) for _ in self.hidden_dims]

    @property
    def buffers(self) -> dict[str, np.ndarray]:
        """Batchnorm's running averages, "running_mean{i}" and "running_var{i}" (H_i,) per
        hidden layer ({} without batchnorm): model state that is not trained by gradients but
        must be saved with the parameters. A snapshot dict of the current arrays (the layer
        replaces them at every training step rather than changing them in place)."""
        if self.normalization != "batchnorm":
            return {}
        return {f"{key}{i}": bn[key] for i, bn in enumerate(self.bn_params, start=1)
                for key in BUFFER_KEYS}

    def load_buffers(self, buffers: dict[str, np.ndarray]) -> None:
        """Set the running averages from a dict like :attr:`buffers` (e.g. a saved model's).

        The names must be exactly those of :attr:`buffers`, the shapes match, the values be
        finite (and variances >= 0); they are copied in the model's dtype.
        """
        expected = self.buffers
        if set(buffers) != set(expected):
            raise ValueError(f"buffers must have the names {sorted(expected)}, got "
                             f"{sorted(buffers)}")
        checked = {}
        for name, value in buffers.items():
            arr = as_float_array(f"buffers[{name!r}]", value)
            if arr.shape != expected[name].shape:
                raise ValueError(f"buffers[{name!r}] has shape {arr.shape} but the layer "
                                 f"needs {expected[name].shape}")
            if name.startswith("running_var") and np.any(arr < 0):
                raise ValueError(f"buffers[{name!r}] holds negative variances")
            checked[name] = arr.astype(self.dtype)  # a copy: the caller's array stays theirs
        for i, bn in enumerate(self.bn_params, start=1):
            for key in BUFFER_KEYS:
                bn[key] = checked[f"{key}{i}"]

    @property
    def config(self) -> dict[str, Any]:
        """JSON-able constructor arguments: ``FullyConnectedNet(**model.config)`` rebuilds it."""
        return {"hidden_dims": list(self.hidden_dims), "input_dim": self.input_dim,
                "num_classes": self.num_classes, "dropout": self.dropout, "reg": self.reg,
                "weight_scale": json_weight_scale(self.weight_scale), "dtype": self.dtype.name,
                "seed": self.seed, "activation": self.activation,
                "normalization": self.normalization}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FullyConnectedNet:
        """A fresh model with the architecture ``config`` (a :attr:`config`) describes."""
        return cls(**config)

    @classmethod
    def architecture(cls, config: dict[str, Any]) -> Architecture:
        """Parameter shapes W1 (D, H1), b1 (H1,), [gamma1, beta1 (H1,)], ..., input shape (D,),
        without building."""
        cfg = with_defaults(cls, config)
        dims = [cfg["input_dim"], *cfg["hidden_dims"], cfg["num_classes"]]
        shapes = {}
        for i in range(1, len(dims)):
            shapes.update(linear_param_shapes(dims[i - 1:i + 1], [f"%s{i}"]))
            if cfg["normalization"] is not None and i < len(dims) - 1:
                shapes[f"gamma{i}"] = shapes[f"beta{i}"] = (dims[i],)
        return Architecture((cfg["input_dim"],), cfg["num_classes"], shapes)

    def _check_inputs(self, X: np.ndarray) -> np.ndarray:
        X = as_float_array("X", X, min_ndim=2)
        d = int(np.prod(X.shape[1:], dtype=np.int64))
        if d != self.input_dim:
            raise ValueError(f"X has {d} features per sample (shape {X.shape}) but the model "
                             f"expects input_dim={self.input_dim}; reshape X to (N, "
                             f"{self.input_dim}) or build the model with input_dim={d}")
        return X.astype(self.dtype, copy=False)  # compute in the parameters' dtype

    @speed_path("models", "fcnet_loss")
    def loss(self, X: np.ndarray, y: np.ndarray | None = None
             ) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        """Class scores (test mode) or loss and gradients (training mode).

        Args:
            X: (N, d1..dk) inputs with d1 * ... * dk = input_dim.
            y: (N,) integer labels in [0, num_classes), or None.

        Returns:
            y is None: scores (N, C), dropout off, batchnorm in test mode (running averages).
            otherwise: (loss, grads), loss a float and grads[name] of params[name]'s shape;
                batchnorm uses the batch statistics and updates its running averages.
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
        norm_forward, norm_backward = NORMALIZATIONS.get(self.normalization, (None, None))
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = "train" if train else "test"

        # BEGIN SOLUTION
        h = X
        caches = []  # one (linear, normalisation, activation, dropout) tuple per hidden layer
        for i in range(1, L):
            h, lin_cache = linear_forward(h, p[f"W{i}"], p[f"b{i}"])  # (N, H_i)
            norm_cache = None
            if norm_forward is not None:
                h, norm_cache = norm_forward(h, p[f"gamma{i}"], p[f"beta{i}"],
                                             self.bn_params[i - 1])
            h, act_cache = act_forward(h)
            drop_cache = None
            if self.use_dropout:
                h, drop_cache = dropout_forward(h, dropout_param)
            caches.append((lin_cache, norm_cache, act_cache, drop_cache))
        scores, out_cache = linear_forward(h, p[f"W{L}"], p[f"b{L}"])  # (N, C)
        # END SOLUTION
        if not train:
            return scores

        grads: dict[str, np.ndarray] = {}
        # BEGIN SOLUTION
        loss, dscores = softmax_loss(scores, y)
        dh, grads[f"W{L}"], grads[f"b{L}"] = linear_backward(dscores, out_cache)
        for i in range(L - 1, 0, -1):
            lin_cache, norm_cache, act_cache, drop_cache = caches[i - 1]
            if drop_cache is not None:
                dh = dropout_backward(dh, drop_cache)
            dh = act_backward(dh, act_cache)
            if norm_cache is not None:
                dh, grads[f"gamma{i}"], grads[f"beta{i}"] = norm_backward(dh, norm_cache)
            dh, grads[f"W{i}"], grads[f"b{i}"] = linear_backward(dh, lin_cache)
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
