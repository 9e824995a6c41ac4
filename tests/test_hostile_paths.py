"""Issue 13, output paths and leftovers: a path that cannot be written fails before the work,
with a message; temp files of killed writers are cleaned, and only those."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from capped import ROOT

from cs_nn._util import files as cs_io
from cs_nn._util.checkpoint import save_checkpoint
from cs_nn.cli import main

pytest.importorskip("sklearn")  # cs-nn train's default dataset ships with scikit-learn


def test_train_out_that_is_a_file_fails_before_training(tmp_path, capsys):
    """Case 12: train --out FILE failed only after all the training, with a traceback."""
    (tmp_path / "out").write_text("mine")
    t0 = time.perf_counter()
    assert main(["train", "--epochs", "1", "--quiet", "--out", str(tmp_path / "out")]) == 1
    assert "--out" in capsys.readouterr().err and time.perf_counter() - t0 < 5
    assert (tmp_path / "out").read_text() == "mine"
    (tmp_path / "run" / "model.npz").mkdir(parents=True)
    assert main(["train", "--epochs", "1", "--quiet", "--out", str(tmp_path / "run")]) == 1
    assert "model.npz is a folder, not a file" in capsys.readouterr().err


def test_checkpoint_dir_that_is_a_file_is_refused_at_once(tmp_path):
    from test_solver import SoftmaxRegression, make_data

    from cs_nn.solver import Solver

    (tmp_path / "ck").write_text("mine")
    with pytest.raises(NotADirectoryError, match="checkpoint_dir .* is a file, not a folder"):
        Solver(SoftmaxRegression(4, 3), make_data(n_train=20), num_epochs=1,
               checkpoint_dir=tmp_path / "ck")
    assert (tmp_path / "ck").read_text() == "mine"


def test_missing_dataset_message_fits_the_cli(tmp_path, capsys):
    """Case 16: the CLI suggested download=True, which it could not pass."""
    assert main(["train", "--dataset", "mnist", "--data-root", str(tmp_path / "none"),
                 "--quiet", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "--download with `cs-nn train`" in err


KILLED_WRITER = r"""
import sys, time
from cs_nn._util.files import atomic_write_bytes

class Slow:
    def __init__(self):
        self.sent = 0
    def read(self, n=-1):
        if self.sent >= 4 << 20:
            time.sleep(600)  # killed here, mid-write
        self.sent += 1 << 20
        return b"\0" * (1 << 20)

atomic_write_bytes(sys.argv[1], Slow())
"""


def test_temp_files_of_a_killed_writer_are_removed_on_the_next_write(tmp_path):
    """Case 16: a kill during a checkpoint write left its (checkpoint-sized) .tmp behind."""
    target = tmp_path / "epoch_003.npz"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.time() + 60
    while time.time() < deadline:
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        if temps and temps[0].stat().st_size >= 4 << 20:
            break
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (stale,) = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert not target.exists()
    host = cs_io._HOST
    other_host = tmp_path / f".epoch_001.npz.{'0' * 8 if host != '0' * 8 else '1' * 8}-1.ab.tmp"
    live = tmp_path / f".epoch_002.npz.{host}-{os.getpid()}.cd.tmp"  # a live writer's
    unrelated = tmp_path / ".notes.tmp"
    for p in (other_host, live, unrelated):
        p.write_bytes(b"x")
    save_checkpoint(tmp_path / "epoch_001.npz", {"W": np.ones(3)})
    assert not stale.exists()
    assert other_host.exists() and live.exists() and unrelated.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "epoch_001.npz"]
