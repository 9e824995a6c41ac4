"""Graded CSV files: one number per line, the array flattened row-major (C order).

Floats are written with the shortest representation that reads back to the identical
float64 (so float32 values round-trip exactly too); integer arrays are written as integers.
Every write is atomic (:mod:`cs_nn._util.files`), so a crash never leaves a half-written
answer behind. Reading is bounded: files over ``MAX_CSV_BYTES`` are refused unread, and the
text is parsed line by line.
"""

from __future__ import annotations

import io
import math
import os
from array import array as typed_array
from collections.abc import Iterable, Iterator, Sequence
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


#: A graded CSV bigger than this is refused unread: the biggest answer or input is a few
#: hundred kB, and parsing is bounded by it (about 40 bytes of memory per byte of file).
MAX_CSV_BYTES = 8 * 1024 * 1024
BOM = "\ufeff"


def parse_csv_text(text: str, path: str, dtype: np.dtype,
                   expected: int | None = None) -> np.ndarray:
    """The values of a graded CSV file's text as a 1-D array of ``dtype`` (``path`` names the
    file in errors); raises :class:`CsvFormatError` naming the line of the first problem (see
    :func:`_parse_lines`)."""
    return _parse_lines(io.StringIO(text), path, dtype, expected)


def _parse_lines(lines: Iterable[str], path: str, dtype: np.dtype,
                 expected: int | None = None) -> np.ndarray:
    """Parse one number per line, streaming: a UTF-8 byte-order mark (Excel writes one) is
    accepted; when ``expected`` is given, values beyond it are counted but not kept."""
    want_int = np.dtype(dtype).kind in "iu"
    values: list[int] | typed_array = [] if want_int else typed_array("d")
    count = 0
    lineno = 0
    for lineno, raw in enumerate(lines, start=1):
        if lineno == 1 and raw.startswith(BOM):
            raw = raw[1:]
        token = raw.strip()
        if not token:
            raise CsvFormatError(f"{path}, line {lineno}: blank line; expected one number per line")
        try:
            value = float(token)
        except ValueError:
            raise CsvFormatError(f"{path}, line {lineno}: {token[:40]!r} is not a number; "
                                 "expected one number per line") from None
        if not math.isfinite(value):
            raise CsvFormatError(f"{path}, line {lineno}: {token[:40]!r} is not a finite number")
        count += 1
        if expected is not None and count > expected:
            continue  # counted for the message, not kept
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
    if lineno == 0:
        raise CsvFormatError(f"{path}: the file is empty; expected one number per line")
    if expected is not None and count != expected:
        raise CsvCountError(count)
    return np.array(values, dtype=dtype) if want_int else np.frombuffer(
        values, dtype=np.float64).astype(dtype)


class CsvCountError(CsvFormatError):
    """The file parsed but holds the wrong number of values (``count``)."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count  # how many values the file holds


def read_csv(path: str | os.PathLike[str], shape: Sequence[int] | int | None = None,
             dtype: np.dtype | type = np.float64, max_bytes: int = MAX_CSV_BYTES) -> np.ndarray:
    """Read a graded CSV file.

    Args:
        path: the file.
        shape: the expected shape (the value count must equal its product); None: 1-D.
        dtype: float64 by default; an integer dtype requires integral values.
        max_bytes: larger files are refused before reading (bounded memory).

    Returns the array, reshaped row-major to ``shape``.

    Raises:
        FileNotFoundError: the file does not exist (the message says how to create inputs).
        IsADirectoryError: the path is a folder.
        CsvFormatError: too big, empty, text, NaN/inf, blank lines, or the wrong number of
            values.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a CSV file: give the path of the file")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file. Input files come with the course "
                                "(run `cs-nn make-inputs` to regenerate them); output files are "
                                "written by the notebooks or `cs-nn outputs`.")
    size = path.stat().st_size
    if size > max_bytes:
        raise CsvFormatError(f"{path}: {size} bytes is far too big for a graded file (limit "
                             f"{max_bytes}); it was not read")
    if shape is not None:
        shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
    expected = math.prod(shape) if shape is not None else None
    try:
        with open(path, encoding="utf-8") as f:
            arr = _parse_lines(_bounded_lines(f, max_bytes, path), str(path), np.dtype(dtype),
                               expected)
    except UnicodeDecodeError:
        raise CsvFormatError(f"{path}: not a UTF-8 text file; expected one number per line") \
            from None
    except CsvCountError as exc:
        raise CsvFormatError(f"{path}: has {exc.count} values but shape {shape} needs "
                             f"{expected} (one number per line, row-major)") from None
    return arr if shape is None else arr.reshape(shape)


def _bounded_lines(f: Iterable[str], max_chars: int, path: Path) -> Iterator[str]:
    """The lines of ``f``, stopping with an error past ``max_chars`` (a file that grows)."""
    total = 0
    for line in f:
        total += len(line)
        if total > max_chars:
            raise CsvFormatError(f"{path}: more than {max_chars} bytes; too big for a graded "
                                 "file")
        yield line
