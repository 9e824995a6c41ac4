"""Which files of the instructor's project ship in the student release.

``INCLUDE`` lists the top-level names copied; inside them, ``HOLD_BACK`` patterns, every test
module marked ``INSTRUCTOR_ONLY = True`` (tests holding a reference implementation or testing
the instructor's tools) and the test helpers that only such modules import stay behind. To
hold back a new file, add a pattern to ``HOLD_BACK`` or mark the test module.
"""

from __future__ import annotations

import ast
import fnmatch
import shutil
from pathlib import Path

#: What the release holds (top-level names of the project); anything else stays behind
#: (benchmarks/, .ci/, the instructor README: the release gets the student README).
INCLUDE = ("cs_nn", "tests", "notebooks", "input_files", "pyproject.toml", "environment.yml",
           "conftest.py", "LICENSE", ".gitignore")
#: Files inside INCLUDE that never ship (glob patterns relative to the project root).
#: Test modules are held back by marking them ``INSTRUCTOR_ONLY = True`` instead.
HOLD_BACK: tuple[str, ...] = (
    "cs_nn/_fast/*",  # the instructor's speed path (see cs_nn/_util/speed.py)
    "tests/learner_solutions/*",  # the scripted learner of `cs-nn release --verify`
    # the course's trained FER2013 models: seed 000 asks each learner to train and hand in
    # their own, so the instructor's would be an answer (the course's CIFAR-10 CNN, the
    # stand-in for ImageNet weights in notebook 14, ships)
    "cs_nn/course/assets/fer2013_mlp.npz",
    "cs_nn/pytorch/weights/fer_cnn.npz",
)
#: The module-level flag of a test module that must not ship (it holds a reference
#: implementation, or tests the instructor's tools).
INSTRUCTOR_ONLY = "INSTRUCTOR_ONLY"
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info",
                                "answer_key*", ".hypothesis", ".pytest_cache", "*.tmp")
def is_instructor_only(path: Path) -> bool:
    """Whether a module sets ``INSTRUCTOR_ONLY = True`` at its top level."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return False
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and node.value.value is True
                and any(isinstance(t, ast.Name) and t.id == INSTRUCTOR_ONLY
                        for t in node.targets)):
            return True
    return False


def held_back(src: Path) -> list[str]:
    """Files under INCLUDE that do not ship (relative POSIX paths): HOLD_BACK, instructor-only
    test modules, and the test helpers that no shipped test module imports."""
    files = [p.relative_to(src).as_posix() for name in INCLUDE if (src / name).is_dir()
             for p in (src / name).rglob("*") if p.is_file()]
    held = {f for f in files if any(fnmatch.fnmatch(f, pat) for pat in HOLD_BACK)}
    tests = [f for f in files if f.startswith("tests/") and f.endswith(".py")]
    held |= {f for f in tests if is_instructor_only(src / f)}
    shipped = [f for f in tests if f not in held and Path(f).name.startswith("test_")]
    used: set[str] = set()
    for f in shipped:
        names, modules = imported_modules(src / f)
        used |= names | modules
    for f in tests:
        stem = Path(f).stem
        if not stem.startswith(("test_", "conftest")) and stem not in used:
            held.add(f)
    return sorted(held)


def imported_modules(path: Path) -> tuple[set[str], set[str]]:
    """(names, top-level modules) a test module imports, cs_nn or not."""
    names, modules = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            modules |= {a.name.split(".")[0] for a in node.names}
    return names, modules


def copy_project(src: Path, dst: Path, held: set[str]) -> None:
    """Copy INCLUDE from ``src`` to ``dst``, less the ``held`` files (relative paths)."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        base = IGNORE(folder, names)
        rel = Path(folder).resolve().relative_to(src)
        return set(base) | {n for n in names if (rel / n).as_posix() in held}

    for name in INCLUDE:
        if (src / name).is_dir():
            shutil.copytree(src / name, dst / name, ignore=ignore, symlinks=False)
            _remove_empty_folders(dst / name)
        elif (src / name).is_file():
            shutil.copy2(src / name, dst / name)


def _remove_empty_folders(root: Path) -> None:
    """Remove the folders of a fresh copy that hold nothing because everything in them was held
    back (e.g. cs_nn/_fast/): an empty folder would only puzzle a learner."""
    for folder in sorted((p for p in root.rglob("*") if p.is_dir() and not p.is_symlink()),
                         key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


