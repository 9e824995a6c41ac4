"""Solution regions become stubs: the source text of a cs_nn module as the release ships it.

A region is the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` (each alone on its line)
inside a function. :func:`strip_source` keeps the function's signature, docstring and
validation and puts, at the region's indentation, ``raise NotImplementedError("implement
<function> in <file> (notebook <notebook>, section <n>)")`` (:mod:`cs_nn.course.stubs`), the
notebook being the module's own ``NOTEBOOK`` constant (so a new teaching module needs no edit
here) and the section the one of that notebook that first uses the function.
:func:`leaked_lines` finds solution lines that survive in a built release.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cs_nn.course.stubs import stub_message
from cs_nn.instructor.regions import BEGIN, END, ReleaseError, find_regions, solution_lines

UNKNOWN_NOTEBOOK = "the course notebooks"


@dataclass(frozen=True)
class Stub:
    file: str  # relative to the project root, POSIX
    function: str  # module.qualname
    line: int  # the BEGIN marker's line in the reference source
    notebook: str


def declared_notebooks(source: str) -> tuple[str | None, dict[str, str]]:
    """The module-level ``NOTEBOOK = "..."`` of a cs_nn module's source (None if absent) and its
    optional ``NOTEBOOK_BY_PREFIX = {function name prefix: notebook}``, read without importing."""
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in ("NOTEBOOK", "NOTEBOOK_BY_PREFIX"):
            found[node.targets[0].id] = ast.literal_eval(node.value)
    return found.get("NOTEBOOK"), dict(found.get("NOTEBOOK_BY_PREFIX", {}))


def notebook_for(source: str, qualname: str) -> str:
    """The notebook that teaches ``qualname`` of the cs_nn module whose text is ``source``."""
    default, by_prefix = declared_notebooks(source)
    name = qualname.split(".")[-1]
    for prefix, nb in by_prefix.items():
        if name.startswith(prefix):
            return nb
    return default or UNKNOWN_NOTEBOOK


def _functions(tree: ast.AST) -> list[tuple[int, int, str]]:
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qual = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    found.append((child.lineno, child.end_lineno or child.lineno, qual))
                visit(child, f"{qual}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def strip_source(source: str, rel: str, sections: Mapping[str, str] | None = None
                 ) -> tuple[str, list[Stub]]:
    """Replace every region of a cs_nn module's source by a NotImplementedError stub.

    Args:
        source: the module's text.
        rel: its path relative to the cs_nn package, POSIX (e.g. "layers/linear.py").
        sections: function (or Class.method) -> the notebook section teaching it
            (e.g. "section 2"), named by the stub's message.
    """
    where = f"cs_nn/{rel}"
    lines = source.splitlines(keepends=True)
    regions = find_regions(lines, where)
    if not regions:
        return source, []
    functions = _functions(ast.parse(source, filename=where))
    module = "cs_nn." + rel[:-3].replace("/", ".").removesuffix(".__init__")
    stubs, out, pos = [], [], 0
    for begin, end in regions:
        # a region closing a function ends after its last statement (end_lineno)
        inside = [f for f in functions if f[0] < begin <= f[1]]
        if not inside:
            raise ReleaseError(f"{where}:{begin}: a solution region must be inside a function")
        name = max(inside)[2]
        qualname = f"{module}.{name}"
        nb = notebook_for(source, qualname)
        indent = lines[begin - 1][: len(lines[begin - 1]) - len(lines[begin - 1].lstrip())]
        out += lines[pos: begin - 1]
        message = stub_message(name, where, "" if nb == UNKNOWN_NOTEBOOK else nb,
                               (sections or {}).get(name, ""))
        out.append(f'{indent}raise NotImplementedError(\n{indent}    "{message}")\n')
        pos = end
        stubs.append(Stub(where, qualname, begin, nb))
    stripped = "".join(out + lines[pos:])
    try:
        ast.parse(stripped, filename=where)
    except SyntaxError as exc:
        raise ReleaseError(f"{where}: the release version does not parse ({exc})") from None
    return stripped, stubs


def leaked_lines(reference_root: Path, release_root: Path) -> list[str]:
    """Solution lines of the reference (only those never written outside a region) that
    appear anywhere in the release's cs_nn, plus any surviving marker."""
    inside, outside = solution_lines(Path(reference_root) / "cs_nn")
    secret = inside - outside
    leaks = set()
    for path in sorted((Path(release_root) / "cs_nn").rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            s = line.strip()
            if s in secret or s in (BEGIN, END):
                leaks.add(s)
    return sorted(leaks)
