"""Opening an untrusted submission (a folder or a zip) without trusting anything in it.

Nothing is extracted to disk and nothing is executed or unpickled: the graded CSVs and the
manifest are read into memory as bytes. A zip is refused as a whole when any entry has an
absolute path, a drive letter, a ``..`` component, is a symbolic link, or when the declared
sizes are too big (per file, in total, or by compression ratio: a zip bomb). Reads are
bounded too, so a zip whose headers lie about sizes cannot exhaust memory. In a folder,
symbolic links and oversized files are refused.

Graded files are found by name (``*_out*.csv``) anywhere in the submission, so
``output_files/x_out.csv``, ``x_out.csv`` and ``alice/output_files/x_out.csv`` all work;
two files with the same name (also when they differ only in case, or are two zip entries of
one name) are ambiguous and refused.

Identity comes from where the submission is (the zip's stem or the folder's name), never from
its contents: the manifest's ``student`` is only a claim, reported next to it. The manifest's
SHA-256 of each file is checked, so a file changed after ``cs-nn submit`` is reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from cs_nn.course.submit import (  # the limits are shared with `cs-nn submit`
    MANIFEST,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_RATIO,
    MAX_TOTAL_BYTES,
    OUTPUT_NAME,
    safe_name,
)


class SubmissionError(ValueError):
    """The submission as a whole is refused (unsafe or unreadable); the message says why."""


@dataclass
class Submission:
    """The graded files of one submission, in memory.

    Attributes:
        name: identity: the zip's stem or the folder's name, made file-name safe.
        source: where it came from.
        files: graded CSV file name -> raw bytes.
        manifest: the parsed manifest.json, or None.
        student: the manifest's ``student`` claim ("" if none); not trusted as identity.
        changed: graded files whose bytes differ from the manifest's SHA-256, or that the
            manifest does not list / lists but are absent (empty when there is no manifest).
        warnings: non-fatal oddities (e.g. an unreadable manifest).
    """

    name: str
    source: Path
    files: dict[str, bytes] = field(default_factory=dict)
    manifest: dict | None = None
    student: str = ""
    changed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _check_member_path(name: str) -> None:
    if "\x00" in name:
        raise SubmissionError(f"zip entry {name!r} has a NUL byte in its name")
    unix = name.replace("\\", "/")
    if unix.startswith("/") or re.match(r"^[A-Za-z]:", unix):
        raise SubmissionError(f"zip entry {name!r} has an absolute path (refused: zip-slip)")
    if ".." in PurePosixPath(unix).parts:
        raise SubmissionError(f"zip entry {name!r} contains '..' (refused: zip-slip)")


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode) or (info.create_system == 0 and bool(info.external_attr & 0x400))


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with zf.open(info) as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES or len(data) > info.file_size:
        raise SubmissionError(f"zip entry {info.filename!r} is bigger than it declares or than "
                              f"{MAX_FILE_BYTES} bytes (refused: zip bomb)")
    return data


def read_zip(source: Path | BinaryIO, label: str) -> dict[str, bytes]:
    """The graded files and manifest of a zip (a path or a binary stream), refusing anything
    unsafe; ``label`` names it in messages. ``cs-nn submit`` checks its archive with this too,
    so what it writes is what the grader accepts."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(f"{label} is not a readable zip file ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise SubmissionError(f"{label} has {len(infos)} entries (limit {MAX_ENTRIES})")
        total = 0
        for info in infos:
            _check_member_path(info.filename)
            if _is_link(info):
                raise SubmissionError(f"zip entry {info.filename!r} is a link (refused)")
            if info.file_size > MAX_FILE_BYTES:
                raise SubmissionError(f"zip entry {info.filename!r} declares {info.file_size} "
                                      f"bytes (limit {MAX_FILE_BYTES}; refused: zip bomb)")
            total += info.file_size
            if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(
                    info.compress_size, 1):
                raise SubmissionError(f"zip entry {info.filename!r} is compressed more than "
                                      f"{MAX_RATIO}:1 (refused: zip bomb)")
        if total > MAX_TOTAL_BYTES:
            raise SubmissionError(f"{label} declares {total} bytes in all "
                                  f"(limit {MAX_TOTAL_BYTES}; refused: zip bomb)")
        seen: dict[str, str] = {}
        for info in infos:
            norm = info.filename.replace("\\", "/").casefold()
            if norm in seen:
                raise SubmissionError(f"zip entries {seen[norm]!r} and {info.filename!r} have "
                                      "the same name (refused: which one to grade is ambiguous)")
            seen[norm] = info.filename
        wanted = [i for i in infos if not i.is_dir() and _wanted(PurePosixPath(
            i.filename.replace("\\", "/")).name)]
        try:
            return {i.filename.replace("\\", "/"): _read_bounded(zf, i) for i in wanted}
        except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
            if isinstance(exc, SubmissionError):
                raise
            raise SubmissionError(f"{label}: a zip entry cannot be read ({exc})") from None


def _wanted(basename: str) -> bool:
    return basename == MANIFEST or bool(OUTPUT_NAME.match(basename))


def _open_folder(path: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for root, dirs, files in os.walk(path, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for fname in sorted(files):
            if not _wanted(fname):
                continue
            full = Path(root) / fname
            st = full.lstat()
            rel = full.relative_to(path).as_posix()
            if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
                raise SubmissionError(f"{rel} is a link or not a regular file (refused)")
            if st.st_size > MAX_FILE_BYTES:
                raise SubmissionError(f"{rel} has {st.st_size} bytes (limit {MAX_FILE_BYTES})")
            found[rel] = full.read_bytes()
    return found


def open_submission(path: str | os.PathLike[str]) -> Submission:
    """Read a submission folder or ``.zip`` into memory, refusing anything unsafe.

    Raises:
        SubmissionError: unsafe or unreadable submission (the message says why).
    """
    path = Path(path)
    if path.is_symlink():
        raise SubmissionError(f"{path.name} is a symbolic link (refused)")
    if path.is_dir():
        raw, name = _open_folder(path), path.name
    elif path.is_file() and path.suffix.lower() == ".zip":
        raw, name = read_zip(path, path.name), path.stem
    else:
        raise SubmissionError(f"{path}: expected a folder or a .zip file")
    sub = Submission(name=safe_name(name), source=path)
    by_base: dict[str, str] = {}
    for rel, data in sorted(raw.items()):
        base = PurePosixPath(rel).name
        if base.casefold() in by_base:
            raise SubmissionError(f"{base} appears twice ({by_base[base.casefold()]} and {rel}): "
                                  "submit one copy of each file")
        by_base[base.casefold()] = rel
        if base == MANIFEST:
            try:
                manifest = json.loads(data.decode("utf-8"))
                if not isinstance(manifest, dict):
                    raise ValueError("not a JSON object")
                sub.manifest = manifest
            except (ValueError, UnicodeDecodeError) as exc:
                sub.warnings.append(f"manifest.json ignored: not valid JSON ({exc})")
        else:
            sub.files[base] = data
    student = (sub.manifest or {}).get("student")
    if isinstance(student, str) and student.strip():
        sub.student = student.strip()[:200]
    if sub.manifest is not None and not isinstance(sub.manifest.get("files"), list):
        sub.warnings.append("manifest.json lists no files: cannot tell whether any changed "
                            "after `cs-nn submit`")
    elif sub.manifest is not None:
        sub.changed = _changed_since_submit(sub.manifest, sub.files)
        if sub.changed:
            sub.warnings.append("files that differ from what `cs-nn submit` recorded: "
                                + "; ".join(sub.changed[:10]))
    return sub


def _changed_since_submit(manifest: dict, files: dict[str, bytes]) -> list[str]:
    """Graded files whose bytes do not match the manifest's SHA-256, as readable notes."""
    listed: dict[str, str] = {}
    for entry in manifest["files"]:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            base = PurePosixPath(entry["path"].replace("\\", "/")).name
            if _wanted(base) and base != MANIFEST:
                listed[base] = str(entry.get("sha256", ""))
    notes = []
    for base, data in sorted(files.items()):
        if base not in listed:
            notes.append(f"{base} (not in the manifest: added after submit)")
        elif hashlib.sha256(data).hexdigest() != listed[base]:
            notes.append(f"{base} (changed after submit)")
    notes += [f"{base} (in the manifest but not in the submission)"
              for base in sorted(set(listed) - set(files))]
    return notes
