"""Grading submissions: one (``grade_submission``); many at once in :mod:`.batch`.

The answer key is recomputed from ``input_files/`` with the reference package, or read from a
stored folder of reference outputs (``cs-nn outputs --out KEY_DIR``). Each output file of a
question is worth an equal share of its points; "allclose" files are compared with the
question's tolerances, dropout files are checked statistically from their inputs. A broken
submission gets a row with total 0 and the reason; it never stops the batch. Grading depends
only on the submitted bytes, so grading the same submission twice gives the same result.
"""

from __future__ import annotations

import hashlib
import os
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cs_nn.course import dropout_check as dropout
from cs_nn.course.compare import (
    MISMATCH,
    OK,
    FileResult,
    compare_arrays,
    read_outputs,
)
from cs_nn.course.graded import load_inputs
from cs_nn.course.questions import Question, all_questions
from cs_nn.instructor.grading.submission import SubmissionError, open_submission
from cs_nn.io import read_csv

PathLike = str | os.PathLike[str]


@dataclass
class AnswerKey:
    """Reference outputs ("allclose" questions) and inputs (dropout questions)."""

    questions: list[Question]
    reference: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    inputs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def build_key(input_dir: PathLike | None = None, key_dir: PathLike | None = None,
              questions: Iterable[Question] | None = None) -> AnswerKey:
    """Recompute the answer key from the input files, or read it from ``key_dir``."""
    key = AnswerKey(list(questions) if questions is not None else all_questions())
    for q in key.questions:
        inputs = load_inputs(q, input_dir)
        if q.grading == "dropout":
            key.inputs[q.key] = inputs
        elif key_dir is not None:
            key.reference[q.key] = {n: read_csv(Path(key_dir) / q.output_file(n), s.shape)
                                    for n, s in q.outputs.items()}
        else:
            key.reference[q.key] = q.reference(inputs)
    return key


@dataclass
class QuestionResult:
    key: str
    notebook: str
    points: float
    max_points: float
    files: list[FileResult]


@dataclass
class SubmissionResult:
    """The grade of one submission; ``error`` is set when it was refused as a whole."""

    name: str
    source: str
    questions: list[QuestionResult] = field(default_factory=list)
    max_total: float = 0.0
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    student: str = ""  # the manifest's claim, not an identity
    changed: list[str] = field(default_factory=list)  # files changed after `cs-nn submit`
    flags: list[str] = field(default_factory=list)  # duplicates across the batch
    digest: str = ""  # SHA-256 over the graded files (finds identical submissions)

    @property
    def total(self) -> float:
        return sum(q.points for q in self.questions)


def _grade_question(q: Question, files: dict[str, bytes], key: AnswerKey) -> QuestionResult:
    arrays, results = read_outputs(q, files.get, "file not submitted")
    if q.grading == "dropout":
        verdicts = dropout.check_question(q.key, key.inputs[q.key], arrays, float(q.params["p"]))
    else:
        verdicts = {n: compare_arrays(a, key.reference[q.key][n], q.rtol, q.atol)
                    for n, a in arrays.items()}
    for name, (ok, reason, hint) in verdicts.items():
        results.append(FileResult(q.key, q.notebook, q.output_file(name), OK if ok else MISMATCH,
                                  reason, hint))
    order = {q.output_file(n): i for i, n in enumerate(q.outputs)}
    results.sort(key=lambda r: order[r.file])
    share = q.points / len(q.outputs)
    return QuestionResult(q.key, q.notebook, share * sum(r.ok for r in results), q.points, results)


def grade_submission(path: PathLike, key: AnswerKey) -> SubmissionResult:
    """Grade one submission folder or zip. Never raises for a bad submission."""
    path = Path(path)
    result = SubmissionResult(path.stem if path.suffix == ".zip" else path.name, str(path),
                              max_total=sum(q.points for q in key.questions))
    try:
        sub = open_submission(path)
        result.name, result.warnings = sub.name, list(sub.warnings)
        result.student, result.changed = sub.student, list(sub.changed)
        result.digest = _files_digest(sub.files)
        expected = {q.output_file(n) for q in key.questions for n in q.outputs}
        extra = sorted(set(sub.files) - expected)
        if extra:
            result.warnings.append(f"ignored unexpected files: {', '.join(extra[:10])}")
        result.questions = [_grade_question(q, sub.files, key) for q in key.questions]
    except SubmissionError as exc:
        result.error = f"submission refused: {exc}"
    except Exception as exc:  # one broken submission never stops the batch
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" at {Path(last[0].filename).name}:{last[0].lineno}" if last else ""
        result.error = f"could not be graded: {type(exc).__name__}: {exc}{where}"
        result.questions = []
    return result


def _files_digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()
