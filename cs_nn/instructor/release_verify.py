"""Proving a student release works: it imports, and its tests fail only on the stubs.

Everything runs in subprocesses with ``PYTHONPATH=<release>`` (so the release's ``cs_nn``
shadows any installed one) and the release as the working directory. Test outcomes are
read from pytest's JUnit XML: a failure counts as expected when it is the stubs'
``NotImplementedError("...: implement this ...")``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
    passed: int = 0
    not_implemented: int = 0
    skipped: int = 0
    other_failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        ran = self.passed + self.not_implemented
        return not self.import_error and not self.other_failures and ran > 0

    def summary(self) -> str:
        if self.import_error:
            return f"the release does not install or import: {self.import_error}"
        lines = [f"{self.passed} passed, {self.not_implemented} failed with the stubs' "
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
    """'' when the release builds into a wheel holding the self-check data, else the error."""
    import zipfile

    root = Path(release_dir).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                               "--no-build-isolation", "-w", tmp, str(root)],
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
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=line",
             f"--junitxml={xml}", *tests], cwd=root, env=release_env(root),
            capture_output=True, text=True, timeout=timeout)
        if proc.returncode not in (0, 1) or not xml.is_file():
            report.other_failures.append(f"pytest exited with code {proc.returncode}: "
                                         f"{(proc.stdout + proc.stderr)[-800:]}")
            return report
        tree = ET.parse(xml)
    for case in tree.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        bad = [c for c in case if c.tag in ("failure", "error")]
        if any(c.tag == "skipped" for c in case):
            report.skipped += 1
        elif not bad:
            report.passed += 1
        elif all(_is_stub_error(c) for c in bad):
            report.not_implemented += 1
        else:
            report.other_failures.append(f"{name}: {(bad[0].get('message') or '')[:300]}")
    return report


def _is_stub_error(element: ET.Element) -> bool:
    text = f"{element.get('message') or ''}\n{element.text or ''}"
    return "NotImplementedError" in text and "implement this" in text


def verify_release(release_dir: str | os.PathLike[str], tests: Sequence[str] = ("tests",)
                   ) -> VerifyReport:
    """Build a wheel of the release, import its every module, then run ``tests`` on it."""
    error = check_install(release_dir) or check_import(release_dir)
    if error:
        return VerifyReport(import_error=error)
    return run_tests(release_dir, tests)
