"""Classifier: adapts a module network to the model interface the Solver expects.

The Solver (and :class:`cs_nn.models.fcnet.FullyConnectedNet`) speak one protocol:
``model.params`` is a dict-like of named arrays, and ``model.loss(X, y)`` returns the loss and
gradients with the same names (or class scores when y is None). :class:`Classifier` gives a
:class:`~cs_nn.nn.containers.Sequential` that protocol; :func:`mlp` builds the module
equivalent of a FullyConnectedNet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Any

import numpy as np

from cs_nn._checks import as_dtype, as_float_array, check_seed
from cs_nn.layers import l2_regularization
from cs_nn.modelkit import (
    Architecture,
    check_architecture,
    json_weight_scale,
    linear_param_shapes,
    predict_in_batches,
    register_model,
    with_defaults,
)
from cs_nn.nn.containers import Sequential
from cs_nn.nn.layers import ELU, Dropout, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from cs_nn.nn.loss import Loss, SoftmaxCrossEntropy
from cs_nn.nn.module import Module

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "05_fully_connected_nets"

ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "elu": ELU, "tanh": Tanh, "sigmoid": Sigmoid,
}


def _param_owners(network: Module) -> dict[str, tuple[Module, str]]:
    """Dotted name -> (owning module, key in its params), in named_parameters order."""
    owners: dict[str, tuple[Module, str]] = {}

    def walk(module: Module, prefix: str) -> None:
        for key in module.params:
            owners[prefix + key] = (module, key)
        for child_name, child in module.children():
            walk(child, f"{prefix}{child_name}.")

    walk(network, "")
    return owners


class ParamView(MutableMapping):
    """A network's parameters under dotted names ("0.W", "2.b", ...), read and written live.

    Values ARE the modules' arrays; ``view[name] = array`` rebinds the owning module's
    parameter, so an optimiser that replaces arrays (``params[k] = next_w``) updates the
    network. Names cannot be added or removed: the architecture fixes them. The Solver
    accepts any Mapping, so this needs no dict subclass and is built once per Classifier.
    """

    def __init__(self, network: Module) -> None:
        self._owners = _param_owners(network)

    def __getitem__(self, name: str) -> np.ndarray:
        module, key = self._owners[name]
        return module.params[key]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        if name not in self._owners:
            raise KeyError(f"no parameter named {name!r}; known names: {list(self._owners)}")
        module, key = self._owners[name]
        old = module.params[key]
        value = np.asarray(value)
        if value.shape != old.shape:
            raise ValueError(f"parameter {name!r} has shape {old.shape}; cannot assign an array "
                             f"of shape {value.shape}")
        module.params[key] = value

    def __delitem__(self, name: str) -> None:
        raise TypeError("the parameter names of a Classifier are fixed by its network: "
                        "entries cannot be removed")

    def __iter__(self) -> Iterator[str]:
        return iter(self._owners)

    def __len__(self) -> int:
        return len(self._owners)

    def __repr__(self) -> str:
        return "ParamView(" + ", ".join(f"{k}: {v.shape}" for k, v in self.items()) + ")"


@register_model
class Classifier:
    """Wrap a network (N, ...) -> (N, C) scores and a loss as a Solver-ready model.

    Args:
        network: a Module, usually a Sequential (e.g. from :func:`mlp`).
        loss: a loss module; default SoftmaxCrossEntropy.
        reg: L2 strength; ``0.5 * reg * sum(W ** 2)`` over every parameter named "W"
            (weight matrices; biases are not regularised).

    Attributes:
        params: :class:`ParamView` with dotted names; assigning to it writes through.
    """

    def __init__(self, network: Module, loss: Loss | None = None, reg: float = 0.0) -> None:
        if not isinstance(network, Module):
            raise TypeError(f"network must be a Module such as Sequential, got "
                            f"{type(network).__name__}")
        reg = float(reg)
        if not (np.isfinite(reg) and reg >= 0):
            raise ValueError(f"reg must be a finite number >= 0, got {reg}")
        self.network = network
        self.loss_fn = SoftmaxCrossEntropy() if loss is None else loss
        self.reg = reg
        self._params = ParamView(network)

    @property
    def params(self) -> ParamView:
        return self._params

    @params.setter
    def params(self, new_params: dict[str, np.ndarray]) -> None:
        # e.g. solver.best_params restored at the end of training
        missing = set(self.params) - set(new_params)
        if missing:
            raise KeyError(f"new params lack {sorted(missing)}")
        view = self.params
        for name, value in new_params.items():
            view[name] = value

    def _check_inputs(self, X: np.ndarray) -> np.ndarray:
        X = as_float_array("X", X, min_ndim=2)
        first = next(iter(self.network.named_parameters()), None)
        if first is not None and X.dtype != first[1].dtype:
            X = X.astype(first[1].dtype)  # compute in the parameters' dtype
        return X

    def loss(self, X: np.ndarray, y: np.ndarray | None = None
             ) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        """Scores, or loss and gradients.

        Args:
            X: (N, d1..dk) inputs.
            y: (N,) integer labels, or None for test mode (dropout off).

        Returns:
            scores (N, C) if y is None, else (loss, grads) with grads keyed like params.
        """
        X = self._check_inputs(X)
        if y is None:
            self.network.eval()
            return self.network.forward(X)
        self.network.train()
        y = np.asarray(y)
        weights = [(name, w) for name, w in self.network.named_parameters()
                   if name.split(".")[-1] == "W"]
        # BEGIN SOLUTION
        scores = self.network.forward(X)  # (N, C)
        loss = self.loss_fn.forward(scores, y)
        self.network.backward(self.loss_fn.backward())
        grads = dict(self.network.named_gradients())
        for name, w in weights:
            reg_loss, dw = l2_regularization(w, self.reg)
            loss += reg_loss
            grads[name] = grads[name] + dw
        # END SOLUTION
        return loss, grads

    def predict(self, X: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """X: (N, d1..dk). Returns (N,) int64 predicted classes (test mode)."""
        X = self._check_inputs(X)
        return predict_in_batches(self.loss, X, batch_size)

    @property
    def config(self) -> dict[str, Any] | None:
        """JSON-able rebuild recipe {"mlp": {...}, "reg": ...}, or None for hand-built networks.

        Rebuild with ``Classifier.from_config(config)``, then load the parameters.
        """
        spec = getattr(self.network, "spec", None)
        if spec is None:
            return None
        return {"mlp": dict(spec), "reg": self.reg}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Classifier:
        """Inverse of :attr:`config` (weights are freshly initialised)."""
        if "mlp" not in config:
            raise ValueError("config must hold an 'mlp' entry (as produced by Classifier.config)")
        return cls(mlp(**config["mlp"]), reg=config.get("reg", 0.0))

    @staticmethod
    def architecture(config: dict[str, Any]) -> Architecture:
        """Shapes of an :func:`mlp` config's parameters ("0.W", "0.b", ...; each hidden layer
        is Linear, activation and, with dropout, Dropout) and input shape (D,), unbuilt."""
        spec = with_defaults(mlp, config["mlp"])
        dims = [spec["input_dim"], *spec["hidden_dims"], spec["num_classes"]]
        step = 3 if spec["dropout"] > 0 else 2
        names = [f"{i * step}.%s" for i in range(len(dims) - 1)]
        return Architecture((spec["input_dim"],), spec["num_classes"],
                            linear_param_shapes(dims, names))

    def __repr__(self) -> str:
        return f"Classifier(reg={self.reg}, network={self.network!r})"


def mlp(input_dim: int, hidden_dims: Sequence[int], num_classes: int, activation: str = "relu",
        dropout: float = 0.0, weight_scale: float | str = 1e-2, dtype: Any = np.float32,
        seed: int | None = None) -> Sequential:
    """{Linear - activation - [Dropout]} x L, then Linear: the module twin of FullyConnectedNet.

    Every layer draws from ONE generator ``np.random.default_rng(seed)``, in the same order as
    FullyConnectedNet, so with activation="relu" and the same seed both models get the same
    weights and the same dropout masks.

    Args:
        input_dim: D, the flattened size of one input sample.
        hidden_dims: widths of the hidden layers; empty for softmax regression.
        num_classes: C, the number of scores per sample.
        activation: "relu", "leaky_relu", "elu", "tanh" or "sigmoid".
        dropout: DROP probability in [0, 1); 0 adds no Dropout modules.
    """
    hidden_dims = check_architecture(hidden_dims, input_dim, num_classes, dropout)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    dtype = as_dtype(dtype)
    seed = check_seed(seed)
    rng = np.random.default_rng(seed)
    dims = [int(input_dim), *hidden_dims]
    modules: list[Module] = []
    for fan_in, fan_out in zip(dims[:-1], dims[1:], strict=True):
        modules.append(Linear(fan_in, fan_out, weight_scale, dtype, rng))
        modules.append(ACTIVATIONS[activation]())
        if dropout > 0:
            modules.append(Dropout(dropout, rng))
    modules.append(Linear(dims[-1], int(num_classes), weight_scale, dtype, rng))
    net = Sequential(*modules)
    net.spec = mlp_spec(input_dim, hidden_dims, num_classes, activation, dropout, weight_scale,
                        dtype, seed)
    return net


def mlp_spec(input_dim: int, hidden_dims: Sequence[int], num_classes: int, activation: str,
             dropout: float, weight_scale: float | str, dtype: np.dtype,
             seed: int | None) -> dict[str, Any]:
    """The JSON-able keyword arguments of :func:`mlp` that rebuild a network (its ``spec``)."""
    return {"input_dim": int(input_dim), "hidden_dims": [int(h) for h in hidden_dims],
            "num_classes": int(num_classes), "activation": activation,
            "dropout": float(dropout), "weight_scale": json_weight_scale(weight_scale),
            "dtype": dtype.name, "seed": seed}
