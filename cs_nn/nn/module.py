"""The object style: a ``Module`` owns its parameters and caches, like a PyTorch layer.

Each module pairs ``forward(x) -> out`` with ``backward(dout) -> dx``; backward also fills
``grads`` with one array per entry of ``params`` (same keys, same shapes). Modules compose with
:class:`Sequential`. The functional layers in :mod:`cs_nn.layers` do the arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class Module:
    """Base class: parameters, their gradients, and a train / eval switch.

    Attributes:
        params: name -> parameter array (updated in place by nobody but the optimiser loop).
        grads: name -> gradient array with the parameter's shape, set by ``backward``.
        training: True in training mode (dropout active), False in evaluation mode.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def children(self) -> Iterator[tuple[str, Module]]:
        """Sub-modules as (name, module) pairs; none for a leaf module."""
        return iter(())

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """Every parameter of this module and its children, with dotted names like '0.W'."""
        for name, value in self.params.items():
            yield prefix + name, value
        for child_name, child in self.children():
            yield from child.named_parameters(f"{prefix}{child_name}.")

    def named_gradients(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """Gradients in the same order and with the same names as ``named_parameters``."""
        for name in self.params:
            if name not in self.grads:
                raise RuntimeError(f"no gradient for {prefix}{name}: call backward first")
            yield prefix + name, self.grads[name]
        for child_name, child in self.children():
            yield from child.named_gradients(f"{prefix}{child_name}.")

    def train(self) -> Module:
        """Switch this module and its children to training mode; returns self."""
        self.training = True
        for _, child in self.children():
            child.train()
        return self

    def eval(self) -> Module:
        """Switch this module and its children to evaluation mode; returns self."""
        self.training = False
        for _, child in self.children():
            child.eval()
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
