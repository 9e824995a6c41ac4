"""Picklable model builders for :func:`cs_nn.course.search.run_search` (config dict -> fresh model).

A builder is called once per trial with the trial's hyperparameters plus ``"seed"``; with
``n_jobs > 1`` it is pickled to the worker processes, so it must live at module level.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from cs_nn.models.fcnet import FullyConnectedNet


@dataclasses.dataclass(frozen=True)
class MLPBuilder:
    """Picklable builder of a FullyConnectedNet from a trial's hyperparameters.

    Reads ``hidden_dims`` (or ``width`` and ``num_layers``), ``reg``, ``dropout``,
    ``weight_scale``, ``normalization`` (None, "batchnorm", "layernorm") and ``seed`` from the
    trial config; anything missing takes the default here (reg and dropout: 0). Other keys
    (lr, batch_size, ...) are ignored.
    """
    input_dim: int
    num_classes: int
    hidden_dims: tuple[int, ...] = (100,)
    weight_scale: float | str = 1e-2
    dtype: str = "float32"
    normalization: str | None = None

    def __call__(self, config: dict[str, Any]) -> FullyConnectedNet:
        hidden_dims = config.get("hidden_dims", list(self.hidden_dims))
        if "width" in config or "num_layers" in config:
            width = int(config.get("width", self.hidden_dims[0] if self.hidden_dims else 100))
            hidden_dims = [width] * int(config.get("num_layers", len(self.hidden_dims)))
        return FullyConnectedNet(hidden_dims, input_dim=self.input_dim,
                                 num_classes=self.num_classes,
                                 dropout=config.get("dropout", 0.0), reg=config.get("reg", 0.0),
                                 weight_scale=config.get("weight_scale", self.weight_scale),
                                 normalization=config.get("normalization", self.normalization),
                                 dtype=self.dtype, seed=config.get("seed"))

