"""Project-wide checks: packaging metadata, environment.yml, module size, RNG use, markers."""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import pytest
from synthetic_submissions import instructor_only

import cs_nn

#: Not shipped to learners: checks of the instructor's project (markers, packaging).
INSTRUCTOR_ONLY = True

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


# --- the import graph: imports run one way (commands -> instructor -> course -> teaching) ---

#: Layer of each part of the package, lowest first; a module may import only its own layer or
#: lower ones. Unlisted modules belong to the teaching layer (the package root).
LAYERS = {"cs_nn": 0, "cs_nn._checks": 0, "cs_nn._util": 0, "cs_nn.course": 2,
          "cs_nn.pytorch": 2, "cs_nn.instructor": 3, "cs_nn.commands": 4, "cs_nn.cli": 5}
TEACHING = 1


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The layer of a module: its longest listed prefix in LAYERS, else the teaching layer."""
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")),
               key=len, default=None)
    return TEACHING if best is None or (best == "cs_nn" and module != "cs_nn") else LAYERS[best]


def import_graph(sources: dict[str, str]) -> dict[str, dict[str, tuple[int, bool]]]:
    """module -> {imported cs_nn module: (line, inside a function)}, from every import
    statement, module-level and function-level alike. ``sources`` maps module name -> text
    (names ending in an ``__init__`` package are given as the package name)."""
    packages = {m for m in sources if any(o.startswith(m + ".") for o in sources)}

    def resolve(name: str) -> str | None:
        while name and name not in sources:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, tuple[int, bool]]] = {m: {} for m in sources}
    for module, text in sources.items():
        tree = ast.parse(text)
        in_function = {id(n) for f in ast.walk(tree)
                       if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                       for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [resolve(a.name) for a in node.names if a.name.startswith("cs_nn")]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = module.split(".") if module in packages else module.split(".")[:-1]
                    here = here[:len(here) - node.level + 1]
                    base = ".".join(here + ([node.module] if node.module else []))
                if not base.startswith("cs_nn"):
                    continue
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in sources else resolve(base)
                           for a in node.names]
            else:
                continue
            for target in targets:
                if target and target != module:
                    graph[module].setdefault(target, (node.lineno, id(node) in in_function))
    return graph


def import_problems(graph: dict[str, dict[str, tuple[int, bool]]]) -> list[str]:
    """Every upward arrow (to a higher layer) and every import loop of the graph."""
    problems = [f"{m}:{line} imports {t} (layer {layer_of(t)} > {layer_of(m)})"
                for m, targets in sorted(graph.items())
                for t, (line, _) in sorted(targets.items()) if layer_of(t) > layer_of(m)]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                loops.append("import loop: " + " <-> ".join(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return problems + loops


def _package_graph() -> dict[str, dict[str, tuple[int, bool]]]:
    return import_graph({_module_name(p): p.read_text(encoding="utf-8") for p in SOURCES})


#: The package root re-exports seed 000's deliverables (CURRICULUM section 3: importable from
#: cs_nn), lazily (in its __getattr__, and inside test_deep_fer_model so that torch is imported
#: only when it is called): the only arrows allowed to point up from the root.
ROOT_REEXPORTS = {"cs_nn.course.fer_model", "cs_nn.pytorch.fer"}


def test_imports_run_one_way_without_loops() -> None:
    graph = _package_graph()
    assert set(graph["cs_nn"]) <= ROOT_REEXPORTS, "the root imports only its re-exports"
    for target in ROOT_REEXPORTS:
        graph["cs_nn"].pop(target, None)
    problems = import_problems(graph)
    assert problems == [], "\n".join(problems)


def test_function_level_imports_say_why() -> None:
    """A function-level import of cs_nn code is allowed only where it defers a heavy optional
    dependency, with a comment on its line saying so."""
    bare = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for fn in ast.walk(ast.parse(text)):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module or "."] if isinstance(node, ast.ImportFrom) else [])
                local = any(n.startswith(("cs_nn", ".")) for n in names) or (
                    isinstance(node, ast.ImportFrom) and node.level > 0)
                if local and "#" not in lines[node.lineno - 1]:
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno}: "
                                f"{lines[node.lineno - 1].strip()}")
    assert bare == [], "import at module level, or say why not:\n" + "\n".join(sorted(set(bare)))


def test_import_checker_itself() -> None:
    sources = {"cs_nn": "", "cs_nn.layers": "from cs_nn._checks import x",
               "cs_nn._checks": "def f():\n    from cs_nn.course import paths\n",
               "cs_nn.course": "", "cs_nn.course.paths": "from . import graded",
               "cs_nn.course.graded": "import cs_nn.course.paths"}
    graph = import_graph(sources)
    assert graph["cs_nn._checks"] == {"cs_nn.course.paths": (2, True)}
    assert graph["cs_nn.course.paths"] == {"cs_nn.course.graded": (1, False)}
    problems = import_problems(graph)
    assert any("cs_nn._checks:2 imports cs_nn.course.paths" in p for p in problems), problems
    assert "import loop: cs_nn.course.graded <-> cs_nn.course.paths" in problems
    assert len(problems) == 2
    assert layer_of("cs_nn.layers.conv") == TEACHING and layer_of("cs_nn.cli") == 5
    assert layer_of("cs_nn._util.files") == 0 and layer_of("cs_nn.course.search.runner") == 2
