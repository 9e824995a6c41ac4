"""Test accuracy of a 2-hidden-layer MLP trained with cs_nn on MNIST, Fashion-MNIST, CIFAR-10.

Usage::

    CS_NN_DATA=../shared/data python benchmarks/accuracy_mlp.py --dataset mnist [--epochs N]

Targets (test accuracy): MNIST >= 98 %, Fashion-MNIST >= 89 %; CIFAR-10 (the shared copy's
10,000 training images) is reported without a target. Inputs are mean-centred pixels in
[0, 1]; 10 % of the training images are held out for validation and the parameters of the
best validation epoch are kept (see :mod:`cs_nn.course.training`). Prints accuracies and wall time.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cs_nn.course.training import TrainConfig, load_data, train_model  # noqa: E402

# Hyperparameters per dataset: Adam with a per-epoch decay and light dropout.
CONFIGS = {
    "mnist": TrainConfig(dataset="mnist", hidden_dims=[512, 256], num_epochs=10,
                         batch_size=128, update_rule="adam", lr=1e-3, lr_decay=0.85,
                         dropout=0.2, weight_scale="he"),
    "fashion-mnist": TrainConfig(dataset="fashion-mnist", hidden_dims=[512, 256],
                                 num_epochs=12, batch_size=128, update_rule="adam", lr=1e-3,
                                 lr_decay=0.85, dropout=0.2, weight_scale="he"),
    "cifar10": TrainConfig(dataset="cifar10", hidden_dims=[512, 256], num_epochs=15,
                           batch_size=128, update_rule="adam", lr=5e-4, lr_decay=0.9,
                           dropout=0.2, reg=1e-3, weight_scale="he"),
}
TARGETS = {"mnist": 0.98, "fashion-mnist": 0.89, "cifar10": None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=[*CONFIGS, "all"], default="mnist")
    parser.add_argument("--epochs", type=int, default=None, help="override the epoch count")
    parser.add_argument("--num-train", type=int, default=None,
                        help="use only the first N training images (quick runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)

    names = list(CONFIGS) if args.dataset == "all" else [args.dataset]
    rows = []
    for name in names:
        config = dataclasses.replace(CONFIGS[name], seed=args.seed, num_train=args.num_train)
        if args.epochs is not None:
            config.num_epochs = args.epochs
        t0 = time.perf_counter()
        data = load_data(config)
        result = train_model(config, data, verbose=args.progress)
        wall = time.perf_counter() - t0
        acc = result.accuracies
        target = TARGETS[name]
        verdict = "-" if target is None else ("PASS" if acc["test"] >= target else "below")
        rows.append((name, acc, wall, result, target, verdict))
        print(f"{name}: hidden {config.hidden_dims}, {config.update_rule} lr {config.lr:.1e} "
              f"decay {config.lr_decay}, dropout {config.dropout}, reg {config.reg}, "
              f"{config.num_epochs} epochs, batch {config.batch_size}; "
              f"{data['X_train'].shape[0]} train / {data['X_val'].shape[0]} val / "
              f"{data['X_test'].shape[0]} test")
        print("  val acc per epoch: "
              + " ".join(f"{a:.4f}" for a in result.solver.val_acc_history))
        print(f"  best epoch {result.solver.best_epoch}: train {acc['train']:.4f}  "
              f"val {acc['val']:.4f}  test {acc['test']:.4f}  "
              f"(target {'-' if target is None else f'{target:.2f}'}: {verdict});  "
              f"wall {wall:.1f} s (training {result.seconds:.1f} s)", flush=True)
    return 0 if all(v != "below" for *_, v in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
