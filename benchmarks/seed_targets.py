"""Train the source assignments' CIFAR-10 accuracy targets and report what they reach.

Usage::

    CS_NN_DATA=../shared/data python benchmarks/seed_targets.py [--target NAME ...] [--quick]

The recipes live in :mod:`cs_nn.course.seed_targets` (notebook 07 runs the same ones, on subsets
unless ``CS_NN_FULL_RUN=1``). Data: ``training.load_data`` on CIFAR-10 (every training batch
found, 10% held out for validation, the official test batch). BLAS is pinned to one thread,
so the numbers repeat exactly on one machine. The test set is measured once per target,
after training. Exit status 1 if a full-run target is missed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from threadpoolctl import threadpool_limits  # noqa: E402

from cs_nn.course.seed_targets import TARGETS, describe, run_target  # noqa: E402
from cs_nn.course.training import load_data  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=sorted(TARGETS), nargs="+", default=list(TARGETS))
    parser.add_argument("--quick", action="store_true", help="the notebooks' short versions")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)
    threadpool_limits(limits=1, user_api="blas")
    data = load_data(TARGETS[args.target[0]].config)
    print(f"CIFAR-10: {data['X_train'].shape[0]} train / {data['X_val'].shape[0]} val / "
          f"{data['X_test'].shape[0]} test images", flush=True)
    missed = []
    for name in args.target:
        t = TARGETS[name]
        result = run_target(name, data, quick=args.quick, test=True, verbose=args.progress)
        acc = result.accuracies
        verdict = "MET" if result.met else "missed"
        if not result.met and not args.quick:
            missed.append(name)
        print(f"{name} (seed {t.seed}): {t.goal}\n  recipe: {describe(t)}"
              f"{' [quick]' if args.quick else ''}; {result.num_train} training images")
        s = result.solver
        if result.eval_steps:
            print("  test acc every " + f"{t.eval_every} steps: "
                  + " ".join(f"{a:.3f}" for a in result.eval_acc))
        else:
            print("  val acc per epoch: " + " ".join(f"{a:.3f}" for a in s.val_acc_history))
        print("  " + "  ".join(f"{k} {v:.4f}" for k, v in acc.items())
              + f"  (target: {t.split} >= {t.threshold:.2f}: {verdict}); "
              f"training {result.seconds:.0f} s", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
