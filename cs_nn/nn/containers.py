"""Sequential: a chain of modules, run forward in order and backward in reverse order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from cs_nn.nn.module import Module

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "05_fully_connected_nets"


class Sequential(Module):
    """``Sequential(m0, m1, ...)`` computes ``m_last(... m1(m0(x)))``.

    Children are named "0", "1", ... by position, so parameters get dotted names such as
    "0.W" and "2.b" in :meth:`named_parameters`. The container owns no parameters itself.

    ``spec`` holds the keyword arguments of the builder (e.g. :func:`cs_nn.nn.mlp`) that made
    this network, or None; it lets a model file rebuild the same architecture.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Module instances; argument {i} is "
                                f"{type(m).__name__} (did you pass a class instead of an "
                                "instance, e.g. ReLU instead of ReLU()?)")
        self.layers: list[Module] = list(modules)
        self.spec: dict[str, Any] | None = None

    def children(self) -> Iterator[tuple[str, Module]]:
        for i, m in enumerate(self.layers):
            yield str(i), m

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: the first module's input. Returns the last module's output."""
        # BEGIN SOLUTION
        for m in self.layers:
            x = m.forward(x)
        # END SOLUTION
        self._ran_forward = True
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: gradient w.r.t. the output. Returns dx w.r.t. the input; fills every grads."""
        if not getattr(self, "_ran_forward", False):
            raise RuntimeError("Sequential.backward was called before forward: run forward "
                               "on a batch first, then backward with the gradient of its output")
        # BEGIN SOLUTION
        for m in reversed(self.layers):
            dout = m.backward(dout)
        # END SOLUTION
        return dout

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self.layers))
        return f"Sequential({inner}\n)" if inner else "Sequential()"
