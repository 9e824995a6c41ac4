"""The search loop: one seeded Solver run per trial, serial or in spawned worker processes.

``data`` is always the Solver's dict: X_train (N, ...), y_train (N,), X_val (M, ...),
y_val (M,). Finished trials are appended to the results file (see :mod:`.results`) as they
come in, so an interrupted search resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cs_nn import optim
from cs_nn._checks import check_int, is_int
from cs_nn._util.model_state import ModelState
from cs_nn.course.search.results import (
    SearchResult,
    _plain,
    _read_best,
    _sort_key,
    append_result,
    create_results,
    read_results,
)
from cs_nn.course.search.spaces import check_space
from cs_nn.solver import Solver, SolverOptions

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


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
              trial: int = 0) -> tuple[dict[str, Any], ModelState | None]:
    """Train one model; returns (row, best state or None). Exceptions become a failed row.

    ``data``: X_train (N, ...), y_train (N,), X_val (M, ...), y_val (M,). The state holds the
    model's params (name -> array of the parameter's shape, e.g. W1: (D, H)) and buffers
    (batchnorm's running averages, e.g. running_mean1: (H,)) at its best epoch.
    """
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
    except NotImplementedError:
        raise  # missing code is not a failed trial: say so at once
    except Exception as exc:  # a failed trial (e.g. a diverging loss) never stops the search
        row["status"], row["error"] = "failed", f"{type(exc).__name__}: {exc}"
    if solver is not None and solver.best_epoch is not None:
        row["best_val_acc"], row["best_epoch"] = float(solver.best_val_acc), solver.best_epoch
    if solver is not None:
        row["epochs_run"] = solver.epoch
    row["seconds"] = time.perf_counter() - start
    ok = row["status"] == "ok" and solver is not None and bool(solver.best_params)
    return row, (ModelState(solver.best_params, solver.best_buffers) if ok else None)


_WORKER: dict[str, Any] = {}


def _init_worker(build_model: Callable[[dict[str, Any]], Any], data: dict[str, np.ndarray],
                 solver_options: dict[str, Any] | None) -> None:
    """Worker process set-up: one BLAS thread (n_jobs workers share the cores), shared inputs.

    ``data`` (X_train (N, ...), y_train (N,), X_val (M, ...), y_val (M,)) is sent once per
    worker, not once per trial.
    """
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits  # lazy: optional
        _WORKER["limits"] = threadpool_limits(limits=1)
    except ImportError:  # the variables above still cover libraries loaded later
        pass
    _WORKER.update(build_model=build_model, data=data, solver_options=solver_options)


def _worker_trial(config: dict[str, Any], seed: int, trial: int
                  ) -> tuple[dict[str, Any], ModelState | None]:
    """One trial inside a worker, with the inputs stored by :func:`_init_worker`."""
    w = _WORKER
    return run_trial(w["build_model"], w["data"], config, w["solver_options"], seed, trial)


def _check_jobs(n_jobs: object) -> int:
    """The number of worker processes: n_jobs itself, or the core count for -1."""
    if not is_int(n_jobs) or not (n_jobs >= 1 or n_jobs == -1):
        raise ValueError(f"n_jobs must be an integer >= 1 (or -1 for every core), got {n_jobs!r}")
    return (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)


def _check_picklable(**objects: Any) -> None:
    """Clear TypeError, naming the argument, if an object cannot be sent to the workers."""
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
    seed = check_int("seed", seed, 0)
    n_jobs = _check_jobs(n_jobs)
    solver_kwargs({}, solver_options, 0)  # early errors for bad options
    seeds = [trial_seed(seed, i) for i in range(len(configs))]
    keys = [trial_key(c, s) for c, s in zip(configs, seeds, strict=True)]

    path = None if results_path is None else Path(results_path)
    # (empty: just created by another search sharing the file, its header not yet written)
    fresh = path is None or not path.is_file() or path.stat().st_size == 0
    saved = [] if fresh else read_results(path)
    done = {r["key"]: r for r in saved if r["key"] in set(keys)}
    todo = [i for i, k in enumerate(keys) if k not in done]
    best: list[Any] = [None, None, None]  # sort key, ModelState, trial key
    if path is not None and done:
        key, state = _read_best(path)
        if key in done:
            best[:] = [_sort_key(done[key]), state, key]

    bar = None
    if progress:
        from tqdm.auto import tqdm  # lazy: only the progress bar needs it
        bar = tqdm(total=len(configs), initial=len(configs) - len(todo), desc="search",
                   unit="trial")

    if path is not None:
        create_results(path)  # a bad path fails now, not after the first trial

    def record(row: dict[str, Any], state: ModelState | None) -> None:
        done[row["key"]] = row
        if path is not None:
            append_result(path, row, state)  # locked append: other writers keep theirs
        if state is not None and (best[0] is None or _sort_key(row) < best[0]):
            best[:] = [_sort_key(row), state, row["key"]]
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
    top = result.records[0]["key"] if not _sort_key(result.records[0])[0] else None
    state = best[1] if top is not None and best[2] == top else None
    if state is None and top is not None and path is not None:  # e.g. another search
        key, saved = _read_best(path)  # sharing the file ran it
        state = saved if key == top else None
    if state is not None:
        result.best_params, result.best_buffers = state
    return result


def _run_parallel(build_model: Callable[[dict[str, Any]], Any], data: dict[str, np.ndarray],
                  solver_options: dict[str, Any] | None, configs: list[dict[str, Any]],
                  seeds: list[int], todo: list[int], n_jobs: int,
                  record: Callable[[dict[str, Any], ModelState | None], None]) -> None:
    """Run the ``todo`` trials in ``n_jobs`` spawned processes, recording each as it finishes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    _check_picklable(build_model=build_model, solver_options=solver_options)
    _check_main_guard()
    context = multiprocessing.get_context("spawn")  # same behaviour on Linux, macOS, Windows
    try:
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
    except BrokenProcessPool as exc:
        raise RuntimeError(f"a search worker process died ({exc}). If this runs from a "
                           f"script, {_GUARD_HINT}; otherwise the machine may be out of memory:"
                           " try fewer n_jobs") from None


_GUARD_HINT = ("with n_jobs > 1 each worker re-imports your script, so the code that calls "
               "run_search must sit under `if __name__ == \"__main__\":` (or use n_jobs=1)")
_GUARD = re.compile(r"""__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__""")


def _check_main_guard() -> None:
    """Refuse, before starting workers, what would make them fail or hang: a script without
    a ``__main__`` guard (spawned workers re-run it), or a call made inside a worker."""
    import multiprocessing
    import sys

    if multiprocessing.parent_process() is not None and \
            getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError(f"run_search was called while a worker was starting: {_GUARD_HINT}")
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not str(path).endswith(".py") or not os.path.isfile(path):
        return  # Jupyter, the REPL, python -c: nothing is re-imported
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            source = f.read(2_000_000)
    except OSError:
        return
    if not _GUARD.search(source):
        raise RuntimeError(f"{path} has no `if __name__ == \"__main__\":` guard: "
                           f"{_GUARD_HINT}")
