"""Bounded reading of untrusted ``.npz`` files: refuse what is no zip, and read one ``.npy``
member only after its header was checked (plain numbers only, the declared size, a limit).

Used by :mod:`cs_nn._util.checkpoint` (and through it every model and checkpoint file).
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np


def read_npy_member(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int,
                 expect: tuple[np.dtype, tuple[int, ...]] | None) -> np.ndarray:
    """One ``.npy`` member: its header checked (against ``expect``, the size it declares and
    ``max_bytes``) before the data is read into an array of exactly that size."""
    from numpy.lib import format as npy

    with zf.open(info) as f:
        try:
            version = npy.read_magic(f)
            reader = npy.read_array_header_1_0 if version == (1, 0) else \
                npy.read_array_header_2_0
            shape, fortran, dtype = reader(f)
        except (ValueError, SyntaxError, TypeError) as exc:
            raise ValueError(f"{path}: entry {info.filename!r} is not a plain .npy array "
                             f"({str(exc)[:100]})") from None
        nbytes = dtype.itemsize * math.prod(shape)
        if dtype.hasobject or dtype.kind not in "biuf":
            raise ValueError(f"{path}: entry {info.filename!r} holds {dtype} values (objects "
                             "or pickles are refused)")
        if expect is not None and (dtype.str != expect[0].str or tuple(shape) != expect[1]):
            raise ValueError(f"{path}: entry {info.filename!r} does not match its recorded "
                             "dtype and shape; the file is corrupted or was modified")
        if nbytes > max_bytes or nbytes > info.file_size:
            raise ValueError(f"{path}: entry {info.filename!r} claims {nbytes:,} bytes of data "
                             f"but holds {info.file_size:,} (limit {max_bytes:,}); the file is "
                             "truncated, corrupted or crafted")
        arr = np.empty(shape, dtype=dtype, order="F" if fortran else "C")
        view, got = memoryview(arr.reshape(-1, order="A")).cast("B"), 0
        while got < nbytes:
            n = f.readinto(view[got:])
            if not n:
                raise ValueError(f"{path}: entry {info.filename!r} is truncated")
            got += n
    return arr


def refuse_non_zip(path: Path) -> None:
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
