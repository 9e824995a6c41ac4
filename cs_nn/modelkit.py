"""What the models share, written once: weight initialisation (the "he" / "xavier"
scales), architecture checks, JSON-able config values, prediction in batches, and the way a
model describes itself.

A deliverable model class is decorated with :func:`register_model` and provides
``model.config`` (JSON-able), ``cls.from_config(config)`` and ``cls.architecture(config)``
(:class:`Architecture`: its parameter shapes, input shape and class count, known without
building it). Model files (:mod:`cs_nn.course.delivery`) and their size checks use only that,
so a new model needs no edit there.

Both model styles use it: the CS231n classes in :mod:`cs_nn.models` and the object-style
network of :mod:`cs_nn.nn`.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from cs_nn._checks import as_dtype, check_int, is_int

WeightScale = float | str
ModelClass = TypeVar("ModelClass", bound=type)
#: Deliverable model classes by name (filled by :func:`register_model`).
MODEL_CLASSES: dict[str, type] = {}


@dataclasses.dataclass(frozen=True)
class Architecture:
    """What a model config describes, known without building the model.

    Attributes:
        input_shape: one sample's shape: (D,) for flat inputs, (C, H, W) for images.
        num_classes: C, the number of scores per sample.
        param_shapes: parameter name -> shape, in ``model.params`` order.
    """

    input_shape: tuple[int, ...]
    num_classes: int
    param_shapes: dict[str, tuple[int, ...]]

    @property
    def num_params(self) -> int:
        return sum(math.prod(shape) for shape in self.param_shapes.values())


def register_model(cls: ModelClass) -> ModelClass:
    """Class decorator: make ``cls`` loadable from model files by its name."""
    MODEL_CLASSES[cls.__name__] = cls
    return cls


def with_defaults(fn: Callable[..., Any], config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the keys it leaves out filled from ``fn``'s keyword defaults."""
    params = inspect.signature(fn).parameters.values()
    return {**{p.name: p.default for p in params if p.default is not p.empty}, **config}


def linear_param_shapes(dims: Sequence[int], names: Sequence[str]) -> dict[str, tuple[int, ...]]:
    """Shapes of a stack of linear layers dims[0] -> dims[1] -> ...: for each layer i, the
    weight ``names[i] % "W"`` (dims[i], dims[i + 1]) and bias ``names[i] % "b"`` (dims[i + 1],)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for name, a, b in zip(names, dims[:-1], dims[1:], strict=True):
        shapes[name % "W"] = (a, b)
        shapes[name % "b"] = (b,)
    return shapes


def weight_std(weight_scale: WeightScale, fan_in: int, fan_out: int) -> float:
    """The standard deviation a weight_scale asks for: the number itself, or "he"
    (sqrt(2 / fan_in), for ReLU nets) or "xavier" (sqrt(2 / (fan_in + fan_out)), for tanh /
    sigmoid nets). fan_in / fan_out count the inputs / outputs of one unit."""
    if isinstance(weight_scale, str):
        if weight_scale == "he":
            return float(np.sqrt(2.0 / fan_in))
        if weight_scale == "xavier":
            return float(np.sqrt(2.0 / (fan_in + fan_out)))
        raise ValueError(f"weight_scale must be a number >= 0, 'he' or 'xavier', "
                         f"got {weight_scale!r}")
    std = float(weight_scale)
    if not (np.isfinite(std) and std >= 0):
        raise ValueError(f"weight_scale must be a finite number >= 0, got {weight_scale}")
    return std


def init_weight(fan_in: int, fan_out: int, weight_scale: WeightScale, dtype: Any,
                rng: np.random.Generator, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Draw weights from a zero-mean normal distribution with :func:`weight_std`'s deviation.

    The shape is (fan_in, fan_out) unless ``shape`` is given (e.g. (F, C, HH, WW) for a
    convolution, whose fan_in is C * HH * WW and fan_out F * HH * WW).
    """
    std = weight_std(weight_scale, fan_in, fan_out)
    size = (fan_in, fan_out) if shape is None else shape
    return rng.normal(0.0, std, size=size).astype(as_dtype(dtype))


def check_architecture(hidden_dims: Sequence[int], input_dim: int, num_classes: int,
                       dropout: float) -> list[int]:
    """Validate the shared arguments of FullyConnectedNet and mlp; returns hidden_dims as a list."""
    if is_int(hidden_dims):
        raise TypeError(f"hidden_dims must be a list of layer widths, got the number "
                        f"{hidden_dims}; did you mean [{hidden_dims}]?")
    try:
        dims = list(hidden_dims)
    except TypeError as err:
        raise TypeError(f"hidden_dims must be a list of positive integers like [100, 50] "
                        f"(or [] for no hidden layer), got {hidden_dims!r}") from err
    for i, h in enumerate(dims):
        check_int(f"hidden_dims[{i}]", h, 1, note=" (a layer width)")
    check_int("input_dim", input_dim, 1)
    check_int("num_classes", num_classes, 2)
    dropout = float(dropout)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout is the probability of DROPPING a unit and must lie in "
                         f"[0, 1) (0 turns dropout off), got {dropout}")
    return [int(h) for h in dims]


def json_weight_scale(weight_scale: float | str) -> float | str:
    """weight_scale as a JSON-able value ("he", "xavier" or a Python float)."""
    return weight_scale if isinstance(weight_scale, str) else float(weight_scale)


def predict_in_batches(scores_fn: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                       batch_size: int) -> np.ndarray:
    """Class predictions (N,) int64 = argmax of ``scores_fn`` over batches of X (N, ...)."""
    check_int("batch_size", batch_size, 1)
    X = np.asarray(X)
    preds = [np.argmax(scores_fn(X[i:i + batch_size]), axis=1)
             for i in range(0, X.shape[0], batch_size)]
    return np.concatenate(preds).astype(np.int64) if preds else np.zeros(0, dtype=np.int64)
