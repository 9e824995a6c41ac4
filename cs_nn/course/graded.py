"""Reading graded inputs and writing graded outputs, for notebooks and the command line.

Notebooks call :func:`load_inputs` and :func:`save_outputs`; ``cs-nn make-inputs`` calls
:func:`write_inputs` and ``cs-nn outputs`` calls :func:`write_reference_outputs`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cs_nn.course import paths
from cs_nn.course.questions import Question, all_questions, get_question
from cs_nn.io import read_csv, write_csv

PathLike = str | os.PathLike[str]


def _question(q: Question | str) -> Question:
    return q if isinstance(q, Question) else get_question(q)


def load_inputs(question: Question | str, folder: PathLike | None = None) -> dict[str, np.ndarray]:
    """Read the input files of a question, with the shapes and dtypes the question fixes.

    Returns a dict input name -> array, e.g. ``{"x": (5, 2, 3, 4), "w": (24, 6), "b": (6,)}``.
    """
    q = _question(question)
    folder = paths.input_dir(folder)
    return {name: read_csv(folder / q.input_file(name), spec.shape, dtype=np.dtype(spec.dtype))
            for name, spec in q.inputs.items()}


def save_outputs(question: Question | str, outputs: Mapping[str, np.ndarray] | np.ndarray,
                 folder: PathLike | None = None) -> list[Path]:
    """Write a question's outputs (a dict name -> array, or one array for a single output).

    Every array is checked against the declared shape *before* anything is written, so a
    wrong answer never leaves some files written and others not.
    """
    q = _question(question)
    if not isinstance(outputs, Mapping):
        outputs = {"": outputs}
    missing = set(q.outputs) - set(outputs)
    extra = set(outputs) - set(q.outputs)
    if missing or extra:
        raise ValueError(f"{q.key} writes the outputs {sorted(q.outputs)}; got {sorted(outputs)}")
    checked = {}
    for name, spec in q.outputs.items():
        arr = np.asarray(outputs[name])
        if arr.size == 1 and spec.size == 1:
            arr = arr.reshape(spec.shape)  # a scalar loss may be given as a number
        if arr.shape != spec.shape:
            label = f"{q.key} output {name!r}" if name else f"{q.key} output"
            raise ValueError(f"{label} must have shape {spec.shape} ({spec.size} values), "
                             f"got shape {arr.shape}")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError(f"{q.key} output {name!r} contains NaN or infinite values")
        checked[name] = arr
    folder = paths.output_dir(folder)
    return [write_csv(folder / q.output_file(name), arr) for name, arr in checked.items()]


def write_inputs(folder: PathLike, questions: Iterable[Question] | None = None) -> list[Path]:
    """Generate every question's inputs from the seeded generator and write them."""
    written = []
    for q in questions if questions is not None else all_questions():
        for name, arr in q.generate_inputs().items():
            written.append(write_csv(Path(folder) / q.input_file(name), arr))
    return written


@dataclass(frozen=True)
class WrittenFile:
    """One row of the ``cs-nn outputs`` table."""

    notebook: str
    question: str
    path: Path
    shape: tuple[int, ...]


def write_reference_outputs(input_folder: PathLike | None = None,
                            output_folder: PathLike | None = None,
                            questions: Iterable[Question] | None = None) -> list[WrittenFile]:
    """Compute every question's reference answer from the input files and write it."""
    rows = []
    for q in questions if questions is not None else all_questions():
        outputs = q.reference(load_inputs(q, input_folder))
        for path, (_name, arr) in zip(save_outputs(q, outputs, output_folder), outputs.items()):
            rows.append(WrittenFile(q.notebook, q.key, path, arr.shape))
    return rows
