"""The answer scan: nothing in a built release gives an answer away.

It looks, in every text file of the release (notebook cells included), for

* solution code: a line of a reference solution region that the reference never writes
  outside one (nor shows in a notebook's teaching cells), or a surviving ``# BEGIN SOLUTION``
  / ``# END SOLUTION`` marker; comments, lines under ``MIN_CODE_LINE`` characters and bare
  loop headers are too generic to count;
* written answers: a line of a source notebook's ``answer``-tagged cell (lines long enough to
  be distinctive);
* instructor material: a test module marked ``INSTRUCTOR_ONLY = True`` (tests with reference
  implementations), an answer key.

CI runs it on the built release (``cs-nn release --verify``); the release builder refuses to
write a release that fails it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cs_nn.instructor.answers import ANSWER_TAG, RUBRIC_TAG, tags
from cs_nn.instructor.regions import BEGIN, END, solution_lines
from cs_nn.instructor.release_files import is_instructor_only

TEXT_SUFFIXES = {".py", ".ipynb", ".md", ".txt", ".cfg", ".toml", ".yml", ".yaml", ".json",
                 ".sh"}
#: A written answer's line is searched for only when it is at least this long.
MIN_ANSWER_LINE = 30
#: A solution line is searched for only when it is at least this long (and not a comment or a
#: bare ``for``/``while``/``else`` header: ``for i in range(n):`` gives nothing away).
MIN_CODE_LINE = 16
_GENERIC = re.compile(r"^(for\s.*\sin\s+range\(.*\)|while\s.*|else|try|finally):$")


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the release
    kind: str  # "solution code", "marker", "written answer", "instructor material"
    text: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.text[:120]}"


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
        except json.JSONDecodeError:
            return text.splitlines()
        text = "\n".join("".join(c.get("source", "")) for c in cells)
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def notebook_lines(notebook_dir: str | os.PathLike[str]) -> tuple[set[str], set[str]]:
    """(distinctive lines of every ``answer``-tagged cell, lines of every other cell) of the
    source notebooks."""
    import nbformat

    answers, given = set(), set()
    for path in sorted(Path(notebook_dir).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            lines = {ln.strip() for ln in cell.source.splitlines() if ln.strip()}
            if ANSWER_TAG in tags(cell) or RUBRIC_TAG in tags(cell):
                answers |= {ln for ln in lines if len(ln) >= MIN_ANSWER_LINE}
            else:
                given |= lines
    return answers, given - answers


def secret_lines(reference_dir: str | os.PathLike[str]) -> set[str]:
    """The solution lines whose presence in a release gives code away."""
    inside, outside = solution_lines(Path(reference_dir) / "cs_nn")
    _, given = notebook_lines(Path(reference_dir) / "notebooks")
    return {ln for ln in inside - outside - given
            if len(ln) >= MIN_CODE_LINE and not ln.startswith("#") and not _GENERIC.match(ln)}


def scan_release(release_dir: str | os.PathLike[str], reference_dir: str | os.PathLike[str],
                 extra_answers: Iterable[str] = ()) -> list[Finding]:
    """Every answer found in the release at ``release_dir`` (empty: clean).

    ``reference_dir`` is the instructor's project the release was built from."""
    release, reference = Path(release_dir), Path(reference_dir)
    secret = secret_lines(reference)
    answers = notebook_lines(reference / "notebooks")[0] | set(extra_answers)
    findings: list[Finding] = []
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        rel = path.relative_to(release).as_posix()
        if "answer_key" in path.name.lower() or "answer-key" in path.name.lower():
            findings.append(Finding(rel, "instructor material", "an answer key"))
            continue
        if path.suffix not in TEXT_SUFFIXES or path.stat().st_size > 5_000_000:
            continue
        if path.suffix == ".py" and rel.startswith("tests/") and is_instructor_only(path):
            findings.append(Finding(rel, "instructor material", "INSTRUCTOR_ONLY test module"))
        for line in dict.fromkeys(_lines(path)):
            if line in (BEGIN, END):
                findings.append(Finding(rel, "marker", line))
            elif line in secret:
                findings.append(Finding(rel, "solution code", line))
            elif line in answers:
                findings.append(Finding(rel, "written answer", line))
    return findings
