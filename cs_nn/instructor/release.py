"""The student release: the project with every solution region replaced by a stub.

Each module's regions become ``NotImplementedError`` stubs (:mod:`cs_nn.instructor.stubbing`).
Notebooks lose their outputs and answers and open with a "your task" cell, the Colab/Drive
setup cell and autoreload (:mod:`cs_nn.instructor.notebook_release`); the README is the
student README (:mod:`cs_nn.instructor.student_readme`); ``output_files/`` is empty; the
self-check data and the learner tests' expected values are regenerated from the reference.
Only the project files listed in ``INCLUDE`` are copied, less ``HOLD_BACK`` and every test
module marked ``INSTRUCTOR_ONLY = True`` (with the test helpers only they import)
(:mod:`cs_nn.instructor.release_files`): no answer key, benchmarks, .git, CI or release-tool
tests. The answer key (written answers and rubrics) is written outside the release.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path

import nbformat

import cs_nn
from cs_nn import __version__
from cs_nn._util.files import atomic_write_text
from cs_nn.course import selfcheck
from cs_nn.course.learner_tests import map_tests
from cs_nn.course.repo import PLACEHOLDER_URL, validate_repo_url
from cs_nn.instructor.answer_scan import scan_release
from cs_nn.instructor.answers import answer_key_markdown
from cs_nn.instructor.learner_expected import EXPECTED_NAME, LEARNER_TESTS, write_expected
from cs_nn.instructor.notebook_release import release_notebook
from cs_nn.instructor.regions import ReleaseError
from cs_nn.instructor.release_files import copy_project, held_back
from cs_nn.instructor.stubbing import Stub, strip_source
from cs_nn.instructor.student_readme import graded_files_by_notebook, render
from cs_nn.instructor.tasks import build_tasks, tasks_by_notebook

__all__ = ["ReleaseError", "build_release"]

MARKER_FILE = "RELEASE.json"


def init_git(out_dir: str | os.PathLike[str], branch: str = "main") -> str:
    """Make the release folder a git repository with one commit of everything in it, ready
    for ``git push <repo-url> main``. Returns the commit id."""
    def git(*args: str) -> str:
        proc = subprocess.run(["git", "-c", "user.name=cs_nn release",
                               "-c", "user.email=release@cs-nn.invalid", *args], cwd=out_dir,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise ReleaseError(f"git {args[0]} failed in {out_dir}: {proc.stderr.strip()}")
        return proc.stdout.strip()

    if (Path(out_dir) / ".git").exists():
        raise ReleaseError(f"{out_dir} is already a git repository")
    git("init", "--quiet", "--initial-branch", branch)
    git("add", "--all")
    git("commit", "--quiet", "-m", "Student release")
    return git("rev-parse", "HEAD")


def project_root() -> Path:
    return Path(cs_nn.__file__).resolve().parent.parent


def default_answer_key(out_dir: str | os.PathLike[str]) -> Path:
    """Where the answer key goes by default: beside the release folder, never inside it."""
    out = Path(out_dir).resolve()
    return out.with_name(f"{out.name}-answer-key.md")


def _strip_package(root: Path, sections: Mapping[tuple[str, str], str] | None) -> list[Stub]:
    stubs: list[Stub] = []
    for path in sorted((root / "cs_nn").rglob("*.py")):
        rel = path.relative_to(root / "cs_nn").as_posix()
        mine = {name: sec for (file, name), sec in (sections or {}).items()
                if file == f"cs_nn/{rel}"}
        text, found = strip_source(path.read_text(encoding="utf-8"), rel, mine)
        if found:
            if sections is not None:
                path.write_text(text, encoding="utf-8")
            stubs += found
    return stubs


def _release_notebooks(root: Path, tasks: list, repo_url: str) -> list:


    by_nb, graded = tasks_by_notebook(tasks), graded_files_by_notebook()
    tests = map_tests(root, [{"name": t.name, "module": t.module, "notebook": t.notebook}
                             for t in tasks])
    answers = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        mine = [f for f, nb in tests.items() if nb == path.stem]
        answers += release_notebook(nb, path.stem, by_nb.get(path.stem, []),
                                    graded.get(path.stem, []), mine, repo_url)
        atomic_write_text(path, nbformat.writes(nb))
    return answers


def build_release(out_dir: str | os.PathLike[str], src_root: str | os.PathLike[str] | None = None,
                  force: bool = False, repo_url: str | None = None,
                  answer_key: str | os.PathLike[str] | None = None) -> list[Stub]:
    """Build the student release of the project at ``src_root`` into ``out_dir``.

    ``repo_url`` is where the release will be published on GitHub (every badge and setup cell
    points there; default: an obvious placeholder, with a warning). The answer key goes to
    ``answer_key`` (default: ``<out_dir>-answer-key.md`` beside the release). The self-check
    data is computed with the reference package that is running this code, from
    ``src_root/input_files``. ``force`` replaces an existing release (only a folder that
    holds RELEASE.json is ever deleted). Returns the stubs written.
    """

    src = Path(src_root).resolve() if src_root is not None else project_root()
    out = Path(out_dir).resolve()
    key_path = Path(answer_key).resolve() if answer_key else default_answer_key(out)
    if repo_url is None:
        warnings.warn(f"no --repo-url given: the release's Colab badges and setup cells point "
                      f"at the placeholder {PLACEHOLDER_URL}; rebuild with the URL you will "
                      "publish it at", UserWarning, stacklevel=2)
        repo_url = PLACEHOLDER_URL
    repo_url = validate_repo_url(repo_url)
    if not (src / "cs_nn").is_dir() or not (src / "pyproject.toml").is_file():
        raise ReleaseError(f"{src} is not the cs_nn project (no cs_nn/ or pyproject.toml)")
    if out == src or src in out.parents:
        raise ReleaseError(f"the release folder {out} must be outside the project {src}")
    if key_path == out or out in key_path.parents:
        raise ReleaseError(f"the answer key {key_path} must be outside the release {out}")
    if out in src.parents:
        raise ReleaseError(f"the release folder {out} contains the project {src}; choose a "
                           "folder outside it (replacing it would delete the project)")
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"{out} is a file, not a folder; choose a new folder for the release")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise ReleaseError(f"{out} is not empty; pass --force to replace a previous release "
                               f"(only a folder holding {MARKER_FILE} is replaced)")
        _check_replaceable(out)
    if out.parent.exists() and not out.parent.is_dir():
        raise ReleaseError(f"{out.parent} is a file, not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        held = held_back(src)
        copy_project(src, tmp, set(held))
        found = _strip_package(tmp, None)
        tasks = build_tasks([(s.file, s.function, s.notebook) for s in found], src / "notebooks")
        sections = {(t.file, t.name): t.section.label for t in tasks if t.section}
        stubs = _strip_package(tmp, sections)
        answers = _release_notebooks(tmp, tasks, repo_url)
        notebooks = sorted(p.stem for p in (tmp / "notebooks").glob("*.ipynb"))
        atomic_write_text(tmp / "README.md", render(notebooks, tasks, repo_url, __version__))
        shutil.rmtree(tmp / "output_files", ignore_errors=True)
        (tmp / "output_files").mkdir()
        (tmp / "output_files" / ".gitkeep").touch()
        data = selfcheck.make_data(src / "input_files")
        atomic_write_text(tmp / "cs_nn" / "course" / "selfcheck.json", selfcheck.data_text(data))
        if (src / LEARNER_TESTS).is_dir():  # the learner tests' expected values, baked now
            write_expected(tmp / LEARNER_TESTS / EXPECTED_NAME, src / LEARNER_TESTS)
        leaks = scan_release(tmp, src)
        if leaks:
            raise ReleaseError("answers survived the release: "
                               + "; ".join(str(f) for f in leaks[:5]))
        written = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*")
                         if p.is_file() or p.is_symlink())
        info = {"package_version": __version__, "repo_url": repo_url,
                "tasks": [{"name": t.name, "module": t.module, "file": t.file,
                           "notebook": t.notebook,
                           "section": t.section.heading if t.section else ""} for t in tasks],
                "held_back": held, "stubs": [s.__dict__ for s in stubs],
                "files": [*written, MARKER_FILE]}
        atomic_write_text(tmp / MARKER_FILE, json.dumps(info, indent=1) + "\n")
        atomic_write_text(key_path, answer_key_markdown(answers, __version__))
        old = None
        if out.exists():
            _check_replaceable(out)  # again: nothing may have appeared while we built
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / out.name)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return stubs


def _check_replaceable(out: Path) -> None:
    """Refuse unless every file under ``out`` is one a previous release wrote (listed in its
    RELEASE.json): ``--force`` replaces our own release, never anything else."""
    marker = out / MARKER_FILE
    why = (f"{out} is not a release this command wrote, so --force will not delete it; "
           "choose another folder or remove it yourself")
    if marker.is_symlink() or not marker.is_file():
        raise ReleaseError(f"{why} (it holds no {MARKER_FILE})")
    if marker.stat().st_size > 4 * 1024 * 1024:
        raise ReleaseError(f"{why} ({MARKER_FILE} is implausibly large)")
    try:
        listed = json.loads(marker.read_text(encoding="utf-8")).get("files")
    except (ValueError, UnicodeDecodeError, AttributeError):
        listed = None
    if not isinstance(listed, list) or not all(isinstance(f, str) for f in listed):
        raise ReleaseError(f"{why} ({MARKER_FILE} does not list the files it wrote)")
    foreign = []
    for root, dirs, files in os.walk(out, followlinks=False):
        for name in dirs + files:
            path = Path(root) / name
            rel = path.relative_to(out).as_posix()
            if path.is_symlink() or (name in files and rel not in listed):
                foreign.append(rel)
    if foreign:
        raise ReleaseError(f"{why}: {len(foreign)} file(s) it did not write, e.g. "
                           f"{', '.join(sorted(foreign)[:5])}")
