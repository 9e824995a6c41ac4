"""Why does seed 003's ELU MLP fall short of its "about 0.48" here? A controlled study.

Usage::

    CS_NN_DATA=../shared/data python benchmarks/seed003_elu.py [--sizes 10000 20000 30000]
        [--seeds 0 1 2 3 4] [--orders seed shuffled] [--dtypes float32 float64]

Seed 003 (§1.2) says its ``train_mlp_numpy.py`` defaults (one hidden layer of 100 ELU units,
SGD lr 2e-3, batch 200, 1,500 steps, test accuracy every 100 steps) reach about 0.48 on the
whole CIFAR-10 test set. Its data come from that course's ``cifar10_utils``: raw pixel values
0..255 as float32, minus the mean image of *all* the training images (no scaling, no
validation split: ``validation_size=0``), channels first; its ``DataSet.next_batch`` serves the
first epoch in file order and reshuffles only when an epoch is used up; its ``LinearModule``
draws weights from N(0, 1e-4^2) with zero biases; the loss is the mean cross-entropy over
the batch.

This script trains exactly that (the model is ``cs_nn``'s ``FullyConnectedNet``, the update
plain SGD) on the first N training images, for several sizes N and initialisation seeds, and
with either batch order ("seed": the first epoch in file order, then reshuffled;
"shuffled": a fresh permutation every epoch, as ``cs_nn``'s Solver does) and either float
type. For every run it prints the test accuracy at the last step, the best evaluation and
the mean of the last five evaluations (steps 1,100-1,500), then a summary per setting
(mean +- standard deviation over the seeds). One BLAS thread; every run repeats exactly.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seed_targets import spread  # noqa: E402  (benchmarks/seed_targets.py)
from threadpoolctl import threadpool_limits  # noqa: E402

from cs_nn.data import load_dataset  # noqa: E402
from cs_nn.models import FullyConnectedNet  # noqa: E402
from cs_nn.optim import sgd  # noqa: E402

NUM_STEPS, EVAL_EVERY, BATCH_SIZE, LR, HIDDEN, WEIGHT_STD = 1500, 100, 200, 2e-3, 100, 1e-4


@dataclasses.dataclass
class Run:
    size: int
    order: str
    dtype: str
    seed: int
    steps: list[int]
    test_acc: list[float]
    seconds: float

    @property
    def final(self) -> float:
        return self.test_acc[-1]

    @property
    def best(self) -> float:
        return max(self.test_acc)

    @property
    def last5(self) -> float:
        return float(np.mean(self.test_acc[-5:]))


def seed_pipeline(X_train: np.ndarray, X_test: np.ndarray, dtype: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """cifar10_utils' preprocessing: pixel values 0..255, minus the training mean image.

    X_* (N, 3, 32, 32) in [0, 1] as ``cs_nn``'s loader returns them; returns (N, 3072) arrays.
    """
    train = np.rint(X_train.reshape(X_train.shape[0], -1) * 255.0).astype(dtype)
    test = np.rint(X_test.reshape(X_test.shape[0], -1) * 255.0).astype(dtype)
    mean = train.mean(axis=0, dtype=np.float64).astype(dtype)
    return train - mean, test - mean


def batches(n: int, order: str, rng: np.random.Generator):
    """Index arrays of BATCH_SIZE, forever: cifar10_utils' order ("seed") or always shuffled."""
    perm = np.arange(n) if order == "seed" else rng.permutation(n)
    pos = 0
    while True:
        if pos + BATCH_SIZE > n:  # next_batch: reshuffle when the epoch is used up
            perm, pos = rng.permutation(n), 0
        yield perm[pos:pos + BATCH_SIZE]
        pos += BATCH_SIZE


def train_one(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
              order: str, seed: int) -> tuple[list[int], list[float]]:
    model = FullyConnectedNet([HIDDEN], input_dim=X.shape[1], num_classes=10,
                              weight_scale=WEIGHT_STD, dtype=X.dtype, seed=seed,
                              activation="elu")
    configs = {name: {"learning_rate": LR} for name in model.params}
    steps, accs = [], []
    order_rng = np.random.default_rng(seed + 1000)
    for step, idx in enumerate(itertools.islice(batches(X.shape[0], order, order_rng),
                                                NUM_STEPS), start=1):
        _, grads = model.loss(X[idx], y[idx])
        for name, w in list(model.params.items()):
            model.params[name], configs[name] = sgd(w, grads[name], configs[name])
        if step % EVAL_EVERY == 0:
            scores = np.concatenate([model.loss(X_test[s:s + 1000])
                                     for s in range(0, X_test.shape[0], 1000)])
            steps.append(step)
            accs.append(float(np.mean(scores.argmax(axis=1) == y_test)))
    return steps, accs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 30_000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--orders", nargs="+", choices=["seed", "shuffled"],
                        default=["seed", "shuffled"])
    parser.add_argument("--dtypes", nargs="+", choices=["float32", "float64"],
                        default=["float32"])
    parser.add_argument("--curves", action="store_true", help="print every evaluation")
    args = parser.parse_args(argv)
    threadpool_limits(limits=1, user_api="blas")
    raw = load_dataset("cifar10")
    print(f"CIFAR-10 copy: {raw['X_train'].shape[0]} training images in file order, "
          f"{raw['X_test'].shape[0]} test images", flush=True)
    runs: list[Run] = []
    for size, dtype in itertools.product(args.sizes, args.dtypes):
        if size > raw["X_train"].shape[0]:
            raise SystemExit(f"--sizes {size}: the data holds only {raw['X_train'].shape[0]} "
                             "training images")
        X, X_test = seed_pipeline(raw["X_train"][:size], raw["X_test"], dtype)
        y, y_test = raw["y_train"][:size], raw["y_test"]
        for order, seed in itertools.product(args.orders, args.seeds):
            start = time.perf_counter()
            steps, accs = train_one(X, y, X_test, y_test, order, seed)
            run = Run(size, order, dtype, seed, steps, accs, time.perf_counter() - start)
            runs.append(run)
            curve = ("  " + " ".join(f"{a:.3f}" for a in accs)) if args.curves else ""
            print(f"N={size:>6} {order:<8} {dtype} seed {seed}: final {run.final:.4f}  best "
                  f"{run.best:.4f} (step {steps[int(np.argmax(accs))]})  last-5 mean "
                  f"{run.last5:.4f}  ({run.seconds:.0f} s){curve}", flush=True)
    print("\nsummary (mean +- standard deviation over the seeds):")
    print(f"{'N':>6} {'order':<8} {'dtype':<8} {'final':>15} {'best':>15} {'last-5 mean':>15}")
    for key, group in itertools.groupby(runs, key=lambda r: (r.size, r.order, r.dtype)):
        group = list(group)
        print(f"{key[0]:>6} {key[1]:<8} {key[2]:<8} {spread([r.final for r in group]):>15} "
              f"{spread([r.best for r in group]):>15} {spread([r.last5 for r in group]):>15}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
