"""Train the source assignments' CIFAR-10 accuracy targets and report what they reach.

Usage::

    CS_NN_DATA=../shared/data python benchmarks/seed_targets.py [--target NAME ...] [--quick]
        [--seeds 0 1 2 ...]

The recipes live in :mod:`cs_nn.course.seed_targets` (notebook 07 runs the same ones, on subsets
unless ``CS_NN_FULL_RUN=1``). Data: ``training.load_data`` on CIFAR-10 (every training batch
found, 10% held out for validation, the official test batch). BLAS is pinned to one thread,
so the numbers repeat exactly on one machine. The test set is measured once per target and
seed, after training. With several ``--seeds`` (initial weights and minibatch order; the
validation split stays that of seed 0) each target is trained once per seed and a summary
line gives the mean and standard deviation over them. Exit status 1 if a full-run target is
missed (by the first seed's run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from threadpoolctl import threadpool_limits  # noqa: E402

from cs_nn.course.seed_targets import TARGETS, TargetResult, describe, run_target  # noqa: E402
from cs_nn.course.training import load_data  # noqa: E402


def spread(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} +- {sd:.4f}"


def report(result: TargetResult, seed: int, quick: bool) -> None:
    t, acc, s = result.target, result.accuracies, result.solver
    verdict = "MET" if result.met else "missed"
    if result.eval_steps:
        print(f"  seed {seed}: test acc every {t.eval_every} steps: "
              + " ".join(f"{a:.3f}" for a in result.eval_acc))
    else:
        print(f"  seed {seed}: val acc per epoch: "
              + " ".join(f"{a:.3f}" for a in s.val_acc_history))
    extra = ""
    if result.eval_steps:
        extra = (f"  best {max(result.eval_acc):.4f} (step "
                 f"{result.eval_steps[result.eval_acc.index(max(result.eval_acc))]}), "
                 f"mean of the last 5 evaluations {result.mean_of_last_evals():.4f}")
    print("    " + "  ".join(f"{k} {v:.4f}" for k, v in acc.items()) + extra
          + f"  (target: {t.split} >= {t.threshold:.2f}: {verdict}{' [quick]' if quick else ''});"
          f" training {result.seconds:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=sorted(TARGETS), nargs="+", default=list(TARGETS))
    parser.add_argument("--quick", action="store_true", help="the notebooks' short versions")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="train each target once per seed (default: 0, the recipe's)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)
    threadpool_limits(limits=1, user_api="blas")
    data = load_data(TARGETS[args.target[0]].config)
    print(f"CIFAR-10: {data['X_train'].shape[0]} train / {data['X_val'].shape[0]} val / "
          f"{data['X_test'].shape[0]} test images", flush=True)
    missed = []
    for name in args.target:
        t = TARGETS[name]
        results = []
        for seed in args.seeds:
            result = run_target(name, data, quick=args.quick, test=True,
                                verbose=args.progress, seed=seed)
            if not results:
                print(f"{name} (seed {t.seed}): {t.goal}\n  recipe: {describe(t)}"
                      f"{' [quick]' if args.quick else ''}; {result.num_train} training images")
                if not result.met and not args.quick:
                    missed.append(name)
            report(result, seed, args.quick)
            results.append(result)
        if len(results) > 1:
            finals = [r.accuracies[t.split] for r in results]
            line = f"  over seeds {args.seeds}: {t.split} {spread(finals)}"
            if results[0].eval_steps:
                line += (f"; best evaluation {spread([max(r.eval_acc) for r in results])}; "
                         f"mean of the last 5 {spread([r.mean_of_last_evals() for r in results])}")
            print(line, flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
