"""The stubs of the student release: the one format of their message, and finding them.

In the release every solution region is replaced by ``raise NotImplementedError(message)``
where the message names the function, the file to edit and the notebook section that
teaches it, e.g. ``implement linear_forward in cs_nn/layers/linear.py (notebook
02_linear_and_activations, section 1)``. :data:`STUB_RE` recognises that message in any
text (a traceback, a JUnit report); :func:`find_stubs` finds the functions of a source tree
that are still stubs, without importing them.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

#: The stub message; ``where`` is "notebook NN_name, section S" (or just "notebook NN_name").
STUB_MESSAGE = "implement {name} in {file} ({where})"
STUB_RE = re.compile(r"implement (?P<name>[\w.]+) in (?P<file>cs_nn/[\w/]+\.py) "
                     r"\((?P<where>notebook [^)]*|the course notebooks)\)")


def stub_message(name: str, file: str, notebook: str, section: str = "") -> str:
    """The message of the stub of ``name`` (a function or Class.method) in ``file``."""
    where = f"notebook {notebook}" if notebook else "the course notebooks"
    if notebook and section:
        where += f", {section}"
    return STUB_MESSAGE.format(name=name, file=file, where=where)


def is_stub_error(text: str) -> bool:
    """Whether ``text`` (an error message or traceback) is a release stub's error."""
    return "NotImplementedError" in text and STUB_RE.search(text) is not None


def stubbed_names(text: str) -> list[str]:
    """The functions named by the stub messages in ``text``, in order, without repeats."""
    return list(dict.fromkeys(m["name"] for m in STUB_RE.finditer(text)))


@dataclass(frozen=True)
class StubSite:
    file: str  # relative to the project root, POSIX
    name: str  # function or Class.method
    line: int


def _raises_stub(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Raise) and isinstance(sub.exc, ast.Call):
            func, args = sub.exc.func, sub.exc.args
            if (isinstance(func, ast.Name) and func.id == "NotImplementedError" and args
                    and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)
                    and STUB_RE.search(args[0].value)):
                return True
    return False


def stubs_in_source(source: str, file: str) -> list[StubSite]:
    """The functions of one module's source whose body still raises a stub error."""
    found: list[StubSite] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if _raises_stub(child):
                    found.append(StubSite(file, f"{prefix}{child.name}", child.lineno))

    visit(ast.parse(source, filename=file), "")
    return found


def find_stubs(root: str | os.PathLike[str]) -> list[StubSite]:
    """Every function under ``root/cs_nn`` that is still a stub (read, not imported)."""
    base = Path(root)
    sites: list[StubSite] = []
    for path in sorted((base / "cs_nn").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "NotImplementedError" not in text:
            continue
        try:
            sites += stubs_in_source(text, path.relative_to(base).as_posix())
        except SyntaxError:
            continue  # a half-edited file: reported by the tests, not counted as a stub
    return sites
