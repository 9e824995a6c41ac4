"""The options of :class:`cs_nn.solver.Solver`: defaults, documentation and validation."""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cs_nn import optim
from cs_nn._checks import check_int
from cs_nn._util.files import check_writable

Callback = Callable[[Any, str], None]  # cb(solver, event)


@dataclasses.dataclass
class SolverOptions:
    """Every Solver option with its default; pass them as keywords to ``Solver``."""

    update_rule: str | optim.UpdateRule = "sgd"  # a name in optim.UPDATE_RULES, or a callable
    optim_config: dict[str, Any] | None = None  # hyperparameters, deep-copied for each param
    lr_decay: float = 1.0  # learning rate multiplied by this after every epoch
    lr_schedule: Callable[[int], float] | None = None  # epoch -> lr; overrides lr_decay
    momentum_schedule: Callable[[int], float] | None = None  # epoch -> momentum (adam: beta1)
    batch_size: int = 100
    num_epochs: int = 10
    num_train_samples: int | None = 1000  # training subsample for the accuracy check; None: all
    num_val_samples: int | None = None  # validation subsample; None: all
    seed: int | np.random.Generator | None = None  # minibatch order and accuracy subsamples
    patience: int | None = None  # early stopping: epochs without improvement; None: off
    monitor: str = "val_acc"  # what early stopping watches: "val_acc" or "val_loss"
    restore_best: bool | None = None  # put best_params into the model at the end; None: if patience
    checkpoint_dir: str | Path | None = None  # write epoch_XXX.npz checkpoints here; None: off
    checkpoint_every: int = 1  # epochs between checkpoints
    verbose: bool = False  # tqdm progress bar over iterations (loss / accuracy in the postfix)
    print_every: int | None = None  # print the loss every this many iterations; None: never
    callbacks: Sequence[Callback] = ()  # cb(solver, event), event in iteration/epoch/end


def parse_options(options: dict[str, Any]) -> SolverOptions:
    """``SolverOptions`` from keywords; an unknown keyword is a TypeError with a hint."""
    valid = [f.name for f in dataclasses.fields(SolverOptions)]
    for key in options:
        if key not in valid:
            hint = difflib.get_close_matches(key, valid, n=1)
            raise TypeError(f"Solver got an unknown option {key!r}"
                            + (f" (did you mean {hint[0]!r}?)" if hint else "")
                            + f"; valid options are {valid}")
    return SolverOptions(**options)


def validate_options(o: SolverOptions) -> None:
    """Check the value of every option that needs no model or data; raise a clear error."""
    check_int("batch_size", o.batch_size, 1)
    check_int("num_epochs", o.num_epochs, 0)
    check_int("num_train_samples", o.num_train_samples, 1, allow_none=True)
    check_int("num_val_samples", o.num_val_samples, 1, allow_none=True)
    check_int("patience", o.patience, 1, allow_none=True)
    check_int("checkpoint_every", o.checkpoint_every, 1)
    if o.checkpoint_dir is not None:  # now, not after the first epoch's work
        check_writable(o.checkpoint_dir, "checkpoint_dir", folder=True)
    check_int("print_every", o.print_every, 1, allow_none=True)
    if o.monitor not in ("val_acc", "val_loss"):
        raise ValueError(f"monitor must be 'val_acc' or 'val_loss', got {o.monitor!r}")
    if not (isinstance(o.lr_decay, (int, float)) and 0 < o.lr_decay < math.inf):
        raise ValueError(f"lr_decay must be a number > 0, got {o.lr_decay!r}")
    for name in ("lr_schedule", "momentum_schedule"):
        if getattr(o, name) is not None and not callable(getattr(o, name)):
            raise TypeError(f"{name} must be a callable epoch -> value, or None")
    if not all(callable(cb) for cb in o.callbacks):
        raise TypeError("callbacks must be a list of callables cb(solver, event)")
    if o.optim_config is not None and not isinstance(o.optim_config, dict):
        raise TypeError(f"optim_config must be a dict, got {type(o.optim_config).__name__}")


@dataclasses.dataclass(frozen=True)
class UpdateRuleSettings:
    """The update rule an options object names, with its starting lr and momentum."""

    update_rule: optim.UpdateRule
    name: str
    initial_lr: float | None
    momentum_key: str  # the config key a momentum schedule sets ("momentum"; adam: "beta1")
    momentum: float | None


def resolve_update_rule(o: SolverOptions) -> UpdateRuleSettings:
    """Look up ``o.update_rule`` and check ``o.optim_config`` against it."""
    cfg = o.optim_config or {}
    if isinstance(o.update_rule, str):
        update_rule = optim.get_update_rule(o.update_rule)
        name = o.update_rule
        unknown = sorted(set(cfg) - set(optim.config_keys(name)))
        if unknown:
            raise ValueError(f"optim_config has unknown key(s) {unknown} for {name!r}; "
                             f"valid keys are {optim.config_keys(name)}")
        defaults = optim.default_config(name)
    elif callable(o.update_rule):
        update_rule = o.update_rule
        name = getattr(o.update_rule, "__name__", repr(o.update_rule))
        defaults = {}
    else:
        raise TypeError(f"update_rule must be a name in {sorted(optim.UPDATE_RULES)} or a "
                        f"callable, got {o.update_rule!r}")
    initial_lr = cfg.get("learning_rate", defaults.get("learning_rate"))
    if initial_lr is None and o.lr_decay != 1.0 and o.lr_schedule is None:
        raise ValueError("lr_decay needs a learning rate: set optim_config['learning_rate']")
    named_key = optim.momentum_key(name) if isinstance(o.update_rule, str) else None
    momentum_key = named_key or "momentum"
    if o.momentum_schedule is not None and isinstance(o.update_rule, str) and named_key is None:
        with_momentum = sorted(r for r in optim.UPDATE_RULES if optim.momentum_key(r))
        raise ValueError(f"momentum_schedule needs a rule with momentum "
                         f"({with_momentum}), got {o.update_rule!r}")
    return UpdateRuleSettings(update_rule, name, initial_lr, momentum_key,
                              cfg.get(momentum_key, defaults.get(momentum_key)))


def check_model(model: Any) -> np.dtype:
    """Check the Solver interface (dict ``.params`` of float arrays, ``.loss``); its dtype."""
    params = getattr(model, "params", None)
    if not isinstance(params, Mapping) or not params or not callable(getattr(model, "loss", None)):
        raise TypeError("model must have a non-empty mapping .params (e.g. a dict) and a method "
                        ".loss(X, y=None)")
    for name, w in params.items():
        if not isinstance(w, np.ndarray) or w.dtype.kind != "f":
            raise TypeError(f"model.params[{name!r}] must be a float array, got "
                            f"{getattr(w, 'dtype', type(w).__name__)}")
    return np.result_type(*params.values())
