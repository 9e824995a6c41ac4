"""``cs-nn train``: train a model on a dataset, print the accuracies, save curves and model."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from cs_nn._util.files import check_writable
from cs_nn.commands import print_table
from cs_nn.course.training import (
    DATASETS,
    MODELS,
    RUN_FILES,
    TORCH_DATASETS,
    TORCH_MODELS,
    UPDATE_RULES,
    TrainConfig,
    load_data,
    save_run,
    train_model,
)
from cs_nn.layers import ACTIVATIONS, NORMALIZATIONS

NAME = "train"
HELP = ("train a model on a dataset (default: the offline 8x8 digits) with a progress bar; "
        "save the curves (PNG) and the model (.npz); --framework torch trains the PyTorch "
        "models of notebook 13")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def _weight_scale(text: str) -> float | str:
    if text in ("he", "xavier"):
        return text
    return _positive_float(text)


def _normalization(text: str) -> str:
    """The --normalization value, case-insensitive: "none" or a key of NORMALIZATIONS."""
    value = text.strip().lower()
    if value != "none" and value not in NORMALIZATIONS:
        raise argparse.ArgumentTypeError(
            f"expected none, {' or '.join(sorted(NORMALIZATIONS))}, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    add = parser.add_argument
    add("--framework", choices=("numpy", "torch"), default="numpy",
        help="numpy (cs_nn's own models, default) or torch (cs_nn.pytorch: datasets "
             f"{', '.join(TORCH_DATASETS)}; models {', '.join(TORCH_MODELS)})")
    add("--dataset", choices=tuple(dict.fromkeys(DATASETS + TORCH_DATASETS)), default=None,
        help="dataset (default: digits, bundled with scikit-learn, works offline; torch: "
             "fashion-mnist); fer2013 trains on its Training faces and validates on "
             "PublicTest (test: PrivateTest)")
    add("--model", choices=tuple(dict.fromkeys(MODELS + TORCH_MODELS)), default=None,
        help="numpy: mlp (FullyConnectedNet) or convnet (ThreeLayerConvNet), default mlp; "
             "torch: mlp (ELU MLP), cnn (SmallCNN preset of the dataset, default) or preact "
             "(seed 003's network, cifar10)")
    add("--hidden-dims", type=_positive_int, nargs="+", default=d.hidden_dims, metavar="H",
        help="hidden layer widths (default: 100 100); the convnet uses the first")
    add("--epochs", type=_positive_int, default=d.num_epochs, help="default %(default)s")
    add("--batch-size", type=_positive_int, default=d.batch_size, help="default %(default)s")
    add("--lr", type=_positive_float, default=None,
        help="learning rate (default: 1e-3 for adam / rmsprop, 1e-2 sgd_momentum, 1e-1 sgd)")
    add("--update-rule", choices=UPDATE_RULES, default=d.update_rule, help="default adam")
    add("--lr-decay", type=_positive_float, default=d.lr_decay,
        help="multiply the lr by this after every epoch, in (0, 1] (default 1: constant)")
    add("--reg", type=float, default=d.reg, help="L2 strength (default 0)")
    add("--dropout", type=float, default=d.dropout, help="mlp dropout probability (default 0)")
    add("--activation", choices=sorted(ACTIVATIONS), default=None,
        help="numpy mlp hidden-layer activation (default relu; seed 003's MLP uses elu)")
    add("--normalization", type=_normalization, default=None,
        metavar="{none," + ",".join(sorted(NORMALIZATIONS)) + "}",
        help="numpy mlp: normalise every hidden layer's linear output before its activation "
             "(notebook 12): batchnorm (per feature over the batch; running averages at test "
             "time, saved with the model) or layernorm (per sample); default none")
    add("--weight-scale", type=_weight_scale, default=None,
        help="initial weight std, or he / xavier (default: he for mlp, 1e-2 for convnet)")
    add("--num-filters", type=_positive_int, default=d.num_filters, help="convnet filters")
    add("--filter-size", type=_positive_int, default=d.filter_size, help="convnet filter size")
    add("--seed", type=int, default=d.seed, help="default %(default)s")
    add("--num-train", type=_positive_int, default=None, metavar="N",
        help="use only the first N training images (10%% of them become the validation set; "
             "fer2013 validates on its PublicTest faces instead)")
    add("--data-root", metavar="PATH", default=None,
        help="folder holding mnist/, fashion-mnist/, cifar-10/, fer2013/ (default: "
             "$CS_NN_DATA, then ~/.cache/cs_nn)")
    add("--download", action="store_true",
        help="download a missing dataset (checksummed) into --data-root or the cache")
    add("--out", metavar="DIR", default=None, help="output folder (default: runs/DATASET-MODEL)")
    add("--quiet", action="store_true", help="no progress bar")
    torch = parser.add_argument_group("torch only")
    torch.add_argument("--steps", type=_positive_int, default=None,
                       help="train for this many steps instead of --epochs")
    torch.add_argument("--eval-every", type=_positive_int, default=None,
                       help="steps between validation checks (default: once per epoch)")
    torch.add_argument("--patience", type=_positive_int, default=None,
                       help="stop after this many checks without a better val accuracy")
    torch.add_argument("--augment", action="store_true",
                       help="random shifts (and mirror images for cifar10 / fer2013)")
    torch.add_argument("--no-cosine", action="store_true",
                       help="keep the learning rate constant (default: cosine decay to 0)")
    torch.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    torch.add_argument("--threads", type=_positive_int, default=None,
                       help="CPU threads for PyTorch (1 is fastest on a busy machine)")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    if args.framework == "torch":
        return _run_torch(args)
    d = TrainConfig()
    config = TrainConfig(
        dataset=args.dataset or d.dataset, model=args.model or d.model,
        hidden_dims=list(args.hidden_dims),
        num_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        update_rule=args.update_rule, lr_decay=args.lr_decay, reg=args.reg,
        dropout=args.dropout, activation=args.activation or d.activation,
        normalization=None if args.normalization in (None, "none") else args.normalization,
        weight_scale=args.weight_scale,
        num_filters=args.num_filters, filter_size=args.filter_size, seed=args.seed,
        num_train=args.num_train, data_root=args.data_root, download=args.download).validate()
    out = args.out if args.out is not None else f"runs/{config.dataset}-{config.model}"
    check_writable(out, "--out", folder=True)  # before training, not after it
    for name in RUN_FILES:
        check_writable(Path(out) / name, "--out")
    data = load_data(config)  # a missing dataset raises a FileNotFoundError saying what to do
    arch = (f"hidden {' '.join(map(str, config.hidden_dims))}, "
            + (f"{config.normalization} + " if config.normalization else "")
            + config.activation if config.model == "mlp" else
            f"{config.num_filters} filters {config.filter_size}x{config.filter_size}, "
            f"hidden {config.hidden_dims[0]}")
    print(f"{config.dataset}: {data['X_train'].shape[0]} train / {data['X_val'].shape[0]} val / "
          f"{data['X_test'].shape[0]} test samples; {config.model} ({arch}); "
          f"{config.update_rule} lr {config.learning_rate:.2e}, {config.num_epochs} epochs")
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            result = train_model(config, data, verbose=not args.quiet)
    except FloatingPointError as exc:
        print(f"cs-nn train: error: {exc}", file=sys.stderr)
        return 1
    rows = [(split, f"{result.num_samples[split]:,}", f"{acc:.4f}")
            for split, acc in result.accuracies.items()]
    print()
    print_table(["split", "samples", "accuracy"], rows)
    print(f"\nbest validation epoch {result.solver.best_epoch} of {result.solver.epoch} "
          f"(its parameters are kept); chance level {1 / len(result.class_names):.4f}")
    paths = save_run(result, out)
    for what, path in paths.items():
        print(f"saved {what}: {path}")
    return 0


def _run_torch(args: argparse.Namespace) -> int:
    try:  # cs_nn.pytorch first: without torch it says how to install it
        from cs_nn.pytorch.jobs import TorchTrainConfig, save_torch_run, train_torch  # torch
    except ImportError as exc:
        print(f"cs-nn train: error: {exc}", file=sys.stderr)
        return 1
    import torch

    for option, value in (("--activation", args.activation),
                          ("--normalization", args.normalization)):
        if value is not None:  # the torch models fix both (ELU MLP; SmallCNN has BatchNorm)
            print(f"cs-nn train: error: {option} applies to --framework numpy only: the torch "
                  "mlp is seed 003's ELU network and the cnn / preact models have BatchNorm "
                  "built in", file=sys.stderr)
            return 1
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    model = args.model or "cnn"
    lr = args.lr if args.lr is not None else (1e-4 if model == "preact" else 1e-3)
    config = TorchTrainConfig(
        dataset=args.dataset or "fashion-mnist", model=model,
        num_epochs=None if args.steps else args.epochs, num_steps=args.steps,
        batch_size=args.batch_size, optimizer=args.update_rule, lr=lr,
        weight_decay=args.reg, cosine=not args.no_cosine, patience=args.patience,
        eval_every=args.eval_every, augment=args.augment, hidden_dims=list(args.hidden_dims),
        seed=args.seed, num_train=args.num_train, device=args.device,
        data_root=args.data_root).validate()
    out = args.out if args.out is not None else f"runs/{config.dataset}-torch-{config.model}"
    print(f"{config.dataset}: PyTorch {config.model}, {config.optimizer} lr {config.lr:.1e}, "
          f"batch {config.batch_size}, "
          + (f"{config.num_steps} steps" if config.num_steps else f"{config.num_epochs} epochs"))
    try:
        result = train_torch(config, progress=not args.quiet)
    except FloatingPointError as exc:
        print(f"cs-nn train: error: {exc}", file=sys.stderr)
        return 1
    h = result.history
    print()
    print_table(["split", "accuracy"], [(k, f"{v:.4f}") for k, v in result.accuracies.items()])
    print(f"\nbest validation check at step {h.best_step} of {h.num_steps} (its weights are "
          f"kept); {h.seconds:.0f} s of training")
    for what, path in save_torch_run(result, out).items():
        print(f"saved {what}: {path}")
    return 0
