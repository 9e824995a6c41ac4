"""The graded questions: what each one reads, what it must write, and the reference answer.

A question is one graded computation, e.g. ``linear_forward``. It reads
``input_files/<key>_in_<name>.csv`` and writes ``output_files/<key>_out[_<name>].csv``
(no suffix when it has a single output). Shapes are fixed here, not by the files.
Questions are declared in the modules ``cs_nn/course/questions/qNN_*.py`` (one per notebook), each
exposing a list ``QUESTIONS``; they are discovered automatically.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import pkgutil
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Base seed of the committed input files; change it only to issue a new set of inputs.
INPUT_SEED = 20261126


@dataclass(frozen=True)
class ArraySpec:
    """Shape and dtype of one graded array ("float64" or "int64")."""

    shape: tuple[int, ...]
    dtype: str = "float64"

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Question:
    """One graded computation.

    Attributes:
        key: file prefix, e.g. "linear_forward".
        notebook: the notebook that teaches it, e.g. "02_linear_and_activations".
        inputs: input name -> spec, in a fixed order.
        outputs: output name -> spec ("" names the single output of a one-output question).
        make_inputs: rng -> dict of input arrays (seeded by the caller).
        solve: called as ``solve(**inputs)``, returns a dict of output arrays.
        grading: "allclose" (compare to the reference) or "dropout" (statistical check).
        params: fixed hyper-parameters shown to the learner (e.g. the dropout p).
        rtol, atol: grading tolerances for "allclose".
        points: weight in the total grade.
        requires: optional packages the reference solution needs, e.g. ("torch",).
    """

    key: str
    notebook: str
    inputs: Mapping[str, ArraySpec]
    outputs: Mapping[str, ArraySpec]
    make_inputs: Callable[[np.random.Generator], dict[str, np.ndarray]]
    solve: Callable[..., dict[str, np.ndarray]]
    grading: str = "allclose"
    params: Mapping[str, Any] = field(default_factory=dict)
    rtol: float = 1e-5
    atol: float = 1e-7
    points: float = 1.0
    requires: tuple[str, ...] = ()

    def missing_requirements(self) -> list[str]:
        """The packages of ``requires`` that are not installed here."""
        return [name for name in self.requires if importlib.util.find_spec(name) is None]

    def input_file(self, name: str) -> str:
        return f"{self.key}_in_{name}.csv"

    def output_file(self, name: str) -> str:
        return f"{self.key}_out.csv" if name == "" else f"{self.key}_out_{name}.csv"

    def rng(self) -> np.random.Generator:
        """The generator of this question's inputs: independent of every other question."""
        return np.random.default_rng([INPUT_SEED, zlib.crc32(self.key.encode())])

    def generate_inputs(self) -> dict[str, np.ndarray]:
        """Fresh inputs from the seeded generator, checked against the specs."""
        arrays = self.make_inputs(self.rng())
        return _conform(self, "input", self.inputs, arrays)

    def reference(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The reference answer for ``inputs``, checked against the output specs."""
        return _conform(self, "output", self.outputs, self.solve(**inputs))


def _conform(q: Question, what: str, specs: Mapping[str, ArraySpec],
             arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    if set(arrays) != set(specs):
        raise ValueError(f"question {q.key}: {what}s {sorted(arrays)} do not match the "
                         f"declared {sorted(specs)}")
    out = {}
    for name, spec in specs.items():
        arr = np.asarray(arrays[name], dtype=spec.dtype)
        if arr.size != spec.size:
            raise ValueError(f"question {q.key}: {what} {name!r} has shape {arr.shape}, "
                             f"declared {spec.shape}")
        out[name] = arr.reshape(spec.shape)
    return out


def _discover() -> dict[str, Question]:
    found: dict[str, Question] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("q"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for q in getattr(module, "QUESTIONS", []):
            if q.key in found:
                raise RuntimeError(f"question key {q.key!r} is declared twice")
            found[q.key] = q
    return found


_REGISTRY: dict[str, Question] | None = None


def all_questions() -> list[Question]:
    """Every question, in notebook order then declaration order."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _discover()
    return list(_REGISTRY.values())


def get_question(key: str) -> Question:
    """The question called ``key``; a clear error lists the valid keys otherwise."""
    for q in all_questions():
        if q.key == key:
            return q
    keys = ", ".join(q.key for q in all_questions())
    raise KeyError(f"no question called {key!r}; the questions are: {keys}")


def split_available(questions: list[Question]) -> tuple[list[Question], list[Question]]:
    """(questions whose reference can be computed here, those needing a missing package)."""
    ok = [q for q in questions if not q.missing_requirements()]
    return ok, [q for q in questions if q.missing_requirements()]


def missing_note(skipped: list[Question], what: str = "were skipped") -> str:
    """A one-paragraph note naming the questions skipped for a missing package."""
    if not skipped:
        return ""
    packages = sorted({p for q in skipped for p in q.missing_requirements()})
    keys = ", ".join(q.key for q in skipped)
    return (f"note: {len(skipped)} question(s) need {', '.join(packages)}, which is not "
            f"installed, and {what}: {keys}. Install the PyTorch track with "
            'pip install -e ".[dev,torch]"; every other question was handled.')


def normal(*shape: int, scale: float = 1.0) -> Callable[[np.random.Generator], np.ndarray]:
    """An input maker: standard normal values times ``scale``."""
    return lambda rng: scale * rng.standard_normal(shape)
