"""Graded CSV files: one number per line, the array flattened row-major (C order).

Floats are written with the shortest representation that reads back to the identical
float64 (so float32 values round-trip exactly too); integer arrays are written as integers.
Every write is atomic: a temporary file in the same folder is renamed over the target, so a
crash never leaves a half-written answer behind.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import shutil
import socket
import stat
import tempfile
from array import array as typed_array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np


class CsvFormatError(ValueError):
    """A graded CSV file is malformed: the message names the file, the line and the problem."""


def _current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: the only portable way to read it is to set it
    os.umask(mask)
    return mask


def _new_file_mode(path: Path) -> int:
    """The permissions a plain ``open(path, "wb")`` would leave: an existing file keeps its
    mode, a new one gets ``0o666 & ~umask``."""
    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    return 0o666 & ~_current_umask()


def check_writable(path: str | os.PathLike[str], what: str = "output",
                   folder: bool = False) -> Path:
    """Check, before any work, that ``path`` can be written as a file (or, with ``folder``, be
    created or used as a folder): it must not be a folder (a file), no ancestor may be a file,
    and the nearest existing folder must be writable. Raises ``IsADirectoryError``,
    ``NotADirectoryError`` or ``PermissionError`` with a message naming ``what`` and the fix.
    """
    p = Path(path)
    if folder and p.exists() and not p.is_dir():
        raise NotADirectoryError(f"{what} {p} is a file, not a folder: give a folder path "
                                 "(or move the file away)")
    if not folder and p.is_dir():
        raise IsADirectoryError(f"{what} {p} is a folder, not a file: give a file name "
                                f"(e.g. {p / 'name'}), or move the folder away")
    existing = p if folder and p.is_dir() else p.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise NotADirectoryError(f"{what} {p}: {existing} is a file, so no folder can be "
                                 "created there; choose another path")
    if existing.is_dir() and not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"{what} {p}: the folder {existing} is not writable")
    return p


#: Temp files of atomic writes are ``.<name>.<host>-<pid>.<random>.tmp``: the host (a hash of
#: its name) and the process id prove whose they are, so a later write can delete the ones a
#: killed process left behind (a checkpoint's is as big as the checkpoint) and nothing else.
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
_OWNER = f"{_HOST}-{os.getpid()}"
_TEMP = re.compile(r"^\..+\.(?P<host>[0-9a-f]{8})-(?P<pid>[0-9]+)\.[A-Za-z0-9_]+\.tmp$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, owned by someone else
        pass
    return True


def remove_stale_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temp files in ``folder`` that an atomic write of a process of this host,
    now dead, left behind (killed between writing and renaming). Only regular files named by
    :func:`atomic_write_bytes` and owned by this user are touched. Returns what was removed."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = _TEMP.match(name)
        if not m or m["host"] != _HOST or _alive(int(m["pid"])):
            continue
        p = Path(folder) / name
        try:
            st = p.lstat()
            if stat.S_ISREG(st.st_mode) and st.st_uid == getattr(os, "getuid", lambda: 0)():
                p.unlink()
                removed.append(p)
        except OSError:
            pass
    return removed


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | BinaryIO) -> Path:
    """Write ``data`` (bytes, or a readable binary stream copied in chunks) to ``path``
    atomically (temp file in the same folder + os.replace).

    The file gets the permissions a plain ``open()`` would give it (``0o666 & ~umask`` for a
    new file, the old mode when replacing one), not the private 0o600 of a temp file.
    """
    path = check_writable(path, "cannot write")
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path.parent)
    mode = _new_file_mode(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{_OWNER}.",
                               suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        else:  # pragma: no cover - Windows has no fchmod
            os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, (bytes, bytearray, memoryview)):
                f.write(data)
            else:
                shutil.copyfileobj(data, f, 1 << 20)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


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


def _parse(text: str, path: str, dtype: np.dtype, expected: int | None = None) -> np.ndarray:
    """Parse CSV text (see :func:`_parse_lines`)."""
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
        raise _CountError(count)
    return np.array(values, dtype=dtype) if want_int else np.frombuffer(
        values, dtype=np.float64).astype(dtype)


class _CountError(CsvFormatError):
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
    except _CountError as exc:
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
