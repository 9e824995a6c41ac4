"""The Colab setup, with a stand-in ``google.colab`` module: Drive is "mounted" into a
temporary folder, a local bare git repository plays the course's GitHub repository, git runs
for real and pip commands are recorded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from cs_nn.course import colab

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid",
                    "-c", "init.defaultBranch=main", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture
def remote(tmp_path: Path) -> str:
    """A bare repository holding a tiny course (pyproject.toml, notebooks/, a module)."""
    work = tmp_path / "work"
    (work / "notebooks").mkdir(parents=True)
    (work / "pyproject.toml").write_text("[project]\nname = 'cs_nn'\nversion = '0'\n")
    (work / "notebooks" / "01.ipynb").write_text("{}")
    (work / "cs_nn").mkdir()
    (work / "cs_nn" / "graphs.py").write_text("# the learner edits this\n")
    _git("init", "-q", cwd=work)
    _git("add", "-A", cwd=work)
    _git("commit", "-qm", "course", cwd=work)
    _git("clone", "-q", "--bare", str(work), str(tmp_path / "remote.git"), cwd=tmp_path)
    return str(tmp_path / "remote.git")


@pytest.fixture
def fake_colab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """google.colab in sys.modules; drive.mount creates MyDrive; git runs, pip is recorded."""
    state: dict = {"mounts": [], "commands": [], "drive": str(tmp_path / "content" / "drive")}

    def mount(path: str) -> None:
        state["mounts"].append(path)
        Path(path, "MyDrive").mkdir(parents=True, exist_ok=True)

    def run(cmd: list[str]) -> None:
        state["commands"].append(cmd)
        if cmd[0] == "git":
            subprocess.run(cmd, check=True, capture_output=True)

    google = types.ModuleType("google")
    module = types.ModuleType("google.colab")
    module.drive = types.SimpleNamespace(mount=mount)
    google.colab = module
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", module)
    monkeypatch.setattr(colab, "_run", run)
    monkeypatch.setattr(colab, "_installed_from", lambda folder: False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(tmp_path)
    return state


def test_locally_it_does_nothing(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(colab.importlib.util, "find_spec", lambda name: None)
    calls = []
    monkeypatch.setattr(colab, "_run", calls.append)
    monkeypatch.chdir(tmp_path)
    assert colab.on_colab() is False
    assert colab.setup_colab("https://github.com/a/b") is None
    assert calls == [] and Path.cwd() == tmp_path


def test_clones_once_into_drive_installs_editable_and_works_there(fake_colab, remote, capsys):
    course = colab.setup_colab(remote, drive_root=fake_colab["drive"])
    assert course == Path(fake_colab["drive"], "MyDrive", "cs_nn")
    assert (course / "pyproject.toml").is_file() and (course / ".git").is_dir()
    assert fake_colab["mounts"] == [fake_colab["drive"]]
    git, pip = fake_colab["commands"]
    assert git[:2] == ["git", "clone"] and git[-2:] == [remote, str(course)]
    assert pip == [sys.executable, "-m", "pip", "install", "--quiet", "-e", str(course)]
    assert Path.cwd() == course / "notebooks" and sys.path[0] == str(course)
    line = capsys.readouterr().out.strip()
    assert "\n" not in line and "Google Drive" in line and "runtime resets" in line
    # the learner edits a file and writes an output; a new runtime finds both, no new clone
    (course / "cs_nn" / "graphs.py").write_text("def f1(): return 1\n")
    (course / "output_files").mkdir()
    (course / "output_files" / "graph_f1_out.csv").write_text("1\n")
    fake_colab["commands"].clear()
    again = colab.setup_colab(remote, drive_root=fake_colab["drive"])
    assert again == course and [c[0] for c in fake_colab["commands"]] == [sys.executable]
    assert (course / "cs_nn" / "graphs.py").read_text() == "def f1(): return 1\n"
    assert (course / "output_files" / "graph_f1_out.csv").is_file()
    assert "using your course folder" in capsys.readouterr().out


def test_already_installed_from_drive_skips_pip(fake_colab, remote, monkeypatch):
    monkeypatch.setattr(colab, "_installed_from", lambda folder: True)
    colab.setup_colab(remote, drive_root=fake_colab["drive"])
    assert [c[0] for c in fake_colab["commands"]] == ["git"]


def test_a_foreign_folder_is_never_overwritten(fake_colab, remote):
    folder = Path(fake_colab["drive"], "MyDrive", "cs_nn")
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(RuntimeError, match="holds no course"):
        colab.setup_colab(remote, drive_root=fake_colab["drive"])
    assert (folder / "notes.txt").read_text() == "mine" and fake_colab["commands"] == []


def test_the_notebook_cell_bootstraps_from_the_drive_clone(fake_colab, remote, monkeypatch):
    """The cell as the release writes it (paths moved into the temporary Drive): it clones
    with git before cs_nn is importable from Drive, then hands over to setup_colab."""
    drive = fake_colab["drive"]
    source = colab.setup_cell(remote).replace(colab.DRIVE, drive)
    seen = {}
    monkeypatch.setattr(colab, "DRIVE", drive)
    real = colab.setup_colab
    monkeypatch.setattr(colab, "setup_colab",
                        lambda url: seen.setdefault("course", real(url)))
    exec(compile(source, "setup-cell", "exec"), {"__name__": "__main__"})  # our own cell
    course = Path(drive, "MyDrive", "cs_nn")
    assert seen["course"] == course and (course / "notebooks").is_dir()
    assert sys.path[0] == str(course) and Path.cwd() == course / "notebooks"
    assert [c[0] for c in fake_colab["commands"]] == [sys.executable]  # cell cloned, lib pip
    assert os.path.isdir(course / ".git")


def test_the_cell_does_nothing_locally(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(colab.setup_cell("https://github.com/a/b"), "setup-cell", "exec"), ns)
    assert ns["REPO_URL"] == "https://github.com/a/b" and Path.cwd() == tmp_path
