"""Grading submissions: one (``grade_submission``) or many in parallel (``grade_many``).

The answer key is recomputed from ``input_files/`` with the reference package, or read from a
stored folder of reference outputs (``cs-nn outputs --out KEY_DIR``). Each output file of a
question is worth an equal share of its points; "allclose" files are compared with the
question's tolerances, dropout files are checked statistically from their inputs. A broken
submission gets a row with total 0 and the reason; it never stops the batch. Grading depends
only on the submitted bytes, so grading the same submission twice gives the same result.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable, Sequence
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
from cs_nn.course.submit import MANIFEST, OUTPUT_NAME
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


def _looks_like_submission(folder: Path) -> bool:
    if (folder / "output_files").is_dir() or (folder / MANIFEST).is_file():
        return True
    return any(OUTPUT_NAME.match(p.name) for p in folder.iterdir())


def expand_submissions(paths: Sequence[PathLike]) -> list[Path]:
    """Each argument is a submission (zip or folder) or a folder holding many of them."""
    found: list[Path] = []
    for p in map(Path, paths):
        if not p.exists() and not p.is_symlink():
            raise FileNotFoundError(f"{p}: no such submission folder or zip")
        if p.is_dir() and not p.is_symlink() and not _looks_like_submission(p):
            found.extend(sorted(c for c in p.iterdir() if not c.name.startswith(".")))
        else:
            found.append(p)
    return found


_WORKER_KEY: AnswerKey | None = None


def _init_worker(key: AnswerKey) -> None:
    global _WORKER_KEY
    _WORKER_KEY = key


def _grade_in_worker(path: Path) -> SubmissionResult:
    assert _WORKER_KEY is not None
    return grade_submission(path, _WORKER_KEY)


def _unique_names(results: list[SubmissionResult]) -> None:
    seen: dict[str, int] = {}
    for r in results:
        seen[r.name] = seen.get(r.name, 0) + 1
        if seen[r.name] > 1:
            r.name = f"{r.name}-{seen[r.name]}"


def grade_many(paths: Sequence[PathLike], key: AnswerKey, max_workers: int | None = None,
               progress: bool = True) -> list[SubmissionResult]:
    """Grade every submission under ``paths``; results sorted by name, then source.

    Args:
        paths: submissions, or folders of submissions (see :func:`expand_submissions`).
        key: from :func:`build_key`.
        max_workers: worker processes (default ``os.cpu_count()``); 1 grades in this process.
        progress: show a tqdm progress bar on stderr.
    """
    subs = expand_submissions(paths)
    workers = max(1, min(max_workers or os.cpu_count() or 1, len(subs) or 1))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(subs), desc="grading", unit="submission", leave=False)
    results: list[SubmissionResult] = []
    try:
        if workers == 1:
            for p in subs:
                results.append(grade_submission(p, key))
                if bar is not None:
                    bar.update()
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(key,)) as ex:
                futures = {ex.submit(_grade_in_worker, p): p for p in subs}
                for fut in as_completed(futures):
                    p = futures[fut]
                    try:
                        results.append(fut.result())
                    except Exception as exc:  # e.g. a worker died
                        results.append(SubmissionResult(
                            p.name, str(p), max_total=sum(q.points for q in key.questions),
                            error=f"could not be graded: {type(exc).__name__}: {exc}"))
                    if bar is not None:
                        bar.update()
    finally:
        if bar is not None:
            bar.close()
    results.sort(key=lambda r: (r.name, r.source))
    _unique_names(results)
    return results
