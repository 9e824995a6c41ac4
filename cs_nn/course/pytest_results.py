"""A pytest plugin (loaded by the project's conftest.py) that remembers the outcome of every
test of the last run in ``.cs_nn/test_results.json``, so ``cs-nn status`` can report the
learner tests without running them again. Outcomes are classified as in
:mod:`cs_nn.course.learner_tests` (a stub's NotImplementedError is "not implemented")."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cs_nn._util.files import atomic_write_text
from cs_nn.course.learner_tests import FAILED, NOT_IMPLEMENTED, PASSED, RESULTS, SKIPPED
from cs_nn.course.stubs import is_stub_error, stubbed_names

_results: dict[str, dict] = {}


def pytest_configure(config: pytest.Config) -> None:
    _results.clear()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    results = _results
    if ".ipynb" in report.nodeid:
        return
    if report.failed:
        text = str(report.longrepr)
        if is_stub_error(text):
            results[report.nodeid] = {"status": NOT_IMPLEMENTED,
                                      "message": ", ".join(stubbed_names(text))}
        else:
            results[report.nodeid] = {"status": FAILED,
                                      "message": text.splitlines()[-1][:300] if text else ""}
    elif report.when == "call" or (report.skipped and report.nodeid not in results):
        results.setdefault(report.nodeid, {"status": SKIPPED if report.skipped else PASSED})


def pytest_sessionfinish(session: pytest.Session) -> None:
    results = dict(_results)
    if not results:
        return
    path = Path(session.config.rootpath) / RESULTS
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("tests", {})
    except (OSError, ValueError, AttributeError):
        old = {}
    data = {"finished": time.strftime("%Y-%m-%d %H:%M:%S"), "tests": {**old, **results}}
    path.parent.mkdir(exist_ok=True)
    atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
