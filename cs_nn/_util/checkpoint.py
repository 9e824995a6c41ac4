"""Save and load model parameters with JSON metadata: one ``.npz`` file, never pickle.

Layout of a checkpoint file (a normal numpy ``.npz`` zip):

- ``header``: a uint8 array holding UTF-8 JSON ``{"format": "cs_nn-checkpoint", "version": 1,
  "params": [{"name", "key", "dtype", "shape", "sha256"}, ...], "metadata": {...}}``;
- ``p0``, ``p1``, ...: the parameter arrays, in the order listed in the header (so parameter
  names may contain any character).

Loading uses ``np.load(..., allow_pickle=False)``, checks every array against the dtype, shape
and SHA-256 digest recorded in the header, and refuses files written by a newer format version.
Writes are atomic: a temporary file in the same folder, then ``os.replace``.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Mapping
from io import BytesIO  # the standard library (cs_nn.io is the graded-CSV module)
from pathlib import Path
from typing import Any

import numpy as np

from cs_nn._checks import is_int
from cs_nn._util.files import atomic_write_bytes

FORMAT = "cs_nn-checkpoint"
CHECKPOINT_VERSION = 1


def _digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def _json_default(obj: object) -> Any:
    """numpy scalars and small arrays become plain JSON values; anything else is an error."""
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"checkpoint metadata must be JSON-serialisable; got a "
                    f"{type(obj).__name__}: {obj!r}")


def save_checkpoint(path: str | os.PathLike[str], params: dict[str, np.ndarray],
                    metadata: dict[str, Any] | None = None) -> Path:
    """Write ``params`` and ``metadata`` atomically to ``path`` (an ``.npz`` file).

    Args:
        path: destination file; its folder is created if needed. Written exactly as given
            (no suffix is added).
        params: name -> numeric array of any shape (e.g. ``model.params``). Not modified.
        metadata: JSON-serialisable dict (numpy scalars are converted), e.g. the epoch and
            the loss history.

    Returns:
        The path written, as a ``Path``.
    """
    path = Path(path)
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping (e.g. a dict) name -> array, got "
                        f"{type(params).__name__}")
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
    arrays: dict[str, np.ndarray] = {}
    entries = []
    for i, (name, value) in enumerate(params.items()):
        if not isinstance(name, str):
            raise TypeError(f"parameter names must be strings, got {name!r}")
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"parameter {name!r} must be a numeric array, got dtype {arr.dtype}")
        key = f"p{i}"
        arrays[key] = arr
        entries.append({"name": name, "key": key, "dtype": arr.dtype.str,
                        "shape": list(arr.shape), "sha256": _digest(arr)})
    header = {"format": FORMAT, "version": CHECKPOINT_VERSION, "params": entries,
              "metadata": metadata}
    text = json.dumps(header, default=_json_default, allow_nan=True)
    arrays["header"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    buffer = BytesIO()
    np.savez(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a file written by :func:`save_checkpoint`.

    Returns:
        params: name -> array, in the saved order, with the saved dtypes and shapes.
        metadata: the saved metadata dict.

    Raises:
        FileNotFoundError if ``path`` does not exist; ValueError if the file is not a cs_nn
        checkpoint (including files that are no .npz at all: .npy, text, pickle, empty), was
        modified or truncated, or has a newer format version than this code.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at {path}")
    _refuse_non_zip(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            files = {key: npz[key] for key in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path} is not a readable cs_nn checkpoint (a .npz file without "
                         f"pickled objects): {exc}") from None
    header = _read_header(path, files.pop("header", None))
    params: dict[str, np.ndarray] = {}
    for entry in header["params"]:
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: malformed parameter entry {entry!r} in the header")
        name, key = entry.get("name"), entry.get("key")
        arr = files.pop(key, None)
        if arr is None:
            raise ValueError(f"{path}: array for parameter {name!r} is missing; the file is "
                             "corrupted or was modified")
        if (arr.dtype.str != entry.get("dtype") or list(arr.shape) != entry.get("shape")
                or _digest(arr) != entry.get("sha256")):
            raise ValueError(f"{path}: parameter {name!r} does not match its recorded dtype, "
                             "shape or checksum; the file is corrupted or was modified")
        params[name] = arr
    if files:
        raise ValueError(f"{path}: unexpected arrays {sorted(files)} not listed in the header; "
                         "the file was modified")
    return params, header["metadata"]


def _refuse_non_zip(path: Path) -> None:
    """ValueError naming ``path`` unless it starts like a zip archive (every .npz does).

    Checked before ``np.load``, which would otherwise return a plain ``.npy`` file as one
    array (not a dict of arrays) or fail with a message about pickles or missing data.
    """
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic[:4] in (b"PK\x03\x04", b"PK\x05\x06"):  # a zip entry, or an empty zip
        return
    if not magic:
        what = "the file is empty"
    elif magic == b"\x93NUMPY":
        what = "it holds a single .npy array"
    elif magic[:1] == b"\x80":
        what = "it looks like a pickle"
    else:
        what = "its content is of another kind (text, a pickle, an image?)"
    raise ValueError(f"{path} is not a cs_nn model file or checkpoint: {what}, not an .npz "
                     "(zip) archive as written by save_model / save_checkpoint; refusing to "
                     "read it")


def _read_header(path: Path, raw: np.ndarray | None) -> dict[str, Any]:
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{path} is not a cs_nn checkpoint: no 'header' entry "
                         "(was it written by save_checkpoint?)")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: the checkpoint header is not valid JSON ({exc}); the file "
                         "is corrupted or was modified") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a cs_nn checkpoint (format tag missing or wrong)")
    check_version(path, header.get("version"), CHECKPOINT_VERSION, "checkpoint")
    if not isinstance(header.get("params"), list) or not isinstance(header.get("metadata"), dict):
        raise ValueError(f"{path}: the checkpoint header lacks 'params' or 'metadata'")
    return header


def training_metadata(solver: Any) -> dict[str, Any]:
    """The JSON-able training state of a :class:`cs_nn.solver.Solver` for its checkpoints."""
    o = solver.options
    schedules = {name: (s.to_dict() if hasattr(s, "to_dict") else repr(s)) if s else None
                 for name, s in (("lr_schedule", o.lr_schedule),
                                 ("momentum_schedule", o.momentum_schedule))}
    hyper = {k: v for k, v in (o.optim_config or {}).items()
             if isinstance(v, (int, float, str))}  # state arrays are not saved
    return {"epoch": solver.epoch, "iteration": solver.iteration, "lr": solver.lr,
            "update_rule": solver.rule_name, "optim_config": hyper, "lr_decay": o.lr_decay,
            "batch_size": o.batch_size, **schedules,
            "loss_history": solver.loss_history, "train_acc_history": solver.train_acc_history,
            "val_acc_history": solver.val_acc_history,
            "val_loss_history": solver.val_loss_history, "best_val_acc": solver.best_val_acc,
            "best_epoch": solver.best_epoch}


def check_version(path: str | os.PathLike[str], version: object, supported: int, what: str) -> None:
    """Refuse a missing or malformed format version, or one newer than ``supported``."""
    if not is_int(version) or version < 1:
        raise ValueError(f"{path}: invalid {what} format version {version!r}")
    if version > supported:
        raise ValueError(f"{path} was written with {what} format version {version}, but this "
                         f"cs_nn reads versions up to {supported}: upgrade cs_nn to load it")
