"""Test accuracy and CPU training time of the PyTorch track's models (cs_nn.pytorch.jobs).

Usage (one training at a time on a shared machine; --threads 1 is much faster than 2 when
other processes compete for the cores)::

    CS_NN_DATA=../shared/data python benchmarks/accuracy_torch.py --dataset fashion-mnist \\
        --epochs 15 --save runs/fashion-cnn
    CS_NN_DATA=../shared/data python benchmarks/accuracy_torch.py --dataset fer2013 \\
        --augment --epochs 50 --weight-decay 1e-4 --patience 12 --save runs/fer  # shipped
    CS_NN_DATA=../shared/data python benchmarks/accuracy_torch.py --dataset cifar10 \\
        --augment --epochs 12 --save runs/cifar-cnn

Targets: Fashion-MNIST CNN >= 0.92 (seed 004: >= 0.85), FER2013 CNN on PrivateTest >= 0.63.
Prints the config, the per-evaluation validation accuracy, then the test accuracy, macro F1
and the wall time; with --save writes model.npz (no pickle), curves.png and summary.json (the
metadata records the exact command, the accuracies and the test per-class F1), and while
training keeps the best model so far in best_so_far.npz (so a run stopped early is not lost).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from cs_nn.metrics import precision_recall_f1  # noqa: E402
from cs_nn.pytorch.jobs import (  # noqa: E402
    TORCH_DATASETS,
    TORCH_MODELS,
    TorchTrainConfig,
    build_torch_model,
    load_torch_data,
    save_torch_run,
    train_torch,
)
from cs_nn.pytorch.loop import predict  # noqa: E402
from cs_nn.pytorch.saving import save_model  # noqa: E402

TARGETS = {"fashion-mnist": 0.92, "fer2013": 0.63}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=TORCH_DATASETS, default="fashion-mnist")
    p.add_argument("--model", choices=TORCH_MODELS, default="cnn")
    p.add_argument("--epochs", type=float, default=10)
    p.add_argument("--steps", type=int, default=None, help="steps instead of epochs")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--optimizer", default="adam")
    p.add_argument("--no-cosine", action="store_true")
    p.add_argument("--patience", type=int, default=None)
    p.add_argument("--eval-every", type=int, default=None)
    p.add_argument("--augment", action="store_true")
    p.add_argument("--num-train", type=int, default=None)
    p.add_argument("--data-root", default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", metavar="DIR", default=None)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    config = TorchTrainConfig(
        dataset=args.dataset, model=args.model,
        num_epochs=None if args.steps else args.epochs, num_steps=args.steps,
        batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr,
        weight_decay=args.weight_decay, cosine=not args.no_cosine, patience=args.patience,
        eval_every=args.eval_every, augment=args.augment, seed=args.seed,
        num_train=args.num_train, data_root=args.data_root).validate()
    command = shlex.join(["python", "benchmarks/accuracy_torch.py", *sys.argv[1:]])
    print(command, config, sep="\n", flush=True)
    start = time.perf_counter()
    data = load_torch_data(config)
    model = build_torch_model(config, tuple(data["X_train"].shape[1:]), len(data["class_names"]))

    def show(h) -> None:
        step = h.eval_steps[-1]
        print(f"step {step:6d}  train acc {h.train_acc[-1]:.4f}  val acc "
              f"{h.val_acc[-1]:.4f}  ({h.seconds:.0f} s)", flush=True)
        if args.save and h.best_step == step:  # the weights now are the best so far
            save_model(Path(args.save) / "best_so_far.npz", model, metadata={
                "class_names": data["class_names"], "preprocessing": data["preprocessing"],
                "command": command, "partial": True, "best_step": step,
                "val_accuracy": h.best_val_acc})

    result = train_torch(config, data=data, progress=sys.stderr.isatty(), on_eval=show,
                         model=model)
    h = result.history
    scores = precision_recall_f1(data["y_test"], predict(result.model, data["X_test"]),
                                 num_classes=len(data["class_names"]))
    result.metadata.update(command=command, test_macro_f1=round(scores.macro_f1, 4),
                           test_f1=dict(zip(data["class_names"], scores.f1.round(4).tolist())))
    print(f"best val acc {h.best_val_acc:.4f} at step {h.best_step}; "
          f"test accuracy {result.accuracies['test']:.4f}, macro F1 {scores.macro_f1:.4f}; "
          f"training {h.seconds:.0f} s "
          f"({h.seconds / h.num_steps * 1000:.1f} s per 1000 steps), total "
          f"{time.perf_counter() - start:.0f} s, {args.threads} thread(s)")
    target = TARGETS.get(args.dataset) if args.model == "cnn" else None
    if target is not None:
        status = "reached" if result.accuracies["test"] >= target else "NOT reached"
        print(f"target {target:.2f}: {status}")
    if args.save:
        print(save_torch_run(result, args.save))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
