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
from cs_nn.instructor.grading.batch import grade_many
from cs_nn.instructor.grading.grade import build_key, grade_submission
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
    assert "graded 3 submissions (1 refused, 0 flagged" in capsys.readouterr().out


def test_stored_answer_key_gives_the_same_grades(tmp_path, key):
    assert main(["outputs", "--out", str(tmp_path / "key")]) == 0
    stored = build_key(key_dir=tmp_path / "key")
    sub = write_folder(tmp_path / "s", buggy_files("transposed_dw")[1])
    assert grade_submission(sub, stored).total == grade_submission(sub, key).total


def _zip_claiming(path, student, files=None):
    import json
    import zipfile

    write_zip(path, files if files is not None else reference_files())
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("manifest.json", json.dumps({"student": student}))
    return path


@pytest.mark.parametrize("stray", ["manifest", "empty_output_files", "both"])
def test_stray_files_at_the_top_of_a_batch_do_not_hide_its_zips(tmp_path, key, stray):
    """Issue 13 case 2: a manifest.json or empty output_files/ beside the zips."""
    batch = tmp_path / "batch"
    batch.mkdir()
    if stray in ("manifest", "both"):
        (batch / "manifest.json").write_text('{"student": "whoever"}')
    if stray in ("empty_output_files", "both"):
        (batch / "output_files").mkdir()
    write_zip(batch / "ann.zip", reference_files())
    write_folder(batch / "bob", buggy_files("wrong_sign")[1])
    notes: list[str] = []
    results = grade_many([batch], key, max_workers=1, progress=False, notes=notes)
    assert [r.name for r in results] == ["ann", "bob"]
    assert results[0].total == pytest.approx(max_total())
    assert notes and "ignored" in notes[0]


def test_a_folder_with_its_own_files_and_submissions_is_refused(tmp_path, key):
    batch = write_folder(tmp_path / "batch", reference_files())
    write_zip(batch / "ann.zip", reference_files())
    with pytest.raises(ValueError, match="graded files of its own and 1 submission"):
        grade_many([batch], key, max_workers=1, progress=False)


def test_identity_comes_from_the_file_not_the_manifest(tmp_path, key):
    """Issue 13 case 3: three zips claiming bob, bob, bob-2; case-only name clashes."""
    batch = tmp_path / "batch"
    batch.mkdir()
    _zip_claiming(batch / "bob.zip", "bob")
    _zip_claiming(batch / "eve.zip", "bob", buggy_files("wrong_sign")[1])
    _zip_claiming(batch / "bob-2.zip", "bob-2", buggy_files("scaled_by_2")[1])
    (tmp_path / "sub").mkdir()
    write_zip(tmp_path / "sub" / "Alice.zip", reference_files())
    write_zip(tmp_path / "sub" / "alice.zip", buggy_files("transposed_dw")[1])
    out = tmp_path / "out"
    assert main(["grade", str(batch), str(tmp_path / "sub"), "--out", str(out), "--workers", "1",
                 "--no-progress"]) == 0
    rows = list(csv.DictReader((out / "grades.csv").read_text().splitlines()))
    names = [r["submission"] for r in rows]
    assert len({n.casefold() for n in names}) == len(names) == 5
    by_source = {r["source"].rsplit("/", 1)[-1]: r for r in rows}
    assert by_source["eve.zip"]["submission"] == "eve"
    assert by_source["eve.zip"]["student"] == "bob"
    assert "also claimed by bob" in by_source["eve.zip"]["flags"]
    assert by_source["bob-2.zip"]["submission"] == "bob-2"
    assert "renamed" in by_source["alice.zip"]["flags"]
    feedback = sorted(p.name for p in (out / "feedback").iterdir())
    assert len(feedback) == 5 and len({n.casefold() for n in feedback}) == 5
    assert "wrong sign" in (out / "feedback" / "eve.md").read_text()
    for r in rows:  # every feedback file holds its own submission's result
        text = (out / "feedback" / f"{r['submission']}.md").read_text()
        assert f"Total: {r['total']} /" in text and r["source"].rsplit("/", 1)[-1] in text


def test_identical_submissions_are_flagged(tmp_path, key):
    write_zip(tmp_path / "a.zip", reference_files())
    write_folder(tmp_path / "b", reference_files())
    results = grade_many([tmp_path / "a.zip", tmp_path / "b"], key, max_workers=1,
                         progress=False)
    assert ["identical graded files to b"] == results[0].flags


def test_grade_out_that_is_a_file_is_refused_before_grading(tmp_path, capsys):
    (tmp_path / "out").write_text("mine")
    write_folder(tmp_path / "ann", reference_files())
    assert main(["grade", str(tmp_path / "ann"), "--out", str(tmp_path / "out"),
                 "--no-progress"]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err
    assert (tmp_path / "out").read_text() == "mine"
    (tmp_path / "out2" / "grades.csv").mkdir(parents=True)
    assert main(["grade", str(tmp_path / "ann"), "--out", str(tmp_path / "out2"),
                 "--no-progress"]) == 1
    assert "is a folder, not a file" in capsys.readouterr().err


INTERRUPT_SCRIPT = r"""
import os, signal, sys, threading, time
from pathlib import Path
import cs_nn.instructor.grading.grade as g
from cs_nn.cli import main

# A terminal's Ctrl-C finds Python's default SIGINT handler. A job a script starts in the
# background (`cmd &`, no job control) inherits SIGINT *ignored*, which Python keeps, so a
# test run launched that way would see no interrupt at all: restore what a terminal user has.
signal.signal(signal.SIGINT, signal.default_int_handler)

real = g.grade_submission
def slow(path, key):
    time.sleep(0.4)
    return real(path, key)
g.grade_submission = slow  # fork start: the workers inherit it
sent = []
def interrupt():  # Ctrl-C to the whole process group, as a terminal sends it
    sent.append(time.monotonic())
    os.killpg(os.getpgid(0), signal.SIGINT)
# the interrupt timer starts once the key is built (building it imports torch for the
# PyTorch questions, which can take several seconds on a busy machine: not part of the
# time measured)
real_build_key = g.build_key
def build_key(*args, **kwargs):
    key = real_build_key(*args, **kwargs)
    threading.Timer(1.5, interrupt).start()
    return key
g.build_key = build_key
code = main(["grade", sys.argv[1], "--out", sys.argv[2], "--workers", "2", "--no-progress"])
print(f"AFTER_INTERRUPT {time.monotonic() - sent[0]:.2f} CODE {code}")
"""


def test_ctrl_c_stops_promptly_and_keeps_what_was_graded(tmp_path):
    """Issue 13 case 14: Ctrl-C (SIGINT to the whole process group, as a terminal sends it)."""
    import subprocess
    import sys

    for i in range(40):
        write_zip(tmp_path / "subs" / f"s{i:02d}.zip", reference_files()) if i else (
            (tmp_path / "subs").mkdir(), write_zip(tmp_path / "subs" / "s00.zip",
                                                   reference_files()))
    proc = subprocess.run([sys.executable, "-c", INTERRUPT_SCRIPT, str(tmp_path / "subs"),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                          start_new_session=True)
    assert "CODE 130" in proc.stdout, proc.stdout + proc.stderr
    after = float(proc.stdout.split("AFTER_INTERRUPT ")[1].split()[0])
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").read_text().splitlines()))
    assert 1 <= len(rows) < 40 and all(float(r["total"]) == max_total() for r in rows)
    assert "interrupted: graded" in proc.stderr and f"graded {len(rows)} of 40" in proc.stderr
    assert "Traceback" not in proc.stderr
    # the rest of the batch would take 40 * 0.4 / 2 - 1.5 = 6.5 s more; stopping finishes
    # only the submissions in flight (0.4 s each) and writes what was graded
    assert after < 3.0, after
