"""The learner tests of a release: which notebook's functions each test module checks, and
running them quietly with every outcome classified (passed, not implemented yet, failed).

A test counts as "not implemented" when every error it raised is a release stub's
``NotImplementedError`` (:func:`cs_nn.course.stubs.is_stub_error`).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cs_nn.course.stubs import is_stub_error, stubbed_names

PASSED, NOT_IMPLEMENTED, FAILED, SKIPPED = "passed", "not implemented", "failed", "skipped"
#: Where the pytest plugin (:mod:`cs_nn.course.pytest_results`) keeps the last outcomes.
RESULTS = Path(".cs_nn") / "test_results.json"


@dataclass(frozen=True)
class Outcome:
    test: str  # file::name
    file: str  # the test module, relative to the project root
    status: str  # PASSED / NOT_IMPLEMENTED / FAILED / SKIPPED
    message: str = ""
    stubs: tuple[str, ...] = ()  # the functions whose stubs it hit


def imported(source: str) -> tuple[set[str], set[str]]:
    """(names imported from cs_nn modules, cs_nn modules imported) by a module's source."""
    names, modules = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cs_nn"):
            modules.add(node.module)
            for alias in node.names:
                names.add(alias.name)
                modules.add(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            modules |= {a.name for a in node.names if a.name.startswith("cs_nn")}
    return names, modules


def map_tests(root: str | os.PathLike[str], tasks: Iterable[Mapping[str, str]]
              ) -> dict[str, str]:
    """test module (relative path) -> the notebook it belongs to: the last one (in course
    order) whose functions it uses, i.e. the one after which it can pass.

    ``tasks``: dicts with "name" (function or Class.method), "module" and "notebook"."""
    base = Path(root)
    tasks = list(tasks)
    out: dict[str, list[str]] = {}
    for path in sorted((base / "tests").glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        try:
            names, modules = imported(text)
        except SyntaxError:
            continue
        packages = {m for m in modules if m != "cs_nn"}
        nbs = []
        for t in tasks:
            head = t["name"].split(".")[0]
            if head in names or (any(t["module"] == m or t["module"].startswith(m + ".")
                                     for m in packages) and f".{head}" in text):
                nbs.append(t["notebook"])
        if nbs:
            out[path.relative_to(base).as_posix()] = max(nbs)
    return out


def _outcome(case: ET.Element) -> Outcome:
    file = (case.get("file") or case.get("classname", "").replace(".", "/") + ".py")
    name = f"{file}::{case.get('name', '')}"
    bad = [c for c in case if c.tag in ("failure", "error")]
    if any(c.tag == "skipped" for c in case) and not bad:
        return Outcome(name, file, SKIPPED, (case.find("skipped").get("message") or ""))
    if not bad:
        return Outcome(name, file, PASSED)
    texts = [f"{c.get('message') or ''}\n{c.text or ''}" for c in bad]
    message = (bad[0].get("message") or "").strip()
    if all(is_stub_error(t) for t in texts):
        names = tuple(dict.fromkeys(n for t in texts for n in stubbed_names(t)))
        return Outcome(name, file, NOT_IMPLEMENTED, message, names)
    return Outcome(name, file, FAILED, message)


def run_tests(root: str | os.PathLike[str], tests: Sequence[str], timeout: float = 1800,
              env: Mapping[str, str] | None = None) -> tuple[list[Outcome], str]:
    """Run pytest on ``tests`` (paths relative to ``root``), without the notebooks.

    Returns (one outcome per test, '' or the error when pytest itself could not run)."""
    base = Path(root).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:nbval",
               "-o", "addopts=", "-o", "junit_family=xunit1", "--tb=line",
               f"--junitxml={xml}", *tests]
        proc = subprocess.run(cmd, cwd=base, env=dict(env) if env is not None else None,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode not in (0, 1) or not xml.is_file():
            return [], (f"pytest exited with code {proc.returncode}: "
                        f"{(proc.stdout + proc.stderr)[-800:]}")
        return [_outcome(c) for c in ET.parse(xml).iter("testcase")], ""
