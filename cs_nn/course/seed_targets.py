"""The source assignments' CIFAR-10 accuracy targets, as runnable training recipes.

Each :class:`Target` names the seed it comes from, what must be reached (an accuracy on one
split, at least a threshold) and the :class:`~cs_nn.course.training.TrainConfig` that reaches it.
:func:`run_target` trains it and measures the accuracies; the test split is only measured
when asked (``test=True``), so a notebook can keep the test set for the one final model.

    result = run_target("network_50", data)            # data = training.load_data(...)
    print(result.accuracies["val"], result.met)

``quick=True`` trains the same recipe for fewer epochs / steps (for CI and the notebooks'
fast path); only the full recipe is expected to meet the threshold. The full figures are
produced by ``python benchmarks/seed_targets.py`` and quoted in notebook 07 and the README.

Seed 003's MLP is trained the way its own scripts do it (its ``cifar10_utils`` and
``train_mlp_numpy.py``): no validation set (``validation_size=0``: every training image
trains), raw pixel values 0..255 minus the mean image of *all* those training images
(``input_scale=255``: the loaders scale to [0, 1]), weights drawn from N(0, 1e-4^2) with zero
biases, the mean cross-entropy over the batch, plain SGD for a fixed number of steps and the
test accuracy measured every ``eval_every`` steps. Two details differ and were measured not
to matter (``benchmarks/seed003_elu.py``, 10 seeds each): the seed serves its first epoch in
file order (the Solver shuffles every epoch), and its arrays are float32 like ours (float64
gives the same accuracies). What does matter is the number of training images (the seed had
50,000) and which seed one looks at: the test accuracy at the last step varies by about
+-0.02 between seeds, so :func:`run_target` takes a ``seed``.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from cs_nn.course.training import TrainConfig, build_model
from cs_nn.solver import Solver

NOTEBOOK = "07_training_mlps"


@dataclasses.dataclass(frozen=True)
class Target:
    """One accuracy target of a source assignment and the recipe that reaches it."""

    name: str
    seed: str  # where it comes from, e.g. "000 Q4"
    goal: str  # the target in words
    split: str  # the accuracy that must reach ``threshold``: "train", "val" or "test"
    threshold: float
    config: TrainConfig
    num_train: int | None = None  # train on only the first N training images (None: all)
    num_steps: int | None = None  # step-based recipe (seed 003): this many SGD steps
    eval_every: int = 100  # step-based recipe: measure the accuracy every this many steps
    input_scale: float = 1.0  # multiply the (mean-subtracted) inputs by this
    quick_epochs: int | None = None  # quick=True: this many epochs ...
    quick_steps: int | None = None  # ... or this many steps


_CIFAR = {"dataset": "cifar10", "weight_scale": "he", "seed": 0}

TARGETS: dict[str, Target] = {t.name: t for t in [
    Target("overfit_50", "000 Q4", "100% training accuracy on 50 images within 20 epochs",
           "train", 1.0,
           TrainConfig(**_CIFAR, hidden_dims=[100, 100], num_epochs=20, batch_size=25,
                       update_rule="adam", lr=1e-3),
           num_train=50, quick_epochs=20),
    Target("two_layer_45", "000 Q4 / 004 Task 4",
           "a two-layer net (one hidden layer) at >= 45% validation accuracy", "val", 0.45,
           TrainConfig(**_CIFAR, hidden_dims=[500], num_epochs=12, batch_size=200,
                       update_rule="sgd_momentum", lr=1e-2, lr_decay=0.9, reg=1e-3),
           quick_epochs=4),
    Target("network_50", "000 Q4", "a network at >= 50% validation accuracy", "val", 0.50,
           TrainConfig(**_CIFAR, hidden_dims=[512, 256], num_epochs=15, batch_size=128,
                       update_rule="adam", lr=5e-4, lr_decay=0.9, dropout=0.2, reg=1e-3),
           quick_epochs=4),
    Target("overfit_75", "004 Task 4", "an overfit model at >= 75% training accuracy", "train",
           0.75,
           TrainConfig(**_CIFAR, hidden_dims=[200], num_epochs=25, batch_size=50,
                       update_rule="sgd_momentum", lr=1e-2),
           num_train=500, quick_epochs=25),
    Target("elu_003", "003 1.2", "the ELU MLP (one hidden layer of 100) at about 0.48 test "
           "accuracy with the script's defaults", "test", 0.45,
           TrainConfig(dataset="cifar10", hidden_dims=[100], activation="elu",
                       weight_scale=1e-4, batch_size=200, update_rule="sgd", lr=2e-3, seed=0),
           num_steps=1500, eval_every=100, input_scale=255.0, quick_steps=300),
]}


@dataclasses.dataclass
class TargetResult:
    """What :func:`run_target` returns."""

    target: Target
    model: Any
    solver: Any  # the Solver; step-based recipes also fill ``eval_steps``/``eval_acc``
    accuracies: dict[str, float]  # "train" (the training images used), "val", maybe "test"
    num_train: int
    seconds: float
    quick: bool
    eval_steps: list[int] = dataclasses.field(default_factory=list)  # step-based only
    eval_acc: list[float] = dataclasses.field(default_factory=list)  # test acc at those steps

    @property
    def met(self) -> bool:
        return self.accuracies.get(self.target.split, -1.0) >= self.target.threshold

    def mean_of_last_evals(self, k: int = 5) -> float:
        """Step-based recipes: the mean test accuracy of the last ``k`` evaluations (a steadier
        figure than the last one when the accuracy jumps between evaluations)."""
        if not self.eval_acc:
            raise ValueError(f"target {self.target.name!r} is epoch-based: no evaluations")
        return float(np.mean(self.eval_acc[-k:]))


def get_target(name: str) -> Target:
    if name not in TARGETS:
        raise KeyError(f"no seed target named {name!r}; known: {sorted(TARGETS)}")
    return TARGETS[name]


def target_data(target: Target, data: dict[str, Any]) -> dict[str, np.ndarray]:
    """The arrays a target trains on, from :func:`cs_nn.course.training.load_data` output.

    Takes the first ``num_train`` training images; a step-based recipe (seed 003) trains on
    training + validation images together, centred on the mean of all of them (as the seed's
    ``cifar10_utils`` centres on the mean of every training image), and keeps the test set
    for its evaluations. Inputs are multiplied by ``input_scale``. Never modifies ``data``.
    """
    X_train, y_train = data["X_train"], data["y_train"]
    X_val, y_val = data["X_val"], data["y_val"]
    X_test = data["X_test"]
    if target.num_steps is not None:
        X_train, y_train = np.concatenate([X_train, X_val]), np.concatenate([y_train, y_val])
        # data is centred on the mean of X_train alone; re-centre on the mean of the union
        shift = X_train.mean(axis=0, dtype=np.float64).astype(X_train.dtype)
        X_train, X_test = X_train - shift, X_test - shift
        X_val, y_val = X_test, data["y_test"]
    if target.num_train is not None:
        if target.num_train > X_train.shape[0]:
            raise ValueError(f"target {target.name!r} needs {target.num_train} training "
                             f"images, the data holds {X_train.shape[0]}")
        X_train, y_train = X_train[:target.num_train], y_train[:target.num_train]
    s = target.input_scale
    return {"X_train": X_train * s, "y_train": y_train, "X_val": X_val * s, "y_val": y_val,
            "X_test": X_test * s, "y_test": data["y_test"]}


def run_target(name: str, data: dict[str, Any], quick: bool = False, test: bool = False,
               verbose: bool = False, seed: int | None = None) -> TargetResult:
    """Train the recipe of target ``name`` on ``data`` (from ``training.load_data``).

    ``quick`` trains for the target's quick epochs / steps; ``test`` also measures the test
    accuracy (step-based recipes always do: the seed evaluates on the test set). ``seed``
    replaces the recipe's seed (initial weights and minibatch order; the validation split is
    ``data``'s). The model keeps its final parameters (no best-epoch restore), as the seeds'
    scripts do.
    """
    target = get_target(name)
    arrays = target_data(target, data)
    config = target.config
    if seed is not None:
        config = dataclasses.replace(config, seed=seed).validate()
    if quick and target.quick_epochs is not None:
        config = dataclasses.replace(config, num_epochs=target.quick_epochs)
    model = build_model(config, arrays["X_train"].shape[1:], len(data["class_names"]))
    solver = Solver(model, {k: arrays[k] for k in ("X_train", "y_train", "X_val", "y_val")},
                    update_rule=config.update_rule,
                    optim_config={"learning_rate": config.learning_rate},
                    lr_decay=config.lr_decay, num_epochs=config.num_epochs,
                    batch_size=config.batch_size, seed=config.seed, num_train_samples=None,
                    verbose=verbose)
    start = time.perf_counter()
    steps, accs = [], []
    if target.num_steps is None:
        solver.train()
    else:
        num_steps = target.quick_steps if quick and target.quick_steps else target.num_steps
        for step in range(1, num_steps + 1):
            solver.step()
            if step % target.eval_every == 0 or step == num_steps:
                steps.append(step)
                accs.append(solver.check_accuracy(arrays["X_val"], arrays["y_val"]))
    seconds = time.perf_counter() - start
    accuracies = {"train": solver.check_accuracy(arrays["X_train"], arrays["y_train"],
                                                 num_samples=10_000)}
    if target.num_steps is None:
        accuracies["val"] = solver.check_accuracy(arrays["X_val"], arrays["y_val"])
        if test:
            accuracies["test"] = solver.check_accuracy(arrays["X_test"], arrays["y_test"])
    else:
        accuracies["test"] = accs[-1]
    return TargetResult(target=target, model=model, solver=solver, accuracies=accuracies,
                        num_train=int(arrays["X_train"].shape[0]), seconds=seconds, quick=quick,
                        eval_steps=steps, eval_acc=accs)


def describe(target: Target) -> str:
    """One line with the recipe's hyperparameters (architecture, update rule, schedule)."""
    c = target.config
    length = (f"{target.num_steps} steps" if target.num_steps is not None
              else f"{c.num_epochs} epochs")
    parts = [f"hidden {c.hidden_dims} {c.activation}", f"{c.update_rule} lr {c.learning_rate:g}",
             f"decay {c.lr_decay:g}/epoch" if c.lr_decay != 1 else "no lr decay",
             f"batch {c.batch_size}", length, f"weight scale {c.weight_scale}"]
    if c.dropout:
        parts.append(f"dropout {c.dropout:g}")
    if c.reg:
        parts.append(f"L2 {c.reg:g}")
    if target.num_train is not None:
        parts.append(f"first {target.num_train} training images")
    if target.input_scale != 1:
        parts.append(f"inputs x {target.input_scale:g} (raw pixel scale)")
    return ", ".join(parts)
