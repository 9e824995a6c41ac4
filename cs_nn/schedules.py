"""Hyperparameter schedules: small callables mapping an epoch (0, 1, 2, ...) to a value.

Use them for the learning rate (``Solver(..., lr_schedule=StepDecay(1e-2, 0.5, 5))``) or the
momentum (``Solver(..., momentum_schedule=momentum_ramp(num_epochs=20))``). Epoch 0 is the first
epoch. Each schedule is a frozen dataclass with ``to_dict()`` (a JSON-able description, saved in
checkpoints) and :func:`schedule_from_dict` rebuilds it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

from cs_nn._checks import check_int, is_number


def _positive(name: str, value: float) -> None:
    if not (is_number(value) and 0 < value < math.inf):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def _finite(name: str, value: float) -> None:
    if not (is_number(value) and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


class Schedule:
    """Base class: ``schedule(epoch) -> float`` and a JSON-able ``to_dict()``."""

    registry: ClassVar[dict[str, type[Schedule]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Schedule.registry[cls.__name__] = cls

    def __call__(self, epoch: int) -> float:
        return float(self._at(check_int("epoch", epoch, 0)))

    def _at(self, epoch: int) -> float:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """``{"type": class name, **fields}``: plain JSON types only."""
        return {"type": type(self).__name__, **dataclasses.asdict(self)}  # type: ignore[call-overload]


@dataclasses.dataclass(frozen=True)
class Constant(Schedule):
    """The same value every epoch."""

    value: float

    def __post_init__(self) -> None:
        _finite("value", self.value)

    def _at(self, epoch: int) -> float:
        return self.value


@dataclasses.dataclass(frozen=True)
class StepDecay(Schedule):
    """``initial * factor ** (epoch // step_size)``: multiply by ``factor`` every ``step_size``
    epochs (e.g. halve the learning rate every 5 epochs)."""

    initial: float
    factor: float = 0.1
    step_size: int = 10

    def __post_init__(self) -> None:
        _positive("initial", self.initial)
        if not (is_number(self.factor) and 0 < self.factor <= 1):
            raise ValueError(f"factor must be in (0, 1], got {self.factor!r}")
        check_int("step_size", self.step_size, 1)

    def _at(self, epoch: int) -> float:
        return self.initial * self.factor ** (epoch // self.step_size)


@dataclasses.dataclass(frozen=True)
class ExponentialDecay(Schedule):
    """``initial * decay ** epoch``: the Solver's ``lr_decay`` written as a schedule."""

    initial: float
    decay: float = 0.95

    def __post_init__(self) -> None:
        _positive("initial", self.initial)
        if not (is_number(self.decay) and 0 < self.decay <= 1):
            raise ValueError(f"decay must be in (0, 1], got {self.decay!r}")

    def _at(self, epoch: int) -> float:
        return self.initial * self.decay**epoch


@dataclasses.dataclass(frozen=True)
class CosineDecay(Schedule):
    """Half a cosine from ``initial`` (epoch 0) down to ``final`` (epoch ``num_epochs`` and
    after): ``final + (initial - final) * (1 + cos(pi * epoch / num_epochs)) / 2``."""

    initial: float
    num_epochs: int
    final: float = 0.0

    def __post_init__(self) -> None:
        _positive("initial", self.initial)
        check_int("num_epochs", self.num_epochs, 1)
        if not (is_number(self.final) and 0 <= self.final <= self.initial):
            raise ValueError(f"final must be in [0, initial={self.initial}], got {self.final!r}")

    def _at(self, epoch: int) -> float:
        frac = min(epoch, self.num_epochs) / self.num_epochs
        return self.final + (self.initial - self.final) * 0.5 * (1 + math.cos(math.pi * frac))


@dataclasses.dataclass(frozen=True)
class LinearRamp(Schedule):
    """Straight line from ``start`` (epoch 0) to ``end`` (epoch ``num_epochs``), then flat."""

    start: float
    end: float
    num_epochs: int

    def __post_init__(self) -> None:
        _finite("start", self.start)
        _finite("end", self.end)
        check_int("num_epochs", self.num_epochs, 1)

    def _at(self, epoch: int) -> float:
        frac = min(epoch, self.num_epochs) / self.num_epochs
        return self.start + (self.end - self.start) * frac


def momentum_ramp(start: float = 0.5, end: float = 0.99, num_epochs: int = 10) -> LinearRamp:
    """A momentum schedule: rise linearly from ``start`` to ``end`` over ``num_epochs`` epochs.

    Low momentum early avoids overshooting while the gradients are large; high momentum later
    averages out the noise of small late gradients. Both values must lie in [0, 1).
    """
    for name, value in (("start", start), ("end", end)):
        if not (is_number(value) and 0 <= value < 1):
            raise ValueError(f"momentum {name} must be in [0, 1), got {value!r}")
    return LinearRamp(float(start), float(end), num_epochs)


def schedule_from_dict(d: dict[str, Any]) -> Schedule:
    """Rebuild a schedule from ``Schedule.to_dict()`` output."""
    if not isinstance(d, dict) or "type" not in d:
        raise ValueError(f"expected a dict with a 'type' key, got {d!r}")
    fields = dict(d)
    name = fields.pop("type")
    cls = Schedule.registry.get(name)
    if cls is None:
        raise ValueError(f"unknown schedule type {name!r}; valid types are "
                         f"{sorted(Schedule.registry)}")
    try:
        return cls(**fields)
    except TypeError as exc:
        raise ValueError(f"bad fields for {name}: {exc}") from None
