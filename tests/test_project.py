"""Project-wide checks: packaging metadata, environment.yml, module size, RNG use, markers."""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import pytest
from synthetic_submissions import instructor_only

import cs_nn

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cs_nn"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    """Normalised (PEP 503) project name of a requirement: 'Scikit_Learn>=1' -> 'scikit-learn'."""
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1)
    return re.sub(r"[-_.]+", "-", name).lower()


def _environment() -> tuple[set[str], list[str]]:
    """Conda names and pip lines of environment.yml, read with a tiny line parser.

    Understands the only layout used: ``dependencies:`` with ``- name>=ver`` items and one
    nested ``- pip:`` list whose items are pip arguments.
    """
    conda: set[str] = set()
    pip: list[str] = []
    section = None
    pip_indent = None  # indentation of the "- pip:" item while inside its nested list
    for raw in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            section = line.split(":", 1)[0]
            continue
        item = line.strip()
        if section != "dependencies" or not item.startswith("- "):
            continue
        value = item[2:].strip()
        if pip_indent is not None and indent > pip_indent:
            pip.append(value)
            continue
        pip_indent = None
        if value == "pip:":
            pip_indent = indent
        else:
            conda.add(_name(value))
    return conda, pip


def test_environment_lists_every_declared_dependency() -> None:
    project = _pyproject()["project"]
    declared = {_name(r) for r in project["dependencies"]}
    declared |= {_name(r) for r in project["optional-dependencies"]["dev"]}
    conda, _ = _environment()
    missing = sorted(declared - conda)
    assert missing == [], f"environment.yml lacks {missing} (declared in pyproject.toml)"


def test_environment_installs_the_package_and_key_tools() -> None:
    conda, pip = _environment()
    assert "python" in conda and "pip" in conda
    assert any(re.fullmatch(r"-e\s+[\"']?\.(\[[a-z,]*dev[a-z,]*\])?[\"']?", p) for p in pip), pip
    for needed in ("numpy", "jupyterlab", "ipywidgets", "matplotlib", "nbval", "pytest"):
        assert needed in conda, needed


def test_core_dependencies_and_script() -> None:
    project = _pyproject()["project"]
    core = {_name(r) for r in project["dependencies"]}
    assert "numpy" in core
    assert "torch" not in core  # optional oracle only
    assert project["scripts"]["cs-nn"] == "cs_nn.cli:main"


def test_version_matches_pyproject() -> None:
    assert cs_nn.__version__ == _pyproject()["project"]["version"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path: Path) -> None:
    n = len(path.read_text(encoding="utf-8").splitlines())
    if n > 300:
        warnings.warn(f"{path.relative_to(ROOT)} has {n} lines (aim for about 300)",
                      stacklevel=1)
    assert n < 350, f"{path.relative_to(ROOT)} has {n} lines: split it"


GLOBAL_RNG = re.compile(
    r"\bnp\.random\.(seed|rand|randn|randint|random_integers|random_sample|random|choice|"
    r"shuffle|permutation|normal|uniform|standard_normal|binomial|RandomState)\b"
    r"|\bnumpy\.random\.(seed|rand|randn|randint|choice|shuffle|permutation)\b"
    r"|^\s*(import random\b|from random import)"
    r"|\btorch\.manual_seed\(")


def test_no_global_rng_in_the_package() -> None:
    hits = []
    for path in SOURCES:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if GLOBAL_RNG.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert hits == [], "use np.random.default_rng(seed) instead:\n" + "\n".join(hits)


def test_global_rng_pattern_catches_what_it_should() -> None:
    assert GLOBAL_RNG.search("    idx = np.random.choice(n, 5)")
    assert GLOBAL_RNG.search("np.random.seed(0)")
    assert GLOBAL_RNG.search("import random")
    assert not GLOBAL_RNG.search("rng = np.random.default_rng(seed)")
    assert not GLOBAL_RNG.search("def f(rng: np.random.Generator): rng.choice(3)")


def _regions(lines: list[str]) -> list[tuple[int, int]]:
    """(begin, end) line numbers (1-based) of the solution regions; asserts proper pairing."""
    regions, begin = [], None
    for lineno, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == "# BEGIN SOLUTION":
            assert begin is None, f"line {lineno}: BEGIN SOLUTION inside an open region"
            begin = lineno
        elif marker == "# END SOLUTION":
            assert begin is not None, f"line {lineno}: END SOLUTION without BEGIN"
            regions.append((begin, lineno))
            begin = None
        elif marker.startswith("#") and ("BEGIN SOLUTION" in marker or "END SOLUTION" in marker):
            pytest.fail(f"line {lineno}: malformed solution marker {marker!r}")
    assert begin is None, f"line {begin}: BEGIN SOLUTION never closed"
    return regions


def _innermost_function(tree: ast.AST, lineno: int) -> ast.AST | None:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.lineno <= lineno <= node.end_lineno and (
                    best is None or node.lineno >= best.lineno):
                best = node
    return best


def _check_markers(text: str, name: str) -> int:
    """Assert every solution region pairs up inside one function and can be stripped.

    Returns the number of regions.
    """
    lines = text.splitlines()
    regions = _regions(lines)
    if not regions:
        return 0
    tree = ast.parse(text)

    def indent(lineno: int) -> str:
        line = lines[lineno - 1]
        return line[: len(line) - len(line.lstrip())]

    for begin, end in regions:
        fn = _innermost_function(tree, begin)
        assert fn is not None, f"{name}:{begin}: solution region outside a function"
        # END may trail the function's last statement (e.g. after a return): only comments
        # and blank lines may separate them, and END must be indented inside the function
        trailing = lines[fn.end_lineno:end - 1]
        same = fn is _innermost_function(tree, end) or (
            end > fn.end_lineno and all(t.strip() == "" or t.strip().startswith("#")
                                        for t in trailing)
            and len(indent(end)) > fn.col_offset)
        assert same, f"{name}:{begin}-{end}: BEGIN and END are in different functions"
        assert indent(begin) == indent(end), f"{name}:{begin}-{end}: markers indented differently"
    # the student release replaces every region by a raise: the module must still parse
    stripped = list(lines)
    for begin, end in reversed(regions):
        stripped[begin - 1:end] = [f"{indent(begin)}raise NotImplementedError"]
    ast.parse("\n".join(stripped), filename=name)
    return len(regions)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_solution_markers_pair_up_inside_one_function(path: Path) -> None:
    _check_markers(path.read_text(encoding="utf-8"), path.name)


GOOD = """def f(x):
    y = 1
    # BEGIN SOLUTION
    return x + y
    # END SOLUTION
"""
ACROSS = """def f(x):
    # BEGIN SOLUTION
    return x


def g(x):
    return x
    # END SOLUTION
"""
UNCLOSED = """def f(x):
    # BEGIN SOLUTION
    return x
"""


def test_marker_checker_itself() -> None:
    assert _check_markers(GOOD, "good.py") == 1
    with pytest.raises(AssertionError, match="different functions"):
        _check_markers(ACROSS, "across.py")
    with pytest.raises(AssertionError, match="never closed"):
        _check_markers(UNCLOSED, "unclosed.py")
    with pytest.raises(AssertionError, match="outside a function"):
        _check_markers("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "top.py")


@instructor_only  # the student release has its solution regions replaced
def test_the_package_has_solution_regions() -> None:
    total = sum(len(_regions(p.read_text(encoding="utf-8").splitlines())) for p in SOURCES)
    assert total >= 20  # the foundation layers alone have more than that
