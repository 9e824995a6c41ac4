"""ThreeLayerConvNet: the smallest convolutional network worth training.

Architecture::

    conv (F filters, "same" padding, stride 1) - relu - 2x2 max pool (stride 2)
        - linear (hidden_dim) - relu - linear (num_classes) - softmax cross-entropy

"Same" padding, ``pad = (filter_size - 1) // 2`` with an odd filter size, keeps the conv
output at H x W, so the pooled feature maps are (F, H // 2, W // 2). The parameters live in
``self.params`` so any optimiser loop (e.g. the Solver) can update them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cs_nn._checks import as_dtype, as_float_array, as_label_array, check_int, check_seed
from cs_nn._util.speed import speed_path
from cs_nn.layers import (
    conv_relu_pool_backward,
    conv_relu_pool_forward,
    l2_regularization,
    linear_backward,
    linear_forward,
    linear_relu_backward,
    linear_relu_forward,
    softmax_loss,
)
from cs_nn.modelkit import Architecture, predict_in_batches, register_model, with_defaults

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "09_pooling_and_convnets"


def _param_shapes(c: int, h: int, w: int, f: int, k: int, hd: int, nc: int
                  ) -> dict[str, tuple[int, ...]]:
    """W1 (F, C, k, k), b1 (F,), W2 (F * (H // 2) * (W // 2), hd), b2 (hd,), W3 (hd, nc), b3."""
    return {"W1": (f, c, k, k), "b1": (f,), "W2": (f * (h // 2) * (w // 2), hd), "b2": (hd,),
            "W3": (hd, nc), "b3": (nc,)}


@register_model
class ThreeLayerConvNet:
    """conv - relu - 2x2 max pool - linear - relu - linear - softmax.

    Args:
        input_dim: (C, H, W) of one input image; H and W at least 2.
        num_filters: F, filters in the convolutional layer.
        filter_size: odd filter height and width (odd so that "same" padding is symmetric).
        hidden_dim: width of the hidden linear layer.
        num_classes: number of classes.
        weight_scale: standard deviation of the initial normal weights; biases start at zero.
        reg: L2 strength: loss = data loss + 0.5 * reg * (sum W1^2 + sum W2^2 + sum W3^2).
        dtype: float32 (fast) or float64 (gradient checks); all parameters use it.
        seed: seeds ``np.random.default_rng`` for the initial weights (W1, W2, W3 in order).

    Attributes:
        params: "W1" (F, C, filter_size, filter_size), "b1" (F,),
            "W2" (F * (H // 2) * (W // 2), hidden_dim), "b2" (hidden_dim,),
            "W3" (hidden_dim, num_classes), "b3" (num_classes,).
    """

    def __init__(self, input_dim: tuple[int, int, int] = (3, 32, 32), num_filters: int = 32,
                 filter_size: int = 7, hidden_dim: int = 100, num_classes: int = 10,
                 weight_scale: float = 1e-3, reg: float = 0.0, dtype: Any = np.float32,
                 seed: int | None = None) -> None:
        if len(tuple(input_dim)) != 3:
            raise ValueError(f"input_dim must be (C, H, W), got {input_dim!r}")
        c, h, w = (check_int(f"input_dim[{i}]", v, 1) for i, v in enumerate(input_dim))
        if h < 2 or w < 2:
            raise ValueError(f"input_dim {input_dim!r}: H and W must be at least 2 for the "
                             "2x2 max pool")
        self.num_filters = check_int("num_filters", num_filters, 1)
        self.filter_size = check_int("filter_size", filter_size, 1)
        if self.filter_size % 2 == 0:
            raise ValueError(f"filter_size must be odd for 'same' padding (an even filter cannot "
                             f"be centred on a pixel), got {filter_size}; use e.g. "
                             f"{self.filter_size + 1} or {self.filter_size - 1}")
        self.hidden_dim = check_int("hidden_dim", hidden_dim, 1)
        self.num_classes = check_int("num_classes", num_classes, 1)
        weight_scale = float(weight_scale)
        reg = float(reg)
        if not (np.isfinite(weight_scale) and weight_scale > 0):
            raise ValueError(f"weight_scale must be a finite number > 0, got {weight_scale}")
        if not (np.isfinite(reg) and reg >= 0):
            raise ValueError(f"reg must be a finite number >= 0, got {reg}")
        seed = check_seed(seed)
        self.input_dim = (c, h, w)
        self.weight_scale = weight_scale
        self.reg = reg
        self.dtype = as_dtype(dtype)
        self.seed = seed
        self.conv_param = {"stride": 1, "pad": (self.filter_size - 1) // 2}
        self.pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        rng = np.random.default_rng(seed)
        f, k, hd = self.num_filters, self.filter_size, self.hidden_dim
        shapes = _param_shapes(c, h, w, f, k, hd, self.num_classes)
        self.params: dict[str, np.ndarray] = {}
        for i in (1, 2, 3):
            weights = rng.standard_normal(shapes[f"W{i}"]) * weight_scale
            self.params[f"W{i}"] = weights.astype(self.dtype)
            self.params[f"b{i}"] = np.zeros(shapes[f"b{i}"], dtype=self.dtype)

    @property
    def config(self) -> dict[str, Any]:
        """JSON-able constructor arguments: ``ThreeLayerConvNet(**model.config)`` rebuilds it."""
        return {"input_dim": list(self.input_dim), "num_filters": self.num_filters,
                "filter_size": self.filter_size, "hidden_dim": self.hidden_dim,
                "num_classes": self.num_classes, "weight_scale": self.weight_scale,
                "reg": self.reg, "dtype": self.dtype.name, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ThreeLayerConvNet:
        """A fresh model with the architecture ``config`` (a :attr:`config`) describes."""
        return cls(**config)

    @classmethod
    def architecture(cls, config: dict[str, Any]) -> Architecture:
        """Parameter shapes (see the class docstring) and input shape (C, H, W), unbuilt."""
        cfg = with_defaults(cls, config)
        c, h, w = cfg["input_dim"]
        shapes = _param_shapes(c, h, w, cfg["num_filters"], cfg["filter_size"],
                               cfg["hidden_dim"], cfg["num_classes"])
        return Architecture((c, h, w), cfg["num_classes"], shapes)

    def _check_inputs(self, X: np.ndarray) -> np.ndarray:
        X = as_float_array("X", X)
        if X.ndim != 4 or X.shape[1:] != self.input_dim:
            raise ValueError(f"X must have shape (N, {', '.join(map(str, self.input_dim))}) to "
                             f"match input_dim={self.input_dim}, got {X.shape}; images must be "
                             "channel-first (N, C, H, W)")
        return X.astype(self.dtype, copy=False)  # compute in the parameters' dtype

    @speed_path("models", "convnet_loss")
    def loss(self, X: np.ndarray, y: np.ndarray | None = None
             ) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        """Class scores, or loss and gradients.

        Args:
            X: (N, C, H, W) images matching input_dim.
            y: (N,) integer labels in [0, num_classes), or None.

        Returns:
            y is None: scores (N, num_classes).
            otherwise: (loss, grads), loss a float and grads[name] of params[name]'s shape.
        """
        X = self._check_inputs(X)
        train = y is not None
        if train:
            y = as_label_array("y", y, num_classes=self.num_classes, n=X.shape[0])
        p = self.params
        # BEGIN SOLUTION
        h1, cache1 = conv_relu_pool_forward(X, p["W1"], p["b1"], self.conv_param,
                                            self.pool_param)  # (N, F, H/2, W/2)
        h2, cache2 = linear_relu_forward(h1, p["W2"], p["b2"])  # (N, hidden_dim)
        scores, cache3 = linear_forward(h2, p["W3"], p["b3"])  # (N, C)
        # END SOLUTION
        if not train:
            return scores

        grads: dict[str, np.ndarray] = {}
        # BEGIN SOLUTION
        loss, dscores = softmax_loss(scores, y)
        dh2, grads["W3"], grads["b3"] = linear_backward(dscores, cache3)
        dh1, grads["W2"], grads["b2"] = linear_relu_backward(dh2, cache2)
        _, grads["W1"], grads["b1"] = conv_relu_pool_backward(dh1, cache1)
        for name in ("W1", "W2", "W3"):
            reg_loss, dw = l2_regularization(p[name], self.reg)
            loss += reg_loss
            grads[name] = grads[name] + dw
        # END SOLUTION
        return loss, grads

    def predict(self, X: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """X: (N, C, H, W). Returns (N,) int64 predicted classes, computed batch by batch."""
        X = self._check_inputs(X)
        return predict_in_batches(self.loss, X, batch_size)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"ThreeLayerConvNet({args})"
