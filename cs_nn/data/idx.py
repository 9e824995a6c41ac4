"""MNIST and Fashion-MNIST from their official IDX files (gzip-compressed or not).

IDX layout: a 4-byte magic ``0x00 0x00 <type code> <number of dims>``, then one big-endian
uint32 per dimension, then the values in row-major order. MNIST images are type ``0x08``
(unsigned byte) with 3 dims (magic 2051); labels are unsigned bytes with 1 dim (magic 2049).
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

from ._files import DataFormatError, fetch, open_maybe_gzip

# IDX type code -> big-endian numpy dtype
_IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")

# file name -> SHA-256 of the official .gz (the values in the shared data README)
MNIST_FILES = {
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}
# mirrors tried in order (each base URL + file name)
MNIST_MIRRORS = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"]
FASHION_MNIST_MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
]


def read_idx(path: str | os.PathLike, *, max_items: int | None = None,
             expected_ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (plain or gzip) into a native-endian array of shape (N, d1, ...).

    ``max_items`` reads only the first items along axis 0 (the rest of the file is not
    decompressed). Bad magic, unknown type, wrong number of dims, truncated data or
    trailing bytes raise ``DataFormatError`` naming the file.
    """
    try:
        with open_maybe_gzip(path) as f:
            return _read_idx_stream(f, str(path), max_items, expected_ndim, _capacity(path, f))
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataFormatError(f"{path}: cannot decompress ({exc}); the file is corrupt or "
                              "truncated, delete it and get it again") from exc


#: Largest IDX payload read (MNIST's training images are 47 MB).
MAX_IDX_BYTES = 512 * 1024 * 1024
_DEFLATE_MAX_RATIO = 1032  # deflate cannot expand data more than about 1032:1


def _capacity(path: str | os.PathLike, f) -> int:
    """The most bytes the file can hold decompressed: its size, or 1032x that if gzip."""
    size = os.path.getsize(path)
    return size * _DEFLATE_MAX_RATIO if isinstance(f, gzip.GzipFile) else size


def _read_idx_stream(f, name: str, max_items: int | None, expected_ndim: int | None,
                     capacity: int | None = None):
    """``capacity``: the most data bytes the file can hold (None: unknown)."""
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_DTYPES:
        raise DataFormatError(f"{name}: not an IDX file (bad magic number {magic.hex() or 'empty'}"
                              "); expected 0000 <type> <ndim>, e.g. 00000803 for MNIST images")
    dtype, ndim = _IDX_DTYPES[magic[2]], magic[3]
    if expected_ndim is not None and ndim != expected_ndim:
        raise DataFormatError(f"{name}: IDX file has {ndim} dimension(s), expected "
                              f"{expected_ndim} (images have 3, labels 1); wrong file?")
    header = f.read(4 * ndim)
    if len(header) < 4 * ndim:
        raise DataFormatError(f"{name}: truncated IDX header")
    dims = [int(d) for d in np.frombuffer(header, ">u4")]
    n_items = dims[0] if max_items is None else min(max_items, dims[0])
    item_bytes = math.prod(dims[1:]) * dtype.itemsize  # Python ints: no overflow
    want = n_items * item_bytes
    if want > MAX_IDX_BYTES or (capacity is not None and want > capacity):
        limit, what = ((MAX_IDX_BYTES, "this loader accepts") if want > MAX_IDX_BYTES
                       else (capacity, "the file can hold"))
        raise DataFormatError(f"{name}: the header claims {dims[0]:,} items of shape "
                              f"{tuple(dims[1:])} ({want:,} bytes to read), more than {what} "
                              f"({limit:,} bytes); the header is corrupt or crafted")
    body = _read_up_to(f, want)
    if len(body) < want:
        raise DataFormatError(f"{name}: truncated: header says {dims[0]} items of {item_bytes} "
                              f"bytes but the data ends after {len(body) // max(item_bytes, 1)} "
                              "items; delete the file and get it again")
    if n_items == dims[0] and f.read(1):
        raise DataFormatError(f"{name}: {dims[0]} items declared but the file holds more data; "
                              "wrong count in the header or a corrupt file")
    arr = np.frombuffer(body, dtype).reshape(n_items, *dims[1:])
    return arr.astype(dtype.newbyteorder("="), copy=not dtype.isnative)  # native, writable


def _read_up_to(f, n: int) -> bytearray:
    """Read ``n`` bytes in chunks: memory follows the data actually there, so a header that
    claims more than the file holds costs nothing."""
    buf = bytearray()
    while len(buf) < n:
        chunk = f.read(min(1 << 24, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


def _load_idx_dataset(what: str, subdir: str, files: dict[str, str], mirrors: list[str],
                      class_names: tuple[str, ...], root, download: bool,
                      num_train: int | None, num_test: int | None, progress: bool) -> dict:
    paths = {}
    for name, sha in files.items():
        paths[name] = fetch(what, subdir, name, root=root, download_ok=download,
                            urls=[m + name for m in mirrors], sha256=sha,
                            alt_names=[name[:-3]], progress=progress)
    out: dict = {}
    for split, prefix, limit in (("train", "train", num_train), ("test", "t10k", num_test)):
        if limit is not None and (not isinstance(limit, (int, np.integer)) or limit < 0):
            raise ValueError(f"num_{split} must be a non-negative int or None, got {limit!r}")
        img_path = paths[f"{prefix}-images-idx3-ubyte.gz"]
        lbl_path = paths[f"{prefix}-labels-idx1-ubyte.gz"]
        images = read_idx(img_path, max_items=limit, expected_ndim=3)
        labels = read_idx(lbl_path, max_items=limit, expected_ndim=1)
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            raise DataFormatError(f"{what}: expected unsigned-byte IDX files, got "
                                  f"{images.dtype} images and {labels.dtype} labels")
        if images.shape[0] != labels.shape[0]:
            raise DataFormatError(f"{what}: {img_path} has {images.shape[0]} images but "
                                  f"{lbl_path} has {labels.shape[0]} labels")
        if labels.size and labels.max() >= len(class_names):
            raise DataFormatError(f"{lbl_path}: label {int(labels.max())} out of range "
                                  f"[0, {len(class_names)})")
        out[f"X_{split}"] = (images[:, None].astype(np.float32) / np.float32(255.0))  # (N,1,H,W)
        out[f"y_{split}"] = labels.astype(np.int64)
    out["class_names"] = list(class_names)
    out["info"] = {"dataset": subdir, "files": {k: str(v) for k, v in paths.items()}}
    return out


def load_mnist(root: str | os.PathLike | None = None, *, download: bool = False,
               num_train: int | None = None, num_test: int | None = None,
               progress: bool = False) -> dict:
    """Load MNIST (handwritten digits) from ``<root>/mnist/*-idx?-ubyte.gz``.

    Returns a dict: ``X_train`` (N_train, 1, 28, 28) and ``X_test`` (N_test, 1, 28, 28)
    float32 in [0, 1]; ``y_train`` (N_train,), ``y_test`` (N_test,) int64 in 0..9;
    ``class_names`` (10 str); ``info`` (dataset name, file paths). ``num_train`` /
    ``num_test`` keep only the first items (official order) and read no more of the files.
    ``download=True`` fetches missing files (SHA-256 checked); otherwise nothing goes online.
    """
    return _load_idx_dataset("MNIST", "mnist", MNIST_FILES, MNIST_MIRRORS, MNIST_CLASSES,
                             root, download, num_train, num_test, progress)


def load_fashion_mnist(root: str | os.PathLike | None = None, *, download: bool = False,
                       num_train: int | None = None, num_test: int | None = None,
                       progress: bool = False) -> dict:
    """Load Fashion-MNIST from ``<root>/fashion-mnist/``; same format and keys as ``load_mnist``.

    ``class_names``: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker,
    Bag, Ankle boot (labels 0..9).
    """
    return _load_idx_dataset("Fashion-MNIST", "fashion-mnist", FASHION_MNIST_FILES,
                             FASHION_MNIST_MIRRORS, FASHION_MNIST_CLASSES, root, download,
                             num_train, num_test, progress)
