"""Building a learner's submission archive: output_files/ (+ notebooks) and a manifest.

The zip holds ``output_files/<file>.csv`` (and ``notebooks/<name>.ipynb`` if asked) and a
``manifest.json`` with the package version, the seeds, and every file with its SHA-256, so
the grader can tell what was submitted. Entries get a fixed timestamp, so the same files
give the same archive.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from io import BytesIO  # the standard library (cs_nn.io is the graded-CSV module)
from pathlib import Path

from cs_nn import __version__
from cs_nn._util.files import atomic_write_bytes
from cs_nn.course import paths
from cs_nn.course.questions import INPUT_SEED, all_questions

PathLike = str | os.PathLike[str]
_DATE = (2020, 1, 1, 0, 0, 0)
MANIFEST = "manifest.json"
#: The name of a graded output file: ``<key>_out.csv`` or ``<key>_out_<name>.csv``.
OUTPUT_NAME = re.compile(r"^[A-Za-z0-9_]+_out(_[A-Za-z0-9_]+)?\.csv$")


def safe_name(text: str) -> str:
    """A file-name-safe identity: letters, digits, '.', '_' and '-' only."""
    cleaned = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]+", "_", text)).strip("._")
    return cleaned[:80] or "submission"


def _add(zf: zipfile.ZipFile, arcname: str, data: bytes) -> dict:
    info = zipfile.ZipInfo(arcname, date_time=_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)
    return {"path": arcname, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def build_submission(student: str, output_dir: PathLike | None = None,
                     notebook_dir: PathLike | None = None,
                     out: PathLike | None = None) -> tuple[Path, dict, list[str]]:
    """Write the submission zip; returns (path, manifest, expected files that are missing)."""
    if not student.strip():
        raise ValueError("--student must not be empty: give your name or student id")
    outputs = paths.output_dir(output_dir)
    if not outputs.is_dir():
        raise FileNotFoundError(f"{outputs}: no output folder; run the notebooks first")
    csvs = sorted(p for p in outputs.iterdir()
                  if p.is_file() and not p.is_symlink() and OUTPUT_NAME.match(p.name))
    expected = [q.output_file(n) for q in all_questions() for n in q.outputs]
    missing = [f for f in expected if not (outputs / f).is_file()]
    notebooks = sorted(Path(notebook_dir).glob("*.ipynb")) if notebook_dir else []
    buf = BytesIO()
    files = []
    with zipfile.ZipFile(buf, "w") as zf:
        for p in csvs:
            files.append(_add(zf, f"output_files/{p.name}", p.read_bytes()))
        for p in notebooks:
            files.append(_add(zf, f"notebooks/{p.name}", p.read_bytes()))
        manifest = {
            "student": student.strip(), "package": "cs_nn", "version": __version__,
            "input_seed": INPUT_SEED,
            "seeds": {q.key: q.params["seed"] for q in all_questions() if "seed" in q.params},
            "files": files,
        }
        _add(zf, MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n")
             .encode())
    path = Path(out) if out else Path(f"submission_{safe_name(student)}.zip")
    atomic_write_bytes(path, buf.getvalue())
    return path, manifest, missing
