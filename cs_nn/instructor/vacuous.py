"""The release's own tests must not be able to pass without checking anything: a scan for the
constructs that let them (run by ``cs-nn release --verify``)."""

from __future__ import annotations

import ast
from pathlib import Path


def vacuous_tests(release: Path) -> list[str]:
    """Places in the release's test files that could let a test pass without checking: bare
    ``except``, ``except ...: pass``, ``assert <true constant>``, unconditional ``pytest.skip``
    / ``xfail`` calls, ``skip`` / ``xfail`` marks and ``skipif(True)``. (``importorskip`` of an
    optional oracle such as torch, and a skip under an ``if`` on the environment, remain.)"""
    problems = []
    for path in sorted((release / "tests").rglob("*.py")):
        rel = path.relative_to(release).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        conditional = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       for n in ast.walk(node)}  # inside an if: skips only when it holds
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.ExceptHandler):
                if node.type is None:
                    problems.append(f"{where}: bare except")
                elif all(isinstance(s, ast.Pass) for s in node.body):
                    problems.append(f"{where}: an except that swallows the error (pass)")
            elif isinstance(node, ast.Assert) and isinstance(node.test, ast.Constant) \
                    and node.test.value:
                problems.append(f"{where}: assert of a true constant")
            elif isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in ("pytest.skip", "pytest.xfail") and id(node) not in conditional \
                        or name.endswith("mark.xfail"):
                    problems.append(f"{where}: {name}(...) can hide a failure")
                elif name.endswith("mark.skipif") and node.args \
                        and isinstance(node.args[0], ast.Constant) and node.args[0].value:
                    problems.append(f"{where}: skipif(True)")
            elif isinstance(node, ast.Attribute) and ast.unparse(node) in (
                    "pytest.mark.skip", "pytest.mark.xfail"):
                problems.append(f"{where}: {ast.unparse(node)} hides a test")
    return problems
