"""Training jobs of the PyTorch track from one config: what ``cs-nn train --framework torch``
runs, and how the shipped model files were made.

    config = TorchTrainConfig(dataset="fashion-mnist", model="cnn", num_epochs=15)
    result = train_torch(config)               # data, model, fit(), test accuracy
    save_torch_run(result, "runs/fashion-cnn") # model.npz (no pickle), curves.png, summary.json

Inputs are ``(pixels / 255 - mean) / std`` with one mean and std per channel, measured on the
training split and saved in the model file's metadata, so prediction repeats them exactly.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from cs_nn._util.files import atomic_write_text
from cs_nn.course.plotting import save_figure
from cs_nn.course.training import TORCH_DATASETS, TORCH_MODELS
from cs_nn.data import load_dataset, train_val_split
from cs_nn.pytorch.augment import flip_and_shift
from cs_nn.pytorch.cnn import CIFAR_CONFIG, FASHION_CONFIG, FER_CONFIG, SmallCNN
from cs_nn.pytorch.device import seeded
from cs_nn.pytorch.loop import OPTIMIZERS, History, evaluate, fit
from cs_nn.pytorch.mlp import MLP
from cs_nn.pytorch.plots import plot_history
from cs_nn.pytorch.preact import PreActConvNet
from cs_nn.pytorch.saving import save_model

NOTEBOOK = "13_pytorch_convnets"
#: validation images held out of the training files (FER2013 uses its PublicTest split)
NUM_VAL = {"fashion-mnist": 10_000, "mnist": 10_000, "cifar10": 2_000}
CNN_CONFIGS = {"fashion-mnist": FASHION_CONFIG, "mnist": FASHION_CONFIG,
               "cifar10": CIFAR_CONFIG, "fer2013": FER_CONFIG}


@dataclasses.dataclass
class TorchTrainConfig:
    """A PyTorch training run (JSON-able; saved in the model file)."""

    dataset: str = "fashion-mnist"  # one of TORCH_DATASETS
    model: str = "cnn"  # "mlp" (MLP, ELU), "cnn" (SmallCNN preset), "preact" (seed 003 §4)
    num_epochs: float | None = 10  # or num_steps
    num_steps: int | None = None
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    cosine: bool = True  # cosine learning-rate decay to 0 over the run
    patience: int | None = 4  # evaluations without a better val accuracy before stopping
    eval_every: int | None = None  # steps; None: once per epoch
    augment: bool = False  # random flips (not for digits / fashion) and shifts
    hidden_dims: list[int] = dataclasses.field(default_factory=lambda: [100])  # mlp only
    seed: int = 0
    num_train: int | None = None  # use only this many training images
    device: str = "auto"
    data_root: str | None = None  # None: $CS_NN_DATA

    def validate(self) -> TorchTrainConfig:
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ValueError(msg)
        need(self.dataset in TORCH_DATASETS,
             f"dataset must be one of {TORCH_DATASETS} for the torch framework, "
             f"got {self.dataset!r}")
        need(self.model in TORCH_MODELS,
             f"model must be one of {TORCH_MODELS} for the torch framework, got {self.model!r}")
        need(self.model != "preact" or self.dataset == "cifar10",
             "the preact network (seed 003 §4) is built for CIFAR-10: use --dataset cifar10")
        need(self.optimizer in OPTIMIZERS, f"optimizer must be one of {OPTIMIZERS}")
        need((self.num_epochs is None) != (self.num_steps is None),
             "give exactly one of num_epochs and num_steps")
        need(math.isfinite(self.lr) and self.lr > 0, f"lr must be > 0, got {self.lr}")
        need(self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}")
        need(self.num_train is None or self.num_train >= 10, "num_train must be >= 10")
        return self


@dataclasses.dataclass
class TorchTrainResult:
    config: TorchTrainConfig
    model: nn.Module  # with the best validation weights, eval mode
    history: History
    accuracies: dict[str, float]  # "val", "test"
    metadata: dict[str, Any]  # what goes into the model file


def load_torch_data(config: TorchTrainConfig) -> dict[str, Any]:
    """Train / val / test arrays for ``config``, standardised per channel (float32).

    Returns X_* (N, C, H, W), y_* (N,), class_names, and "preprocessing" (scale, mean, std).
    """
    config.validate()
    name = config.dataset  # cs_nn.data's names: "fashion-mnist", "cifar10", ...
    kwargs: dict[str, Any] = {"root": config.data_root}
    if config.num_train is not None:
        kwargs["num_train"] = config.num_train
    raw = load_dataset(name, **kwargs)
    if "X_val" not in raw:
        num_val = min(NUM_VAL.get(config.dataset, 0), len(raw["y_train"]) // 5) or None
        raw = train_val_split(raw, num_val=num_val, seed=config.seed)
    X_train = np.asarray(raw["X_train"], dtype=np.float32)
    mean = X_train.mean(axis=(0, 2, 3), dtype=np.float64)  # (C,)
    std = X_train.std(axis=(0, 2, 3), dtype=np.float64)
    out: dict[str, Any] = {"class_names": list(raw["class_names"])}
    for split in ("train", "val", "test"):
        X = np.asarray(raw[f"X_{split}"], dtype=np.float32)
        out[f"X_{split}"] = ((X - mean[:, None, None]) / std[:, None, None]).astype(np.float32)
        out[f"y_{split}"] = np.asarray(raw[f"y_{split}"], dtype=np.int64)
    out["preprocessing"] = {"scale": 1.0 / 255.0, "mean": mean.tolist(), "std": std.tolist(),
                            "image_shape": list(X_train.shape[1:])}
    return out


def build_torch_model(config: TorchTrainConfig, image_shape: tuple[int, ...],
                      num_classes: int) -> nn.Module:
    """The model of ``config``, initialised from ``config.seed``."""
    with seeded(config.seed):
        if config.model == "mlp":
            return MLP(int(np.prod(image_shape)), config.hidden_dims, num_classes, "elu")
        if config.model == "preact":
            return PreActConvNet(image_shape[0], num_classes)
        preset = dict(CNN_CONFIGS[config.dataset], num_classes=num_classes)
        return SmallCNN(**preset)


def train_torch(config: TorchTrainConfig, data: dict[str, Any] | None = None,
                progress: bool = True, on_eval: Any = None,
                model: nn.Module | None = None) -> TorchTrainResult:
    """Load the data (unless given), build the model (unless given: ``model`` must be
    :func:`build_torch_model`'s for ``config``, e.g. so that ``on_eval`` can snapshot it),
    :func:`fit` it, measure val / test."""
    config.validate()
    data = load_torch_data(config) if data is None else data
    shape = tuple(data["X_train"].shape[1:])
    if model is None:
        model = build_torch_model(config, shape, len(data["class_names"]))
    flips = config.dataset in ("cifar10", "fer2013")  # mirrored digits / shoes are not data
    augment = flip_and_shift(max_shift=shape[-1] // 12, flip=flips) if config.augment else None
    history = fit(model, data, optimizer=config.optimizer, lr=config.lr,
                  weight_decay=config.weight_decay, batch_size=config.batch_size,
                  num_epochs=config.num_epochs, num_steps=config.num_steps,
                  eval_every=config.eval_every, patience=config.patience, cosine=config.cosine,
                  seed=config.seed, device=config.device, augment=augment, progress=progress,
                  on_eval=on_eval)
    model.eval()
    accuracies = {"val": evaluate(model, data["X_val"], data["y_val"])[1],
                  "test": evaluate(model, data["X_test"], data["y_test"])[1]}
    metadata = {"class_names": data["class_names"], "preprocessing": data["preprocessing"],
                "config": dataclasses.asdict(config), "accuracies": accuracies,
                "best_step": history.best_step, "steps_run": history.num_steps,
                "train_seconds": round(history.seconds, 1)}
    return TorchTrainResult(config, model, history, accuracies, metadata)


def save_torch_run(result: TorchTrainResult, out_dir: str | os.PathLike[str]
                   ) -> dict[str, Path]:
    """Write ``model.npz`` (cs_nn.pytorch.saving format), ``curves.png`` and ``summary.json``
    into ``out_dir`` (atomically). Returns the paths."""
    from matplotlib.figure import Figure

    out = Path(out_dir)
    paths = {"model": save_model(out / "model.npz", result.model, metadata=result.metadata)}
    fig = plot_history(result.history, fig=Figure(figsize=(11, 4)))
    paths["curves"] = save_figure(fig, out / "curves.png")
    paths["summary"] = atomic_write_text(out / "summary.json",
                                         json.dumps(result.metadata, indent=2) + "\n")
    return paths


def prepare_pixels(pixels: np.ndarray, preprocessing: dict[str, Any]) -> np.ndarray:
    """uint8 pixels (N, C, H, W) -> the float32 model input a saved model was trained on."""
    mean = np.asarray(preprocessing["mean"], dtype=np.float64)[:, None, None]
    std = np.asarray(preprocessing["std"], dtype=np.float64)[:, None, None]
    X = np.asarray(pixels, dtype=np.float64) * float(preprocessing["scale"])
    return ((X - mean) / std).astype(np.float32)
