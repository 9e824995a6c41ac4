"""LMS exports: the Gradescope bundle (run against a fake /autograder tree) and the gradebook."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest
from synthetic_submissions import (
    bug_names,
    buggy_files,
    file_share,
    instructor_only,
    max_total,
    reference_files,
    write_folder,
    write_zip,
)

from cs_nn.course.questions import all_questions
from cs_nn.instructor.grading.grade import build_key, grade_submission
from cs_nn.instructor.grading.lms import (
    VISIBILITIES,
    build_gradescope_bundle,
    gradebook_csv_text,
    results_json,
)

INSTRUCTOR_ONLY = True  # not shipped in the student release
pytestmark = instructor_only  # the reference computes the answer key


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    path = tmp_path_factory.mktemp("gs") / "autograder.zip"
    build_gradescope_bundle(path, visibility="after_due_date")
    return path


def _fake_autograder(tmp_path, bundle):
    """/autograder as Gradescope lays it out: source/ (the zip), run_autograder, results/."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    os.chmod(root / "run_autograder", 0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root, modes


def _run(root):
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), CS_NN_PYTHON=sys.executable)
    env.pop("PYTHONPATH", None)  # the bundle's own cs_nn, not this checkout's
    proc = subprocess.run(["bash", str(root / "run_autograder")], env=env, cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


def _check_format(data, visibility="after_due_date"):
    """results.json as Gradescope documents it."""
    assert set(data) >= {"score", "tests", "visibility", "output"}
    assert data["visibility"] in VISIBILITIES and data["stdout_visibility"] == "hidden"
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert 0 <= t["score"] <= t["max_score"] and t["status"] in ("passed", "failed")
        assert t["visibility"] == visibility
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def test_bundle_layout(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in zf.infolist()}
        config = json.loads(zf.read("gradescope.json"))
    assert {"setup.sh", "run_autograder", "requirements.txt", "gradescope.json",
            "cs_nn/instructor/grading/lms.py"} <= names  # at the zip's root, as Gradescope requires
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert config["visibility"] == "after_due_date"
    keys = {n for n in names if n.startswith("key/")}
    assert len(keys) == sum(len(q.outputs) for q in all_questions())
    assert not any("__pycache__" in n for n in names)


def test_run_autograder_full_marks_zip_and_folder(tmp_path, bundle):
    root, _ = _fake_autograder(tmp_path, bundle)
    write_zip(root / "submission" / "alice.zip", reference_files())  # what cs-nn submit makes
    data = _run(root)
    _check_format(data)
    assert data["score"] == pytest.approx(max_total())
    assert all(t["status"] == "passed" for t in data["tests"])
    assert len(data["tests"]) == len(all_questions())
    # the same CSVs uploaded loose (a folder) grade the same
    (root / "submission" / "alice.zip").unlink()
    write_folder(root / "submission", reference_files())
    assert _run(root)["score"] == pytest.approx(max_total())


def test_run_autograder_names_the_broken_file_without_answers(tmp_path, bundle):
    root, _ = _fake_autograder(tmp_path, bundle)
    bug = bug_names()[0]
    broken, files = buggy_files(bug)
    write_folder(root / "submission", files)
    data = _run(root)
    _check_format(data)
    assert data["score"] == pytest.approx(max_total() - file_share(broken))
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert len(failed) == 1 and broken in failed[0]["output"]


def test_run_autograder_empty_and_garbage_submissions(tmp_path, bundle):
    root, _ = _fake_autograder(tmp_path, bundle)
    data = _run(root)  # nothing uploaded
    _check_format(data)
    assert data["score"] == 0 and "missing" in data["tests"][0]["output"]
    (root / "submission" / "x.zip").write_bytes(b"not a zip")
    data = _run(root)
    assert data["score"] == 0 and "could not be graded" in data["output"]


def test_results_json_rejects_unknown_visibility(tmp_path):
    result = grade_submission(tmp_path, build_key())
    with pytest.raises(ValueError, match="visibility must be one of"):
        results_json(result, "public")


def test_gradebook_csv(tmp_path):
    key = build_key()
    full = grade_submission(write_folder(tmp_path / "bob", reference_files()), key)
    broken, files = buggy_files(bug_names()[0])
    part = grade_submission(write_folder(tmp_path / "ann", files), key)
    rows = list(csv.reader(io.StringIO(gradebook_csv_text([full, part], key.questions))))
    qs = key.questions
    assert rows[0][:3] == ["Student", f"Total (max {max_total():g})", "Percent"]
    assert rows[0][3:] == [f"{q.key} (max {q.points:g})" for q in qs]
    assert [r[0] for r in rows[1:]] == ["ann", "bob"]  # sorted by student
    assert float(rows[2][1]) == pytest.approx(max_total()) and rows[2][2] == "100.0"
    assert float(rows[1][1]) == pytest.approx(max_total() - file_share(broken))
    assert sum(map(float, rows[1][3:])) == pytest.approx(float(rows[1][1]))
