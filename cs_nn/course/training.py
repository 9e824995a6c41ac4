"""The training job behind ``cs-nn train``: data + model + Solver from one config.

    config = TrainConfig(dataset="digits", model="mlp", hidden_dims=[100, 100], num_epochs=5)
    result = train_model(config)                 # loads data, trains, measures accuracies
    print(f"test accuracy {result.accuracies['test']:.4f}")
    save_run(result, "runs/digits-mlp")          # curves.png, model.npz, summary.json

:func:`load_data` and :func:`train_model` only read the dataset files; :func:`save_run` is the
one function that writes (atomically). ``model.npz`` is a :mod:`cs_nn.course.delivery` model file
(architecture, weights, class names, image shape and training mean), so
``cs_nn.course.delivery.load_model`` rebuilds it and ``cs-nn predict FOLDER --model .../model.npz``
predicts images with it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cs_nn import optim
from cs_nn._util.files import atomic_write_text
from cs_nn._util.model_state import training_metadata
from cs_nn.course.delivery import save_model
from cs_nn.course.plotting import plot_training_curves, save_figure
from cs_nn.data import LOADERS, flatten, load_dataset, subtract_mean, train_val_split
from cs_nn.layers import ACTIVATIONS, NORMALIZATIONS
from cs_nn.models import FullyConnectedNet, ThreeLayerConvNet
from cs_nn.solver import Solver

#: The datasets a run can use: data.LOADERS' names. A dataset with its own validation split
#: (FER2013: PublicTest) keeps it; the others hold out 10% (or num_val) of their training
#: images.
DATASETS = tuple(LOADERS)
MODELS = ("mlp", "convnet")
UPDATE_RULES = tuple(optim.UPDATE_RULES)
MAX_TRAIN_EVAL = 10_000  # training accuracy is measured on at most this many samples
#: ``cs-nn train --framework torch`` (cs_nn.pytorch.jobs): its datasets and models
TORCH_DATASETS = ("fashion-mnist", "mnist", "cifar10", "fer2013")
TORCH_MODELS = ("mlp", "cnn", "preact")


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run (JSON-able; saved next to the model)."""

    dataset: str = "digits"  # one of DATASETS; digits works offline
    model: str = "mlp"  # "mlp" (FullyConnectedNet) or "convnet" (ThreeLayerConvNet)
    hidden_dims: list[int] = dataclasses.field(default_factory=lambda: [100, 100])  # convnet: [0]
    num_epochs: int = 10
    batch_size: int = 100
    lr: float | None = None  # None: the update rule's default (optim.default_config)
    update_rule: str = "adam"
    lr_decay: float = 1.0  # lr multiplied by this after every epoch
    reg: float = 0.0  # L2 strength
    dropout: float = 0.0  # mlp only: DROP probability after every hidden activation
    activation: str = "relu"  # mlp only: a key of cs_nn.layers.ACTIVATIONS ("elu", "tanh", ...)
    normalization: str | None = None  # mlp only: None, "batchnorm" or "layernorm" (before
    #                                   every hidden activation)
    weight_scale: float | str | None = None  # None: "he" (mlp) or 1e-2 (convnet)
    num_filters: int = 32  # convnet only
    filter_size: int = 5  # convnet only (odd)
    seed: int = 0  # weights, minibatch order and validation split
    num_train: int | None = None  # use only the first N training images (10% become val)
    num_val: int | None = None  # hold out this many of them for validation; None: 10%
    #                             (fer2013 validates on its first num_val PublicTest faces)
    num_test: int | None = None  # use only the first N test images; None: all
    data_root: str | None = None  # folder with mnist/, fashion-mnist/, cifar-10/, fer2013/;
    #                               None: $CS_NN_DATA, then ~/.cache/cs_nn
    download: bool = False  # fetch a missing dataset (checksummed) into data_root / the cache

    def validate(self) -> TrainConfig:
        """Raise ValueError naming the bad field; returns self."""
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ValueError(msg)
        need(self.dataset in DATASETS, f"dataset must be one of {DATASETS}, got {self.dataset!r}")
        need(self.model in MODELS, f"model must be one of {MODELS}, got {self.model!r}")
        need(self.update_rule in UPDATE_RULES,
             f"update_rule must be one of {UPDATE_RULES}, got {self.update_rule!r}")
        need(len(self.hidden_dims) >= (1 if self.model == "convnet" else 0)
             and all(isinstance(h, int) and h > 0 for h in self.hidden_dims),
             f"hidden_dims must be positive integers (convnet: at least one), "
             f"got {self.hidden_dims}")
        for name in ("num_epochs", "batch_size", "num_filters", "filter_size"):
            value = getattr(self, name)
            need(isinstance(value, int) and value >= 1,
                 f"{name} must be an integer >= 1, got {value!r}")
        need(self.num_train is None or self.num_train >= 10,
             f"num_train must be at least 10 (or None for all), got {self.num_train!r}")
        need(self.num_val is None or (isinstance(self.num_val, int) and self.num_val >= 1),
             f"num_val must be an integer >= 1 (or None for 10%), got {self.num_val!r}")
        need(self.num_test is None or (isinstance(self.num_test, int) and self.num_test >= 1),
             f"num_test must be an integer >= 1 (or None for all), got {self.num_test!r}")
        need(self.lr is None or (math.isfinite(self.lr) and self.lr > 0),
             f"lr must be a number > 0, got {self.lr!r}")
        need(0 < self.lr_decay <= 1, f"lr_decay must lie in (0, 1], got {self.lr_decay!r}")
        need(math.isfinite(self.reg) and self.reg >= 0, f"reg must be >= 0, got {self.reg!r}")
        need(0 <= self.dropout < 1, f"dropout must lie in [0, 1), got {self.dropout!r}")
        need(self.activation in ACTIVATIONS,
             f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        need(self.model == "mlp" or self.activation == "relu",
             "the convnet uses ReLU; activation applies to the mlp only")
        need(self.normalization is None or self.normalization in NORMALIZATIONS,
             f"normalization must be None (no normalisation) or one of "
             f"{sorted(NORMALIZATIONS)}, got {self.normalization!r}")
        need(self.normalization is None or self.model == "mlp",
             "normalization applies to the mlp only (ThreeLayerConvNet has no normalisation "
             "layers); drop it or use --model mlp")
        need(self.normalization is None or len(self.hidden_dims) >= 1,
             "normalization needs at least one hidden layer (it normalises the hidden "
             "layers' outputs); give hidden_dims")
        ws = self.weight_scale
        need(ws is None or ws in ("he", "xavier") or (isinstance(ws, float) and ws > 0),
             f"weight_scale must be a number > 0, 'he' or 'xavier', got {ws!r}")
        need(not (self.model == "convnet" and isinstance(ws, str)),
             "the convnet needs a numeric weight_scale (e.g. 1e-2)")
        return self

    @property
    def learning_rate(self) -> float:
        if self.lr is not None:
            return self.lr
        return optim.default_config(self.update_rule)["learning_rate"]


@dataclasses.dataclass
class TrainResult:
    """What :func:`train_model` returns."""

    config: TrainConfig
    model: Any  # FullyConnectedNet or ThreeLayerConvNet, with the best validation params
    solver: Any  # the Solver (histories, best_epoch, ...)
    accuracies: dict[str, float]  # "train" (up to MAX_TRAIN_EVAL samples), "val", "test"
    num_samples: dict[str, int]  # samples each accuracy was measured on
    class_names: list[str]
    mean: np.ndarray  # training mean subtracted from every input, the model's input shape
    seconds: float  # training wall time
    image_shape: tuple[int, ...] | None = None  # (C, H, W) of one image before flattening


def load_data(config: TrainConfig) -> dict[str, Any]:
    """Load, split and preprocess the dataset of ``config``.

    Returns a dict: ``X_train`` (N, D) for the mlp or (N, C, H, W) for the convnet, float32
    with the training mean subtracted; ``y_train`` (N,); ``X_val``, ``y_val`` (the dataset's
    own validation split where it has one, i.e. FER2013's PublicTest faces, else 10% of the
    training images, stratified; or ``num_val`` of them); ``X_test``, ``y_test``;
    ``class_names``; ``mean`` (the subtracted mean, X's per-sample shape); ``image_shape``
    (C, H, W) of one image before any flattening; ``info``. Raises the loader's clear
    ``DatasetNotFoundError`` (a FileNotFoundError) when the files are missing.
    """
    config.validate()
    name = config.dataset
    kwargs: dict[str, Any] = {"num_train": config.num_train, "num_test": config.num_test}
    if name != "digits":
        kwargs["root"], kwargs["download"] = config.data_root, config.download
    raw = load_dataset(name, **kwargs)
    if "X_val" in raw:  # FER2013: train on Training, validate on PublicTest (its protocol)
        data = dict(raw)
        if config.num_val is not None:
            n = config.num_val
            data["X_val"], data["y_val"] = raw["X_val"][:n], raw["y_val"][:n]
    elif config.num_val is None:
        data = train_val_split(raw, val_fraction=0.1, seed=config.seed)
    else:
        data = train_val_split(raw, num_val=config.num_val, seed=config.seed)
    data["image_shape"] = tuple(int(v) for v in data["X_train"].shape[1:])
    if config.model == "mlp":
        data = flatten(data)  # (N, D)
    data, mean = subtract_mean(data)
    data["mean"] = mean
    return data


def build_model(config: TrainConfig, input_shape: Sequence[int], num_classes: int) -> Any:
    """A freshly initialised model for ``config``; input_shape is one sample's shape."""
    config.validate()
    if config.model == "mlp":
        ws = "he" if config.weight_scale is None else config.weight_scale
        return FullyConnectedNet(config.hidden_dims, input_dim=int(np.prod(input_shape)),
                                 num_classes=num_classes, dropout=config.dropout,
                                 reg=config.reg, weight_scale=ws, seed=config.seed,
                                 activation=config.activation,
                                 normalization=config.normalization)
    if len(input_shape) != 3:
        raise ValueError(f"the convnet needs images (C, H, W), got input shape {input_shape}")
    ws = 1e-2 if config.weight_scale is None else float(config.weight_scale)
    return ThreeLayerConvNet(input_dim=tuple(input_shape), num_filters=config.num_filters,
                             filter_size=config.filter_size, hidden_dim=config.hidden_dims[0],
                             num_classes=num_classes, weight_scale=ws, reg=config.reg,
                             seed=config.seed)


def train_model(config: TrainConfig, data: dict[str, Any] | None = None, verbose: bool = False,
                callbacks: Sequence[Any] = (), test: bool = True) -> TrainResult:
    """Train the model of ``config`` on its dataset (or on ``data`` from :func:`load_data`).

    The model ends with the parameters of its best validation epoch. ``verbose`` shows the
    Solver's progress bar. A diverging run raises the Solver's FloatingPointError.
    ``test=False`` leaves the test set untouched (no "test" accuracy), for model selection.
    """
    config.validate()
    if data is None:
        data = load_data(config)
    num_classes = len(data["class_names"])
    model = build_model(config, data["X_train"].shape[1:], num_classes)
    solver = Solver(model, {k: data[k] for k in ("X_train", "y_train", "X_val", "y_val")},
                    update_rule=config.update_rule,
                    optim_config={"learning_rate": config.learning_rate},
                    lr_decay=config.lr_decay, num_epochs=config.num_epochs,
                    batch_size=config.batch_size, seed=config.seed, restore_best=True,
                    verbose=verbose, callbacks=list(callbacks))
    start = time.perf_counter()
    solver.train()  # divergence (NaN / inf loss or activations): the Solver's FloatingPointError
    seconds = time.perf_counter() - start
    splits = {"train": MAX_TRAIN_EVAL, "val": None, **({"test": None} if test else {})}
    accuracies = {s: solver.check_accuracy(data[f"X_{s}"], data[f"y_{s}"], num_samples=n,
                                           batch_size=500) for s, n in splits.items()}
    counts = {s: min(int(data[f"y_{s}"].shape[0]), n or math.inf) for s, n in splits.items()}
    return TrainResult(config=config, model=model, solver=solver, accuracies=accuracies,
                       num_samples=counts, class_names=list(data["class_names"]),
                       mean=np.asarray(data["mean"]), seconds=seconds,
                       image_shape=data.get("image_shape"))


def _summary(result: TrainResult) -> dict[str, Any]:
    s = result.solver
    return {"config": dataclasses.asdict(result.config), "accuracies": result.accuracies,
            "num_samples": result.num_samples, "best_epoch": s.best_epoch,
            "epochs_run": s.epoch, "train_seconds": round(result.seconds, 3),
            "class_names": result.class_names}


RUN_FILES = ("curves.png", "model.npz", "summary.json")  # what save_run writes


def save_run(result: TrainResult, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``curves.png``, ``model.npz`` and ``summary.json`` into ``out_dir`` (created if
    needed; every file written atomically). Returns the paths.

    ``model.npz`` is written by :func:`cs_nn.course.delivery.save_model` with the class names, the
    image shape and the training mean (inputs are ``pixels / 255 - mean``, as the loaders
    scale to [0, 1]); its metadata holds the summary and the Solver's training state."""
    from matplotlib.figure import Figure  # not pyplot: no global figure to leak

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = _summary(result)
    window = max(1, min(25, len(result.solver.loss_history)))
    fig = plot_training_curves(result.solver, smooth_window=window, fig=Figure(figsize=(11, 4)))
    paths = {"curves": save_figure(fig, out / "curves.png")}
    shape = result.image_shape
    paths["model"] = save_model(
        out / "model.npz", result.model, class_names=result.class_names,
        image_shape=shape if shape is not None and len(shape) == 3 else None,
        mean=result.mean, scale=1.0 / 255.0,  # the loaders scale pixels to [0, 1]
        metadata={**summary, "training": training_metadata(result.solver)})
    paths["summary"] = atomic_write_text(out / "summary.json",
                                         json.dumps(summary, indent=2) + "\n")
    return paths
