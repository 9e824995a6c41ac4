"""Benchmark the hyperparameter search: trials per minute, serial vs parallel processes.

Usage::

    python benchmarks/bench_search.py [--trials 12] [--epochs 20] [--jobs 2]
                                      [--serial-threads both|default|1] [--quick]

Runs the same random search over a small MLP on the 8x8 digits (offline, bundled with
scikit-learn; mean-subtracted and flattened) serially (``n_jobs=1`` in this process, BLAS
with its default thread count and/or limited to one thread) and with ``n_jobs=--jobs``
worker processes (one BLAS thread each). Prints the result tables (identical apart from the
times: every trial is seeded), trials per minute and the speed-ups. The parallel time
includes starting the worker processes. The serial run with one BLAS thread is the fair
baseline; the default-thread run shows what a user gets without limits (on a busy machine
BLAS threads can oversubscribe the cores and be much slower). The load average is printed
too: on a shared machine the numbers drift with it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cs_nn.course.search import LogUniform, MLPBuilder, random_search, run_search  # noqa: E402
from cs_nn.data import flatten, load_digits, subtract_mean, train_val_split  # noqa: E402


def load_data() -> dict:
    data = train_val_split(load_digits(seed=0), num_val=300, seed=0)
    data, _ = subtract_mean(data)
    data = flatten(data)
    return {k: data[k] for k in ("X_train", "y_train", "X_val", "y_val")}


def load_average() -> str:
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--serial-threads", choices=("both", "default", "1"), default="both",
                        help="BLAS threads of the serial run(s)")
    parser.add_argument("--quick", action="store_true", help="4 trials of 3 epochs")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.epochs = 4, 3

    data = load_data()
    space = {"lr": LogUniform(1e-4, 1e-1), "reg": LogUniform(1e-6, 1e-2),
             "hidden_dims": [[128], [256], [256, 128]]}
    trials = random_search(space, args.trials, seed=0)
    builder = MLPBuilder(input_dim=64, num_classes=10, weight_scale="he")
    options = {"update_rule": "adam", "num_epochs": args.epochs, "batch_size": 50,
               "patience": 4}
    print(f"digits: {data['X_train'].shape[0]} train / {data['X_val'].shape[0]} val; "
          f"{args.trials} trials, up to {args.epochs} epochs; cpus={os.cpu_count()}; "
          f"load average before: {load_average()}")

    runs = [(f"n_jobs=1, BLAS threads={t}", 1, t) for t in ("default", "1")
            if args.serial_threads in ("both", t)] + [(f"n_jobs={args.jobs}", args.jobs, "1")]
    timings, tables = {}, {}
    for label, n_jobs, threads in runs:
        limit = nullcontext()
        if n_jobs == 1 and threads == "1":
            from threadpoolctl import threadpool_limits
            limit = threadpool_limits(limits=1)
        start = time.perf_counter()
        with limit:
            result = run_search(builder, data, trials, options, seed=0, n_jobs=n_jobs,
                                progress=False)
        timings[label] = time.perf_counter() - start
        tables[label] = [{k: v for k, v in r.items() if k != "seconds"} for r in result.table]
        print(f"\n{label}: {timings[label]:.1f} s, {60 * args.trials / timings[label]:.1f} "
              f"trials/min (load average after: {load_average()})")
        print(result.to_markdown())

    parallel = runs[-1][0]
    same = all(table == tables[parallel] for table in tables.values())
    print(f"\ntables identical apart from times: {same}")
    for label, _, _ in runs[:-1]:
        print(f"speed-up {parallel} vs {label}: {timings[label] / timings[parallel]:.2f}x")

if __name__ == "__main__":  # required: worker processes are spawned and re-import this file
    main()
