"""One training epoch of an MLP 3072-100-10 (batch 200, float32) in cs_nn and in PyTorch CPU.

Usage::

    python benchmarks/bench_mlp.py [--threads 1|2] [--repeats 3] [--data random|cifar]
                                   [--num-train 50000] [--json PATH]

cs_nn side: the real ``Solver`` training a ``FullyConnectedNet([100])`` for one epoch (fresh
permutation, minibatches of 200, the update rule, the end-of-epoch accuracy check on a small
validation set). PyTorch side: the same model (Linear-ReLU-Linear, cross-entropy), the same
optimiser and the same minibatch loop, in the same run. Rows: SGD and Adam. Reported: median
wall time of ``--repeats`` epochs (after a warm-up) and the ratio cs_nn / PyTorch (target:
<= 1.0). numpy's BLAS and PyTorch use the same number of threads (printed via threadpoolctl).
With ``--data cifar`` the CIFAR-10 training images under $CS_NN_DATA are tiled up to
``--num-train`` samples (the shared copy holds batches 1-3: 30,000). The OpenBLAS kernel
set is printed too; bench_conv.py says how to measure where the environment pins
``OPENBLAS_CORETYPE``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cs_nn._util import speed as _speed  # noqa: E402
from cs_nn.models import FullyConnectedNet  # noqa: E402
from cs_nn.solver import Solver  # noqa: E402

LR = {"sgd": 1e-2, "adam": 1e-3}
BATCH = 200
NUM_VAL = 200


def make_data(kind: str, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """X (n, 3072) float32, y (n,) int64, plus a small validation set."""
    rng = np.random.default_rng(seed)
    if kind == "cifar":
        from cs_nn.data import load_cifar10

        raw = load_cifar10()
        X0 = raw["X_train"].reshape(raw["X_train"].shape[0], -1)  # (N0, 3072)
        X0 = X0 - X0.mean(axis=0)
        reps = -(-(n + NUM_VAL) // X0.shape[0])
        X = np.tile(X0, (reps, 1))[:n + NUM_VAL].astype(np.float32)
        y = np.tile(raw["y_train"], reps)[:n + NUM_VAL]
    else:
        X = rng.standard_normal((n + NUM_VAL, 3072), dtype=np.float32)
        y = rng.integers(0, 10, n + NUM_VAL)
    return {"X_train": X[:n], "y_train": y[:n], "X_val": X[n:], "y_val": y[n:]}


def cs_nn_epoch(data: dict[str, np.ndarray], rule: str, seed: int) -> float:
    """Wall time of one Solver epoch (model construction excluded)."""
    model = FullyConnectedNet([100], input_dim=3072, num_classes=10, weight_scale=1e-2,
                              dtype=np.float32, seed=seed)
    solver = Solver(model, data, update_rule=rule, optim_config={"learning_rate": LR[rule]},
                    num_epochs=1, batch_size=BATCH, num_train_samples=NUM_VAL, seed=seed)
    t0 = time.perf_counter()
    solver.train()
    return time.perf_counter() - t0


def torch_epoch(torch, Xt, yt, Xv, yv, rule: str, seed: int) -> float:
    """Wall time of the same epoch in PyTorch (including a matching accuracy check)."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3072, 100), torch.nn.ReLU(),
                                torch.nn.Linear(100, 10))
    opt = (torch.optim.SGD(model.parameters(), lr=LR[rule]) if rule == "sgd" else
           torch.optim.Adam(model.parameters(), lr=LR[rule]))
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    order = torch.randperm(Xt.shape[0], generator=gen)
    for start in range(0, Xt.shape[0], BATCH):
        idx = order[start:start + BATCH]
        loss = loss_fn(model(Xt[idx]), yt[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if not torch.isfinite(loss):
            raise FloatingPointError("PyTorch loss diverged")
    with torch.no_grad():  # the Solver checks train and val accuracy after the epoch
        for X, y in ((Xt[:NUM_VAL], yt[:NUM_VAL]), (Xv, yv)):
            (model(X).argmax(1) == y).float().mean().item()
    return time.perf_counter() - t0


def median(fn, repeats: int) -> float:
    fn()  # warm-up
    return float(np.median([fn() for _ in range(repeats)]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS / PyTorch threads (default: leave as is)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", choices=("random", "cifar"), default="random")
    parser.add_argument("--num-train", type=int, default=50_000)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--plain", action="store_true",
                        help="time the plain learner-facing code (as the student release runs "
                             "it), not the instructor's speed path in cs_nn/_fast/")
    args = parser.parse_args(argv)
    if args.plain:
        with _speed.plain():
            return run(args)
    return run(args)


def run(args: argparse.Namespace) -> int:
    """The benchmark with parsed arguments (see main)."""

    from threadpoolctl import threadpool_info, threadpool_limits

    limits = threadpool_limits(args.threads) if args.threads else None
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and args.threads:
        torch.set_num_threads(args.threads)
    data = make_data(args.data, args.num_train)
    print(f"python {platform.python_version()}, numpy {np.__version__}"
          + (f", torch {torch.__version__}" if torch else ", torch not installed"))
    for pool in threadpool_info():
        print(f"  numpy BLAS: {pool.get('internal_api')} {pool.get('version')} "
              f"threads={pool.get('num_threads')} kernels={pool.get('architecture')}")
    if torch is not None:
        print(f"  torch threads={torch.get_num_threads()}")
    print(f"MLP 3072-100-10, {args.num_train} samples ({args.data}), batch {BATCH}, float32, "
          f"median of {args.repeats} epochs after a warm-up"
          + (", plain code" if args.plain else ""))
    print(f"{'optimizer':<10}{'cs_nn (s)':>12}{'torch (s)':>12}{'ratio':>8}  target <= 1.0")
    rows = []
    for rule in ("sgd", "adam"):
        t_np = median(lambda r=rule: cs_nn_epoch(data, r, 0), args.repeats)
        t_pt = ratio = None
        if torch is not None:
            tensors = [torch.from_numpy(data[k]) for k in ("X_train", "y_train", "X_val", "y_val")]
            t_pt = median(lambda r=rule, t=tensors: torch_epoch(torch, *t, r, 0), args.repeats)
            ratio = t_np / t_pt
        rows.append({"optimizer": rule, "cs_nn_s": t_np, "torch_s": t_pt, "ratio": ratio})
        pt = f"{t_pt:12.3f}" if t_pt is not None else f"{'-':>12}"
        rt = f"{ratio:8.2f}" if ratio is not None else f"{'-':>8}"
        print(f"{rule:<10}{t_np:12.3f}{pt}{rt}")
    if args.json:
        Path(args.json).write_text(json.dumps({"threads": args.threads, "rows": rows}, indent=2))
    if limits is not None:
        limits.restore_original_limits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
