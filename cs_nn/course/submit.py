"""Building a learner's submission archive: output_files/ (+ notebooks) and a manifest.

The zip holds ``output_files/<file>.csv`` (and ``notebooks/<name>.ipynb`` if asked) and a
``manifest.json`` with the package version, the seeds, and every file with its SHA-256, so
the grader can tell what was submitted. Entries get a fixed timestamp, so the same files
give the same archive.

What ``submit`` writes, ``grade`` accepts: every file is held to the grader's limits
(the limits below, which :mod:`cs_nn.instructor.grading.submission` enforces) before anything
is written, and ``cs-nn submit`` reads the finished archive back with the grader's own reader
(the ``verify`` hook). A file that would break the archive is refused with
the reason; an output that is a symbolic link is submitted with its target's contents, and
said so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
import zlib
from collections.abc import Callable
from io import BytesIO  # the standard library (cs_nn.io is the graded-CSV module)
from pathlib import Path

from cs_nn import __version__
from cs_nn._util.files import atomic_write_bytes, check_writable
from cs_nn.course import paths
from cs_nn.course.questions import INPUT_SEED, all_questions

PathLike = str | os.PathLike[str]
_DATE = (2020, 1, 1, 0, 0, 0)
MANIFEST = "manifest.json"
#: The name of a graded output file: ``<key>_out.csv`` or ``<key>_out_<name>.csv``.
OUTPUT_NAME = re.compile(r"^[A-Za-z0-9_]+_out(_[A-Za-z0-9_]+)?\.csv$")
#: What the grader accepts in one archive (cs_nn.instructor.grading.submission enforces them).
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 2000
MAX_RATIO = 200  # uncompressed / compressed, above 1 MB


def safe_name(text: str) -> str:
    """A file-name-safe identity: letters, digits, '.', '_' and '-' only."""
    cleaned = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]+", "_", text)).strip("._")
    return cleaned[:80] or "submission"


class SubmitError(ValueError):
    """The archive cannot be built so that the grader accepts it; the message says why."""


def _add(zf: zipfile.ZipFile, arcname: str, data: bytes) -> dict:
    info = zipfile.ZipInfo(arcname, date_time=_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    if len(data) > 1_000_000 and len(zlib.compress(data, 6)) * MAX_RATIO < len(data):
        info.compress_type = zipfile.ZIP_STORED  # the grader takes >200:1 for a zip bomb
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)
    return {"path": arcname, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _read_checked(path: Path, arcname: str, notes: list[str]) -> bytes:
    """The bytes of ``path`` if the grader will accept them (links followed, and said)."""
    if path.is_symlink():
        if not path.is_file():
            raise SubmitError(f"{path} is a link to {os.readlink(path)!r}, which does not "
                              "exist: re-run the notebook that writes it, or delete the link")
        notes.append(f"{path.name} is a link: submitted the contents of {path.resolve()}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        hint = ("clear its outputs (Kernel > Restart & Clear Output) and save it, or submit "
                "without --notebooks" if path.suffix == ".ipynb"
                else "this is far bigger than any graded answer: re-run its notebook")
        raise SubmitError(f"{path} has {size / 2**20:.1f} MB, over the grader's limit of "
                          f"{MAX_FILE_BYTES // 2**20} MB per file ({arcname} would make the "
                          f"whole submission refused): {hint}")
    return path.read_bytes()


def default_archive(student: str) -> Path:
    return Path(f"submission_{safe_name(student)}.zip")


def archive_path(student: str, out: PathLike | None) -> Path:
    """Where the zip goes: ``out`` (a file, or an existing folder to put the default name in),
    else ``submission_<student>.zip``; checked to be writable before any work."""
    path = Path(out) if out else default_archive(student)
    if path.is_dir():
        path = path / default_archive(student).name
    return check_writable(path, "--out")


def build_submission(student: str, output_dir: PathLike | None = None,
                     notebook_dir: PathLike | None = None, out: PathLike | None = None,
                     verify: Callable[[BytesIO, str], object] | None = None
                     ) -> tuple[Path, dict, list[str], list[str]]:
    """Write the submission zip; ``verify(zip stream, name)``, if given, must accept it first
    (``cs-nn submit`` passes the grader's reader) or raise ValueError, and nothing is written.

    Returns:
        (path, manifest, expected files that are missing, notes such as followed links).

    Raises:
        SubmitError: a file the grader would refuse (too big; a dangling link), naming it.
    """
    if not student.strip():
        raise ValueError("--student must not be empty: give your name or student id")
    path = archive_path(student, out)
    outputs = paths.output_dir(output_dir)
    if not outputs.is_dir():
        raise FileNotFoundError(f"{outputs}: no output folder; run the notebooks first")
    csvs = sorted(p for p in outputs.iterdir()
                  if (p.is_file() or p.is_symlink()) and OUTPUT_NAME.match(p.name))
    expected = [q.output_file(n) for q in all_questions() for n in q.outputs]
    missing = [f for f in expected if not (outputs / f).is_file()]
    if notebook_dir is not None and not Path(notebook_dir).is_dir():
        raise FileNotFoundError(f"{notebook_dir}: no such notebook folder (--notebooks)")
    notebooks = sorted(Path(notebook_dir).glob("*.ipynb")) if notebook_dir else []
    notes: list[str] = []
    buf = BytesIO()
    files = []
    with zipfile.ZipFile(buf, "w") as zf:
        for p in csvs:
            files.append(_add(zf, f"output_files/{p.name}",
                              _read_checked(p, f"output_files/{p.name}", notes)))
        for p in notebooks:
            files.append(_add(zf, f"notebooks/{p.name}",
                              _read_checked(p, f"notebooks/{p.name}", notes)))
        total = sum(f["bytes"] for f in files)
        if total > MAX_TOTAL_BYTES:
            raise SubmitError(f"the files add up to {total / 2**20:.1f} MB, over the grader's "
                              f"limit of {MAX_TOTAL_BYTES // 2**20} MB: submit without "
                              "--notebooks, or clear the notebooks' outputs")
        manifest = {
            "student": student.strip(), "package": "cs_nn", "version": __version__,
            "input_seed": INPUT_SEED,
            "seeds": {q.key: q.params["seed"] for q in all_questions() if "seed" in q.params},
            "files": files,
        }
        _add(zf, "manifest.json", (json.dumps(manifest, indent=1, sort_keys=True) + "\n")
             .encode())
    try:  # e.g. the grader's own reader: what we write, it accepts
        if verify is not None:
            verify(BytesIO(buf.getvalue()), path.name)
    except ValueError as exc:
        raise SubmitError(f"the archive would be refused by the grader: {exc}") from None
    atomic_write_bytes(path, buf.getvalue())
    return path, manifest, missing, notes


def infer_student(project: Path | None = None) -> tuple[str, str]:
    """A student name when ``--student`` is not given: (name, where it came from).

    Tried in turn: git's ``user.name``, the login name, the project folder's name.
    """
    import getpass  # only when no --student is given
    import subprocess

    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True,
                              timeout=5, check=False).stdout.strip()
        if name:
            return name, "git config user.name"
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        name = getpass.getuser().strip()
        if name and name != "root":
            return name, "your login name"
    except (OSError, KeyError):
        pass
    folder = (project or Path.cwd()).resolve().name
    return folder or "student", "the project folder's name"
