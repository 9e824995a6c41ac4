"""Comparing a submitted array with the reference, and saying *why* it differs.

The feedback names the kind of mistake (wrong count / shape, transposed, wrong sign, off by a
constant factor or offset, how many values are wrong) and never prints reference values.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cs_nn.course.questions import ArraySpec, Question
from cs_nn.io import MAX_CSV_BYTES, CsvCountError, CsvFormatError, parse_csv_text

OK, MISSING, MALFORMED, MISMATCH = "ok", "missing", "malformed", "mismatch"


@dataclass(frozen=True)
class FileResult:
    """The verdict on one output file of a question, for the grader and the self-check alike:
    status is ok / missing / malformed / mismatch (the self-check adds inputs-changed and
    no-data)."""

    question: str
    notebook: str
    file: str
    status: str
    reason: str = ""
    hint: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


def read_outputs(q: Question, read: Callable[[str], bytes | None], missing: str
                 ) -> tuple[dict[str, np.ndarray], list[FileResult]]:
    """Parse every output file of ``q``: ``read(file name)`` gives its bytes, or None when
    it is absent (``missing`` is then the reason given). Returns the arrays that parsed, by
    output name, and a missing / malformed :class:`FileResult` for each file that did not."""
    arrays: dict[str, np.ndarray] = {}
    problems: list[FileResult] = []
    for name, spec in q.outputs.items():
        fname = q.output_file(name)
        try:
            data = read(fname)  # may refuse a too-big file unread
            if data is None:
                problems.append(FileResult(q.key, q.notebook, fname, MISSING, missing,
                                           f"run the {q.notebook} notebook to write it"))
                continue
            arrays[name] = parse_values(data, fname, spec)
        except CsvFormatError as exc:
            problems.append(FileResult(q.key, q.notebook, fname, MALFORMED, str(exc)))
    return arrays, problems


def parse_values(data: bytes, file: str, spec: ArraySpec) -> np.ndarray:
    """Parse the bytes of a submitted CSV into an array of ``spec``'s shape.

    Raises:
        CsvFormatError: too big, not UTF-8 text, a non-number / NaN / blank line, or the wrong
            number of values (the message says how many were expected and which axes could
            explain the count).
    """
    if len(data) > MAX_CSV_BYTES:
        raise CsvFormatError(f"{file}: {len(data)} bytes is far too big for a graded file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CsvFormatError(f"{file}: not a UTF-8 text file; expected one number per line") \
            from None
    try:
        arr = parse_csv_text(text, file, np.dtype(spec.dtype), spec.size)
    except CsvCountError as exc:
        raise CsvFormatError(f"{file}: has {exc.count} values but the answer has shape "
                             f"{spec.shape} ({spec.size} values, one per line, row-major)"
                             + _count_hint(exc.count, spec.shape)) from None
    return arr.reshape(spec.shape)


def read_output(path: Path) -> bytes:
    """The bytes of a learner's output file, refusing a too-big one before reading it (and
    reading at most the limit, should it grow meanwhile)."""
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise CsvFormatError(f"{path.name}: {size} bytes is far too big for a graded file "
                             f"(limit {MAX_CSV_BYTES}); it was not read")
    with open(path, "rb") as f:
        return f.read(MAX_CSV_BYTES + 1)


def _count_hint(count: int, shape: tuple[int, ...]) -> str:
    """Explain a wrong count by the axes it corresponds to (e.g. summed over the wrong axis)."""
    axes = range(len(shape))
    for r in range(1, len(shape)):
        for keep in itertools.combinations(axes, r):
            if math.prod(shape[i] for i in keep) == count:
                names = ", ".join(f"axis {i} (size {shape[i]})" for i in keep)
                return (f". {count} is the size of {names} only: did you sum or average over "
                        "the wrong axis, or save only part of the array?")
    return ". Check the shape of the array you saved."


def compare_arrays(got: np.ndarray, want: np.ndarray, rtol: float, atol: float
                   ) -> tuple[bool, str, str]:
    """Compare ``got`` with ``want`` (same shape) like ``np.allclose(got, want, rtol, atol)``.

    Returns:
        (ok, reason, hint): reason says how many values are off; hint names a likely mistake.
        Neither contains a reference value.
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    close = np.isclose(got, want, rtol=rtol, atol=atol)
    if close.all():
        return True, "", ""
    bad = int(close.size - close.sum())
    reason = (f"{bad} of {close.size} values differ from the reference by more than the "
              f"tolerance (rtol={rtol:g}, atol={atol:g})")
    return False, reason, diagnose(got, want, rtol, atol)


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def diagnose(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> str:
    """A hint for a wrong answer of the right size, or "" when no pattern is recognised."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    loose = (max(rtol, 1e-6), max(atol, 1e-9))
    if _close(-got, want, *loose):
        return "wrong sign: every value has the opposite sign of the expected one"
    if want.ndim == 2 and want.shape[0] != 1 and want.shape[1] != 1:
        if _close(got.reshape(want.shape[::-1]).T, want, *loose):
            return ("transposed: the values are right but in transposed order (check which "
                    "matrix needs a .T and the shape you saved)")
    norm = float(np.dot(want.ravel(), want.ravel()))
    if norm > 0:
        c = float(np.dot(got.ravel(), want.ravel())) / norm
        if abs(c - 1.0) > 1e-3 and c != 0 and _close(got, c * want, *loose):
            return (f"off by a constant factor: your values are about {c:.4g} times the "
                    "expected ones (a missing or extra scale such as 1/N, 2, 0.5, or 1/(1-p)?)")
    offset = got - want
    if want.size > 1 and np.ptp(offset) <= loose[1] + loose[0] * np.abs(want).max():
        return ("off by a constant offset: every value differs by the same amount "
                "(a missing or extra term such as a bias or a '- 1'?)")
    if want.ndim >= 2:
        rows = np.isclose(got, want, rtol=rtol, atol=atol).reshape(want.shape[0], -1).all(axis=1)
        if 0 < rows.sum() < rows.size:
            return (f"{int(rows.sum())} of {rows.size} rows (samples) are right: look at what "
                    "differs for the others")
    return ""
