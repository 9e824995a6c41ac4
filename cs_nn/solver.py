"""The Solver: minibatch training of a classifier with any update rule from :mod:`cs_nn.optim`.

A model is anything with ``.params`` (dict name -> float array) and ``.loss(X, y=None)``, which
returns class scores (N, C) when ``y`` is None and ``(loss, grads)`` otherwise, with ``grads``
keyed like ``params``. ``data`` holds ``X_train``, ``y_train``, ``X_val``, ``y_val``.

    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                    num_epochs=5, batch_size=100, seed=0)
    solver.train()
    plt.plot(solver.loss_history)

Each epoch visits every training sample exactly once (a fresh permutation, split into
minibatches of ``batch_size``; the last one may be smaller). After each epoch the Solver
measures train and validation accuracy, keeps the parameters with the best validation
accuracy in ``best_params``, and may stop early or write a checkpoint.

Callbacks ``cb(solver, event)`` see ``event`` = "iteration" (after every step), "epoch" (after
every full epoch's evaluation) and "end" (once, after training). They may read
``solver.epoch`` (completed epochs), ``solver.iteration`` (completed steps),
``solver.loss_history``, ``solver.train_acc_history``, ``solver.val_acc_history``,
``solver.val_loss_history``, ``solver.lr`` (current learning rate), ``solver.momentum``,
``solver.best_val_acc``, and set ``solver.stop_requested = True`` to stop training.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np

from cs_nn._checks import NonFiniteError, as_label_array, check_int
from cs_nn._util.checkpoint import save_checkpoint
from cs_nn._util.model_state import load_buffers, model_buffers, snapshot, training_metadata
from cs_nn.solver_options import (
    SolverOptions,
    check_model,
    parse_options,
    resolve_update_rule,
    validate_options,
)

__all__ = ["Solver", "SolverOptions"]

_DATA_KEYS = ("X_train", "y_train", "X_val", "y_val")


class Solver:
    """Train ``model`` on ``data`` with the options of :class:`SolverOptions` (keywords).

    Attributes: ``loss_history`` (one float per iteration); ``train_acc_history``,
    ``val_acc_history``, ``val_loss_history`` (one per epoch; val loss is the softmax
    cross-entropy of the scores, without regularisation); ``best_val_acc``, ``best_epoch``,
    ``best_params`` (copies of the params with the best validation accuracy) and
    ``best_buffers`` (the model's ``buffers`` then, e.g. running averages); ``epoch`` and
    ``iteration`` (completed so far); ``lr``; ``stopped_early`` and ``stop_reason``
    ("patience" or "callback"); ``optim_configs`` (one optimiser config per parameter);
    ``checkpoint_paths``. Methods: ``train()``, ``step()``, ``check_accuracy()``,
    ``predict()``, ``save_checkpoint()``.
    """

    def __init__(self, model: Any, data: dict[str, np.ndarray], **options: Any) -> None:
        self.options = opts = parse_options(options)
        self.model = model
        self.dtype = check_model(model)
        validate_options(opts)
        rule = resolve_update_rule(opts)
        self.update_rule, self.rule_name = rule.update_rule, rule.name
        self.initial_lr = self.lr = rule.initial_lr
        self.momentum_key, self.momentum = rule.momentum_key, rule.momentum
        self._load_data(data)
        configs = opts.optim_config or {}
        self.optim_configs = {name: copy.deepcopy(configs) for name in model.params}
        self.rng = np.random.default_rng(opts.seed)  # minibatch permutations
        self._eval_rng = self.rng.spawn(1)[0]  # accuracy subsamples (does not disturb self.rng)
        self._order = np.empty(0, dtype=np.int64)
        self._pos = 0
        self.iterations_per_epoch = -(-self.X_train.shape[0] // opts.batch_size)  # ceil
        self.epoch = self.iteration = 0
        self.loss_history: list[float] = []
        self.train_acc_history: list[float] = []
        self.val_acc_history: list[float] = []
        self.val_loss_history: list[float] = []
        self.best_val_acc = 0.0
        self.best_epoch: int | None = None
        self.best_params: dict[str, np.ndarray] = {}
        self.best_buffers: dict[str, np.ndarray] = {}
        self.stopped_early = self.stop_requested = False
        self.stop_reason: str | None = None
        self.checkpoint_paths: list[Path] = []
        self._best_monitored: float | None = None
        self._bad_epochs = 0
        self._start_epoch()

    # ---------------------------------------------------------------- validation (plumbing)
    def _as_x(self, name: str, X: object) -> np.ndarray:
        """``X`` in the model's dtype (cast when needed; the caller's array is never changed)."""
        arr = np.asarray(X)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
        if arr.ndim < 1 or arr.shape[0] == 0:
            raise ValueError(f"{name} must hold at least one sample, got shape {arr.shape}")
        return arr.astype(self.dtype, copy=False)

    def _load_data(self, data: dict[str, np.ndarray]) -> None:
        missing = [k for k in _DATA_KEYS if not isinstance(data, dict) or k not in data]
        if missing:
            raise KeyError(f"data is missing {missing}; it needs the keys {list(_DATA_KEYS)}")
        self.X_train = self._as_x("data['X_train']", data["X_train"])
        self.X_val = self._as_x("data['X_val']", data["X_val"])
        scores = self.model.loss(self.X_train[:2])  # one tiny forward pass gives C
        if not isinstance(scores, np.ndarray) or scores.ndim != 2 or scores.shape[0] != min(
                2, self.X_train.shape[0]):
            raise ValueError("model.loss(X) must return scores of shape (N, C); got "
                             f"{getattr(scores, 'shape', type(scores).__name__)}")
        self.num_classes = scores.shape[1]
        self.y_train = as_label_array("data['y_train']", data["y_train"],
                                      num_classes=self.num_classes, n=self.X_train.shape[0])
        self.y_val = as_label_array("data['y_val']", data["y_val"],
                                    num_classes=self.num_classes, n=self.X_val.shape[0])

    # ---------------------------------------------------------------- training
    def _start_epoch(self) -> None:
        """Set this epoch's learning rate and momentum; draw a fresh permutation."""
        o = self.options
        if o.lr_schedule is not None:
            self.lr = float(o.lr_schedule(self.epoch))
        elif self.initial_lr is not None:
            self.lr = float(self.initial_lr) * float(o.lr_decay) ** self.epoch
        if o.momentum_schedule is not None:
            self.momentum = float(o.momentum_schedule(self.epoch))
        for cfg in self.optim_configs.values():
            if self.lr is not None:
                cfg["learning_rate"] = self.lr
            if self.momentum is not None:
                cfg[self.momentum_key] = self.momentum
        self._order = self.rng.permutation(self.X_train.shape[0])
        self._pos = 0

    def step(self) -> float:
        """One minibatch update of every parameter; returns the minibatch loss."""
        if self._pos >= self._order.shape[0]:
            self._order, self._pos = self.rng.permutation(self.X_train.shape[0]), 0
        idx = self._order[self._pos:self._pos + self.options.batch_size]
        self._pos += idx.shape[0]
        X_batch = self.X_train[idx]
        try:
            loss, grads = self.model.loss(X_batch, self.y_train[idx])
        except NonFiniteError as exc:  # a layer's input check met NaN / inf before the loss
            if not np.all(np.isfinite(X_batch)):
                raise  # the data itself is bad: not a divergence
            raise self._diverged(f"NaN or infinite values appeared inside the model ({exc})"
                                 ) from exc
        loss = float(loss)
        if not math.isfinite(loss):
            raise self._diverged(f"the loss became {loss}")
        missing = [name for name in self.model.params if name not in grads]
        if missing:
            raise KeyError(f"model.loss returned no gradient for {missing}; grads must be "
                           "keyed like model.params")
        for name, w in list(self.model.params.items()):
            next_w, self.optim_configs[name] = self.update_rule(w, grads[name],
                                                                self.optim_configs[name])
            self.model.params[name] = next_w
        self.loss_history.append(loss)
        self.iteration += 1
        return loss

    def _diverged(self, what: str) -> FloatingPointError:
        return FloatingPointError(
            f"{what} at iteration {self.iteration + 1} (epoch {self.epoch + 1}) with learning "
            f"rate {self.lr!r}: training diverged; try a smaller learning rate (e.g. 10x "
            "smaller) or check the data and initialisation")

    def train(self) -> Solver:
        """Run ``num_epochs`` epochs (again from where it stopped if called twice)."""
        o = self.options
        total = o.num_epochs * self.iterations_per_epoch
        bar = None
        if o.verbose:
            from tqdm.auto import tqdm  # lazy: only the progress bar needs it
            bar = tqdm(total=total, desc="training", unit="it")
        write = bar.write if bar is not None else print
        self.stop_requested = self.stopped_early = False
        self.stop_reason = None
        try:
            for e in range(o.num_epochs):
                if e > 0 or self._pos > 0:  # the constructor prepared the first epoch
                    self._start_epoch()
                for _ in range(self.iterations_per_epoch):
                    loss = self.step()
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(self._postfix(loss), refresh=False)
                    if o.print_every and self.iteration % o.print_every == 0:
                        write(f"(iteration {self.iteration} / {total}) loss: {loss:.4f}")
                    self._emit("iteration")
                    if self.stop_requested:
                        break
                if self.stop_requested:
                    self._mark_stopped("callback")
                    break
                self.epoch += 1
                self._end_epoch()
                self._emit("epoch")
                if self.stop_requested:
                    self._mark_stopped("callback" if self.stop_reason is None else
                                       self.stop_reason)
                    break
        finally:
            if bar is not None:
                bar.close()
        restore = o.restore_best if o.restore_best is not None else o.patience is not None
        if restore and self.best_params:
            for name, w in self.best_params.items():
                self.model.params[name] = w.copy()
            load_buffers(self.model, self.best_buffers, "the best epoch")
        self._emit("end")
        return self

    def _postfix(self, loss: float) -> dict[str, str]:
        post = {"loss": f"{loss:.4f}"}
        if self.val_acc_history:
            post["train_acc"] = f"{self.train_acc_history[-1]:.3f}"
            post["val_acc"] = f"{self.val_acc_history[-1]:.3f}"
        return post

    def _emit(self, event: str) -> None:
        for cb in self.options.callbacks:
            cb(self, event)

    def _mark_stopped(self, reason: str) -> None:
        self.stopped_early = True
        self.stop_reason = reason

    def _end_epoch(self) -> None:
        """Accuracy checks, best parameters, early stopping and checkpoints."""
        o = self.options
        train_acc, _ = self._evaluate(self.X_train, self.y_train, o.num_train_samples)
        val_acc, val_loss = self._evaluate(self.X_val, self.y_val, o.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        self.val_loss_history.append(val_loss)
        if self.best_epoch is None or val_acc > self.best_val_acc:
            self.best_val_acc, self.best_epoch = val_acc, self.epoch
            # buffers: e.g. batchnorm's running averages, which the predictions need too
            self.best_params, self.best_buffers = snapshot(self.model)
        current = val_acc if o.monitor == "val_acc" else -val_loss  # larger is better
        if self._best_monitored is None or current > self._best_monitored:
            self._best_monitored, self._bad_epochs = current, 0
        else:
            self._bad_epochs += 1
        if o.patience is not None and self._bad_epochs >= o.patience:
            self.stop_requested = True
            self._mark_stopped("patience")
        if o.checkpoint_dir is not None and self.epoch % o.checkpoint_every == 0:
            path = Path(o.checkpoint_dir) / f"epoch_{self.epoch:03d}.npz"
            self.checkpoint_paths.append(self.save_checkpoint(path))

    # ---------------------------------------------------------------- evaluation
    def _evaluate(self, X: np.ndarray, y: np.ndarray, num_samples: int | None,
                  batch_size: int = 100) -> tuple[float, float]:
        """(accuracy, mean softmax cross-entropy of the scores) on an optional subsample."""
        n = X.shape[0]
        if num_samples is not None and n > num_samples:
            idx = self._eval_rng.choice(n, num_samples, replace=False)
            X, y, n = X[idx], y[idx], num_samples
        correct, loss_sum = 0, 0.0
        for start in range(0, n, batch_size):
            scores = np.asarray(self.model.loss(X[start:start + batch_size]), dtype=np.float64)
            yb = y[start:start + batch_size]
            correct += int(np.count_nonzero(scores.argmax(axis=1) == yb))
            shifted = scores - scores.max(axis=1, keepdims=True)  # (B, C)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss_sum -= float(log_probs[np.arange(yb.shape[0]), yb].sum())
        return correct / n, loss_sum / n

    def check_accuracy(self, X: np.ndarray, y: np.ndarray, num_samples: int | None = None,
                       batch_size: int = 100) -> float:
        """Fraction of correct predictions on X (N, ...) with labels y (N,).

        With ``num_samples``, a random subsample of that size is used (seeded by the
        Solver's seed). Predictions are made ``batch_size`` samples at a time.
        """
        X = self._as_x("X", X)
        y = as_label_array("y", y, num_classes=self.num_classes, n=X.shape[0])
        check_int("num_samples", num_samples, 1, allow_none=True)
        check_int("batch_size", batch_size, 1)
        return self._evaluate(X, y, num_samples, batch_size)[0]

    def predict(self, X: np.ndarray, batch_size: int = 100) -> np.ndarray:
        """Predicted labels (N,) for X (N, ...), ``batch_size`` samples at a time."""
        X = self._as_x("X", X)
        check_int("batch_size", batch_size, 1)
        return np.concatenate([np.asarray(self.model.loss(X[s:s + batch_size])).argmax(axis=1)
                               for s in range(0, X.shape[0], batch_size)])

    # ---------------------------------------------------------------- checkpoints
    def save_checkpoint(self, path: str | Path) -> Path:
        """Save the model's current params and buffers (batchnorm's running averages) with
        the training state (histories, epoch, lr, options) as JSON metadata. Put it back into
        a model of the same architecture with
        :func:`cs_nn._util.model_state.restore_checkpoint` (read the arrays with
        :func:`cs_nn._util.checkpoint.read_checkpoint`)."""
        return save_checkpoint(path, self.model.params, training_metadata(self),
                               buffers=model_buffers(self.model))
