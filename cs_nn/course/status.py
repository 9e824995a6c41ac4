"""A learner's progress (``cs-nn status``), computed from local files only.

Per notebook: which of its functions are still stubs (read from the source, not imported),
which of its learner tests pass (pytest, run quietly), and which of its graded files are
missing, malformed, mismatching or matching (the offline self-check); then the milestones
earned with the learner's own code and the next thing to do.

Milestones come from files the learner's runs leave behind: ``runs/*/summary.json`` of
``cs-nn train`` (test accuracy of a dataset and model), ``output_files/milestones.json``
(:func:`record_milestone`, for notebooks), and the notebooks completed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cs_nn._util.files import atomic_write_text
from cs_nn.course import paths
from cs_nn.course.learner_tests import (
    FAILED,
    NOT_IMPLEMENTED,
    PASSED,
    RESULTS,
    map_tests,
    run_tests,
)
from cs_nn.course.questions import all_questions
from cs_nn.course.selfcheck import check_outputs
from cs_nn.course.stubs import find_stubs

MARKER_FILE = "RELEASE.json"
MILESTONES_FILE = "milestones.json"
#: (dataset, model, test accuracy) -> the milestone earned by a `cs-nn train` run reaching it.
TRAINING_MILESTONES = (
    ("digits", "mlp", 0.95, "your MLP reaches 95% on the 8x8 digits"),
    ("mnist", "mlp", 0.97, "your MLP reaches 97% on MNIST"),
    ("fashion-mnist", "mlp", 0.88, "your MLP reaches 88% on Fashion-MNIST"),
    ("fashion-mnist", "convnet", 0.90, "your ConvNet reaches 90% on Fashion-MNIST"),
    ("cifar10", "mlp", 0.45, "your MLP reaches 45% on CIFAR-10"),
    ("cifar2", "convnet", 0.80, "your ConvNet tells airplanes from birds 80% of the time"),
)


@dataclass
class NotebookProgress:
    notebook: str
    todo: list[dict] = field(default_factory=list)  # tasks still stubs
    done: list[dict] = field(default_factory=list)
    tests: Counter = field(default_factory=Counter)  # status -> count
    failing: list[str] = field(default_factory=list)  # test ids failing otherwise
    files: dict[str, list[str]] = field(default_factory=dict)  # status -> files
    reasons: dict[str, str] = field(default_factory=dict)  # file -> why not ok

    @property
    def complete(self) -> bool:
        files_ok = set(self.files) <= {"ok"}
        return not self.todo and not self.failing and files_ok and bool(self.files)


@dataclass
class Progress:
    root: Path
    release: bool
    notebooks: list[NotebookProgress]
    milestones: list[str]
    tests_note: str = ""

    def next_step(self) -> str:
        for nb in self.notebooks:
            if nb.todo:
                t = nb.todo[0]
                where = f"notebook {t['notebook']}" + (f", section {t['section']}"
                                                       if t.get("section") else "")
                return f"implement {t['name']} in {t['file']} ({where})"
            if nb.failing:
                test = nb.failing[0]
                return f"fix what {test} reports: pytest {test.split('::')[0]}"
            bad = [f for s in ("malformed", "mismatch", "inputs-changed")
                   for f in nb.files.get(s, [])]
            if bad:
                return f"fix {bad[0]}: {nb.reasons.get(bad[0], '')} (notebook {nb.notebook})"
            if nb.files.get("missing"):
                return f"run notebook {nb.notebook} to the end: it writes {nb.files['missing'][0]}"
        return "everything is done: hand in with `cs-nn submit`"


def record_milestone(name: str, value: float, target: float, text: str,
                     output_dir: str | os.PathLike[str] | None = None) -> bool:
    """Record a result a notebook computed with the learner's code (e.g. a test accuracy);
    it is a milestone when ``value >= target``. Returns whether it is."""
    path = paths.output_dir(output_dir) / MILESTONES_FILE
    data = _read_json(path) or {}
    data[name] = {"value": float(value), "target": float(target), "text": text}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
    return value >= target


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def milestones(root: Path, notebooks: list[NotebookProgress],
               output_dir: Path) -> list[str]:
    """The milestones earned, from local files only."""
    earned = [f"notebook {nb.notebook} complete: every function written, its tests pass and "
              "its graded files match" for nb in notebooks if nb.complete]
    for summary in sorted((root / "runs").glob("*/summary.json")):
        data = _read_json(summary) or {}
        config, acc = data.get("config") or {}, (data.get("accuracies") or {}).get("test")
        for dataset, model, target, text in TRAINING_MILESTONES:
            if (config.get("dataset"), config.get("model")) == (dataset, model) and \
                    isinstance(acc, (int, float)) and acc >= target:
                earned.append(f"{text} ({100 * acc:.1f}%, {summary.parent.name})")
    for entry in ((_read_json(output_dir / MILESTONES_FILE) or {}).values()):
        try:
            if float(entry["value"]) >= float(entry["target"]):
                earned.append(f"{entry['text']} ({float(entry['value']):.4g})")
        except (KeyError, TypeError, ValueError):
            continue
    return list(dict.fromkeys(earned))


def project_progress(root: str | os.PathLike[str] | None = None, tests: bool = False,
                     files: bool = True, timeout: float = 600) -> Progress:
    """The learner's progress in the project at ``root`` (default: found from the cwd).

    ``tests``: run the learner tests now (slow); otherwise the results of the last pytest
    run are read from ``.cs_nn/test_results.json``."""
    base = Path(root) if root is not None else paths.project_dir()
    info = _read_json(base / MARKER_FILE)
    tasks = list((info or {}).get("tasks", []))
    order = list(dict.fromkeys([*(q.notebook for q in all_questions()),
                                *(t["notebook"] for t in tasks)]))
    progress = {nb: NotebookProgress(nb) for nb in sorted(order)}
    stubs = {(s.file, s.name) for s in find_stubs(base)}
    for t in tasks:
        mine = progress[t["notebook"]]
        (mine.todo if (t["file"], t["name"]) in stubs else mine.done).append(t)
    tests_note = ""
    owners = map_tests(base, tasks)
    if tests and owners:
        outcomes, error = run_tests(base, sorted(owners), timeout)
        found = [(o.test, o.file, o.status) for o in outcomes]
        tests_note = f"the tests could not run: {error}" if error else "tests: run just now"
    else:
        found, tests_note = _last_results(base)
    for test, file, status in found:
        nb = progress.get(owners.get(file, ""))
        if nb is not None:
            nb.tests[status] += 1
            if status == FAILED:
                nb.failing.append(test)
    if files:
        out_dir = paths.output_dir(None if root is None else base / "output_files")
        in_dir = paths.input_dir(None if root is None else base / "input_files")
        for r in check_outputs(out_dir, in_dir):
            nb = progress[r.notebook]
            nb.files.setdefault(r.status, []).append(r.file)
            if r.status != "ok":
                nb.reasons[r.file] = " — ".join(x for x in (r.reason, r.hint) if x)
    nbs = list(progress.values())
    out = paths.output_dir(None if root is None else base / "output_files")
    return Progress(base, info is not None, nbs, milestones(base, nbs, out), tests_note)


def _last_results(root: Path) -> tuple[list[tuple[str, str, str]], str]:
    """(test, file, status) of the last pytest run (``.cs_nn/test_results.json``) and a note."""
    data = _read_json(root / RESULTS)
    if not data or not isinstance(data.get("tests"), dict):
        return [], ("tests: not run yet: run `pytest tests` (or `cs-nn status --run-tests`) "
                    "and the table shows their results")
    found = [(t, t.split("::")[0], r.get("status", "")) for t, r in data["tests"].items()
             if isinstance(r, dict)]
    return found, (f"tests: as of your last pytest run ({data.get('finished', '?')}); "
                   "`cs-nn status --run-tests` runs them again")


def render(p: Progress) -> str:
    """The text ``cs-nn status`` prints."""
    lines = [] if p.release else [
        "(no RELEASE.json: this is the instructor's repository, with every function written)",
        ""]
    head = f"{'notebook':<32} {'functions':<10} {'tests':<22} graded files"
    lines += [head, "-" * len(head)]
    for nb in p.notebooks:
        n = len(nb.todo) + len(nb.done)
        funcs = f"{len(nb.done)}/{n}" if n else "-"
        t = nb.tests
        tests = (f"{t[PASSED]} pass, {t[NOT_IMPLEMENTED]} todo, {t[FAILED]} fail"
                 if sum(t.values()) else "-")
        total = sum(len(v) for v in nb.files.values())
        detail = ", ".join(f"{len(v)} {k}" for k, v in sorted(nb.files.items()) if k != "ok")
        files = f"{len(nb.files.get('ok', []))}/{total} match" + (f" ({detail})" if detail else "")
        lines.append(f"{nb.notebook:<32} {funcs:<10} {tests:<22} {files if total else '-'}")
    todo = [t for nb in p.notebooks for t in nb.todo]
    if todo:
        lines += ["", f"still to write ({len(todo)}):"]
        for nb in p.notebooks:
            if nb.todo:
                lines.append(f"  {nb.notebook}: " + ", ".join(t["name"] for t in nb.todo))
    failing = [f for nb in p.notebooks for f in nb.failing]
    if failing:
        lines += ["", f"failing tests ({len(failing)}):"] + [f"  {f}" for f in failing[:10]]
    if p.tests_note:
        lines += ["", p.tests_note]
    lines += ["", "milestones:"] + ([f"  * {m}" for m in p.milestones] or ["  (none yet)"])
    lines += ["", f"next: {p.next_step()}"]
    return "\n".join(lines)
