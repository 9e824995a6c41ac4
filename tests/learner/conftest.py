"""The learner tests' pytest plugin: stubs are "not implemented yet", not failures; a summary.

Run ``python -m pytest tests/learner`` (add ``-x`` to stop at the first real failure).

- A test that fails only because a function is still the release's stub (its
  ``NotImplementedError("<module>.<function>: implement this ...")``) is reported as
  ``NOT IMPLEMENTED`` (letter N), with the one line "not implemented yet: <function>
  (notebook NN)" instead of a traceback.
- Every other failure is a real failure of your code, reported in full with a message that
  says what differs (shape, scale, lost state, ...).
- The run ends with a summary: every function still to write, "implemented k of n
  functions", and the next one to do (in notebook order).
- Exit status: 0 when the only failures are stubs (nothing you wrote is wrong yet), 1 when
  any test really fails. So a fresh release exits 0 with "implemented 0 of n".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from learner_support import EXPECTED, load_expected

from cs_nn.course.stubs import STUB_RE, stubs_in_source

ROOT = Path(__file__).resolve().parents[2]
RELEASE_INFO = ROOT / "RELEASE.json"


@dataclass(frozen=True)
class Todo:
    function: str  # module.qualname
    file: str  # relative to the release root
    notebook: str


def stub_function(exc: BaseException) -> str | None:
    """The function (module.qualname) named by a release stub's NotImplementedError, else None
    (the stub message's format lives in cs_nn.course.stubs)."""
    if not isinstance(exc, NotImplementedError):
        return None
    m = STUB_RE.search(str(exc))
    if m is None:
        return None
    return f"{m['file'].removesuffix('.py').replace('/', '.')}.{m['name']}"


def release_todos() -> list[Todo]:
    """The release's stubbed functions (RELEASE.json), in notebook order, one per function."""
    if not RELEASE_INFO.is_file():
        return []
    seen: dict[str, Todo] = {}
    for s in json.loads(RELEASE_INFO.read_text())["stubs"]:
        seen.setdefault(s["function"], Todo(s["function"], s["file"], s["notebook"]))
    return sorted(seen.values(), key=lambda t: (t.notebook, t.file))


def still_stubbed(todo: Todo) -> bool:
    """Whether the function's body still raises its stub's NotImplementedError."""
    try:
        sites = stubs_in_source((ROOT / todo.file).read_text(encoding="utf-8"), todo.file)
    except (OSError, SyntaxError):
        return False  # a file that does not parse fails its tests loudly instead
    return any(todo.function == f"{todo.file.removesuffix('.py').replace('/', '.')}.{site.name}"
               for site in sites)


class LearnerReport:
    def __init__(self) -> None:
        self.stubs: dict[str, int] = {}  # function -> number of tests it stopped
        self.failed = 0
        self.ran = 0  # learner tests that reported (others in the same run are not counted)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if report.failed and call.excinfo is not None and _is_learner_test(item.nodeid):
            function = stub_function(call.excinfo.value)
            if function is not None:
                report.stub_function = function
                report.longrepr = (f"not implemented yet: {function}{_where(function)}\n"
                                   f"(NotImplementedError: {call.excinfo.value})")
                report.user_properties.append(("not_implemented", function))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not _is_learner_test(report.nodeid):
            return
        self.ran += report.when == "call"
        if not report.failed:
            return
        function = getattr(report, "stub_function", None)
        if function is None:
            self.failed += 1
        else:
            self.stubs[function] = self.stubs.get(function, 0) + 1

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config):
        if getattr(report, "stub_function", None) is not None:
            return "not implemented", "N", ("NOT IMPLEMENTED", {"yellow": True})
        return None

    def pytest_terminal_summary(self, terminalreporter) -> None:
        tr = terminalreporter
        if not self.ran and not self.stubs and not self.failed:
            return  # no learner test ran in this session
        tr.section("what is left")
        todos = release_todos()
        if todos:
            left = [t for t in todos if still_stubbed(t) or t.function in self.stubs]
        else:  # the instructor's repository: only what the tests ran into
            left = [Todo(f, "", "") for f in sorted(self.stubs)]
        groups: dict[str, list[Todo]] = {}
        for todo in left:  # one line per notebook: the functions and files still to write
            groups.setdefault(todo.notebook, []).append(todo)
        for notebook, items in groups.items():
            names = ", ".join(_short_name(t) for t in items)
            files = ", ".join(dict.fromkeys(t.file for t in items if t.file))
            where = f" (notebook {notebook}: {files})" if notebook else ""
            tr.write_line(f"not implemented yet: {names}{where}")
        total = len(todos) or len({c.function for c in _cases()})
        done = total - len(left)
        line = f"implemented {done} of {total} functions"
        if left:
            nxt = left[0]
            line += f"; next: {_short_name(nxt)}{_where(nxt.function)}"
        else:
            line += "; every function is written"
        tr.write_line(line, bold=True)
        if self.failed:
            tr.write_line(f"{self.failed} test(s) FAILED on code you wrote: read their messages "
                          "above (FAILURES), fix, and run the tests again", red=True, bold=True)
        elif left:
            tr.write_line("no test failed on code you wrote (exit status 0); the stubs above "
                          "are still to do", green=True)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus == pytest.ExitCode.TESTS_FAILED and self.failed == 0 and self.stubs:
            session.exitstatus = pytest.ExitCode.OK


def _is_learner_test(nodeid: str) -> bool:
    return nodeid.replace("\\", "/").startswith("tests/learner/")


def _short_name(todo: Todo) -> str:
    """The function's name inside its module: "linear_forward", "FullyConnectedNet.loss"."""
    module = todo.file.removesuffix(".py").replace("/", ".")
    return todo.function.removeprefix(module + ".") if todo.file else todo.function


def _where(function: str) -> str:
    for todo in release_todos():
        if todo.function == function:
            return f" (notebook {todo.notebook}, file {todo.file})"
    return ""


def _cases():
    from learner_cases import CASES
    return CASES


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("cs_nn_learner_report"):
        config.pluginmanager.register(LearnerReport(), "cs_nn_learner_report")


@pytest.fixture(autouse=True)
def _learner_code():
    """Run the learner-facing code itself: in the instructor's repository the reference also
    has a speed path (cs_nn/_fast/, absent from the release), which these tests leave out."""
    from cs_nn._util import speed as _speed

    with _speed.plain():
        yield


@pytest.fixture(scope="session")
def expected(tmp_path_factory: pytest.TempPathFactory):
    """{case name: stored inputs and expected outputs}. The release ships expected.json; in
    the instructor's repository (no such file) it is computed from the reference solution."""
    if EXPECTED.is_file() or RELEASE_INFO.is_file():
        return load_expected(EXPECTED)
    from cs_nn.instructor.learner_expected import write_expected

    path = tmp_path_factory.mktemp("learner") / "expected.json"
    write_expected(path, Path(__file__).resolve().parent)
    return load_expected(path)
