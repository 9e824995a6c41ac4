"""The scripted learner of the release verification: fills a release's stubs with plain code.

The code comes from ``tests/learner_solutions/*.txt`` (instructor-only: region bodies in a
learner's own words, each under a ``# REGION <module>.<function> [<n>]`` line) and, for every
other stub, from the reference's own region (plain code too, since the speed work lives in
cs_nn/_fast/). Planted bugs (``bugs.json``) are text replacements in one function's body.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cs_nn.course.stubs import STUB_RE
from cs_nn.instructor.regions import find_regions
from cs_nn.instructor.release import MARKER_FILE

SOLUTIONS = Path("tests") / "learner_solutions"
REGION_HEADER = re.compile(r"^# REGION (?P<function>[\w.]+)(?: (?P<index>\d+))?\s*$")


def _stub_raises(tree: ast.AST, function: str) -> list[ast.Raise]:
    """The stub statements of ``function`` (module.qualname) in a release module, in order."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            call = node.exc
            if (getattr(call.func, "id", "") == "NotImplementedError" and call.args
                    and isinstance(call.args[0], ast.Constant)):
                m = STUB_RE.search(str(call.args[0].value))
                if m and f"{m['file'].removesuffix('.py').replace('/', '.')}.{m['name']}" \
                        == function:
                    found.append(node)
    return sorted(found, key=lambda n: n.lineno)


def reference_regions(src_root: Path, stubs: Sequence[dict]) -> dict[tuple[str, int], str]:
    """(function, 1-based region index) -> the reference's region body, dedented."""
    by_file: dict[str, list[str]] = {}
    for s in stubs:  # RELEASE.json lists stubs in region order within each file
        by_file.setdefault(s["file"], []).append(s["function"])
    out: dict[tuple[str, int], str] = {}
    for rel, functions in by_file.items():
        lines = (src_root / rel).read_text(encoding="utf-8").splitlines(keepends=True)
        regions = find_regions(lines, rel)
        if len(regions) != len(functions):
            raise ValueError(f"{rel}: {len(regions)} regions in the source but {len(functions)} "
                             "stubs in the release: rebuild the release from this source")
        counts: dict[str, int] = {}
        for function, (begin, end) in zip(functions, regions, strict=True):
            counts[function] = counts.get(function, 0) + 1
            out[(function, counts[function])] = textwrap.dedent("".join(lines[begin:end - 1]))
    return out


def parse_solutions(text: str) -> dict[tuple[str, int], str]:
    """``# REGION <function> [<n>]`` sections of a solutions file -> their bodies."""
    out: dict[tuple[str, int], str] = {}
    key: tuple[str, int] | None = None
    for line in text.splitlines(keepends=True):
        m = REGION_HEADER.match(line)
        if m:
            key = (m["function"], int(m["index"] or 1))
            if key in out:
                raise ValueError(f"two solutions for {key}")
            out[key] = ""
        elif key is not None:
            out[key] += line
        elif line.strip():
            raise ValueError(f"text before the first '# REGION' line: {line.strip()[:60]}")
    return out


def fill_source(text: str, bodies: dict[tuple[str, int], str], functions: Sequence[str]) -> str:
    """A release module's text with the stubs of ``functions`` replaced by ``bodies``."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    edits = []
    for function in dict.fromkeys(functions):
        for index, node in enumerate(_stub_raises(tree, function), start=1):
            if (function, index) not in bodies:
                raise KeyError(f"no solution for region {index} of {function}")
            indent = " " * node.col_offset
            body = textwrap.indent(bodies[(function, index)], indent, lambda s: bool(s.strip()))
            edits.append((node.lineno, node.end_lineno or node.lineno, body))
    for start, end, body in sorted(edits, reverse=True):
        lines[start - 1:end] = [body if body.endswith("\n") else body + "\n"]
    return "".join(lines)


@dataclass
class ScriptedLearner:
    """Fills a release's stubs: the learner's own words where given, else the reference's."""

    release: Path
    bodies: dict[tuple[str, int], str]
    stubs: list[dict]
    pristine: dict[str, str] = field(default_factory=dict)  # file -> stubbed text

    @classmethod
    def load(cls, release: Path, src_root: Path) -> ScriptedLearner:
        stubs = json.loads((release / MARKER_FILE).read_text())["stubs"]
        bodies = reference_regions(src_root, stubs)
        own = {}
        for path in sorted((src_root / SOLUTIONS).glob("*.txt")):
            own.update(parse_solutions(path.read_text(encoding="utf-8")))
        unknown = sorted(set(own) - set(bodies))
        if unknown:
            raise ValueError(f"learner solutions for regions the release does not stub: {unknown}")
        bodies.update(own)
        files = {s["file"] for s in stubs}
        return cls(release, bodies, stubs,
                   {f: (release / f).read_text(encoding="utf-8") for f in sorted(files)})

    def fill(self, bug: dict | None = None) -> None:
        """Write every stubbed file filled in, with ``bug`` (see bugs.json) planted if given."""
        bodies = dict(self.bodies)
        if bug is not None:
            keys = [k for k in bodies if k[0] == bug["function"] and bug["replace"] in bodies[k]]
            if not keys:
                raise ValueError(f"planted bug {bug['why']!r}: {bug['replace']!r} is not in the "
                                 f"solution of {bug['function']}")
            bodies[keys[0]] = bodies[keys[0]].replace(bug["replace"], bug["with"], 1)
        for rel, text in self.pristine.items():
            functions = [s["function"] for s in self.stubs if s["file"] == rel]
            (self.release / rel).write_text(fill_source(text, bodies, functions), encoding="utf-8")

    def restore(self) -> None:
        for rel, text in self.pristine.items():
            (self.release / rel).write_text(text, encoding="utf-8")
