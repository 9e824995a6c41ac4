"""Save and load model parameters with JSON metadata: one ``.npz`` file, never pickle.

Layout of a checkpoint file (a normal numpy ``.npz`` zip):

- ``header``: a uint8 array holding UTF-8 JSON ``{"format": "cs_nn-checkpoint", "version": 1,
  "params": [{"name", "key", "dtype", "shape", "sha256"}, ...], "metadata": {...}}``;
- ``p0``, ``p1``, ...: the parameter arrays, in the order listed in the header (so parameter
  names may contain any character);
- version 2 adds ``"buffers"`` (entries like "params") and ``b0``, ``b1``, ...: a model's state
  that is not a parameter (batchnorm's running averages, ``model.buffers``). Files without
  buffers are still written as version 1.

:func:`restore_checkpoint` puts both back into a model (``model.params``, and
``model.load_buffers`` for a model with buffers), so it predicts exactly as when saved.

Loading uses ``np.load(..., allow_pickle=False)``, checks every array against the dtype, shape
and SHA-256 digest recorded in the header, and refuses files written by a newer format version.
Writes are atomic: a temporary file in the same folder, then ``os.replace``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import zipfile
import zlib
from collections.abc import Mapping
from io import BytesIO  # the standard library (cs_nn.io is the graded-CSV module)
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from cs_nn._checks import is_int
from cs_nn._util.files import atomic_write_bytes
from cs_nn._util.npy_members import read_npy_member, refuse_non_zip

FORMAT = "cs_nn-checkpoint"
CHECKPOINT_VERSION = 2  # the newest version this code reads (1: no buffers)


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


def save_checkpoint(path: str | os.PathLike[str], params: Mapping[str, np.ndarray],
                    metadata: dict[str, Any] | None = None, *,
                    buffers: Mapping[str, np.ndarray] | None = None) -> Path:
    """Write ``params``, ``buffers`` and ``metadata`` atomically to ``path`` (an ``.npz`` file).

    Args:
        path: destination file; its folder is created if needed. Written exactly as given
            (no suffix is added).
        params: name -> numeric array of any shape (e.g. ``model.params``). Not modified.
        metadata: JSON-serialisable dict (numpy scalars are converted), e.g. the epoch and
            the loss history.
        buffers: name -> numeric array: model state that is not a parameter (e.g.
            ``model.buffers``, batchnorm's running averages). Not modified.

    Returns:
        The path written, as a ``Path``.
    """
    path = Path(path)
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
    arrays: dict[str, np.ndarray] = {}
    header: dict[str, Any] = {"format": FORMAT, "version": 2 if buffers else 1}
    for section, prefix, named in (("params", "p", params), ("buffers", "b", buffers)):
        if section == "buffers" and not named:
            continue  # version 1 layout: readable by every cs_nn
        if not isinstance(named, Mapping):
            raise TypeError(f"{section} must be a mapping (e.g. a dict) name -> array, got "
                            f"{type(named).__name__}")
        header[section] = []
        for i, (name, value) in enumerate(named.items()):
            if not isinstance(name, str):
                raise TypeError(f"{section} names must be strings, got {name!r}")
            arr = np.asarray(value)
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"{section[:-1]} {name!r} must be a numeric array, got dtype "
                                f"{arr.dtype}")
            arrays[f"{prefix}{i}"] = arr
            header[section].append({"name": name, "key": f"{prefix}{i}", "dtype": arr.dtype.str,
                                    "shape": list(arr.shape), "sha256": _digest(arr)})
    header["metadata"] = metadata
    text = json.dumps(header, default=_json_default, allow_nan=True)
    arrays["header"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    buffer = BytesIO()
    np.savez(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())


#: The arrays of one checkpoint may hold at most this many bytes (in memory) by default.
MAX_CHECKPOINT_BYTES = 1 << 30
_MAX_HEADER_BYTES = 16 << 20
_MAX_MEMBERS = 10_000
_MAX_RATIO = 20  # uncompressed / compressed bytes of a member (np.savez stores: ratio 1)


class Checkpoint(NamedTuple):
    """What :func:`read_checkpoint` returns."""

    params: dict[str, np.ndarray]  # name -> array, in the saved order
    buffers: dict[str, np.ndarray]  # name -> array ({} for files without buffers)
    metadata: dict[str, Any]


def load_checkpoint(path: str | os.PathLike[str], max_bytes: int = MAX_CHECKPOINT_BYTES
                    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``(params, metadata)`` of a file written by :func:`save_checkpoint` (see
    :func:`read_checkpoint`, which also returns the buffers, for the checks)."""
    params, _, metadata = read_checkpoint(path, max_bytes)
    return params, metadata


def read_checkpoint(path: str | os.PathLike[str], max_bytes: int = MAX_CHECKPOINT_BYTES
                    ) -> Checkpoint:
    """Read a file written by :func:`save_checkpoint`, in bounded memory.

    Nothing is allocated before it is validated: the JSON header is read first (at most
    16 MB, any nesting refused cleanly), then each array's dtype and shape are checked against
    the header, against ``max_bytes`` (all arrays together) and against the bytes its zip
    member declares, and only then read (exactly that many bytes, never more).

    Returns:
        A :class:`Checkpoint`: params and buffers (name -> array, in the saved order, with the
        saved dtypes and shapes) and the saved metadata dict.

    Raises:
        FileNotFoundError if ``path`` does not exist; ValueError if the file is not a cs_nn
        checkpoint (including files that are no .npz at all: .npy, text, pickle, empty), was
        modified or truncated, holds more than ``max_bytes`` of arrays, or has a newer format
        version than this code.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a checkpoint or model file")
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at {path}")
    refuse_non_zip(path)
    try:
        with zipfile.ZipFile(path) as zf:
            return _read_npz(path, zf, max_bytes)
    except (OSError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path} is not a readable cs_nn checkpoint (a .npz file without "
                         f"pickled objects): {exc}") from None


def _read_npz(path: Path, zf: zipfile.ZipFile, max_bytes: int) -> Checkpoint:
    infos = zf.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise ValueError(f"{path}: {len(infos)} entries; not a cs_nn checkpoint")
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if not info.filename.endswith(".npy") or "/" in info.filename:
            raise ValueError(f"{path}: entry {info.filename!r} is not a .npy array; a cs_nn "
                             "checkpoint holds only the header and p0.npy, p1.npy, ...")
        if info.filename[:-4] in members:
            raise ValueError(f"{path}: entry {info.filename!r} appears twice")
        if info.file_size > _MAX_RATIO * max(info.compress_size, 1) + (1 << 20):
            raise ValueError(f"{path}: entry {info.filename!r} expands {info.file_size:,} bytes "
                             f"from {info.compress_size:,} (refused: a compression bomb)")
        members[info.filename[:-4]] = info
    if "header" not in members:
        raise ValueError(f"{path} is not a cs_nn checkpoint: no 'header' entry "
                         "(was it written by save_checkpoint?)")
    header = _read_header(path, read_npy_member(path, zf, members.pop("header"), _MAX_HEADER_BYTES,
                                             expect=None))
    planned, total = [], 0
    for section in ("params", "buffers"):
        for entry in header.get(section, []):
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                raise ValueError(f"{path}: malformed {section} entry {str(entry)[:80]} in the "
                                 "header")
            info = members.pop(entry["key"], None)
            if info is None:
                raise ValueError(f"{path}: array for {section[:-1]} {entry.get('name')!r} is "
                                 "missing; the file is corrupted or was modified")
            dtype, shape = _declared(path, entry)
            total += dtype.itemsize * math.prod(shape)
            if total > max_bytes:
                raise ValueError(f"{path}: its arrays declare more than {max_bytes:,} bytes; "
                                 "the file is corrupted or was crafted to exhaust memory")
            planned.append((section, entry, info, (dtype, shape)))
    if members:
        raise ValueError(f"{path}: unexpected arrays {sorted(members)} not listed in the header; "
                         "the file was modified")
    out: dict[str, dict[str, np.ndarray]] = {"params": {}, "buffers": {}}
    for section, entry, info, expect in planned:
        arr = read_npy_member(path, zf, info, max_bytes, expect)
        if _digest(arr) != entry.get("sha256"):
            raise ValueError(f"{path}: {section[:-1]} {entry.get('name')!r} does not match its "
                             "recorded checksum; the file is corrupted or was modified")
        out[section][entry.get("name")] = arr
    return Checkpoint(out["params"], out["buffers"], header["metadata"])


def _declared(path: Path, entry: dict) -> tuple[np.dtype, tuple[int, ...]]:
    """The dtype and shape the header records for one array, checked to be plain numbers."""
    shape = entry.get("shape")
    try:
        dtype = np.dtype(entry.get("dtype"))
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype.kind not in "biuf" or not isinstance(shape, list) or not all(
            is_int(v) and 0 <= v < 2**40 for v in shape):
        raise ValueError(f"{path}: parameter {entry.get('name')!r} has an invalid recorded dtype "
                         "or shape; the file is corrupted or was modified")
    return dtype, tuple(shape)


def _read_header(path: Path, raw: np.ndarray | None) -> dict[str, Any]:
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{path} is not a cs_nn checkpoint: no 'header' entry "
                         "(was it written by save_checkpoint?)")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: the checkpoint header is not valid JSON ({exc}); the file "
                         "is corrupted or was modified") from None
    except RecursionError:
        raise ValueError(f"{path}: the checkpoint header is nested too deeply to be one "
                         "written by save_checkpoint; the file is corrupted or crafted") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a cs_nn checkpoint (format tag missing or wrong)")
    check_version(path, header.get("version"), CHECKPOINT_VERSION, "checkpoint")
    if not isinstance(header.get("params"), list) or not isinstance(header.get("metadata"), dict):
        raise ValueError(f"{path}: the checkpoint header lacks 'params' or 'metadata'")
    if not isinstance(header.get("buffers", []), list):
        raise ValueError(f"{path}: the checkpoint header's 'buffers' is not a list; the file is "
                         "corrupted or was modified")
    return header


def check_version(path: str | os.PathLike[str], version: object, supported: int, what: str) -> None:
    """Refuse a missing or malformed format version, or one newer than ``supported``."""
    if not is_int(version) or version < 1:
        raise ValueError(f"{path}: invalid {what} format version {version!r}")
    if version > supported:
        raise ValueError(f"{path} was written with {what} format version {version}, but this "
                         f"cs_nn reads versions up to {supported}: upgrade cs_nn to load it")
