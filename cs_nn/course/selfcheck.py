"""The learner's offline self-check: does each output file match the reference, without
shipping the reference.

Scheme (per output file, stored in ``selfcheck.json``):

1. Values are mapped to ``T(v) = sign(v) * log1p(|v| / a)`` with ``a = atol / rtol``. A grader
   error allowed by ``|v - r| <= atol + rtol |r|`` moves T by at most about ``rtol``
   everywhere, so one uniform grid in T-space follows the relative *and* absolute tolerance.
2. The grid step is ``s = 4 rtol`` (plus 2 %). Two grids are offset by half a step; for every
   reference value the grid on which it lies at least ``s / 4`` from a cell boundary is
   chosen, and that choice (one bit per value: it says nothing finer than a quarter-step) is
   stored. Any answer within the grader's tolerance then falls into the same cells as the
   reference. An answer that lands in the same cells is within ``s``, i.e. within about 4x
   the grader's tolerance: "matches" here means "within 4x tolerance" (the grader decides).
3. The cell indices of the whole file are hashed with a per-file salt through PBKDF2-SHA256
   (``ITERATIONS`` rounds: about 0.02 s on a current CPU core, 0.05 s on a busy one), and only
   the digest is stored.

What it leaks, and the design choice. The digest is a confirmation oracle: anyone can try
candidate answers offline until one matches. What protects an answer is the number of
candidates, not the hash: for a file of ``count`` values, a learner who already knows each value
to within +-10% must still try about ``prod(cells within +-10% of each value)`` candidates;
:func:`search_bits` is log2 of that number, estimated from the reference. With a single
value it is about 12 to 16 bits (5,000 to 50,000 tries: 100 s of CPU at 0.02 s each, measured),
so a self-check that confirms a single number hands it out. Hence: **a file is confirmed
offline only if its search needs at least** ``MIN_SEARCH_BITS`` **= 40 bits** (2^40 tries,
about 700 CPU-years at 0.02 s). Below that (today: the five single-number answers, the loss
and rate files) the stored entry has no grid and no digest, so there is nothing to search;
``cs-nn check`` reports such files as "not-checked" (it still checks that they exist and parse
to the right number of values) and only the grader judges them. Making the hash slower instead
would slow every learner's check and still only buy a constant factor.

Mismatching files are also hashed transposed, negated, doubled and halved, to offer a hint.
Dropout outputs are random, so they are checked statistically from the learner's own input
files, with no stored data.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from cs_nn import __version__
from cs_nn.course import dropout_check as dropout
from cs_nn.course import paths
from cs_nn.course.compare import MISMATCH, OK, FileResult, read_output, read_outputs
from cs_nn.course.graded import load_inputs
from cs_nn.course.questions import INPUT_SEED, Question, all_questions, get_question
from cs_nn.io import CsvFormatError

PathLike = str | os.PathLike[str]
DATA_PATH = Path(__file__).with_name("selfcheck.json")
ITERATIONS = 100_000
STEP_FACTOR = 4.08
FORMAT = 1
#: Files whose search from a +-10% guess needs fewer tries than 2**MIN_SEARCH_BITS are not
#: confirmed offline (see the module docstring).
MIN_SEARCH_BITS = 40
NOT_CHECKED = "not-checked"


def _transform(values: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    a = atol / rtol
    v = np.asarray(values, dtype=np.float64).ravel()
    return np.sign(v) * np.log1p(np.abs(v) / a)


def _cells(values: np.ndarray, grid: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    u = _transform(values, rtol, atol) / (STEP_FACTOR * rtol)
    return np.floor(u + 0.5 * grid).astype(np.int64)


def _digest(cells: np.ndarray, salt: str) -> str:
    pre = hashlib.sha256(cells.astype("<i8").tobytes()).digest()
    return hashlib.pbkdf2_hmac("sha256", pre, salt.encode(), ITERATIONS).hex()


def _file_sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def search_bits(reference: np.ndarray, rtol: float, atol: float, guess: float = 0.1) -> float:
    """log2 of the number of cell combinations within +-``guess`` (relative) of every value:
    how many digests a learner who knows each value that well must try to find the file."""
    v = np.abs(np.asarray(reference, dtype=np.float64).ravel())
    width = _transform(v * (1 + guess), rtol, atol) - _transform(v * (1 - guess), rtol, atol)
    cells = width / (STEP_FACTOR * rtol)
    return float(np.log2(np.maximum(cells, 1.0)).sum())


def make_file_entry(reference: np.ndarray, salt: str, rtol: float, atol: float) -> dict:
    """The stored data of one output file: salt, grid bits and digest (no values); for a file
    too small to hide its values (:func:`search_bits` below ``MIN_SEARCH_BITS``) no grid and no
    digest, only ``"confirm": false``."""
    bits = search_bits(reference, rtol, atol)
    if bits < MIN_SEARCH_BITS:
        return {"salt": salt, "rtol": rtol, "atol": atol,
                "count": int(np.asarray(reference).size), "confirm": False}
    u = _transform(reference, rtol, atol) / (STEP_FACTOR * rtol)
    frac = u - np.floor(u)
    grid = (np.minimum(frac, 1 - frac) < 0.25).astype(np.uint8)  # 1: use the offset grid
    cells = _cells(reference, grid, rtol, atol)
    return {"salt": salt, "rtol": rtol, "atol": atol, "count": int(grid.size),
            "grid": base64.b64encode(np.packbits(grid).tobytes()).decode("ascii"),
            "digest": _digest(cells, salt)}


def make_data(input_dir: PathLike | None = None,
              questions: Iterable[Question] | None = None) -> dict:
    """Build the self-check data from the reference solution and the input files."""
    folder = paths.input_dir(input_dir)
    data: dict = {"format": FORMAT, "package_version": __version__, "input_seed": INPUT_SEED,
                  "iterations": ITERATIONS, "step_factor": STEP_FACTOR, "questions": {}}
    for q in questions if questions is not None else all_questions():
        hashes = {q.input_file(n): _file_sha256(folder / q.input_file(n)) for n in q.inputs}
        entry: dict = {"grading": q.grading, "inputs": hashes, "files": {}}
        if q.grading == "allclose":
            ref = q.reference(load_inputs(q, folder))
            for name, arr in ref.items():
                fname = q.output_file(name)
                salt = hashlib.sha256(f"cs_nn|{INPUT_SEED}|{fname}|{sorted(hashes.items())}"
                                      .encode()).hexdigest()[:32]
                entry["files"][fname] = make_file_entry(arr, salt, q.rtol, q.atol)
        data["questions"][q.key] = entry
    return data


def data_text(data: dict) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def load_data(path: PathLike | None = None) -> dict:
    p = Path(path) if path is not None else DATA_PATH
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no self-check data. It ships with the course package; "
                                "instructors create it with `cs-nn make-selfcheck`.")
    return json.loads(p.read_text(encoding="utf-8"))


def matches(values: np.ndarray, entry: dict) -> bool:
    """Whether ``values`` fall into the reference's cells (within ~4x the tolerance).

    Raises ``ValueError`` for an entry that is not confirmed offline (no digest)."""
    if "digest" not in entry:
        raise ValueError("this file is not confirmed offline (too few values to hide them)")
    grid = np.unpackbits(np.frombuffer(base64.b64decode(entry["grid"]), np.uint8))
    grid = grid[: entry["count"]]
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size != entry["count"]:
        return False
    return _digest(_cells(v, grid, entry["rtol"], entry["atol"]), entry["salt"]) == entry["digest"]


def _hint(values: np.ndarray, entry: dict) -> str:
    candidates = [(-values, "wrong sign: the negated values match")]
    if values.ndim == 2 and min(values.shape) > 1:
        candidates.append((values.reshape(values.shape[::-1]).T,
                           "transposed: the values match in transposed order"))
    candidates += [(values / 2, "off by a constant factor: your values are twice too big"),
                   (values * 2, "off by a constant factor: your values are half what they should")]
    for arr, hint in candidates:
        if matches(arr, entry):
            return hint
    return ""


def _check_question(q: Question, qdata: dict | None, out_dir: Path,
                    in_dir: Path) -> list[FileResult]:
    def read(fname: str) -> bytes | None:
        path = out_dir / fname
        return read_output(path) if path.is_file() else None  # size checked before reading

    arrays, res = read_outputs(q, read, "not written yet")
    if q.grading == "dropout":
        try:
            inputs = load_inputs(q, in_dir)
        except (OSError, CsvFormatError) as exc:
            return res + [FileResult(q.key, q.notebook, q.output_file(n), "no-data",
                                      f"cannot read the input files: {exc}") for n in arrays]
        for name, (ok, reason, hint) in dropout.check_question(
                q.key, inputs, arrays, float(q.params["p"])).items():
            res.append(FileResult(q.key, q.notebook, q.output_file(name),
                                   OK if ok else MISMATCH, reason, hint))
        return res
    if qdata is None:
        return res + [FileResult(q.key, q.notebook, q.output_file(n), "no-data",
                                  "this question has no self-check data") for n in arrays]
    changed = [f for f, h in qdata["inputs"].items() if _file_sha256(in_dir / f) != h]
    for name, arr in arrays.items():
        fname = q.output_file(name)
        if changed:
            res.append(FileResult(q.key, q.notebook, fname, "inputs-changed",
                                   f"{', '.join(changed)} differ(s) from the course's input files",
                                   "restore input_files/ from the course repository"))
        elif "digest" not in qdata["files"][fname]:
            res.append(FileResult(q.key, q.notebook, fname, NOT_CHECKED,
                                   "has the right number of values; a single-number answer is "
                                   "not confirmed offline (that would reveal it), the grader "
                                   "checks it"))
        elif matches(arr, qdata["files"][fname]):
            res.append(FileResult(q.key, q.notebook, fname, OK))
        else:
            res.append(FileResult(q.key, q.notebook, fname, MISMATCH,
                                   "does not match the reference within tolerance",
                                   _hint(arr, qdata["files"][fname])))
    return res


def check_outputs(output_dir: PathLike | None = None, input_dir: PathLike | None = None,
                  questions: Iterable[Question | str] | None = None,
                  data: dict | None = None) -> list[FileResult]:
    """Check the learner's output files against the self-check data (offline, no answers).

    Returns one :class:`FileResult` per expected output file, in question order.
    """
    data = data if data is not None else load_data()
    qs = [get_question(q) if isinstance(q, str) else q for q in questions] if questions \
        else all_questions()
    out_dir, in_dir = paths.output_dir(output_dir), paths.input_dir(input_dir)
    results: list[FileResult] = []
    for q in qs:
        results += _check_question(q, data["questions"].get(q.key), out_dir, in_dir)
    return results


def check(*questions: str, output_dir: PathLike | None = None,
          input_dir: PathLike | None = None) -> bool:
    """Notebook helper: check these questions (default all), print a summary, return all-ok."""
    results = check_outputs(output_dir, input_dir, questions or None)
    for r in results:
        detail = " — ".join(x for x in (r.reason, r.hint and f"hint: {r.hint}") if x)
        print(f"{r.file:40s} {r.status:10s} {detail}".rstrip())
    n_ok = sum(r.status == OK for r in results)
    unchecked = sum(r.status == NOT_CHECKED for r in results)
    print(f"{n_ok} of {len(results)} files match"
          + (f" ({unchecked} not checked offline: the grader checks them)" if unchecked else ""))
    return n_ok + unchecked == len(results)
