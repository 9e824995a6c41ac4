"""Graded CSV files: one number per line, the array flattened row-major (C order).

Floats are written with the shortest representation that reads back to the identical
float64 (so float32 values round-trip exactly too); integer arrays are written as integers.
Every write is atomic (:mod:`cs_nn._util.files`), so a crash never leaves a half-written
answer behind.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cs_nn._util.files import atomic_write_text


class CsvFormatError(ValueError):
    """A graded CSV file is malformed: the message names the file, the line and the problem."""


def format_values(array: np.ndarray) -> str:
    """The CSV text of an array: one value per line, row-major, trailing newline."""
    arr = np.asarray(array)
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind in "iu":
        values = [str(v) for v in arr.ravel(order="C").tolist()]
    elif arr.dtype.kind == "f":
        values = [repr(v) for v in arr.astype(np.float64).ravel(order="C").tolist()]
    else:
        raise TypeError(f"write_csv needs a numeric array, got dtype {arr.dtype}")
    return "".join(v + "\n" for v in values)


def write_csv(path: str | os.PathLike[str], array: np.ndarray | float) -> Path:
    """Write ``array`` (any shape, or a scalar) as a graded CSV file, atomically.

    NaN or infinite values are refused: they are never a valid answer and usually mean a bug.
    """
    arr = np.asarray(array)
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"refusing to write {path}: the array contains NaN or infinite values")
    return atomic_write_text(path, format_values(arr))


def parse_csv_text(text: str, path: str, dtype: np.dtype) -> np.ndarray:
    """The values of a graded CSV file's text as a 1-D array of ``dtype`` (``path`` names the
    file in errors); raises :class:`CsvFormatError` naming the line of the first problem."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    if not lines:
        raise CsvFormatError(f"{path}: the file is empty; expected one number per line")
    want_int = np.dtype(dtype).kind in "iu"
    values: list[float | int] = []
    for lineno, raw in enumerate(lines, start=1):
        token = raw.strip()
        if not token:
            raise CsvFormatError(f"{path}, line {lineno}: blank line; expected one number per line")
        try:
            value = float(token)
        except ValueError:
            raise CsvFormatError(f"{path}, line {lineno}: {token[:40]!r} is not a number; "
                                 "expected one number per line") from None
        if not math.isfinite(value):
            raise CsvFormatError(f"{path}, line {lineno}: {token!r} is not a finite number")
        if want_int:
            if value != int(value):
                raise CsvFormatError(f"{path}, line {lineno}: {token!r} is not an integer")
            try:
                integer = int(token)  # exact beyond 2**53, where float(token) rounds
            except ValueError:
                integer = int(value)  # e.g. "3.0" or "1e3"
            info = np.iinfo(dtype)
            if not info.min <= integer <= info.max:
                raise CsvFormatError(f"{path}, line {lineno}: {token!r} does not fit in {dtype}")
            values.append(integer)
        else:
            values.append(value)
    return np.array(values, dtype=dtype)


def read_csv(path: str | os.PathLike[str], shape: Sequence[int] | int | None = None,
             dtype: np.dtype | type = np.float64) -> np.ndarray:
    """Read a graded CSV file.

    Args:
        path: the file.
        shape: the expected shape; the value count must equal its product. None gives a 1-D
            array of whatever length the file has.
        dtype: float64 by default; an integer dtype requires integral values.

    Returns:
        The array, reshaped row-major to ``shape``.

    Raises:
        FileNotFoundError: the file does not exist (the message says how to create inputs).
        CsvFormatError: empty file, text, NaN/inf, blank lines, or the wrong number of values.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file. Input files come with the course "
                                "(run `cs-nn make-inputs` to regenerate them); output files are "
                                "written by the notebooks or `cs-nn outputs`.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CsvFormatError(f"{path}: not a text file; expected one number per line") from None
    arr = parse_csv_text(text, str(path), np.dtype(dtype))
    if shape is None:
        return arr
    shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
    expected = math.prod(shape)
    if arr.size != expected:
        raise CsvFormatError(f"{path}: has {arr.size} values but shape {shape} needs {expected} "
                             "(one number per line, row-major)")
    return arr.reshape(shape)
