"""Search results: :class:`SearchResult`, Markdown tables, and the JSON-lines results file.

A results file holds one JSON header line ``{"format": "cs_nn-search-results", "version": 1}``
then one JSON record per finished trial; the best trial's parameters (name -> array of the
model's parameter shape, e.g. W1: (D, H)) sit next to it in ``<name>.best.npz``, written with
:mod:`cs_nn._util.checkpoint` (never pickle).

Several searches may share one results file at once (two notebooks, two terminals): each
finished trial is *appended* as one line while holding an exclusive lock on the file
(``fcntl.flock``; on Windows ``msvcrt.locking``), and the best parameters are replaced, under
the same lock, only by a better trial than the best already recorded. No writer loses another's
trials. A line torn by a kill mid-write (the last one, without its newline) is ignored when
reading and cut off by the next writer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cs_nn._util.checkpoint import read_checkpoint, save_checkpoint
from cs_nn._util.model_state import ModelState, load_state

RESULTS_FORMAT = "cs_nn-search-results"
RESULTS_VERSION = 1
_COLUMNS = ("best_val_acc", "best_epoch", "epochs_run", "seconds", "status")


def _plain(value: Any, where: str) -> Any:
    """A hyperparameter value as plain JSON data (numpy scalars and tuples converted)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ValueError(f"{where} is {value}; search values must be finite")
        return float(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v, where) for v in value]
    raise TypeError(f"{where} has type {type(value).__name__}; search values must be numbers, "
                    "strings, booleans, None or lists of them (so results can be saved as JSON)")


def _sort_key(row: dict[str, Any]) -> tuple[bool, float, int]:
    """Successful trials first, best validation accuracy first, then by trial id."""
    ok = row["status"] == "ok" and row["best_val_acc"] is not None
    return (not ok, -(row["best_val_acc"] or 0.0), row["trial"])


def _cell(column: str, value: Any) -> str:
    """One table cell as text: None -> "-", floats with the column's explicit format."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if column == "best_val_acc":
            return f"{value:.4f}"
        return f"{value:.2f}" if column == "seconds" else f"{value:.3g}"
    if isinstance(value, list):
        return "[" + ", ".join(_cell("", v) for v in value) + "]"
    return str(value).replace("|", "/").replace("\n", " ")


def format_table(table: Sequence[dict[str, Any]], columns: Sequence[str] | None = None,
                 max_rows: int | None = None) -> str:
    """A Markdown table of flat rows (``SearchResult.table``), numbers formatted explicitly:
    accuracy 4 decimals, seconds 2 decimals, other floats 3 significant digits."""
    if not table:
        return "(no trials)"
    if columns is None:
        columns = list(table[0])
        if any(r.get("error") for r in table) and "error" not in columns:
            columns.append("error")
    rows = list(table)[:max_rows]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        cells = [_cell(c, row.get(c))[:60] for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclasses.dataclass
class SearchResult:
    """The trials of a search, best first.

    Attributes:
        records: one dict per trial: trial, key, seed, config (hyperparameters),
            best_val_acc, best_epoch, epochs_run, seconds, status ("ok" / "failed"), error.
        best_params: the best trial's parameters at its best epoch, name -> array of the
            model's parameter shape (e.g. W1: (D, H)), or None if unknown.
        best_buffers: the best trial's buffers then (batchnorm's running averages, e.g.
            running_mean1: (H,); {} for models without any), or None if unknown.
        build_model: the builder, so :meth:`best_model` can rebuild the architecture.
    """
    records: list[dict[str, Any]]
    best_params: dict[str, np.ndarray] | None = None
    build_model: Callable[[dict[str, Any]], Any] | None = None
    best_buffers: dict[str, np.ndarray] | None = None

    def __post_init__(self) -> None:
        self.records = sorted(self.records, key=_sort_key)

    @property
    def hyperparameters(self) -> list[str]:
        names: dict[str, None] = {}
        for r in self.records:
            names.update(dict.fromkeys(r["config"]))
        return list(names)

    @property
    def table(self) -> list[dict[str, Any]]:
        """Tidy rows, best first: trial, each hyperparameter, best_val_acc, best_epoch,
        epochs_run, seconds, status (and error for failed trials)."""
        names = self.hyperparameters
        return [{"trial": r["trial"], **{n: r["config"].get(n) for n in names},
                 **{c: r[c] for c in _COLUMNS}, **({"error": r["error"]} if r["error"] else {})}
                for r in self.records]

    def to_markdown(self, columns: Sequence[str] | None = None,
                    max_rows: int | None = None) -> str:
        if columns is None:
            columns = ["trial", *self.hyperparameters, *_COLUMNS]
            if any(r["error"] for r in self.records):
                columns.append("error")
        return format_table(self.table, columns, max_rows)

    @property
    def best_row(self) -> dict[str, Any]:
        ok = [r for r in self.records if not _sort_key(r)[0]]
        if not ok:
            first = self.records[0]["error"] if self.records else "no trials were run"
            raise ValueError(f"every trial failed; first error: {first}")
        return ok[0]

    @property
    def best_config(self) -> dict[str, Any]:
        """The hyperparameters of the best trial (without its seed)."""
        return dict(self.best_row["config"])

    def best_model(self) -> Any:
        """A model rebuilt with the best config and seed, holding the best parameters and
        buffers (so a batchnorm model predicts with the running averages of its best epoch)."""
        if self.build_model is None or self.best_params is None:
            raise ValueError("the best model's parameters are not available (pass build_model "
                             "and keep the .best.npz file next to the results, or rerun the "
                             "search); rebuild it from best_config and train it again")
        row = self.best_row
        model = self.build_model({**row["config"], "seed": row["seed"]})
        if set(model.params) != set(self.best_params):
            raise ValueError(f"the builder makes params {sorted(model.params)} but the best "
                             f"trial saved {sorted(self.best_params)}")
        load_state(model, self.best_params, self.best_buffers or {}, where="the best trial")
        return model


def _best_path(path: Path) -> Path:
    """Where the best trial's parameters are kept: ``search.jsonl`` -> ``search.best.npz``."""
    return path.with_suffix(".best.npz")


def _header_line() -> str:
    return json.dumps({"format": RESULTS_FORMAT, "version": RESULTS_VERSION})


def read_results(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The trial records of a results file, in the order they finished (a trial recorded
    twice, by two searches sharing the file, is returned once: the first record)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if lines and not text.endswith("\n"):
        try:
            json.loads(lines[-1])
        except json.JSONDecodeError:
            lines.pop()  # the last line was torn by a kill mid-write
    try:
        header = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != RESULTS_FORMAT:
        raise ValueError(f"{path} is not a cs_nn search results file (first line must be "
                         f"the {RESULTS_FORMAT!r} header); use another results_path")
    if not isinstance(header.get("version"), int) or header["version"] > RESULTS_VERSION:
        raise ValueError(f"{path} has results format version {header.get('version')!r}; this "
                         f"cs_nn reads versions up to {RESULTS_VERSION}: upgrade cs_nn")
    records, keys = [], set()
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}, line {lineno}: not valid JSON ({exc})") from None
        if not isinstance(row, dict) or not {"trial", "key", "config", "status"} <= set(row):
            raise ValueError(f"{path}, line {lineno}: not a trial record")
        if row["key"] not in keys:
            keys.add(row["key"])
            records.append({"error": None, **row})
    return records


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[Any]:
    """The results file opened for appending, under an exclusive lock (created with its
    header if new; a torn last line cut off)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f:
        _flock(f, True)
        try:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            if size == 0:
                f.write((_header_line() + "\n").encode())
            else:
                f.seek(max(0, size - 1))
                if f.read(1) != b"\n":  # torn by a kill: cut back to the last full line
                    f.seek(0)
                    data = f.read()
                    f.truncate(data.rfind(b"\n") + 1)
            yield f
            f.flush()
            os.fsync(f.fileno())
        finally:
            _flock(f, False)


def _flock(f: Any, lock: bool) -> None:
    """Take (``lock``) or release the exclusive lock on an open file."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_LOCK if lock else msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(f.fileno(), fcntl.LOCK_EX if lock else fcntl.LOCK_UN)


def append_result(path: Path, row: dict[str, Any], state: ModelState | None) -> None:
    """Append one trial to the results file; if it has a state (params and buffers) and
    beats the best trial recorded so far (by any writer), it becomes ``<name>.best.npz``."""
    with _locked(path) as f:
        if state is not None:
            records = {r["key"]: r for r in read_results(path)}
            key, _ = _read_best(path, load=False)
            if key not in records or _sort_key(row) < _sort_key(records[key]):
                save_checkpoint(_best_path(path), state.params,
                                {"key": row["key"], "trial": row["trial"]},
                                buffers=state.buffers)
        f.seek(0, os.SEEK_END)
        f.write((json.dumps(row) + "\n").encode("utf-8"))


def create_results(path: Path) -> None:
    """Make sure the results file exists with its header (a new search on a new file)."""
    with _locked(path):
        pass


def _read_best(path: Path, load: bool = True) -> tuple[str | None, ModelState | None]:
    """(trial key, params and buffers) of the saved best trial, or (None, None)."""
    best = _best_path(path)
    if not best.is_file():
        return None, None
    params, buffers, meta = read_checkpoint(best)
    return meta.get("key"), (ModelState(params, buffers) if load else None)


def load_results(path: str | os.PathLike[str],
                 build_model: Callable[[dict[str, Any]], Any] | None = None) -> SearchResult:
    """Reload a finished (or interrupted) search from its results file (and .best.npz)."""
    path = Path(path)
    records = read_results(path)
    result = SearchResult(records, None, build_model)
    key, state = _read_best(path)
    if state is not None and records and key == result.records[0]["key"]:
        result.best_params, result.best_buffers = state
    return result

