"""Tests of the ``cs-nn`` command: in-process through cs_nn.cli.main and once as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cs_nn
from cs_nn.cli import main
from cs_nn.commands import print_table
from cs_nn.course import graded
from cs_nn.course.questions import all_questions, get_question
from cs_nn.io import read_csv, write_csv

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "input_files"


def _expected_outputs() -> dict[str, np.ndarray]:
    """File name -> reference array, computed directly through the library (the oracle)."""
    expected = {}
    for q in all_questions():
        ref = q.reference(graded.load_inputs(q, COMMITTED))
        for name, arr in ref.items():
            expected[q.output_file(name)] = arr
    return expected


def test_outputs_writes_exactly_the_reference_files(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["outputs", "--inputs", str(COMMITTED), "--out", str(out)]) == 0
    expected = _expected_outputs()
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)
    for name, arr in expected.items():
        np.testing.assert_array_equal(read_csv(out / name, arr.shape), arr)
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0].split() == ["notebook", "question", "file", "shape"]
    assert set(lines[1]) <= {"-", " "}
    assert "linear_backward_out_dx.csv" in text and "5x2x3x4" in text
    assert f"wrote {len(expected)} files for {len(all_questions())} questions" in text


def test_outputs_only_some_questions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["outputs", "--inputs", str(COMMITTED), "--out", str(tmp_path),
                 "--only", "l2", "graph_f2"])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "graph_f2_out.csv", "l2_out_dw.csv", "l2_out_loss.csv"]
    assert "wrote 3 files for 2 questions" in capsys.readouterr().out


def test_unknown_question_key_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["outputs", "--inputs", str(COMMITTED), "--out", str(tmp_path),
                 "--only", "no_such_question"])
    assert code == 1
    err = capsys.readouterr().err
    assert "cs-nn outputs: error: no question called 'no_such_question'" in err
    assert "linear_forward" in err  # the valid keys are listed
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_outputs_with_missing_inputs_exits_1(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["outputs", "--inputs", str(tmp_path / "none"), "--out", str(tmp_path / "o"),
                 "--only", "l2"])
    assert code == 1
    assert "no such file" in capsys.readouterr().err


def test_make_inputs_check_passes_on_committed_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["make-inputs", "--check", "--out", str(COMMITTED)]) == 0
    assert "match the generator" in capsys.readouterr().out


def test_make_inputs_writes_then_check_passes(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["make-inputs", "--out", str(tmp_path)]) == 0
    n = len(list(COMMITTED.glob("*.csv")))
    assert f"wrote {n} input files" in capsys.readouterr().out
    for p in tmp_path.iterdir():
        assert p.read_bytes() == (COMMITTED / p.name).read_bytes()
    assert main(["make-inputs", "--check", "--out", str(tmp_path)]) == 0


def test_make_inputs_check_fails_on_tampered_copy(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "input_files"
    shutil.copytree(COMMITTED, copy)
    x = read_csv(copy / "linear_forward_in_b.csv")
    x[0] += 1e-12
    write_csv(copy / "linear_forward_in_b.csv", x)
    (copy / "l2_in_w.csv").unlink()
    write_csv(copy / "extra_in_x.csv", np.ones(2))
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    assert main(["make-inputs", "--check", "--out", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "differs: linear_forward_in_b.csv" in out
    assert "missing: l2_in_w.csv" in out
    assert "not generated: extra_in_x.csv" in out
    assert "out of date" in out
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == before  # --check writes nothing


def test_make_inputs_default_folder_from_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CS_NN_INPUT_DIR", raising=False)
    (tmp_path / "input_files").mkdir()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert main(["make-inputs"]) == 0
    assert (tmp_path / "input_files" / "l2_in_w.csv").is_file()


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"cs_nn {cs_nn.__version__}"
    assert main([]) == 2  # no command: help, exit 2
    out = capsys.readouterr().out
    assert "outputs" in out and "make-inputs" in out
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2


def test_print_table_aligns_columns(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(["a", "long header"], [("xyz", 1), ("q", 22)])
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["a    long header", "---  -----------", "xyz  1", "q    22"]


def test_console_script_subprocess(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("cs-nn")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "cs_nn.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    version = subprocess.run([*cmd, "--version"], capture_output=True, text=True, env=env,
                             timeout=120, check=False)
    assert version.returncode == 0
    assert version.stdout.strip() == f"cs_nn {cs_nn.__version__}"
    run = subprocess.run([*cmd, "outputs", "--only", "softmax_loss", "--out", str(tmp_path)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
                         check=False)
    assert run.returncode == 0, run.stderr
    q = get_question("softmax_loss")
    ref = q.reference(graded.load_inputs(q, COMMITTED))
    np.testing.assert_array_equal(read_csv(tmp_path / "softmax_loss_out_dscores.csv", (16, 10)),
                                  ref["dscores"])
    bad = subprocess.run([*cmd, "outputs", "--only", "nope", "--out", str(tmp_path / "x")],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
                         check=False)
    assert bad.returncode == 1
    assert "no question called 'nope'" in bad.stderr and "Traceback" not in bad.stderr
