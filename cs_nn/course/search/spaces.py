"""Search spaces (range specs) and the trial lists they generate: grid and random search.

A space maps a hyperparameter name to a spec: :class:`Uniform`, :class:`LogUniform`,
:class:`IntUniform`, :class:`Choice` (a plain list means a Choice), or any other value, which
stays fixed. :func:`grid_search` and :func:`random_search` turn a space into a list of trials:
T dicts name -> value (plain Python scalars or lists, no arrays).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from cs_nn._checks import check_int, is_int, is_number

RESERVED = ("trial", "seed", "key", "best_val_acc", "best_epoch", "epochs_run", "seconds",
            "status", "error")


# ---------------------------------------------------------------- search spaces
@dataclasses.dataclass(frozen=True)
class Uniform:
    """A float drawn uniformly from [low, high)."""
    low: float
    high: float

    def check(self, name: str) -> None:
        _check_range(name, self, positive=False)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


@dataclasses.dataclass(frozen=True)
class LogUniform(Uniform):
    """A float whose logarithm is uniform on [log low, log high): for lr and reg (0 < low)."""

    def check(self, name: str) -> None:
        _check_range(name, self, positive=True)

    def sample(self, rng: np.random.Generator) -> float:
        value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return min(max(value, float(self.low)), float(self.high))  # guard exp/log rounding


@dataclasses.dataclass(frozen=True)
class IntUniform:
    """An integer drawn uniformly from low, low + 1, ..., high (both ends included)."""
    low: int
    high: int

    def check(self, name: str) -> None:
        for end in (self.low, self.high):
            if not is_int(end):
                raise ValueError(f"search space {name!r}: IntUniform needs integer ends, got "
                                 f"low={self.low!r}, high={self.high!r}")
        if not self.low < self.high:
            raise ValueError(f"search space {name!r}: IntUniform needs low < high, got "
                             f"low={self.low}, high={self.high}")

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high, endpoint=True))


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of ``options``, each equally likely (a list in the space means the same)."""
    options: Sequence[Any]

    def check(self, name: str) -> None:
        if isinstance(self.options, (str, bytes)) or len(self.options) == 0:
            raise ValueError(f"search space {name!r}: Choice needs a non-empty list of options, "
                             f"got {self.options!r}")

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]


def _check_range(name: str, spec: Uniform, positive: bool) -> None:
    """Finite ends with low < high (and low > 0 for a log scale); errors name the parameter."""
    kind = type(spec).__name__
    low, high = spec.low, spec.high
    if not all(is_number(v) and math.isfinite(v) for v in (low, high)):
        raise ValueError(f"search space {name!r}: {kind} needs finite numbers, got "
                         f"low={low!r}, high={high!r}")
    if not low < high:
        raise ValueError(f"search space {name!r}: {kind} needs low < high, got low={low}, "
                         f"high={high}")
    if positive and low <= 0:
        raise ValueError(f"search space {name!r}: LogUniform needs low > 0 (a log scale has "
                         f"no zero), got low={low}; use e.g. low=1e-6, or Uniform")


_SPECS = (Uniform, IntUniform, Choice)


def check_space(space: dict[str, Any]) -> dict[str, Any]:
    """Validate a search space; errors name the parameter. Returns it unchanged."""
    if not isinstance(space, dict):
        raise TypeError(f"a search space must be a dict name -> spec, got {type(space).__name__}")
    for name, spec in space.items():
        if not isinstance(name, str) or name in RESERVED:
            raise ValueError(f"search space keys must be strings other than {RESERVED}; "
                             f"got {name!r}")
        if isinstance(spec, _SPECS):
            spec.check(name)
        elif isinstance(spec, (list, tuple)) and len(spec) == 0:
            raise ValueError(f"search space {name!r}: the list of values is empty")
    return space


def _choices(name: str, spec: Any) -> list[Any]:
    """The values a grid takes for one parameter; continuous ranges are refused."""
    if isinstance(spec, (list, tuple)):
        return list(spec)
    if isinstance(spec, Choice):
        return list(spec.options)
    if isinstance(spec, _SPECS):
        raise ValueError(f"grid_search needs a list of values for {name!r}, got {spec!r}; "
                         "give a list (e.g. np.geomspace(1e-4, 1e-1, 4).tolist()) or use "
                         "random_search")
    return [spec]  # a fixed value


def grid_search(space: dict[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the listed values (the Cartesian product), last key varying fastest.

    ``space``: name -> list of values (or a Choice, or a single fixed value). A fixed list
    value must be wrapped: ``{"hidden_dims": [[100, 50]]}``.
    """
    check_space(space)
    names = list(space)
    values = [_choices(name, space[name]) for name in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def random_search(space: dict[str, Any], num_trials: int, seed: int = 0) -> list[dict[str, Any]]:
    """``num_trials`` configs drawn from ``default_rng(seed)``, trial by trial, key by key.

    So the first k trials of a longer search with the same seed are the k trials of the
    shorter one. Lists (and Choice) pick a value uniformly; other values stay fixed.
    """
    check_space(space)
    check_int("num_trials", num_trials, 1)
    rng = np.random.default_rng(seed)
    trials = []
    for _ in range(num_trials):
        config = {}
        for name, spec in space.items():
            if isinstance(spec, (list, tuple)):
                spec = Choice(spec)
            config[name] = spec.sample(rng) if isinstance(spec, _SPECS) else spec
        trials.append(config)
    return trials

