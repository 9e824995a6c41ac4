"""Model files without pickle: the ``state_dict`` tensors as arrays in one ``.npz`` file,
plus a JSON record of the architecture (class and constructor arguments) and free metadata
(class names, preprocessing, training summary).

    save_model("fer_cnn.npz", model, metadata={"class_names": [...]})
    model, metadata = load_model("fer_cnn.npz")        # rebuilt, weights loaded, eval mode

Loading never unpickles: ``np.load(allow_pickle=False)`` reads plain arrays only, and a file
that is not one of ours (a ``torch.save`` checkpoint, another npz, random bytes) is refused
with a message saying what it is and what to do.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cs_nn._util.files import atomic_write_bytes
from cs_nn.pytorch.cnn import SmallCNN
from cs_nn.pytorch.device import select_device
from cs_nn.pytorch.mlp import MLP
from cs_nn.pytorch.preact import PreActConvNet

NOTEBOOK = "13_pytorch_convnets"
FORMAT = "cs_nn.pytorch.model"
VERSION = 1
HEADER_KEY = "__cs_nn_pytorch__"  # the JSON record, stored as a uint8 array
STATE_PREFIX = "state/"
ARCHITECTURES: dict[str, type[nn.Module]] = {
    "MLP": MLP, "SmallCNN": SmallCNN, "PreActConvNet": PreActConvNet}


class ModelFileError(ValueError):
    """A file that is not a cs_nn PyTorch model file, or one that does not match its record."""


def architecture_of(model: nn.Module) -> dict[str, Any]:
    """``{"class": name, "config": constructor arguments}`` of a course model."""
    name = type(model).__name__
    if ARCHITECTURES.get(name) is not type(model) or not isinstance(
            getattr(model, "config", None), dict):
        raise TypeError(f"only the course's models can be saved this way "
                        f"({', '.join(ARCHITECTURES)}), got {name}")
    return {"class": name, "config": model.config}


def build(architecture: dict[str, Any]) -> nn.Module:
    """A freshly initialised model from an :func:`architecture_of` record."""
    name = architecture.get("class")
    if name not in ARCHITECTURES:
        raise ModelFileError(f"unknown architecture {name!r}; this version of cs_nn knows "
                             f"{', '.join(ARCHITECTURES)}")
    try:
        return ARCHITECTURES[name](**architecture.get("config", {}))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"the {name} configuration in the file is not valid: {exc}") from exc


def save_model(path: str | os.PathLike[str], model: nn.Module, *,
               metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (architecture, weights, buffers) and JSON-able ``metadata`` to ``path``
    (a ``.npz`` file, written atomically). Returns the path."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"model files end in .npz, got {path.name!r}")
    record = {"format": FORMAT, "version": VERSION, "architecture": architecture_of(model),
              "metadata": metadata or {}, "torch_version": torch.__version__}
    try:
        header = json.dumps(record).encode()
    except TypeError as exc:
        raise TypeError(f"metadata must be JSON-able (lists, numbers, strings): {exc}") from exc
    arrays = {HEADER_KEY: np.frombuffer(header, dtype=np.uint8)}
    for key, tensor in model.state_dict().items():
        arrays[STATE_PREFIX + key] = tensor.detach().cpu().numpy()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())


def _refuse(path: Path, why: str) -> ModelFileError:
    return ModelFileError(f"{path} is not a cs_nn PyTorch model file ({why}); load only files "
                          "written by cs_nn.pytorch.saving.save_model (e.g. by `cs-nn train "
                          "--framework torch`)")


def read_record(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON record and the state arrays of a model file, checked but not yet loaded."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    if not zipfile.is_zipfile(path):
        raise _refuse(path, "not a zip / npz archive")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    if any(n.endswith("data.pkl") for n in names):
        raise _refuse(path, "it is a torch.save checkpoint, which holds a pickle and could run "
                            "code when loaded; cs_nn never unpickles")
    if f"{HEADER_KEY}.npy" not in names:
        raise _refuse(path, "no cs_nn architecture record inside")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        record = json.loads(arrays.pop(HEADER_KEY).tobytes().decode())
    except (ValueError, OSError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise _refuse(path, f"unreadable: {exc}") from exc
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise _refuse(path, "its record names another format")
    if record.get("version") != VERSION:
        raise ModelFileError(f"{path} is a cs_nn model file of version {record.get('version')}"
                             f", this cs_nn reads version {VERSION}: update cs_nn")
    state = {k[len(STATE_PREFIX):]: v for k, v in arrays.items() if k.startswith(STATE_PREFIX)}
    return record, state


def load_model(path: str | os.PathLike[str], *, device: str | torch.device | None = "cpu"
               ) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model saved at ``path``; returns ``(model in eval mode, metadata)``."""
    path = Path(path)
    record, state = read_record(path)
    model = build(record.get("architecture", {}))
    expected = model.state_dict()
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or extra:
        raise ModelFileError(f"{path}: the weights do not match the architecture (missing "
                             f"{missing[:5]}, unexpected {extra[:5]})")
    for key, ref in expected.items():
        if tuple(state[key].shape) != tuple(ref.shape):
            raise ModelFileError(f"{path}: {key} has shape {tuple(state[key].shape)}, the "
                                 f"architecture needs {tuple(ref.shape)}")
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    if device is not None:
        model.to(select_device(device))
    model.eval()
    return model, record.get("metadata", {})
