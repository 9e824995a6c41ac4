"""The learner's self-check (no answers shipped) and the submission archive."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest
from synthetic_submissions import ROOT, buggy_files, instructor_only, reference_files

from cs_nn.cli import main
from cs_nn.course import selfcheck
from cs_nn.course.selfcheck import check_outputs, make_file_entry, matches
from cs_nn.instructor.grading.submission import open_submission
from cs_nn.io import format_values, read_csv

RTOL, ATOL = 1e-5, 1e-7


@pytest.fixture(scope="module")
def ref_values():
    return np.random.default_rng(3).standard_normal(200) * np.logspace(-8, 3, 200)


@pytest.fixture(scope="module")
def entry(ref_values):
    return make_file_entry(ref_values, "salt", RTOL, ATOL)


def test_any_answer_within_tolerance_matches(ref_values, entry):
    rng = np.random.default_rng(0)
    tol = ATOL + RTOL * np.abs(ref_values)
    for _ in range(3):
        noisy = ref_values + rng.uniform(-0.99, 0.99, ref_values.shape) * tol
        assert matches(noisy, entry)
    assert matches(ref_values + 0.99 * tol, entry) and matches(ref_values - 0.99 * tol, entry)


def test_answers_beyond_4x_tolerance_do_not_match(ref_values, entry):
    for i in (0, 57, 199):
        bad = ref_values.copy()
        bad[i] += 4.5 * (ATOL + RTOL * abs(bad[i])) * 1.1
        assert not matches(bad, entry)
    assert not matches(ref_values[:-1], entry)


def test_stored_data_reveals_no_values(ref_values, entry):
    text = json.dumps(entry)
    assert not any(f"{v:.5g}" in text for v in ref_values if abs(v) > 1e-3)
    assert set(entry) == {"salt", "rtol", "atol", "count", "grid", "digest"}


def attack_scalar(entry: dict, guess: float, tries: int) -> float | None:
    """Issue 13 case 7, the attack: from a guess within +-10%, walk the cells of T-space one
    step at a time until the digest matches. Returns the recovered value, or None."""
    rtol, atol = entry["rtol"], entry["atol"]
    a, step = atol / rtol, selfcheck.STEP_FACTOR * rtol
    t0 = np.sign(guess) * np.log1p(abs(guess) / a)
    for k in range(tries):
        for t in (t0 + k * step / 2, t0 - k * step / 2):
            value = np.sign(t) * a * np.expm1(abs(t))
            if matches(np.array([value]), entry):
                return float(value)
    return None


def test_the_scalar_attack_works_on_a_confirmed_entry_so_the_test_can_fail(monkeypatch):
    """The attack recovers a confirmed single number (here with a cheap hash and a 0.2%
    guess, to keep the test fast); it is why single numbers are not confirmed offline."""
    monkeypatch.setattr(selfcheck, "ITERATIONS", 1)
    monkeypatch.setattr(selfcheck, "MIN_SEARCH_BITS", 0)
    secret = 2.302585
    entry = make_file_entry(np.array([secret]), "s", RTOL, ATOL)
    found = attack_scalar(entry, secret * 1.002, tries=400)
    assert found is not None and abs(found - secret) <= 5 * (ATOL + RTOL * secret)


@instructor_only
def test_no_single_number_answer_can_be_searched_offline(tmp_path):
    """Issue 13 case 7: every shipped entry whose search from a +-10% guess is feasible has
    no digest, so the attack has no oracle; and check says 'not-checked', right or wrong."""
    from cs_nn.course.graded import load_inputs
    from cs_nn.course.questions import all_questions

    data = selfcheck.load_data()
    unconfirmed = []
    for q in all_questions():
        if q.grading != "allclose":
            continue
        for name, ref in q.reference(load_inputs(q, ROOT / "input_files")).items():
            entry = data["questions"][q.key]["files"][q.output_file(name)]
            bits = selfcheck.search_bits(ref, q.rtol, q.atol)
            assert ("digest" in entry) == (bits >= selfcheck.MIN_SEARCH_BITS), name
            if "digest" not in entry:
                unconfirmed.append(q.output_file(name))
                assert "grid" not in entry and entry.get("confirm") is False
                with pytest.raises(ValueError, match="not confirmed offline"):
                    attack_scalar(entry, float(ref.ravel()[0]) * 1.05, tries=1)
    assert len(unconfirmed) == 6
    assert {"l2_out_loss.csv", "softmax_loss_out_loss.csv",
            "torch_mlp_loss_out_loss.csv"} <= set(unconfirmed)
    for value in (b"2.302585\n", b"7.0\n"):
        out = _write(tmp_path / "out", {"l2_out_loss.csv": value})
        res = check_outputs(out, ROOT / "input_files", ["l2"], data)
        (loss,) = [r for r in res if r.file == "l2_out_loss.csv"]
        assert loss.status == "not-checked" and "not confirmed offline" in loss.reason


@instructor_only
def test_committed_selfcheck_data_equals_the_generator():
    fresh = selfcheck.data_text(selfcheck.make_data(ROOT / "input_files"))
    assert selfcheck.DATA_PATH.read_text(encoding="utf-8") == fresh, \
        "run `cs-nn make-selfcheck` to refresh cs_nn/course/selfcheck.json"


@instructor_only
def test_committed_data_holds_no_reference_values():
    text = selfcheck.DATA_PATH.read_text()
    for name, data in reference_files().items():
        values = [v for v in data.decode().split() if len(v) > 6]
        assert not any(v in text for v in values), name


def _write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@instructor_only
def test_check_reports_ok_mismatch_missing_malformed_with_hints(tmp_path):
    out = tmp_path / "output_files"
    _write(out, reference_files())
    only = ["linear_backward", "dropout_forward", "tanh_forward", "linear_forward"]
    assert {r.status for r in check_outputs(out, ROOT / "input_files", only)} == {"ok"}
    for bug in ("transposed_dw", "dropout_not_rescaled", "text"):
        broken, files = buggy_files(bug)
        (out / broken).write_bytes(files[broken])
    (out / "linear_forward_out.csv").unlink()
    res = {r.file: r for r in check_outputs(out, ROOT / "input_files", only)}
    assert res["linear_backward_out_dw.csv"].status == "mismatch"
    assert "transposed" in res["linear_backward_out_dw.csv"].hint
    assert res["dropout_forward_out_train.csv"].status == "mismatch"
    assert res["tanh_forward_out.csv"].status == "malformed"
    assert res["linear_forward_out.csv"].status == "missing"
    assert res["linear_backward_out_dx.csv"].status == "ok"


@instructor_only
def test_check_notices_changed_input_files(tmp_path):
    inputs = tmp_path / "input_files"
    _write(inputs, {p.name: p.read_bytes() for p in (ROOT / "input_files").glob("l2_*")})
    w = read_csv(inputs / "l2_in_w.csv")
    (inputs / "l2_in_w.csv").write_text(format_values(w + 1))
    out = _write(tmp_path / "out", {k: v for k, v in reference_files().items()
                                    if k.startswith("l2_")})
    assert {r.status for r in check_outputs(out, inputs, ["l2"])} == {"inputs-changed"}


@instructor_only
def test_check_command_exit_code(tmp_path, capsys):
    out = _write(tmp_path / "out", reference_files())
    args = ["check", "--outputs", str(out), "--inputs", str(ROOT / "input_files"),
            "--only", "l2", "relu_forward"]
    assert main(args) == 0
    (out / "l2_out_dw.csv").write_text(format_values(2 * read_csv(out / "l2_out_dw.csv")))
    assert main(args) == 1
    assert "twice too big" in capsys.readouterr().out


def test_submit_builds_a_gradeable_zip_with_a_manifest(tmp_path, capsys):
    out = _write(tmp_path / "output_files", {"relu_forward_out.csv": b"1.0\n",
                                            "notes.txt": b"not graded"})
    nbs = _write(tmp_path / "nbs", {"01_x.ipynb": b"{}"})
    zpath = tmp_path / "sub.zip"
    assert main(["submit", "--student", "Ann Lee", "--outputs", str(out),
                 "--notebooks", str(nbs), "--out", str(zpath)]) == 0
    assert "missing" in capsys.readouterr().out
    names = sorted(zipfile.ZipFile(zpath).namelist())
    assert names == ["manifest.json", "notebooks/01_x.ipynb", "output_files/relu_forward_out.csv"]
    manifest = json.loads(zipfile.ZipFile(zpath).read("manifest.json"))
    assert manifest["student"] == "Ann Lee" and manifest["seeds"]["dropout_forward"] == 42
    assert {f["path"] for f in manifest["files"]} == set(names) - {"manifest.json"}
    sub = open_submission(zpath)
    assert sub.student == "Ann Lee" and sub.files == {"relu_forward_out.csv": b"1.0\n"}
    first = zpath.read_bytes()
    main(["submit", "--student", "Ann Lee", "--outputs", str(out), "--notebooks", str(nbs),
          "--out", str(zpath)])
    assert zpath.read_bytes() == first


def test_submit_refuses_a_notebook_the_grader_would_refuse(tmp_path, capsys):
    """Issue 13 case 4: a notebook over the grader's 8 MB entry limit."""
    from cs_nn.course.submit import MAX_FILE_BYTES

    out = _write(tmp_path / "output_files", {"relu_forward_out.csv": b"1.0\n"})
    big = os.urandom(MAX_FILE_BYTES // 2 + 10).hex().encode()  # incompressible, > 8 MB
    nbs = _write(tmp_path / "nbs", {"01_x.ipynb": big})
    zpath = tmp_path / "sub.zip"
    assert main(["submit", "--student", "ann", "--outputs", str(out), "--notebooks", str(nbs),
                 "--out", str(zpath)]) == 1
    err = capsys.readouterr().err
    assert "01_x.ipynb has 8.0 MB, over the grader's limit" in err and "Clear Output" in err
    assert not zpath.exists() and not list(tmp_path.glob(".*"))
    (nbs / "01_x.ipynb").write_bytes(b" " * (MAX_FILE_BYTES - 1))  # compresses > 200:1
    assert main(["submit", "--student", "ann", "--outputs", str(out), "--notebooks", str(nbs),
                 "--out", str(zpath)]) == 0
    assert open_submission(zpath).files == {"relu_forward_out.csv": b"1.0\n"}


def test_submit_follows_an_output_link_and_says_so(tmp_path, capsys):
    """Issue 13 case 4: an output that is a symlink was left out without a word."""
    out = _write(tmp_path / "output_files", {})
    (tmp_path / "elsewhere.csv").write_bytes(b"2.0\n")
    (out / "l2_out_loss.csv").symlink_to(tmp_path / "elsewhere.csv")
    zpath = tmp_path / "sub.zip"
    assert main(["submit", "--student", "ann", "--outputs", str(out), "--out", str(zpath)]) == 0
    assert "l2_out_loss.csv is a link: submitted the contents" in capsys.readouterr().out
    assert open_submission(zpath).files == {"l2_out_loss.csv": b"2.0\n"}
    (out / "l2_out_loss.csv").unlink()
    (out / "l2_out_loss.csv").symlink_to(tmp_path / "gone.csv")
    assert main(["submit", "--student", "ann", "--outputs", str(out), "--out", str(zpath)]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_submit_infers_the_student_and_says_which(tmp_path, capsys, monkeypatch):
    """Issue 13 case 4: no --student, stdin not a terminal: a name is inferred, not exit 2."""
    out = _write(tmp_path / "output_files", {"l2_out_loss.csv": b"2.0\n"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["submit", "--outputs", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "student: " in printed and "pass --student NAME" in printed
    (zpath,) = tmp_path.glob("submission_*.zip")
    assert open_submission(zpath).student in printed


def test_submit_out_may_be_a_folder_and_a_bad_out_fails_first(tmp_path, capsys):
    out = _write(tmp_path / "output_files", {"l2_out_loss.csv": b"2.0\n"})
    (tmp_path / "dest").mkdir()
    assert main(["submit", "--student", "ann", "--outputs", str(out),
                 "--out", str(tmp_path / "dest")]) == 0
    assert (tmp_path / "dest" / "submission_ann.zip").is_file()
    (tmp_path / "afile").write_text("mine")
    assert main(["submit", "--student", "ann", "--outputs", str(out),
                 "--out", str(tmp_path / "afile" / "x.zip")]) == 1
    assert "is a file, so no folder can be created" in capsys.readouterr().err
    assert (tmp_path / "afile").read_text() == "mine"
