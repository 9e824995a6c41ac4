"""Proving the learner's path through a built release, as CI does (``cs-nn release --verify``).

1. **Untouched** (every stub in place): the learner tests end with the "not implemented"
   summary and exit 0; running every notebook (errors allowed) and then ``cs-nn check`` and
   the instructor's grader on ``output_files/`` passes no graded file: a graded output that
   needs no learner code is a defect, named here.
2. **No vacuous test ships**: a scan of the release's tests for bare ``except``, ``except:
   pass``, constant asserts and unconditional skips / xfails.
3. **A scripted learner** fills every stub with plain code (tests/learner_solutions/, not
   shipped; else the reference's own region, which is plain since the speed work moved to
   cs_nn/_fast/); then every learner test, every notebook (nbval), ``cs-nn check`` (every
   file matches) and the grader (full marks) must pass.
4. **Planted bugs** (tests/learner_solutions/bugs.json), one at a time: the named learner
   test file must fail, with the expected message.

Subprocesses run the release with its own folder first on ``PYTHONPATH`` and as their working
directory (see :func:`cs_nn.instructor.release_verify.release_env`), or with the interpreter of
a fresh virtual environment into which the release was installed as its README says.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cs_nn.course.selfcheck import NOT_CHECKED, check_outputs, load_data
from cs_nn.instructor.grading.grade import build_key, grade_submission
from cs_nn.instructor.release import project_root
from cs_nn.instructor.release_verify import release_env
from cs_nn.instructor.scripted_learner import SOLUTIONS, ScriptedLearner
from cs_nn.instructor.vacuous import vacuous_tests

LEARNER_TESTS = "tests/learner"


# ------------------------------------------------------------------ running things
@dataclass
class Run:
    returncode: int
    output: str
    failures: dict[str, str] = field(default_factory=dict)  # test id -> failure text
    passed: int = 0
    seconds: float = 0.0


def run_pytest(python: str, release: Path, args: Sequence[str], env: dict[str, str],
               timeout: float) -> Run:
    """pytest in the release; failures read from JUnit XML."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        t0 = time.perf_counter()
        proc = subprocess.run([python, "-m", "pytest", "-p", "no:cacheprovider",
                               f"--junitxml={xml}", *args], cwd=release, env=env,
                              capture_output=True, text=True, timeout=timeout)
        run = Run(proc.returncode, proc.stdout + proc.stderr, seconds=time.perf_counter() - t0)
        if xml.is_file():
            for case in ET.parse(xml).iter("testcase"):
                name = f"{case.get('classname', '')}::{case.get('name', '')}"
                bad = [c for c in case if c.tag in ("failure", "error")]
                if bad:
                    run.failures[name] = f"{bad[0].get('message') or ''}\n{bad[0].text or ''}"
                elif not any(c.tag == "skipped" for c in case):
                    run.passed += 1
    return run


def run_notebooks(python: str, release: Path, env: dict[str, str], timeout: float) -> list[str]:
    """Execute every notebook of the release in place of a learner, errors allowed (nbclient);
    returns one line per notebook that could not run at all."""
    script = textwrap.dedent("""
        import sys, nbformat
        from pathlib import Path
        from nbclient import NotebookClient
        problems = []
        for path in sorted(Path("notebooks").glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(nb, timeout=%d, kernel_name="python3", allow_errors=True,
                                    resources={"metadata": {"path": str(path.parent)}})
            try:
                client.execute()
            except Exception as exc:
                problems.append(f"{path.name}: {type(exc).__name__}: {exc}"[:300])
        print("\\n".join(problems))
    """) % int(timeout)
    proc = subprocess.run([python, "-c", script], cwd=release, env=env, capture_output=True,
                          text=True, timeout=timeout * 20)
    if proc.returncode != 0:
        return [f"running the notebooks failed: {proc.stderr[-600:]}"]
    return [line for line in proc.stdout.splitlines() if line.strip()]


def graded_status(python: str, release: Path, env: dict[str, str], src_root: Path
                  ) -> tuple[list[str], int, float, float, str]:
    """(files the release's self-check finds matching, files it can confirm offline, grader
    points, max points, the output of ``cs-nn check`` run in the release as a learner runs it).

    Single-number answers are never confirmed offline (``selfcheck.NOT_CHECKED``: that would
    reveal them); they are left out of the files counted here, and the grader checks them."""

    proc = subprocess.run([python, "-m", "cs_nn.cli", "check"], cwd=release, env=env,
                          capture_output=True, text=True, timeout=600)
    results = check_outputs(release / "output_files", release / "input_files", None,
                            load_data(release / "cs_nn" / "course" / "selfcheck.json"))
    checkable = [r for r in results if r.status != NOT_CHECKED]
    ok_files = [r.file for r in checkable if r.status == "ok"]
    if (proc.returncode == 0) != (len(ok_files) == len(checkable)):
        ok_files.append(f"(cs-nn check exited {proc.returncode}: {proc.stderr[-300:]})")
    key = build_key(src_root / "input_files")
    result = grade_submission(release / "output_files", key)
    return ok_files, len(checkable), result.total, result.max_total, proc.stdout[-3000:]


def _snapshot(release: Path) -> set[Path]:
    return {p for d in ("output_files", "notebooks") for p in (release / d).rglob("*")}


def _remove_new(release: Path, before: set[Path]) -> None:
    """Delete what the verification's notebook runs wrote (only files that were not there)."""
    for path in sorted(_snapshot(release) - before, key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


# ------------------------------------------------------------------ the whole path
@dataclass
class LearnerPathReport:
    defects: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    untouched_summary: str = ""
    solved_summary: str = ""
    bug_messages: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.defects

    def summary(self) -> str:
        lines = ["learner path: " + ("ok" if self.ok else f"{len(self.defects)} defect(s)")]
        lines += [f"  DEFECT: {d}" for d in self.defects]
        lines += [f"  {n}" for n in self.notes]
        lines.append("  time: " + ", ".join(f"{k} {v:.0f} s" for k, v in self.seconds.items()))
        return "\n".join(lines)


def _summary_block(output: str) -> str:
    """The learner tests' "what is left" section and final line."""
    start = output.find("what is left")
    return output[output.rfind("\n", 0, start) + 1:].strip() if start != -1 else output[-1500:]


def fresh_venv_python(release: Path, where: Path, extra: Sequence[str] = ()) -> str:
    """A new virtual environment with the release installed as its README says (plus the
    ``extra`` requirements the README adds, e.g. PyTorch for the PyTorch notebooks); its
    python."""
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / ("Scripts" if os.name == "nt" else "bin") / "python")
    for cmd in (["-m", "pip", "install", "-q", "--upgrade", "pip"],
                ["-m", "pip", "install", "-q", "-e", f"{release}[dev,torch]", *extra],
                ["-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"]):
        proc = subprocess.run([python, *cmd], capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed in the fresh venv: {proc.stderr[-800:]}")
    return python


def verify_learner_path(release_dir: str | os.PathLike[str],
                        src_root: str | os.PathLike[str] | None = None,
                        python: str | None = None, notebooks: bool = True,
                        log: Callable[[str], None] = print) -> LearnerPathReport:
    """Run steps 1-4 of the module docstring on a built release (modified in place, then
    restored to its stubs). ``python``: the interpreter to run the release with (default:
    this one, with the release first on PYTHONPATH); ``notebooks=False`` skips the notebook
    runs (the slowest part)."""

    release = Path(release_dir).resolve()
    src = Path(src_root).resolve() if src_root is not None else project_root()
    python = python or sys.executable
    env = release_env(release)
    env.setdefault("MPLBACKEND", "Agg")
    # notebooks run in this interpreter's kernel, never a user-level "python3" kernelspec
    jupyter_home = tempfile.mkdtemp(prefix="cs_nn_jupyter_")
    env["JUPYTER_DATA_DIR"] = jupyter_home
    report = LearnerPathReport()
    clock = time.perf_counter
    before = _snapshot(release)

    def step(name: str, t0: float) -> None:
        report.seconds[name] = clock() - t0
        log(f"[learner path] {name}: {report.seconds[name]:.0f} s")

    # 1. untouched
    t0 = clock()
    run = run_pytest(python, release, [LEARNER_TESTS, "-q"], env, timeout=900)
    report.untouched_summary = _summary_block(run.output)
    if run.returncode != 0 or "implemented 0 of" not in run.output:
        report.defects.append(f"untouched release: the learner tests exit {run.returncode} "
                              f"without the 'implemented 0 of n' summary:\n{run.output[-1500:]}")
    step("learner tests, untouched", t0)
    if notebooks:
        t0 = clock()
        report.defects += [f"untouched notebook: {p}" for p in
                           run_notebooks(python, release, env, timeout=600)]
        step("notebooks, untouched", t0)
    t0 = clock()
    ok_files, _, points, max_points, _ = graded_status(python, release, env, src)
    if ok_files:
        report.defects.append(f"graded files pass without learner code: {ok_files}")
    if points:
        report.defects.append(f"the grader gives {points:g} of {max_points:g} points to the "
                              "untouched release")
    report.notes.append(f"untouched release: cs-nn check {len(ok_files)} files ok; grade "
                        f"{points:g} / {max_points:g}")
    _remove_new(release, before)
    step("check and grade, untouched", t0)

    # 2. vacuous tests
    report.defects += [f"vacuous test: {p}" for p in vacuous_tests(release)]

    # 3. the scripted learner
    learner = ScriptedLearner.load(release, src)
    try:
        learner.fill()
        t0 = clock()
        run = run_pytest(python, release, [LEARNER_TESTS, "-q"], env, timeout=900)
        report.solved_summary = _summary_block(run.output)
        if run.returncode != 0 or run.failures or "every function is written" not in run.output:
            report.defects.append(f"plain learner solution: learner tests fail: "
                                  f"{sorted(run.failures)[:10]}\n{run.output[-2000:]}")
        step("learner tests, solved", t0)
        if notebooks:
            t0 = clock()
            nb_env = dict(env, CS_NN_NOTEBOOK_OUTPUT_DIR=str(release / "output_files"))
            nb = run_pytest(python, release, ["notebooks", "-q"], nb_env, timeout=3600)
            if nb.returncode != 0:
                report.defects.append(f"plain learner solution: notebooks fail under nbval: "
                                      f"{sorted(nb.failures)[:10]}\n{nb.output[-1500:]}")
            step("notebooks (nbval), solved", t0)
            t0 = clock()
            ok_files, n_files, points, max_points, check_out = graded_status(python, release,
                                                                             env, src)
            if points != max_points:
                report.defects.append(f"plain learner solution: the grader gives {points:g} of "
                                      f"{max_points:g} points")
            if len(ok_files) != n_files:
                report.defects.append(f"plain learner solution: cs-nn check matches "
                                      f"{len(ok_files)} of {n_files} files:\n{check_out}")
            report.notes.append(f"solved release: cs-nn check {len(ok_files)} files ok; grade "
                                f"{points:g} / {max_points:g}")
            step("check and grade, solved", t0)

        # 4. planted bugs
        t0 = clock()
        bugs = json.loads((src / SOLUTIONS / "bugs.json").read_text())
        for bug in bugs:
            learner.fill(bug)
            run = run_pytest(python, release, [bug["test"], "-q"], env, timeout=600)
            caught = [t for t, text in run.failures.items() if bug["message"] in text]
            if run.returncode != 1 or not caught:
                report.defects.append(f"planted bug not caught ({bug['why']}): no failure of "
                                      f"{bug['test']} says {bug['message']!r}")
            else:
                text = run.failures[caught[0]]
                report.bug_messages[bug["why"]] = text.split("\n")[0][:400]
        step("planted bugs", t0)
    finally:
        learner.restore()
        _remove_new(release, before)
        shutil.rmtree(jupyter_home, ignore_errors=True)
    return report


def verify_learner(release_dir: str | os.PathLike[str],
                   src_root: str | os.PathLike[str] | None = None, fresh_venv: bool = True,
                   notebooks: bool = True, extra: Sequence[str] = ()) -> LearnerPathReport:
    """:func:`verify_learner_path`, by default in a fresh venv with the release installed
    (and the ``extra`` requirements)."""
    if not fresh_venv:
        return verify_learner_path(release_dir, src_root, notebooks=notebooks)
    with tempfile.TemporaryDirectory(prefix="cs_nn_learner_venv_") as tmp:
        t0 = time.perf_counter()
        python = fresh_venv_python(Path(release_dir).resolve(), Path(tmp), extra)
        seconds = time.perf_counter() - t0
        print(f"[learner path] fresh venv with the release installed: {seconds:.0f} s")
        report = verify_learner_path(release_dir, src_root, python=python, notebooks=notebooks)
        report.seconds = {"fresh venv": seconds, **report.seconds}
        return report
