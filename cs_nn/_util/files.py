"""Atomic file writes: a temporary file in the target's folder, then ``os.replace``.

A crash never leaves a half-written file behind, and the file gets the permissions a plain
``open()`` would give it. No course meaning: every module that writes a file uses these.
:func:`check_writable` lets a command refuse an output path before doing any work, and the
temp files of writers that were killed are removed by the next write (only those: their
names carry the host and process id).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO


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
