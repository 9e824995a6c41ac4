"""The student release: the project with every solution region replaced by a stub.

A region is the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` (each alone on its line)
inside a function. The release keeps the function's signature, docstring and validation and
puts, at the region's indentation, ``raise NotImplementedError("<module>.<function>: implement
this in notebook <notebook>")``, the notebook being the module's own ``NOTEBOOK`` constant
(so a new teaching module needs no edit here). Notebooks lose their outputs,
``output_files/`` is empty, the self-check data is regenerated from the reference, and
nothing outside an explicit list of project files (so no answer key, no .git, no CI
secrets) is copied.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cs_nn
from cs_nn import __version__
from cs_nn._util.files import atomic_write_text
from cs_nn.course import selfcheck

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
MARKER_FILE = "RELEASE.json"
#: What the release holds (top-level names of the project); anything else stays behind.
INCLUDE = ("cs_nn", "tests", "notebooks", "input_files", "benchmarks", "pyproject.toml",
           "README.md", "environment.yml", "conftest.py", "LICENSE", ".gitignore")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info",
                                "answer_key*", ".hypothesis", ".pytest_cache", "*.tmp")
UNKNOWN_NOTEBOOK = "the course notebooks"


class ReleaseError(RuntimeError):
    """The source cannot be released as it is (unbalanced markers, region outside a function)."""


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


def find_regions(lines: list[str], where: str) -> list[tuple[int, int]]:
    """(begin, end) 1-based line numbers of every region; errors on unbalanced markers."""
    regions, start = [], None
    for i, line in enumerate(lines, start=1):
        s = line.strip()
        if s == BEGIN:
            if start is not None:
                raise ReleaseError(f"{where}:{i}: {BEGIN} inside the region opened at line {start}")
            start = i
        elif s == END:
            if start is None:
                raise ReleaseError(f"{where}:{i}: {END} without a {BEGIN}")
            regions.append((start, i))
            start = None
    if start is not None:
        raise ReleaseError(f"{where}:{start}: {BEGIN} is never closed by {END}")
    return regions


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


def strip_source(source: str, rel: str) -> tuple[str, list[Stub]]:
    """Replace every region of a cs_nn module's source by a NotImplementedError stub.

    Args:
        source: the module's text.
        rel: its path relative to the cs_nn package, POSIX (e.g. "layers/linear.py").
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
        qualname = f"{module}.{max(inside)[2]}"
        nb = notebook_for(source, qualname)
        todo = f"in notebook {nb}" if nb != UNKNOWN_NOTEBOOK else f"(see {nb})"
        indent = lines[begin - 1][: len(lines[begin - 1]) - len(lines[begin - 1].lstrip())]
        out += lines[pos: begin - 1]
        message = f"{qualname}: implement this {todo}"
        out.append(f'{indent}raise NotImplementedError(\n{indent}    "{message}")\n')
        pos = end
        stubs.append(Stub(where, qualname, begin, nb))
    stripped = "".join(out + lines[pos:])
    try:
        ast.parse(stripped, filename=where)
    except SyntaxError as exc:
        raise ReleaseError(f"{where}: the release version does not parse ({exc})") from None
    return stripped, stubs


def solution_lines(cs_nn_dir: Path) -> tuple[set[str], set[str]]:
    """(stripped lines inside regions, stripped lines outside them) over a cs_nn tree."""
    inside, outside = set(), set()
    for path in sorted(cs_nn_dir.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        regions = find_regions(lines, str(path))
        in_region = {i for b, e in regions for i in range(b + 1, e)}
        for i, line in enumerate(lines, start=1):
            s = line.strip()
            if s and s not in (BEGIN, END):
                (inside if i in in_region else outside).add(s)
    return inside, outside


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


def _clear_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    atomic_write_text(path, nbformat.writes(nb))


def project_root() -> Path:
    return Path(cs_nn.__file__).resolve().parent.parent


def build_release(out_dir: str | os.PathLike[str], src_root: str | os.PathLike[str] | None = None,
                  force: bool = False) -> list[Stub]:
    """Build the student release of the project at ``src_root`` into ``out_dir``.

    The self-check data is computed with the reference package that is running this code,
    from ``src_root/input_files``. ``force`` replaces an existing release (only a folder that
    holds RELEASE.json is ever deleted). Returns the stubs written.
    """
    src = Path(src_root).resolve() if src_root is not None else project_root()
    out = Path(out_dir).resolve()
    if not (src / "cs_nn").is_dir() or not (src / "pyproject.toml").is_file():
        raise ReleaseError(f"{src} is not the cs_nn project (no cs_nn/ or pyproject.toml)")
    if out == src or src in out.parents:
        raise ReleaseError(f"the release folder {out} must be outside the project {src}")
    if out in src.parents:
        raise ReleaseError(f"the release folder {out} contains the project {src}; choose a "
                           "folder outside it (replacing it would delete the project)")
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"{out} is a file, not a folder; choose a new folder for the release")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise ReleaseError(f"{out} is not empty; pass --force to replace a previous release "
                               f"(only a folder holding {MARKER_FILE} is replaced)")
        _check_replaceable(out)
    if out.parent.exists() and not out.parent.is_dir():
        raise ReleaseError(f"{out.parent} is a file, not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name in INCLUDE:
            if (src / name).is_dir():
                shutil.copytree(src / name, tmp / name, ignore=IGNORE, symlinks=False)
            elif (src / name).is_file():
                shutil.copy2(src / name, tmp / name)
        stubs: list[Stub] = []
        for path in sorted((tmp / "cs_nn").rglob("*.py")):
            rel = path.relative_to(tmp / "cs_nn").as_posix()
            text, found = strip_source(path.read_text(encoding="utf-8"), rel)
            if found:
                path.write_text(text, encoding="utf-8")
                stubs += found
        for nb in sorted((tmp / "notebooks").rglob("*.ipynb")):
            _clear_notebook(nb)
        shutil.rmtree(tmp / "output_files", ignore_errors=True)
        (tmp / "output_files").mkdir()
        (tmp / "output_files" / ".gitkeep").touch()
        data = selfcheck.make_data(src / "input_files")
        atomic_write_text(tmp / "cs_nn" / "course" / "selfcheck.json", selfcheck.data_text(data))
        leaks = leaked_lines(src, tmp)
        if leaks:
            raise ReleaseError(f"solution lines survived the release: {leaks[:5]}")
        written = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*")
                         if p.is_file() or p.is_symlink())
        info = {"package_version": __version__, "stubs": [s.__dict__ for s in stubs],
                "files": [*written, MARKER_FILE]}
        atomic_write_text(tmp / MARKER_FILE, json.dumps(info, indent=1) + "\n")
        old = None
        if out.exists():
            _check_replaceable(out)  # again: nothing may have appeared while we built
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / out.name)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return stubs


def _check_replaceable(out: Path) -> None:
    """Refuse unless every file under ``out`` is one a previous release wrote (listed in its
    RELEASE.json): ``--force`` replaces our own release, never anything else."""
    marker = out / MARKER_FILE
    why = (f"{out} is not a release this command wrote, so --force will not delete it; "
           "choose another folder or remove it yourself")
    if marker.is_symlink() or not marker.is_file():
        raise ReleaseError(f"{why} (it holds no {MARKER_FILE})")
    if marker.stat().st_size > 4 * 1024 * 1024:
        raise ReleaseError(f"{why} ({MARKER_FILE} is implausibly large)")
    try:
        listed = json.loads(marker.read_text(encoding="utf-8")).get("files")
    except (ValueError, UnicodeDecodeError, AttributeError):
        listed = None
    if not isinstance(listed, list) or not all(isinstance(f, str) for f in listed):
        raise ReleaseError(f"{why} ({MARKER_FILE} does not list the files it wrote)")
    foreign = []
    for root, dirs, files in os.walk(out, followlinks=False):
        for name in dirs + files:
            path = Path(root) / name
            rel = path.relative_to(out).as_posix()
            if path.is_symlink() or (name in files and rel not in listed):
                foreign.append(rel)
    if foreign:
        raise ReleaseError(f"{why}: {len(foreign)} file(s) it did not write, e.g. "
                           f"{', '.join(sorted(foreign)[:5])}")
