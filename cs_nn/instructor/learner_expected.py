"""The expected values of the learner tests, baked when the release is built.

``tests/learner/learner_cases.py`` lists fixed cases (seeded inputs and how to call the code on
them). :func:`write_expected` runs each case once with the reference solution, through the
plain learner-facing code (not the speed path), and stores inputs and outputs in
``tests/learner/expected.json``; the learner tests compare a learner's code with those values,
so the release ships numbers, never a reference implementation.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import numpy as np

from cs_nn._util import speed as _speed
from cs_nn._util.files import atomic_write_text

LEARNER_TESTS = Path("tests") / "learner"
EXPECTED_NAME = "expected.json"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _modules_in(folder: Path) -> dict[str, ModuleType]:
    """The imported modules whose file lies in ``folder`` (not below it)."""
    out = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().parent == folder:
            out[name] = module
    return out


@contextmanager
def learner_modules(learner_dir: Path) -> Iterator[tuple[ModuleType, ModuleType]]:
    """(learner_support, learner_cases) loaded afresh from ``learner_dir`` (with the
    ``learner_cases_*`` modules learner_cases imports); the modules already imported from
    there are put back afterwards, so a pytest session that imported them keeps its own."""
    learner_dir = Path(learner_dir).resolve()
    saved = _modules_in(learner_dir)
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(learner_dir))
    try:
        support = _load(learner_dir / "learner_support.py", "learner_support")
        yield support, _load(learner_dir / "learner_cases.py", "learner_cases")
    finally:
        sys.path.remove(str(learner_dir))
        for name in _modules_in(learner_dir):
            del sys.modules[name]
        sys.modules.update(saved)


def compute_expected(learner_dir: Path) -> dict[str, object]:
    """{case name: {"function", "inputs", "outputs"}} (JSON-ready) from the reference, for
    the learner tests in ``learner_dir`` (a project's tests/learner/)."""
    with learner_modules(learner_dir) as (support, cases):
        names = [c.name for c in cases.CASES]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate learner case names in {learner_dir}")
        out: dict[str, object] = {}
        with _speed.plain():
            for case in cases.CASES:
                inputs = case.make_inputs(np.random.default_rng(case.seed))
                stored = support.decode(support.encode(inputs))  # what the tests will read
                outputs = case.run(support.decode(support.encode(stored)))
                out[case.name] = support.encode({"function": case.function, "inputs": stored,
                                                 "outputs": outputs})
        return out


def write_expected(path: Path, learner_dir: Path) -> Path:
    """Write expected.json to ``path`` (atomically); returns the path."""
    data = compute_expected(learner_dir)
    atomic_write_text(Path(path), json.dumps(data, indent=None, separators=(",", ":")) + "\n")
    return Path(path)
