"""Hyperparameter search: grid or random trials, each one a seeded Solver run with early stopping.

A search space is a dict name -> spec::

    space = {"lr": LogUniform(1e-4, 1e-1),       # as likely in [1e-4, 1e-3] as in [1e-2, 1e-1]
             "reg": LogUniform(1e-6, 1e-2),
             "hidden_dims": [[50], [100], [100, 50]],  # a list: the values to choose from
             "batch_size": 100}                  # anything else: a fixed value
    trials = random_search(space, num_trials=20, seed=0)   # or grid_search(space)
    result = run_search(MLPBuilder(input_dim=64, num_classes=10), data, trials,
                        {"update_rule": "adam", "num_epochs": 20}, n_jobs=2,
                        results_path="search.jsonl")
    print(result.to_markdown()); model = result.best_model()

Each trial is a dict of hyperparameters. ``build_model(config)`` gets it plus ``"seed"`` (the
trial's seed, derived from the search seed and the trial index) and returns a fresh model;
the Solver gets the keys it knows: ``lr`` (or ``learning_rate``) and the update rule's keys
(``momentum``, ``beta1``, ...) go into ``optim_config``; Solver options (``batch_size``,
``lr_decay``, ``num_epochs``, ``update_rule``, ...) replace the defaults in ``solver_options``.
Early stopping is on (``patience=3``) unless ``solver_options`` sets ``patience``.

With ``n_jobs > 1`` trials run in worker processes (``spawn``, one BLAS thread each), so
``build_model``, ``data`` and ``solver_options`` must be picklable: use a module-level
function or a small dataclass such as :class:`MLPBuilder`, never a lambda or a nested function.
With ``results_path`` every finished trial is saved (JSON lines, rewritten atomically) and a
restarted search skips the trials already in the file (matched by a hash of the
hyperparameters and the seed), so use a fresh file when you change the data or the options.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cs_nn import optim
from cs_nn.checkpoint import load_checkpoint, save_checkpoint
from cs_nn.io import atomic_write_text
from cs_nn.models.fcnet import FullyConnectedNet
from cs_nn.solver import Solver, SolverOptions

RESERVED = ("trial", "seed", "key", "best_val_acc", "best_epoch", "epochs_run", "seconds",
            "status", "error")
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# ---------------------------------------------------------------- search spaces
@dataclasses.dataclass(frozen=True)
class Uniform:
    """A float drawn uniformly from [low, high)."""
    low: float
    high: float

    def check(self, name: str) -> None:
        _check_range(name, self, positive=False)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


@dataclasses.dataclass(frozen=True)
class LogUniform(Uniform):
    """A float whose logarithm is uniform on [log low, log high): for lr and reg (0 < low)."""

    def check(self, name: str) -> None:
        _check_range(name, self, positive=True)

    def sample(self, rng: np.random.Generator) -> float:
        value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return min(max(value, float(self.low)), float(self.high))  # guard exp/log rounding


@dataclasses.dataclass(frozen=True)
class IntUniform:
    """An integer drawn uniformly from low, low + 1, ..., high (both ends included)."""
    low: int
    high: int

    def check(self, name: str) -> None:
        for end in (self.low, self.high):
            if isinstance(end, bool) or not isinstance(end, (int, np.integer)):
                raise ValueError(f"search space {name!r}: IntUniform needs integer ends, got "
                                 f"low={self.low!r}, high={self.high!r}")
        if not self.low < self.high:
            raise ValueError(f"search space {name!r}: IntUniform needs low < high, got "
                             f"low={self.low}, high={self.high}")

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high, endpoint=True))


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of ``options``, each equally likely (a list in the space means the same)."""
    options: Sequence[Any]

    def check(self, name: str) -> None:
        if isinstance(self.options, (str, bytes)) or len(self.options) == 0:
            raise ValueError(f"search space {name!r}: Choice needs a non-empty list of options, "
                             f"got {self.options!r}")

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]


def _check_range(name: str, spec: Uniform, positive: bool) -> None:
    kind = type(spec).__name__
    low, high = spec.low, spec.high
    if not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
               and math.isfinite(v) for v in (low, high)):
        raise ValueError(f"search space {name!r}: {kind} needs finite numbers, got "
                         f"low={low!r}, high={high!r}")
    if not low < high:
        raise ValueError(f"search space {name!r}: {kind} needs low < high, got low={low}, "
                         f"high={high}")
    if positive and low <= 0:
        raise ValueError(f"search space {name!r}: LogUniform needs low > 0 (a log scale has "
                         f"no zero), got low={low}; use e.g. low=1e-6, or Uniform")


_SPECS = (Uniform, IntUniform, Choice)


def check_space(space: dict[str, Any]) -> dict[str, Any]:
    """Validate a search space; errors name the parameter. Returns it unchanged."""
    if not isinstance(space, dict):
        raise TypeError(f"a search space must be a dict name -> spec, got {type(space).__name__}")
    for name, spec in space.items():
        if not isinstance(name, str) or name in RESERVED:
            raise ValueError(f"search space keys must be strings other than {RESERVED}; "
                             f"got {name!r}")
        if isinstance(spec, _SPECS):
            spec.check(name)
        elif isinstance(spec, (list, tuple)) and len(spec) == 0:
            raise ValueError(f"search space {name!r}: the list of values is empty")
    return space


def _choices(name: str, spec: Any) -> list[Any]:
    if isinstance(spec, (list, tuple)):
        return list(spec)
    if isinstance(spec, Choice):
        return list(spec.options)
    if isinstance(spec, _SPECS):
        raise ValueError(f"grid_search needs a list of values for {name!r}, got {spec!r}; "
                         "give a list (e.g. np.geomspace(1e-4, 1e-1, 4).tolist()) or use "
                         "random_search")
    return [spec]  # a fixed value


def grid_search(space: dict[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the listed values (the Cartesian product), last key varying fastest.

    ``space``: name -> list of values (or a Choice, or a single fixed value). A fixed list
    value must be wrapped: ``{"hidden_dims": [[100, 50]]}``.
    """
    check_space(space)
    names = list(space)
    values = [_choices(name, space[name]) for name in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def random_search(space: dict[str, Any], num_trials: int, seed: int = 0) -> list[dict[str, Any]]:
    """``num_trials`` configs drawn from ``default_rng(seed)``, trial by trial, key by key.

    So the first k trials of a longer search with the same seed are the k trials of the
    shorter one. Lists (and Choice) pick a value uniformly; other values stay fixed.
    """
    check_space(space)
    if isinstance(num_trials, bool) or not isinstance(num_trials, int) or num_trials < 1:
        raise ValueError(f"num_trials must be an integer >= 1, got {num_trials!r}")
    rng = np.random.default_rng(seed)
    trials = []
    for _ in range(num_trials):
        config = {}
        for name, spec in space.items():
            if isinstance(spec, (list, tuple)):
                spec = Choice(spec)
            config[name] = spec.sample(rng) if isinstance(spec, _SPECS) else spec
        trials.append(config)
    return trials


# ---------------------------------------------------------------- one trial
@dataclasses.dataclass(frozen=True)
class MLPBuilder:
    """Picklable builder of a FullyConnectedNet from a trial's hyperparameters.

    Reads ``hidden_dims`` (or ``width`` and ``num_layers``), ``reg``, ``dropout``,
    ``weight_scale`` and ``seed`` from the trial config; anything missing takes the default
    here (reg and dropout: 0). Other keys (lr, batch_size, ...) are ignored.
    """
    input_dim: int
    num_classes: int
    hidden_dims: tuple[int, ...] = (100,)
    weight_scale: float | str = 1e-2
    dtype: str = "float32"

    def __call__(self, config: dict[str, Any]) -> FullyConnectedNet:
        hidden_dims = config.get("hidden_dims", list(self.hidden_dims))
        if "width" in config or "num_layers" in config:
            width = int(config.get("width", self.hidden_dims[0] if self.hidden_dims else 100))
            hidden_dims = [width] * int(config.get("num_layers", len(self.hidden_dims)))
        return FullyConnectedNet(hidden_dims, input_dim=self.input_dim,
                                 num_classes=self.num_classes,
                                 dropout=config.get("dropout", 0.0), reg=config.get("reg", 0.0),
                                 weight_scale=config.get("weight_scale", self.weight_scale),
                                 dtype=self.dtype, seed=config.get("seed"))


def solver_kwargs(config: dict[str, Any], solver_options: dict[str, Any] | None,
                  seed: int) -> dict[str, Any]:
    """The Solver keywords of one trial: ``solver_options`` updated by the trial's keys."""
    opts = dict(solver_options or {})
    if "seed" in opts:
        raise ValueError("solver_options must not set 'seed': run_search derives each trial's "
                         "seed from its own seed argument and the trial index")
    opts.setdefault("patience", 3)
    fields = {f.name for f in dataclasses.fields(SolverOptions)} - {"optim_config", "seed"}
    optim_config = dict(opts.get("optim_config") or {})
    rule = config.get("update_rule", opts.get("update_rule", "sgd"))
    rule_keys = set(optim.config_keys(rule)) if isinstance(rule, str) else set()
    for name, value in config.items():
        if name in ("lr", "learning_rate"):
            optim_config["learning_rate"] = value
        elif name in rule_keys:
            optim_config[name] = value
        elif name in fields:
            opts[name] = value
    opts["optim_config"] = optim_config
    opts["seed"] = seed
    return opts


def trial_seed(seed: int, index: int) -> int:
    """The seed of trial ``index`` of a search seeded with ``seed`` (independent streams)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def trial_key(config: dict[str, Any], seed: int) -> str:
    """A short hash of a trial's hyperparameters and seed: how a resumed search finds it."""
    text = json.dumps({"config": config, "seed": seed}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def run_trial(build_model: Callable[[dict[str, Any]], Any], data: dict[str, np.ndarray],
              config: dict[str, Any], solver_options: dict[str, Any] | None, seed: int,
              trial: int = 0) -> tuple[dict[str, Any], dict[str, np.ndarray] | None]:
    """Train one model; returns (row, best params or None). Exceptions become a failed row."""
    row: dict[str, Any] = {"trial": trial, "key": trial_key(config, seed), "seed": seed,
                           "config": config, "best_val_acc": None, "best_epoch": None,
                           "epochs_run": 0, "seconds": 0.0, "status": "ok", "error": None}
    start = time.perf_counter()
    solver = None
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            model = build_model({**config, "seed": seed})
            solver = Solver(model, data, **solver_kwargs(config, solver_options, seed))
            solver.train()
    except Exception as exc:  # a failed trial (e.g. a diverging loss) never stops the search
        row["status"], row["error"] = "failed", f"{type(exc).__name__}: {exc}"
    if solver is not None and solver.best_epoch is not None:
        row["best_val_acc"], row["best_epoch"] = float(solver.best_val_acc), solver.best_epoch
    if solver is not None:
        row["epochs_run"] = solver.epoch
    row["seconds"] = time.perf_counter() - start
    ok = row["status"] == "ok" and solver is not None and bool(solver.best_params)
    return row, (solver.best_params if ok else None)


_WORKER: dict[str, Any] = {}


def _init_worker(build_model: Callable[[dict[str, Any]], Any], data: dict[str, np.ndarray],
                 solver_options: dict[str, Any] | None) -> None:
    """Worker process set-up: one BLAS thread (n_jobs workers share the cores), shared inputs."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits  # lazy: optional
        _WORKER["limits"] = threadpool_limits(limits=1)
    except ImportError:  # the variables above still cover libraries loaded later
        pass
    _WORKER.update(build_model=build_model, data=data, solver_options=solver_options)


def _worker_trial(config: dict[str, Any], seed: int, trial: int
                  ) -> tuple[dict[str, Any], dict[str, np.ndarray] | None]:
    w = _WORKER
    return run_trial(w["build_model"], w["data"], config, w["solver_options"], seed, trial)


# ---------------------------------------------------------------- results: table and file
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
        best_params: the best trial's parameters (its best epoch), or None if unknown.
        build_model: the builder, so :meth:`best_model` can rebuild the architecture.
    """
    records: list[dict[str, Any]]
    best_params: dict[str, np.ndarray] | None = None
    build_model: Callable[[dict[str, Any]], Any] | None = None

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
        """A model rebuilt with the best config and seed, holding the best parameters."""
        if self.build_model is None or self.best_params is None:
            raise ValueError("the best model's parameters are not available (pass build_model "
                             "and keep the .best.npz file next to the results, or rerun the "
                             "search); rebuild it from best_config and train it again")
        row = self.best_row
        model = self.build_model({**row["config"], "seed": row["seed"]})
        if set(model.params) != set(self.best_params):
            raise ValueError(f"the builder makes params {sorted(model.params)} but the best "
                             f"trial saved {sorted(self.best_params)}")
        for name, w in self.best_params.items():
            model.params[name] = w.copy()
        return model


def _best_path(path: Path) -> Path:
    return path.with_suffix(".best.npz")


def read_results(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The trial records of a results file, in the order they finished."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
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
    records = []
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}, line {lineno}: not valid JSON ({exc})") from None
        if not isinstance(row, dict) or not {"trial", "key", "config", "status"} <= set(row):
            raise ValueError(f"{path}, line {lineno}: not a trial record")
        records.append({"error": None, **row})
    return records


def _write_results(path: Path, records: list[dict[str, Any]]) -> None:
    lines = [json.dumps({"format": RESULTS_FORMAT, "version": RESULTS_VERSION})]
    lines += [json.dumps(r) for r in records]
    atomic_write_text(path, "\n".join(lines) + "\n")


def _read_best(path: Path) -> tuple[str | None, dict[str, np.ndarray] | None]:
    best = _best_path(path)
    if not best.is_file():
        return None, None
    params, meta = load_checkpoint(best)
    return meta.get("key"), params


def load_results(path: str | os.PathLike[str],
                 build_model: Callable[[dict[str, Any]], Any] | None = None) -> SearchResult:
    """Reload a finished (or interrupted) search from its results file (and .best.npz)."""
    path = Path(path)
    records = read_results(path)
    result = SearchResult(records, None, build_model)
    key, params = _read_best(path)
    if params is not None and records and key == result.records[0]["key"]:
        result.best_params = params
    return result


# ---------------------------------------------------------------- the search loop
def _check_jobs(n_jobs: object) -> int:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or not (n_jobs >= 1
                                                                       or n_jobs == -1):
        raise ValueError(f"n_jobs must be an integer >= 1 (or -1 for every core), got {n_jobs!r}")
    return (os.cpu_count() or 1) if n_jobs == -1 else n_jobs


def _check_picklable(**objects: Any) -> None:
    import pickle  # only to check that the workers can receive them (dumps, never loads)

    for name, obj in objects.items():
        try:
            pickle.dumps(obj)
        except Exception as exc:
            raise TypeError(f"with n_jobs > 1, {name} is sent to worker processes and must be "
                            f"picklable ({exc}); use a module-level function or a dataclass "
                            "such as MLPBuilder instead of a lambda or a nested function") from None


def run_search(build_model: Callable[[dict[str, Any]], Any], data: dict[str, np.ndarray],
               trials: Sequence[dict[str, Any]], solver_options: dict[str, Any] | None = None,
               *, seed: int = 0, n_jobs: int = 1,
               results_path: str | os.PathLike[str] | None = None,
               progress: bool = True) -> SearchResult:
    """Train one model per trial and collect the results.

    Args:
        build_model: config -> fresh model (see the module docstring); picklable if n_jobs > 1.
        data: X_train (N, ...), y_train (N,), X_val (M, ...), y_val (M,).
        trials: list of hyperparameter dicts, e.g. from grid_search or random_search.
        solver_options: Solver keywords shared by every trial (not ``seed``).
        seed: search seed; trial i trains with ``trial_seed(seed, i)``.
        n_jobs: worker processes (1: run here; -1: one per core).
        results_path: JSON-lines file; trials already in it are not run again.
        progress: show a tqdm progress bar over trials.

    Returns:
        A :class:`SearchResult`; failed trials are recorded with status "failed".
    """
    if not callable(build_model):
        raise TypeError("build_model must be a callable config -> model")
    if isinstance(trials, dict) or not isinstance(trials, Sequence):
        raise TypeError("trials must be a list of hyperparameter dicts (e.g. grid_search(space)),"
                        f" got {type(trials).__name__}")
    if not trials:
        raise ValueError("trials is empty: nothing to search")
    configs = []
    for i, config in enumerate(trials):
        if not isinstance(config, dict):
            raise TypeError(f"trials[{i}] must be a dict, got {type(config).__name__}")
        check_space(config)
        configs.append({k: _plain(v, f"trials[{i}][{k!r}]") for k, v in config.items()})
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    n_jobs = _check_jobs(n_jobs)
    solver_kwargs({}, solver_options, 0)  # early errors for bad options
    seeds = [trial_seed(seed, i) for i in range(len(configs))]
    keys = [trial_key(c, s) for c, s in zip(configs, seeds, strict=True)]

    path = None if results_path is None else Path(results_path)
    saved = read_results(path) if path is not None and path.is_file() else []
    done = {r["key"]: r for r in saved if r["key"] in set(keys)}
    todo = [i for i, k in enumerate(keys) if k not in done]
    best: list[Any] = [None, None, None]  # sort key, params, trial key
    if path is not None and done:
        key, params = _read_best(path)
        if key in done:
            best[:] = [_sort_key(done[key]), params, key]

    bar = None
    if progress:
        from tqdm.auto import tqdm  # lazy: only the progress bar needs it
        bar = tqdm(total=len(configs), initial=len(configs) - len(todo), desc="search",
                   unit="trial")

    def record(row: dict[str, Any], params: dict[str, np.ndarray] | None) -> None:
        saved.append(row)
        done[row["key"]] = row
        if path is not None:
            _write_results(path, saved)
        if params is not None and (best[0] is None or _sort_key(row) < best[0]):
            best[:] = [_sort_key(row), params, row["key"]]
            if path is not None:
                save_checkpoint(_best_path(path), params,
                                {"key": row["key"], "trial": row["trial"]})
        if bar is not None:
            bar.update(1)
            if best[0] is not None:
                bar.set_postfix({"best_val_acc": f"{-best[0][1]:.4f}"}, refresh=False)

    try:
        if n_jobs == 1 or len(todo) <= 1:
            for i in todo:
                record(*run_trial(build_model, data, configs[i], solver_options, seeds[i], i))
        else:
            _run_parallel(build_model, data, solver_options, configs, seeds, todo,
                          min(n_jobs, len(todo)), record)
    finally:
        if bar is not None:
            bar.close()
    result = SearchResult([done[k] for k in keys], None, build_model)
    if best[2] is not None and not _sort_key(result.records[0])[0] \
            and best[2] == result.records[0]["key"]:
        result.best_params = best[1]
    return result


def _run_parallel(build_model: Callable[[dict[str, Any]], Any], data: dict[str, np.ndarray],
                  solver_options: dict[str, Any] | None, configs: list[dict[str, Any]],
                  seeds: list[int], todo: list[int], n_jobs: int,
                  record: Callable[[dict[str, Any], dict[str, np.ndarray] | None], None]) -> None:
    """Run the ``todo`` trials in ``n_jobs`` spawned processes, recording each as it finishes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    _check_picklable(build_model=build_model, solver_options=solver_options)
    context = multiprocessing.get_context("spawn")  # same behaviour on Linux, macOS, Windows
    with ProcessPoolExecutor(n_jobs, mp_context=context, initializer=_init_worker,
                             initargs=(build_model, data, solver_options)) as pool:
        futures = [pool.submit(_worker_trial, configs[i], seeds[i], i) for i in todo]
        try:
            for future in as_completed(futures):
                record(*future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise
