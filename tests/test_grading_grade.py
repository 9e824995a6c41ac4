"""Grading: per-question points, feedback with hints, batches in parallel, determinism."""

from __future__ import annotations

import csv

import pytest
from synthetic_submissions import (
    bug_names,
    buggy_files,
    file_share,
    instructor_only,
    make_batch,
    max_total,
    reference_files,
    write_folder,
    write_zip,
)

from cs_nn.cli import main
from cs_nn.instructor.grading.grade import build_key, grade_many, grade_submission
from cs_nn.instructor.grading.report import feedback_html, feedback_markdown, grades_csv_text

#: Not shipped to learners: grades against the reference answers.
INSTRUCTOR_ONLY = True

pytestmark = [instructor_only, pytest.mark.filterwarnings("ignore::UserWarning")]

HINTS = {"transposed_dw": "transposed", "wrong_sign": "wrong sign",
         "forgot_divide_by_n": "constant factor", "scaled_by_2": "constant factor",
         "dropout_not_rescaled": "divides them by (1 - p)",
         "dropout_test_not_identity": "must not drop", "missing_file": "notebook",
         "nan": "not a finite", "text": "not a number", "wrong_count": "has 79 values"}


@pytest.fixture(scope="module")
def key():
    return build_key()


def test_correct_submission_gets_full_marks(tmp_path, key):
    r = grade_submission(write_folder(tmp_path / "ann", reference_files()), key)
    assert not r.error and r.total == pytest.approx(max_total()) == r.max_total
    assert all(f.ok for q in r.questions for f in q.files)


@pytest.mark.parametrize("bug", bug_names())
def test_each_bug_loses_exactly_its_file_with_a_hint(tmp_path, key, bug):
    broken, files = buggy_files(bug)
    r = grade_submission(write_zip(tmp_path / f"{bug}.zip", files), key)
    assert r.total == pytest.approx(max_total() - file_share(broken))
    failed = [f for q in r.questions for f in q.files if not f.ok]
    assert [f.file for f in failed] == [broken]
    assert HINTS[bug] in failed[0].reason + failed[0].hint
    md = feedback_markdown(r)
    assert broken in md and HINTS[bug] in md
    assert "<script" not in feedback_html(r)


def test_feedback_never_contains_reference_values(tmp_path, key):
    broken, files = buggy_files("scaled_by_2")
    r = grade_submission(write_folder(tmp_path / "s", files), key)
    text = feedback_markdown(r) + feedback_html(r)
    ref = reference_files()[broken].decode().split()
    assert ref and not any(v in text for v in ref)


def test_a_broken_submission_scores_zero_with_the_reason(tmp_path, key):
    (tmp_path / "evil.zip").write_bytes(b"not a zip")
    r = grade_submission(tmp_path / "evil.zip", key)
    assert r.total == 0 and "refused" in r.error and r.max_total == max_total()
    assert "could not be graded" in feedback_markdown(r)


def test_batch_of_100_graded_twice_identically(tmp_path, key):
    made = make_batch(tmp_path / "subs", 100)
    runs = []
    for _ in range(2):
        results = grade_many([tmp_path / "subs"], key, max_workers=2, progress=False)
        runs.append(grades_csv_text(results, key.questions))
    assert runs[0] == runs[1]
    rows = {r["submission"]: r for r in csv.DictReader(runs[0].splitlines())}
    assert len(rows) == 100
    for name, kind in made.items():
        total = float(rows[name]["total"])
        if kind == "correct":
            assert total == pytest.approx(max_total()) and not rows[name]["error"]
        elif kind in bug_names():
            assert total == pytest.approx(max_total() - file_share(buggy_files(kind)[0])), name
        else:
            assert total == 0 and rows[name]["error"], name


def test_cli_grades_a_folder_and_writes_feedback(tmp_path, capsys):
    write_folder(tmp_path / "subs" / "ann", reference_files())
    write_zip(tmp_path / "subs" / "bob.zip", buggy_files("wrong_sign")[1])
    (tmp_path / "subs" / "carl.zip").write_bytes(b"garbage")
    out = tmp_path / "out"
    assert main(["grade", str(tmp_path / "subs"), "--out", str(out), "--workers", "1",
                 "--no-progress", "--format", "html"]) == 0
    rows = list(csv.DictReader((out / "grades.csv").read_text().splitlines()))
    assert [r["submission"] for r in rows] == ["ann", "bob", "carl"]
    assert float(rows[2]["total"]) == 0 and "refused" in rows[2]["error"]
    assert "wrong sign" in (out / "feedback" / "bob.html").read_text()
    assert "graded 3 submissions (1 refused)" in capsys.readouterr().out


def test_stored_answer_key_gives_the_same_grades(tmp_path, key):
    assert main(["outputs", "--out", str(tmp_path / "key")]) == 0
    stored = build_key(key_dir=tmp_path / "key")
    sub = write_folder(tmp_path / "s", buggy_files("transposed_dw")[1])
    assert grade_submission(sub, stored).total == grade_submission(sub, key).total
