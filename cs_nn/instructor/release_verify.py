"""Proving a student release works: it builds, imports, holds no answer, and its tests fail
only on the stubs.

Everything runs in subprocesses with ``PYTHONPATH=<release>`` (so the release's ``cs_nn``
shadows any installed one) and the release as the working directory. Test outcomes are
read from pytest's JUnit XML (:mod:`cs_nn.course.learner_tests`): a failure counts as expected
when it is a stub's ``NotImplementedError("implement ... in cs_nn/...")``. The wheel is built
the way ``pip install`` builds it, in an isolated build environment (the build requirements
of pyproject.toml, fetched from the package index), so the check does not depend on what
happens to be installed beside the tool (e.g. ``wheel`` for old setuptools).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cs_nn.course.learner_tests import FAILED, NOT_IMPLEMENTED, PASSED, SKIPPED
from cs_nn.course.learner_tests import run_tests as run
from cs_nn.instructor.answer_scan import scan_release
from cs_nn.instructor.release import project_root

_IMPORT_ALL = """
import importlib, pkgutil, sys
import cs_nn
release = sys.argv[1]
if not cs_nn.__file__.startswith(release):
    sys.exit(f"imported cs_nn from {cs_nn.__file__}, not from the release {release}")
for m in pkgutil.walk_packages(cs_nn.__path__, "cs_nn."):
    importlib.import_module(m.name)
"""


@dataclass
class VerifyReport:
    import_error: str = ""
    answers_found: list[str] = field(default_factory=list)
    passed: int = 0
    not_implemented: int = 0
    skipped: int = 0
    other_failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        ran = self.passed + self.not_implemented
        return (not self.import_error and not self.other_failures and not self.answers_found
                and ran > 0)

    def summary(self) -> str:
        if self.import_error:
            return f"the release does not install or import: {self.import_error}"
        lines = [f"answer scan: {len(self.answers_found)} answers found in the release"]
        lines += [f"  found: {f}" for f in self.answers_found[:20]]
        lines += [f"{self.passed} passed, {self.not_implemented} failed with the stubs' "
                 f"NotImplementedError, {self.skipped} skipped, "
                 f"{len(self.other_failures)} failed otherwise"]
        lines += [f"  unexpected: {f}" for f in self.other_failures[:20]]
        return "\n".join(lines)


def release_env(release_dir: str | os.PathLike[str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(release_dir).resolve())
    env.pop("CS_NN_OUTPUT_DIR", None)
    env.pop("CS_NN_INPUT_DIR", None)
    return env


def check_import(release_dir: str | os.PathLike[str]) -> str:
    """'' when every cs_nn module of the release imports, else the error output."""
    root = str(Path(release_dir).resolve())
    proc = subprocess.run([sys.executable, "-c", _IMPORT_ALL, root], cwd=root,
                          env=release_env(root), capture_output=True, text=True, timeout=300)
    return "" if proc.returncode == 0 else (proc.stderr.strip() or proc.stdout.strip())


def check_install(release_dir: str | os.PathLike[str]) -> str:
    """'' when the release builds into a wheel holding the self-check data, else the error.

    It builds from a copy, so setuptools' build/ and egg-info never land in the release."""
    import zipfile

    root = Path(release_dir).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        shutil.copytree(root, source, ignore=shutil.ignore_patterns(
            ".git", "build", "*.egg-info", ".hypothesis", ".cs_nn", "__pycache__"))
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                               "-w", tmp, str(source)],
                              capture_output=True, text=True, timeout=600)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            return f"pip wheel failed: {proc.stderr[-800:]}"
        names = set(zipfile.ZipFile(wheels[0]).namelist())
    for needed in ("cs_nn/__init__.py", "cs_nn/course/selfcheck.json"):
        if needed not in names:
            return f"the wheel lacks {needed}"
    return ""


def run_tests(release_dir: str | os.PathLike[str], tests: Sequence[str],
              timeout: float = 1800) -> VerifyReport:
    """Run pytest on ``tests`` (paths relative to the release) and classify the outcomes."""
    root = Path(release_dir).resolve()
    report = VerifyReport()
    outcomes, error = run(root, tests, timeout, env=release_env(root))
    if error:
        report.other_failures.append(error)
    for o in outcomes:
        if o.status == PASSED:
            report.passed += 1
        elif o.status == NOT_IMPLEMENTED:
            report.not_implemented += 1
        elif o.status == SKIPPED:
            report.skipped += 1
        elif o.status == FAILED:
            report.other_failures.append(f"{o.test}: {o.message[:300]}")
    return report


def verify_release(release_dir: str | os.PathLike[str], tests: Sequence[str] = ("tests",),
                   reference: str | os.PathLike[str] | None = None) -> VerifyReport:
    """Build a wheel of the release, import its every module, scan it for answers (against
    the instructor project ``reference``, default: this one), then run ``tests`` on it."""
    error = check_install(release_dir) or check_import(release_dir)
    if error:
        return VerifyReport(import_error=error)
    report = run_tests(release_dir, tests)
    found = scan_release(release_dir, reference if reference is not None else project_root())
    report.answers_found = [str(f) for f in found]
    return report
