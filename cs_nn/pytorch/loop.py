"""The one training loop of the PyTorch track: minibatches, evaluation, early stopping.

    history = fit(model, data, optimizer="adam", lr=1e-3, batch_size=64, num_epochs=10,
                  patience=3, seed=0)
    history.val_acc[-1], history.best_val_acc, history.train_loss   # curves for plotting

``data`` is the usual dict of numpy arrays (``X_train``, ``y_train``, ``X_val``, ``y_val``),
kept on the CPU and copied to the device one batch at a time. Everything random (weight
init inside :func:`cs_nn.pytorch.device.seeded`, batch order, dropout, augmentation) follows
``seed``, so a run on the CPU repeats exactly.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn

from cs_nn.pytorch.device import seeded, select_device

NOTEBOOK = "13_pytorch_convnets"
OPTIMIZERS = ("sgd", "sgd_momentum", "adam", "rmsprop")
Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


@dataclass
class History:
    """What :func:`fit` returns: per-step losses and per-evaluation accuracies."""

    train_loss: list[float] = field(default_factory=list)  # one per step
    eval_steps: list[int] = field(default_factory=list)  # steps after which we evaluated
    train_acc: list[float] = field(default_factory=list)  # on a fixed training subset
    val_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_step: int = 0
    best_val_acc: float = -math.inf
    stopped_early: bool = False
    steps_per_epoch: int = 0
    seconds: float = 0.0

    @property
    def num_steps(self) -> int:
        return len(self.train_loss)


def batch_schedule(num_train: int, batch_size: int, seed: int) -> Iterator[np.ndarray]:
    """Endless minibatch indices: a fresh permutation of range(num_train) every epoch, cut
    into ``num_train // batch_size`` batches (the incomplete last one is dropped), drawn from
    ``np.random.default_rng(seed)``. Both the numpy and the PyTorch side can use it."""
    if not 1 <= batch_size <= num_train:
        raise ValueError(f"batch_size must lie in 1..{num_train} (the number of training "
                         f"samples), got {batch_size}")
    rng = np.random.default_rng(seed)
    per_epoch = num_train // batch_size
    while True:
        order = rng.permutation(num_train)
        for i in range(per_epoch):
            yield order[i * batch_size:(i + 1) * batch_size]


def make_optimizer(name: str, params: Any, lr: float, weight_decay: float = 0.0,
                   momentum: float = 0.9) -> torch.optim.Optimizer:
    """A ``torch.optim`` optimiser by the course's update-rule names."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd_momentum":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, X: torch.Tensor,
               y: torch.Tensor) -> float:
    """One update on a minibatch: X (N, ...) inputs, y (N,) int64 labels. Returns the loss
    (mean cross-entropy of the batch, before the update)."""
    model.train()
    # BEGIN SOLUTION
    scores = model(X)  # (N, C)
    loss = F.cross_entropy(scores, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    # END SOLUTION
    return float(loss.detach())


def _param_dtype(model: nn.Module) -> torch.dtype:
    p = next(model.parameters(), None)
    return p.dtype if p is not None else torch.float32


@torch.no_grad()
def predict_scores(model: nn.Module, X: np.ndarray | torch.Tensor, batch_size: int = 500,
                   device: str | torch.device | None = None) -> torch.Tensor:
    """Scores (N, C) on the CPU for inputs (N, ...), computed in eval mode in batches."""
    dev = select_device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    X = torch.as_tensor(X)
    out = [model(X[i:i + batch_size].to(dev, _param_dtype(model))).cpu()
           for i in range(0, X.shape[0], batch_size)]
    model.train(was_training)
    return torch.cat(out) if out else torch.empty(0)


def predict(model: nn.Module, X: np.ndarray | torch.Tensor, batch_size: int = 500,
            device: str | torch.device | None = None) -> np.ndarray:
    """Predicted classes (N,) int64 for inputs (N, ...)."""
    return predict_scores(model, X, batch_size, device).argmax(dim=1).numpy().astype(np.int64)


def evaluate(model: nn.Module, X: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor,
             batch_size: int = 500, device: str | torch.device | None = None
             ) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of the model on X (N, ...), y (N,), in eval mode."""
    scores = predict_scores(model, X, batch_size, device)
    y = torch.as_tensor(np.asarray(y), dtype=torch.int64)
    loss = float(F.cross_entropy(scores.to(torch.float64), y))
    return loss, float((scores.argmax(dim=1) == y).double().mean())


def _check_data(data: Mapping[str, Any]) -> None:
    for key in ("X_train", "y_train", "X_val", "y_val"):
        if key not in data:
            raise KeyError(f"data needs X_train, y_train, X_val and y_val; {key!r} is missing")
    for split in ("train", "val"):
        n_x, n_y = len(data[f"X_{split}"]), len(data[f"y_{split}"])
        if n_x != n_y or n_x == 0:
            raise ValueError(f"X_{split} has {n_x} samples and y_{split} {n_y}: they must be "
                             "equal and non-zero")


def fit(model: nn.Module, data: Mapping[str, Any], *, optimizer: str = "adam", lr: float = 1e-3,
        weight_decay: float = 0.0, momentum: float = 0.9, batch_size: int = 64,
        num_epochs: float | None = None, num_steps: int | None = None,
        eval_every: int | None = None, patience: int | None = None, cosine: bool = False,
        seed: int = 0, device: str | torch.device | None = None, augment: Augment | None = None,
        max_train_eval: int = 2000, restore_best: bool = True, progress: bool = True,
        on_eval: Callable[[History], None] | None = None) -> History:
    """Train ``model`` (in place) with cross-entropy and return its :class:`History`.

    Args:
        model: any ``nn.Module`` mapping X (N, ...) to scores (N, C).
        data: X_train (N, ...), y_train (N,), X_val, y_val as numpy arrays (or tensors).
        optimizer: one of :data:`OPTIMIZERS`; lr, weight_decay (L2), momentum go to it.
        num_epochs / num_steps: how long (give one; epochs may be fractional).
        eval_every: steps between evaluations (default: once per epoch).
        patience: stop after this many evaluations without a better validation accuracy
            (None: never stop early).
        cosine: anneal the learning rate to 0 over the run (cosine schedule).
        seed: batch order, dropout and augmentation.
        device: see :func:`cs_nn.pytorch.device.select_device` (default: auto).
        augment: ``augment(X_batch, generator) -> X_batch`` applied to training batches.
        max_train_eval: training accuracy is measured on this many fixed training samples.
        restore_best: end with the weights of the best validation evaluation.
        progress: show a tqdm progress bar.
        on_eval: called with the history after every evaluation (e.g. to print or plot).
    """
    _check_data(data)
    if (num_epochs is None) == (num_steps is None):
        raise ValueError("give exactly one of num_epochs and num_steps")
    n = len(data["y_train"])
    per_epoch = max(1, n // batch_size)
    total = int(num_steps) if num_steps is not None else int(math.ceil(num_epochs * per_epoch))
    if total < 1:
        raise ValueError(f"the run must have at least one step, got {total}")
    eval_every = per_epoch if eval_every is None else int(eval_every)
    if eval_every < 1 or (patience is not None and patience < 1):
        raise ValueError("eval_every and patience must be >= 1")
    dev = select_device(device)
    model.to(dev)
    dtype = _param_dtype(model)
    X_train, y_train = data["X_train"], np.asarray(data["y_train"])
    sub = np.random.default_rng(seed).permutation(n)[:max_train_eval]
    history = History(steps_per_epoch=per_epoch)
    best_state = copy.deepcopy(model.state_dict())
    since_best = 0
    start = time.perf_counter()
    with seeded(seed):
        opt = make_optimizer(optimizer, model.parameters(), lr, weight_decay, momentum)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total) if cosine else None
        gen = torch.Generator().manual_seed(seed + 1)
        batches = batch_schedule(n, batch_size, seed)
        bar = _progress(total, progress)
        for step in range(1, total + 1):
            idx = next(batches)
            Xb = torch.as_tensor(X_train[idx]).to(dtype)
            if augment is not None:
                Xb = augment(Xb, gen)
            yb = torch.as_tensor(y_train[idx], dtype=torch.int64)
            history.train_loss.append(train_step(model, opt, Xb.to(dev), yb.to(dev)))
            if sched is not None:
                sched.step()
            if not math.isfinite(history.train_loss[-1]):
                raise FloatingPointError(f"the loss became {history.train_loss[-1]} at step "
                                         f"{step}: lower the learning rate")
            if step % eval_every == 0 or step == total:
                _evaluate_into(history, model, data, X_train, y_train, sub, step)
                if history.best_step == step:
                    best_state, since_best = copy.deepcopy(model.state_dict()), 0
                else:
                    since_best += 1
                bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}",
                                val_acc=f"{history.val_acc[-1]:.3f}")
                if on_eval is not None:
                    history.seconds = time.perf_counter() - start
                    on_eval(history)
                if patience is not None and since_best >= patience:
                    history.stopped_early = step < total
                    bar.update(1)
                    break
            bar.update(1)
        bar.close()
    if restore_best:
        model.load_state_dict(best_state)
    history.seconds = time.perf_counter() - start
    return history


def _evaluate_into(history: History, model: nn.Module, data: Mapping[str, Any],
                   X_train: Any, y_train: np.ndarray, sub: np.ndarray, step: int) -> None:
    val_loss, val_acc = evaluate(model, data["X_val"], data["y_val"])
    _, train_acc = evaluate(model, X_train[sub], y_train[sub])
    history.eval_steps.append(step)
    history.train_acc.append(train_acc)
    history.val_acc.append(val_acc)
    history.val_loss.append(val_loss)
    if val_acc > history.best_val_acc:
        history.best_val_acc, history.best_step = val_acc, step


def _progress(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm  # lazy: the loop itself needs no progress bar

    return tqdm(total=total, disable=not enabled, desc="training", unit="step", leave=False)
