"""CIFAR-10 (and the 2-class CIFAR-2) from the official "python version" batch files.

Each batch (``data_batch_1`` ... ``data_batch_5``, ``test_batch``, optionally gzip-compressed
as ``*.gz``) is a pickle of a dict: ``data`` uint8 (N, 3072) with each row = 1024 red, 1024
green, 1024 blue values (row by row), and ``labels`` (N ints 0..9).

Pickles can run arbitrary code, so they are read with a restricted unpickler that only
rebuilds numpy arrays (plus the bytes helper Python 3 pickles use): any other class or
function in the file is refused before it is called.
"""

from __future__ import annotations

import codecs
import io
import os
import pickle
import re
import tarfile
from pathlib import Path

import numpy as np

from cs_nn._util.files import atomic_write_bytes

from ._files import (
    DataFormatError,
    download,
    not_found_error,
    open_maybe_gzip,
    search_roots,
)

try:  # numpy >= 2
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")
CIFAR_SUBDIR = "cifar-10/cifar-10-batches-py"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
_TAR_MEMBER = re.compile(r"^cifar-10-batches-py/(data_batch_[1-5]|test_batch|batches\.meta)$")


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """The one use of ``_codecs.encode`` in protocol-2 pickles: str -> bytes via latin-1."""
    if codecs.lookup(encoding).name != "iso8859-1" or not isinstance(text, str):
        raise DataFormatError(f"refusing _codecs.encode with encoding {encoding!r} in a pickle")
    return text.encode("latin1")


def _plain_dtype(*args) -> np.dtype:
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise DataFormatError("refusing an object-dtype array in a CIFAR pickle")
    return dtype


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _plain_dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals needed to rebuild plain numpy arrays."""

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise DataFormatError(f"refusing to unpickle {module}.{name}: a CIFAR-10 batch holds "
                                  "only numpy arrays, lists, bytes and ints (unsafe or wrong "
                                  "file?)") from None


#: A batch pickle is about 31 MB decompressed; larger ones are refused while reading.
MAX_PICKLE_BYTES = 64 * 1024 * 1024
#: A batch has about 40,000 pickle opcodes; this bounds the number of objects built.
MAX_OPCODES = 2_000_000


def _read_pickle_bytes(path: str | os.PathLike) -> bytes:
    """The decompressed pickle, read in chunks (memory follows the real data, never a size
    claimed inside the file) and refused beyond MAX_PICKLE_BYTES."""
    chunks, total = [], 0
    with open_maybe_gzip(path) as f:
        while chunk := f.read(1 << 22):
            total += len(chunk)
            if total > MAX_PICKLE_BYTES:
                raise DataFormatError(f"more than {MAX_PICKLE_BYTES:,} bytes decompressed; a "
                                      "CIFAR-10 batch is about 31 MB (wrong file or a bomb?)")
            chunks.append(chunk)
    return b"".join(chunks)


def _check_opcodes(data: bytes) -> None:
    """Walk the opcodes without building anything: every length an opcode claims (e.g. a
    BINBYTES8 of 3 GiB) must fit in the data, which the C unpickler would allocate first."""
    import itertools
    import pickletools

    try:
        count = sum(1 for _ in itertools.islice(pickletools.genops(data), MAX_OPCODES + 1))
    except Exception as exc:  # ValueError: "expected n bytes, only m remain", bad opcode...
        raise DataFormatError(f"not a valid pickle ({str(exc)[:120]}); the file is corrupt or "
                              "truncated") from None
    if count > MAX_OPCODES:
        raise DataFormatError(f"more than {MAX_OPCODES:,} pickle opcodes; a batch has far fewer")


def safe_unpickle(path: str | os.PathLike) -> object:
    """Unpickle a (gzip or plain) CIFAR file with the restricted unpickler, in bounded
    memory: size-limited reading, then an opcode scan, then the restricted load."""
    try:
        data = _read_pickle_bytes(path)
        _check_opcodes(data)
        obj = _RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except DataFormatError as exc:
        raise DataFormatError(f"{path}: {exc}") from None
    except Exception as exc:  # EOFError, UnpicklingError, gzip/zlib errors, ...
        raise DataFormatError(f"{path}: not a readable CIFAR pickle ({type(exc).__name__}: "
                              f"{exc}); the file is corrupt or truncated") from exc
    return obj


def _str_keys(obj: object, path) -> dict:
    if not isinstance(obj, dict):
        raise DataFormatError(f"{path}: expected a pickled dict, got {type(obj).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


def read_cifar_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read one batch file -> (images uint8 (N, 3, 32, 32), labels int64 (N,))."""
    batch = _str_keys(safe_unpickle(path), path)
    if "data" not in batch or "labels" not in batch:
        raise DataFormatError(f"{path}: a CIFAR-10 batch needs 'data' and 'labels' entries, "
                              f"found {sorted(map(str, batch))}")
    data = batch["data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != 3 * 32 * 32:
        desc = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data)
        raise DataFormatError(f"{path}: 'data' must be a uint8 array of shape (N, 3072), "
                              f"got {desc}")
    try:
        labels = np.asarray(batch["labels"], dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(f"{path}: 'labels' must be a list of ints ({exc})") from None
    if labels.shape != (data.shape[0],):
        raise DataFormatError(f"{path}: {data.shape[0]} images but labels of shape "
                              f"{labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DataFormatError(f"{path}: labels must be in 0..9, got {labels.min()}.."
                              f"{labels.max()}")
    return data.reshape(-1, 3, 32, 32), labels  # (N, C, H, W): rows are channel-major


def _find_batch(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _find_cifar_dir(root, download_ok: bool, progress: bool) -> Path:
    for r in search_roots(root):
        folder = r / CIFAR_SUBDIR
        if _find_batch(folder, "test_batch") is not None:
            return folder
    if not download_ok:
        raise not_found_error("CIFAR-10", CIFAR_SUBDIR, ["test_batch", "test_batch.gz"], root,
                              [CIFAR10_URL], "then unpack it: tar xzf cifar-10-python.tar.gz "
                              "-C <data>/cifar-10")
    target = search_roots(root)[0] / "cifar-10"
    archive = download(CIFAR10_URL, target / "cifar-10-python.tar.gz", CIFAR10_SHA256,
                       progress=progress)
    extract_cifar_archive(archive, target)
    archive.unlink()
    return target / "cifar-10-batches-py"


def extract_cifar_archive(archive: str | os.PathLike, target: str | os.PathLike) -> list[Path]:
    """Extract only the known batch files of a CIFAR-10 tarball into ``target`` (atomically).

    Members with other names (absolute paths, ``..``, links, anything unexpected) are skipped,
    so a hostile archive cannot write outside ``target``.
    """
    written = []
    with tarfile.open(archive, "r:*") as tar:
        for member in tar.getmembers():
            if member.isfile() and _TAR_MEMBER.match(member.name):
                source = tar.extractfile(member)
                written.append(atomic_write_bytes(Path(target) / member.name, source))
    if not any(p.name == "test_batch" for p in written):
        raise DataFormatError(f"{archive}: no cifar-10-batches-py/test_batch inside; not the "
                              "CIFAR-10 python archive?")
    return written


def _class_names(folder: Path) -> list[str]:
    meta = folder / "batches.meta"
    if not meta.is_file():
        return list(CIFAR10_CLASSES)
    names = _str_keys(safe_unpickle(meta), meta).get("label_names")
    if not isinstance(names, list) or len(names) != 10:
        raise DataFormatError(f"{meta}: expected 10 'label_names', got {names!r}")
    return [n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names]


def _check_limit(name: str, value) -> None:
    if value is not None and (not isinstance(value, (int, np.integer)) or value < 0):
        raise ValueError(f"{name} must be a non-negative int or None, got {value!r}")


def _load_raw(root, download_ok: bool, num_train: int | None, progress: bool,
              keep=None) -> tuple[dict, dict]:
    """uint8 arrays of the train batches found (stopping once ``num_train`` kept) + test."""
    folder = _find_cifar_dir(root, download_ok, progress)
    found = [p for i in range(1, 6) if (p := _find_batch(folder, f"data_batch_{i}"))]
    if not found and num_train != 0:
        raise not_found_error("CIFAR-10 training batches", CIFAR_SUBDIR,
                              ["data_batch_1[.gz]", "...", "data_batch_5[.gz]"], folder.parents[1])
    xs, ys, used, kept = [], [], [], 0
    for path in found:
        if num_train is not None and kept >= num_train:
            break
        x, y = read_cifar_batch(path)
        if keep is not None:
            x, y = keep(x, y)
        xs.append(x)
        ys.append(y)
        used.append(str(path))
        kept += len(y)
    x_test, y_test = read_cifar_batch(_find_batch(folder, "test_batch"))
    if keep is not None:
        x_test, y_test = keep(x_test, y_test)
    raw = {"X_train": np.concatenate(xs) if xs else np.zeros((0, 3, 32, 32), np.uint8),
           "y_train": np.concatenate(ys) if ys else np.zeros(0, np.int64),
           "X_test": x_test, "y_test": y_test}
    info = {"dataset": "cifar-10", "folder": str(folder), "num_train_batches": len(found),
            "train_files": used, "class_names": _class_names(folder)}
    return raw, info


def _finish(raw: dict, num_train, num_test, class_names, info) -> dict:
    out = {}
    for split, limit in (("train", num_train), ("test", num_test)):
        x, y = raw[f"X_{split}"][:limit], raw[f"y_{split}"][:limit]
        out[f"X_{split}"] = x.astype(np.float32) / np.float32(255.0)  # (N, 3, 32, 32)
        out[f"y_{split}"] = y.astype(np.int64)
    out["class_names"] = list(class_names)
    out["info"] = info
    return out


def load_cifar10(root: str | os.PathLike | None = None, *, download: bool = False,
                 num_train: int | None = None, num_test: int | None = None,
                 progress: bool = False) -> dict:
    """Load CIFAR-10 from ``<root>/cifar-10/cifar-10-batches-py/`` (plain or ``.gz`` batches).

    Any subset of ``data_batch_1..5`` is accepted (the shared copy has only batch 1);
    ``info["num_train_batches"]`` says how many were found, ``info["train_files"]`` which
    were read (reading stops once ``num_train`` images are in hand).

    Returns a dict: ``X_train`` (N_train, 3, 32, 32), ``X_test`` (N_test, 3, 32, 32) float32
    in [0, 1] (RGB channels); ``y_train``, ``y_test`` int64 in 0..9; ``class_names``
    (airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck); ``info``.
    """
    _check_limit("num_train", num_train)
    _check_limit("num_test", num_test)
    raw, info = _load_raw(root, download, num_train, progress)
    return _finish(raw, num_train, num_test, info.pop("class_names"), info)


def load_cifar2(root: str | os.PathLike | None = None, *, download: bool = False,
                num_train: int | None = None, num_test: int | None = None,
                progress: bool = False) -> dict:
    """CIFAR-2: only the airplane and bird images of CIFAR-10, relabelled to 0 and 1.

    CIFAR-10 label 0 (airplane) becomes 0 and label 2 (bird) becomes 1; all other images are
    dropped (order kept). ``num_train`` / ``num_test`` count images after this filtering.
    Same keys and shapes as ``load_cifar10``; ``class_names`` is ``["airplane", "bird"]``.
    """
    _check_limit("num_train", num_train)
    _check_limit("num_test", num_test)

    def keep(x, y):
        mask = (y == 0) | (y == 2)
        return x[mask], (y[mask] == 2).astype(np.int64)

    raw, info = _load_raw(root, download, num_train, progress, keep=keep)
    names = info.pop("class_names")
    info["dataset"] = "cifar-2"
    info["cifar10_labels"] = {"airplane": 0, "bird": 2}
    return _finish(raw, num_train, num_test, [names[0], names[2]], info)
