"""Deliver a trained model: one file with architecture, weights and preprocessing; predict images.

``save_model(path, model, mean=mean, image_shape=(1, 48, 48), class_names=names)`` writes a
``.npz`` file (via :mod:`cs_nn._util.checkpoint`: arrays plus a JSON header, never pickle) holding
the model class (a name in ``cs_nn.modelkit.MODEL_CLASSES``), its ``config``,
its parameters, its buffers (state that is not a parameter: batchnorm's running averages),
a format version, and how to turn image pixels into model inputs::

    X = pixels (N, C, H, W), 0..255  *  scale (default 1/255)  -  mean

then flattened to (N, C * H * W) for the fully-connected models. ``load_model(path)`` rebuilds
the model; it refuses unknown classes, newer format versions, parameters that do not fit the
architecture, and anything that is not a plain ``.npz`` (``np.load(allow_pickle=False)``), so
a hostile file cannot run code. ``predict_folder(folder, path)`` predicts every PNG / JPEG in
a folder, in sorted file-name order: images are converted to the model's channel count
(grayscale "L" or "RGB") and, if their size differs from the model's, resized with bilinear
interpolation (so predictions on resized images are only as good as that resampling).
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cs_nn._util.checkpoint import check_version, load_checkpoint, save_checkpoint
from cs_nn._util.model_state import load_buffers, model_buffers
from cs_nn.course.model_size import MAX_PARAMS, check_model_size, check_params
from cs_nn.data.images import ImageReadError, read_image
from cs_nn.modelkit import MODEL_CLASSES, Architecture
from cs_nn.models import FullyConnectedNet, ThreeLayerConvNet  # noqa: F401 (registers them)
from cs_nn.nn.classifier import Classifier  # noqa: F401 (registers it)

MODEL_FORMAT = "cs_nn-model"
MODEL_VERSION = 1
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _architecture(name: str, config: dict[str, Any]) -> Architecture:
    return MODEL_CLASSES[name].architecture(config)


def _check_preprocessing(arch: Architecture, image_shape: Any, mean: Any,
                         scale: float) -> tuple[list[int] | None, np.ndarray | None, float]:
    size = int(np.prod(arch.input_shape))
    if len(arch.input_shape) == 3:  # the model takes images (C, H, W) as they are
        native = [int(v) for v in arch.input_shape]
        if image_shape is not None and list(image_shape) != native:
            raise ValueError(f"image_shape {tuple(image_shape)} differs from the model's "
                             f"input shape (its input_dim) {tuple(native)}")
        image_shape = native
    if image_shape is not None:
        image_shape = [int(v) for v in image_shape]
        if len(image_shape) != 3 or min(image_shape) < 1 or int(np.prod(image_shape)) != size:
            raise ValueError(f"image_shape must be (C, H, W) with C * H * W = {size} (the "
                             f"model's input size), got {tuple(image_shape)}")
    scale = float(scale)
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a finite number > 0, got {scale}")
    if mean is not None:
        mean = np.asarray(mean)
        if mean.dtype.kind not in "biuf" or not np.all(np.isfinite(mean)):
            raise ValueError("mean must be a finite numeric array (the training-set mean)")
        target = tuple(image_shape) if image_shape is not None else (size,)
        try:
            fits = mean.size == size or np.broadcast_shapes(mean.shape, target) == target
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"mean has shape {mean.shape}, which fits neither {target} nor "
                             f"{size} values; pass the mean subtracted from X_train")
    return image_shape, mean, scale


def save_model(path: str | os.PathLike[str], model: Any, *,
               class_names: Sequence[str] | None = None,
               image_shape: Sequence[int] | None = None, mean: np.ndarray | None = None,
               scale: float = 1.0 / 255.0, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (architecture + weights + preprocessing) to ``path`` atomically.

    Args:
        model: a FullyConnectedNet, ThreeLayerConvNet or Classifier built by ``cs_nn.nn.mlp``.
        class_names: optional names of the C classes.
        image_shape: (C, H, W) of one image before flattening (ConvNet: its input_dim).
        mean: the training mean subtracted from the scaled pixels: shape image_shape, (D,),
            or anything broadcasting to image_shape (e.g. (C, 1, 1) or a scalar).
        scale: multiplies the 0..255 pixel values first (1/255 gives [0, 1], as the loaders).
        metadata: optional JSON-able extras (e.g. the search result), returned on load.
    """
    name = type(model).__name__
    if MODEL_CLASSES.get(name) is not type(model):
        raise TypeError(f"save_model handles {sorted(MODEL_CLASSES)}, got {type(model).__name__}")
    config = model.config
    if config is None:
        raise ValueError("this Classifier wraps a hand-built network without a rebuild "
                         "recipe; build it with cs_nn.nn.mlp so its config can be saved")
    image_shape, mean, scale = _check_preprocessing(_architecture(name, config), image_shape,
                                                    mean, scale)
    bad = [k for k, v in model.params.items() if not np.all(np.isfinite(v))]
    if bad:
        raise ValueError(f"refusing to save a model whose weights {bad} hold NaN or infinite "
                         "values (its training diverged): lower the learning rate and retrain, "
                         "or save the best epoch's parameters")
    names = None if class_names is None else [str(c) for c in class_names]
    arrays = {f"params/{k}": np.asarray(v) for k, v in model.params.items()}
    arrays.update({f"buffers/{k}": np.asarray(v) for k, v in model_buffers(model).items()})
    if mean is not None:
        arrays["preprocess/mean"] = mean
    header = {"model_format": MODEL_FORMAT, "model_version": MODEL_VERSION, "model_class": name,
              "config": config, "class_names": names,
              "preprocessing": {"image_shape": image_shape, "scale": scale},
              "metadata": metadata or {}}
    return save_checkpoint(path, arrays, header)


@dataclasses.dataclass
class ModelBundle:
    """A loaded model file: the model and what :func:`predict_folder` needs around it."""
    model: Any
    model_class: str
    config: dict[str, Any]
    class_names: list[str] | None
    image_shape: tuple[int, int, int] | None
    mean: np.ndarray | None
    scale: float
    metadata: dict[str, Any]

    @property
    def architecture(self) -> Architecture:
        return _architecture(self.model_class, self.config)

    @property
    def num_classes(self) -> int:
        return int(self.architecture.num_classes)

    def input_image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the images the model takes; inferred as (1, s, s) or (3, s, s) from
        D = C * s * s when the file does not say and only one reading fits."""
        if self.image_shape is not None:
            return self.image_shape
        d = int(np.prod(self.architecture.input_shape))
        fits = [(c, s, s) for c in (1, 3) for s in [round((d / c) ** 0.5)] if c * s * s == d]
        if len(fits) != 1:
            raise ValueError(f"this model file does not say its image shape and its input "
                             f"size {d} is ambiguous; save it with save_model(..., "
                             "image_shape=(C, H, W))")
        return fits[0]

    def prepare(self, pixels: np.ndarray) -> np.ndarray:
        """pixels (N, C, H, W) 0..255 -> model inputs: (N, C, H, W) for the ConvNet, else
        (N, C * H * W); ``pixels * scale - mean``, computed in float64."""
        c, h, w = self.input_image_shape()
        pixels = np.asarray(pixels)
        if pixels.ndim != 4 or pixels.shape[1:] != (c, h, w):
            raise ValueError(f"pixels must have shape (N, {c}, {h}, {w}), got {pixels.shape}")
        X = pixels.astype(np.float64) * self.scale
        if self.mean is not None:
            mean = self.mean.astype(np.float64)
            X = X - (mean.reshape(c, h, w) if mean.size == c * h * w else mean)
        if len(self.architecture.input_shape) == 3:  # image input
            return X
        return X.reshape(X.shape[0], -1)  # (N, C * H * W)


def load_bundle(path: str | os.PathLike[str]) -> ModelBundle:
    """Read a file written by :func:`save_model`; see :func:`load_model` for the checks."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a model file (.npz from save_model)")
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    # refuses non-.npz files, pickles and checksum mismatches; bounded before allocating
    arrays, header = load_checkpoint(path, max_bytes=8 * MAX_PARAMS + (64 << 20))
    if header.get("model_format") != MODEL_FORMAT:
        raise ValueError(f"{path} is a cs_nn checkpoint but not a saved model (no "
                         f"{MODEL_FORMAT!r} tag); write models with save_model")
    check_version(path, header.get("model_version"), MODEL_VERSION, "model")
    name, config = header.get("model_class"), header.get("config")
    if name not in MODEL_CLASSES:
        raise ValueError(f"{path} holds a model of unknown class {name!r}; this cs_nn can load "
                         f"{sorted(MODEL_CLASSES)}")
    if not isinstance(config, dict):
        raise ValueError(f"{path}: the saved config of the {name} is missing or not a dict")
    params = {k[len("params/"):]: v for k, v in arrays.items() if k.startswith("params/")}
    check_model_size(path, MODEL_CLASSES[name], config, params)  # before building it
    try:
        model = MODEL_CLASSES[name].from_config(config)
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"{path}: the saved config does not build a {name}: {exc}") from None
    check_params(path, name, config, model.params, params)
    for key, value in params.items():
        model.params[key] = value.astype(model.params[key].dtype)
    load_buffers(model, {k[len("buffers/"):]: v for k, v in arrays.items()
                         if k.startswith("buffers/")}, where=str(path))
    pre = header.get("preprocessing") or {}
    names = header.get("class_names")
    if not isinstance(pre, dict):
        raise ValueError(f"{path}: 'preprocessing' must be a JSON object, got "
                         f"{type(pre).__name__}; the file is corrupted or was modified")
    if names is not None and (not isinstance(names, list) or not all(
            isinstance(n, str) for n in names)):
        raise ValueError(f"{path}: 'class_names' must be a list of strings, got "
                         f"{str(names)[:40]}; the file is corrupted or was modified")
    if not isinstance(header.get("metadata") or {}, dict):
        raise ValueError(f"{path}: 'metadata' must be a JSON object")
    try:
        image_shape, mean, scale = _check_preprocessing(
            _architecture(name, config), pre.get("image_shape"), arrays.get("preprocess/mean"),
            pre.get("scale", 1.0 / 255.0))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: invalid preprocessing information: {exc}") from None
    return ModelBundle(model, name, config, None if names is None else list(names),
                       None if image_shape is None else tuple(image_shape), mean, scale,
                       header.get("metadata") or {})


def load_model(path: str | os.PathLike[str]) -> Any:
    """The model saved in ``path``, rebuilt from its class and config, with its weights.

    Raises ValueError (never runs code from the file) for: content that is not a plain
    ``.npz`` (pickles, object arrays), files from a newer format version, unknown model
    classes, invalid configs, configs asking for more parameters than the file holds or than
    ``cs_nn.course.model_size.MAX_PARAMS`` (checked before building, so nothing huge is allocated),
    and parameters or buffers whose names or shapes differ from the architecture's
    (batchnorm's running averages are restored with the weights); FileNotFoundError
    if there is no file.
    """
    return load_bundle(path).model


def load_images(img_folder: str | os.PathLike[str], image_shape: Sequence[int]
                ) -> tuple[np.ndarray, list[str]]:
    """Read every PNG / JPEG in a folder as uint8 pixels (N, C, H, W), sorted by file name.

    Images become grayscale (C=1) or RGB (C=3) and are resized to (H, W) with bilinear
    interpolation when needed. Other files and unreadable images (corrupt, or larger than
    :data:`cs_nn.data.images.MAX_PIXELS`: decompression bombs) are skipped with a warning
    that lists each one and why. Returns (pixels, file names).
    """
    c, h, w = (int(v) for v in image_shape)
    if c not in (1, 3):
        raise ValueError(f"images can be read for models with 1 (grayscale) or 3 (RGB) "
                         f"channels, this model has {c}")
    folder = Path(img_folder)
    if not folder.is_dir():
        raise (NotADirectoryError if folder.exists() else FileNotFoundError)(
            f"no folder at {folder}" + (" (it is a file)" if folder.exists() else ""))
    entries = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.name)
    if not entries:
        raise ValueError(f"{folder} is empty: put the PNG / JPEG images to predict there")
    other = [p.name for p in entries if p.suffix.lower() not in IMAGE_SUFFIXES]
    images, names, unreadable = [], [], []
    for p in (p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES):
        try:
            arr = read_image(p, "L" if c == 1 else "RGB", (w, h))  # (H, W) or (H, W, 3)
        except ImageReadError as exc:
            unreadable.append(str(exc))
            continue
        images.append(arr[None] if c == 1 else arr.transpose(2, 0, 1))  # (C, H, W)
        names.append(p.name)
    if other or unreadable:
        parts = ([f"not PNG / JPEG: {', '.join(other)}"] if other else []) + (
            [f"unreadable: {'; '.join(unreadable)}"] if unreadable else [])
        warnings.warn(f"skipped {len(other) + len(unreadable)} file(s) in {folder}: "
                      + "; ".join(parts), stacklevel=2)
    if not images:
        raise ValueError(f"{folder} holds no readable PNG / JPEG image")
    return np.stack(images), names


def predict_folder(img_folder: str | os.PathLike[str],
                   model_path: str | os.PathLike[str] | ModelBundle, *,
                   return_files: bool = False, batch_size: int = 500
                   ) -> np.ndarray | tuple[np.ndarray, list[str]]:
    """Class predictions (N,) int64 for the N images of ``img_folder``, in sorted file order.

    ``model_path``: a file from :func:`save_model` (or a loaded :class:`ModelBundle`).
    The images go through the saved preprocessing (see the module docstring). With
    ``return_files`` the file names come back too: ``(predictions, names)``.
    """
    bundle = model_path if isinstance(model_path, ModelBundle) else load_bundle(model_path)
    pixels, names = load_images(img_folder, bundle.input_image_shape())
    preds = bundle.model.predict(bundle.prepare(pixels), batch_size=batch_size)
    preds = np.asarray(preds, dtype=np.int64)
    return (preds, names) if return_files else preds
