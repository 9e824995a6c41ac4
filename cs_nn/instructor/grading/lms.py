"""Exports for a learning-management system, built from the same grader as ``cs-nn grade``.

- :func:`gradebook_csv_text`: one row per student (``Student``, ``Total``, ``Percent``, one
  points column per question headed ``<question> (max P)``), numbers only: the shape that
  Canvas, Moodle and Blackboard import as a gradebook (map ``Student`` to the identifier).
- :func:`build_gradescope_bundle`: a Gradescope autograder zip. Gradescope runs ``setup.sh``
  once to build the image and ``run_autograder`` per submission; that script grades
  ``/autograder/submission`` (the files a student uploaded: the ``cs-nn submit`` zip, or its
  ``output_files/`` CSVs) with this package and the stored answer key, and writes
  ``/autograder/results/results.json`` in Gradescope's format: one test per question with
  ``score``, ``max_score``, ``status`` and ``output`` (the same per-file feedback as
  ``cs-nn grade``, never a reference value), a ``visibility`` for the tests, and the total.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cs_nn._util.files import atomic_write_bytes, atomic_write_text
from cs_nn.course.graded import write_reference_outputs
from cs_nn.course.questions import Question
from cs_nn.instructor.grading.grade import SubmissionResult, build_key, grade_submission
from cs_nn.instructor.grading.report import _file_line
from cs_nn.instructor.release import project_root
from cs_nn.instructor.release_files import IGNORE

PathLike = str | os.PathLike[str]
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
CONFIG = "gradescope.json"


def _fmt(points: float) -> str:
    return f"{points:g}"


# ------------------------------------------------------------------ gradebook CSV
def gradebook_csv_text(results: Sequence[SubmissionResult], questions: Sequence[Question]
                       ) -> str:
    """The gradebook: Student, Total, Percent, then each question's points (see module doc)."""
    max_total = sum(q.points for q in questions)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Student", f"Total (max {_fmt(max_total)})", "Percent",
                     *[f"{q.key} (max {_fmt(q.points)})" for q in questions]])
    for r in sorted(results, key=lambda r: r.name):
        points = {qr.key: qr.points for qr in r.questions}
        percent = 100 * r.total / max_total if max_total else 0.0
        writer.writerow([r.name, _fmt(r.total), f"{percent:.1f}",
                         *[_fmt(points.get(q.key, 0.0)) for q in questions]])
    return buf.getvalue()


def write_gradebook_csv(results: Sequence[SubmissionResult], questions: Sequence[Question],
                        path: PathLike) -> Path:
    return atomic_write_text(path, gradebook_csv_text(results, questions))


# ------------------------------------------------------------------ Gradescope results.json
def results_json(result: SubmissionResult, visibility: str = "after_published",
                 seconds: float | None = None) -> dict[str, Any]:
    """Gradescope's results.json for one graded submission."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}, got {visibility!r}")
    tests = []
    for number, q in enumerate(result.questions, start=1):
        lines = [_file_line(f, "{}", "{}", str) for f in q.files]  # as in the feedback files
        tests.append({"name": f"{q.key} (notebook {q.notebook})", "number": str(number),
                      "score": q.points, "max_score": q.max_points,
                      "status": "passed" if q.points == q.max_points else "failed",
                      "output": "\n".join(lines), "visibility": visibility})
    notes = [f"note: {w}" for w in result.warnings]
    if result.error:
        notes.insert(0, f"This submission could not be graded: {result.error}. Every question "
                        "scores 0; upload the zip `cs-nn submit` makes (or its output_files/).")
    out: dict[str, Any] = {"score": result.total, "visibility": visibility,
                           "stdout_visibility": "hidden", "tests": tests,
                           "output": "\n".join([f"Total: {_fmt(result.total)} / "
                                                f"{_fmt(result.max_total)}", *notes])}
    if seconds is not None:
        out["execution_time"] = round(seconds)
    if result.error and not tests:
        out["tests"] = [{"name": "submission", "score": 0, "max_score": result.max_total,
                         "status": "failed", "output": result.error, "visibility": visibility}]
    return out


def _submission_path(folder: Path) -> Path:
    """What to grade in Gradescope's submission folder: the folder, or the one zip in it."""
    zips = sorted(p for p in folder.rglob("*.zip") if p.is_file())
    has_csv = any(p.is_file() for p in folder.rglob("*_out*.csv"))
    return zips[0] if len(zips) == 1 and not has_csv else folder


def run_autograder(source: PathLike, submission: PathLike, results: PathLike) -> dict[str, Any]:
    """What the bundle's run_autograder does: grade, write results.json, return it."""
    source, results = Path(source), Path(results)
    t0 = time.perf_counter()
    config = json.loads((source / CONFIG).read_text())
    key = build_key(source / "input_files", source / "key")
    result = grade_submission(_submission_path(Path(submission)), key)
    data = results_json(result, config["visibility"], time.perf_counter() - t0)
    results.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(results, json.dumps(data, indent=1) + "\n")
    return data


# ------------------------------------------------------------------ the bundle
SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
apt-get install -y python3 python3-pip python3-venv
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet -r /autograder/source/requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes /autograder/results/results.json.
set -euo pipefail
AUTOGRADER="${AUTOGRADER_ROOT:-/autograder}"  # overridable for testing the bundle locally
PYTHON="${CS_NN_PYTHON:-$AUTOGRADER/venv/bin/python}"
cd "$AUTOGRADER/source"
PYTHONPATH="$PWD" "$PYTHON" -m cs_nn.instructor.grading.lms "$PWD" "$AUTOGRADER/submission" \\
    "$AUTOGRADER/results/results.json"
"""


def build_gradescope_bundle(out_zip: PathLike, input_dir: PathLike | None = None,
                            key_dir: PathLike | None = None,
                            visibility: str = "after_published") -> Path:
    """Write the autograder zip: setup.sh, run_autograder, the grading package (cs_nn),
    input_files/, the answer key (reference outputs, computed now unless ``key_dir``),
    requirements.txt (this numpy) and gradescope.json (the visibility)."""
    import numpy as np


    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}, got {visibility!r}")
    root = project_root()
    inputs = Path(input_dir) if input_dir is not None else root / "input_files"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "bundle"
        shutil.copytree(root / "cs_nn", src / "cs_nn", ignore=IGNORE)
        shutil.copytree(inputs, src / "input_files", ignore=IGNORE)
        if key_dir is not None:
            shutil.copytree(key_dir, src / "key")
        else:
            write_reference_outputs(inputs, src / "key")
        (src / "requirements.txt").write_text(f"numpy=={np.__version__}\n")
        (src / CONFIG).write_text(json.dumps({"visibility": visibility,
                                              "python": sys.version.split()[0]}) + "\n")
        (src / "setup.sh").write_text(SETUP_SH)
        (src / "run_autograder").write_text(RUN_AUTOGRADER)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(src.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo(path.relative_to(src).as_posix(), (2026, 1, 1, 0, 0, 0))
                    mode = 0o755 if path.name in ("setup.sh", "run_autograder") else 0o644
                    info.external_attr = (stat.S_IFREG | mode) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, path.read_bytes())
    return atomic_write_bytes(Path(out_zip), buf.getvalue())


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cs_nn.instructor.grading.lms SOURCE SUBMISSION RESULTS_JSON``: what
    run_autograder calls."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        print("usage: python -m cs_nn.instructor.grading.lms SOURCE_DIR SUBMISSION_DIR "
              "RESULTS_JSON", file=sys.stderr)
        return 2
    data = run_autograder(*args)
    print(f"graded: {data['score']:g} points; results in {args[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["build_gradescope_bundle", "gradebook_csv_text", "results_json",
           "run_autograder", "write_gradebook_csv"]
