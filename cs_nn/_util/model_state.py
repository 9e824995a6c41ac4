"""A model's whole state - parameters and buffers - copied out, put back, saved with a Solver.

A model's ``params`` (name -> array) are what gradients train. Some models also hold state
that is not a parameter but changes what they predict: ``FullyConnectedNet`` with batchnorm
keeps running averages of the means and variances, exposed as ``model.buffers`` (name ->
array) and set with ``model.load_buffers(buffers)``. Anything that keeps or restores a model
(the Solver's best epoch, its checkpoints, the search's best trial) keeps both::

    params, buffers = snapshot(model)              # copies, safe from later training
    load_state(model, params, buffers)             # back into the model, checked
    metadata = restore_checkpoint(model, "ck/epoch_005.npz")   # a Solver checkpoint

A model without ``buffers`` simply has none ({}).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from cs_nn._util.checkpoint import read_checkpoint


def model_buffers(model: Any) -> dict[str, np.ndarray]:
    """``model.buffers`` (e.g. batchnorm's running averages), or {} for a model without any."""
    return dict(getattr(model, "buffers", None) or {})


class ModelState(NamedTuple):
    """A model's params and buffers (name -> array each); unpacks as ``params, buffers``."""

    params: dict[str, np.ndarray]
    buffers: dict[str, np.ndarray]


def snapshot(model: Any) -> ModelState:
    """Copies of the model's params and buffers."""
    return ModelState({k: np.array(w, copy=True) for k, w in model.params.items()},
                      {k: np.array(v, copy=True) for k, v in model_buffers(model).items()})


def load_buffers(model: Any, buffers: Mapping[str, np.ndarray], where: str = "the state"
                 ) -> None:
    """Put ``buffers`` into ``model``; ValueError naming ``where`` when they do not fit (names
    must be exactly the model's buffers: a batchnorm model without its running averages would
    predict with fresh statistics)."""
    expected = model_buffers(model)
    if set(buffers) != set(expected):
        raise ValueError(f"{where} holds buffers {sorted(buffers)} but its "
                         f"{type(model).__name__} needs {sorted(expected)} (batchnorm's "
                         "running averages). The file is corrupted, was written for a "
                         "different model, or by a cs_nn that did not save them: retrain")
    if not expected:
        return
    try:
        model.load_buffers(dict(buffers))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: invalid buffers: {exc}") from None


def load_state(model: Any, params: Mapping[str, np.ndarray],
               buffers: Mapping[str, np.ndarray] | None = None, where: str = "the state"
               ) -> None:
    """Copy ``params`` (names and shapes exactly the model's; cast to its dtypes) and
    ``buffers`` into ``model``. Everything is checked before the model is changed."""
    expected = model.params
    problems = [f"{k} is missing" for k in expected if k not in params]
    problems += [f"{k} is not a parameter of this model" for k in params if k not in expected]
    problems += [f"{k} has shape {np.shape(params[k])} but needs {np.shape(expected[k])}"
                 for k in expected if k in params and np.shape(params[k]) != np.shape(expected[k])]
    if problems:
        raise ValueError(f"{where} does not fit this {type(model).__name__}: "
                         f"{'; '.join(problems)}")
    load_buffers(model, {} if buffers is None else buffers, where)  # checks all, then sets
    for name, w in params.items():
        model.params[name] = np.array(w, dtype=np.asarray(expected[name]).dtype, copy=True)


def restore_checkpoint(model: Any, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a Solver checkpoint (:meth:`cs_nn.solver.Solver.save_checkpoint`) into ``model``
    (built with the same architecture): its params and buffers, so that it predicts exactly
    as it did when saved. Returns the checkpoint's metadata (epoch, histories, ...)."""
    params, buffers, metadata = read_checkpoint(path)
    load_state(model, params, buffers, where=str(path))
    return metadata


def training_metadata(solver: Any) -> dict[str, Any]:
    """The JSON-able training state of a :class:`cs_nn.solver.Solver` for its checkpoints."""
    o = solver.options
    schedules = {name: (s.to_dict() if hasattr(s, "to_dict") else repr(s)) if s else None
                 for name, s in (("lr_schedule", o.lr_schedule),
                                 ("momentum_schedule", o.momentum_schedule))}
    hyper = {k: v for k, v in (o.optim_config or {}).items()
             if isinstance(v, (int, float, str))}  # state arrays are not saved
    return {"epoch": solver.epoch, "iteration": solver.iteration, "lr": solver.lr,
            "update_rule": solver.rule_name, "optim_config": hyper, "lr_decay": o.lr_decay,
            "batch_size": o.batch_size, **schedules,
            "loss_history": solver.loss_history, "train_acc_history": solver.train_acc_history,
            "val_acc_history": solver.val_acc_history,
            "val_loss_history": solver.val_loss_history, "best_val_acc": solver.best_val_acc,
            "best_epoch": solver.best_epoch}
