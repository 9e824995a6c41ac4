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

Layout: :mod:`.spaces` (range specs, grid / random trials), :mod:`.builders` (MLPBuilder),
:mod:`.runner` (run_search, one trial, worker set-up, resume), :mod:`.results`
(SearchResult, tables, the JSON-lines results file).
"""

from cs_nn.course.search.builders import MLPBuilder
from cs_nn.course.search.results import (
    RESULTS_FORMAT,
    RESULTS_VERSION,
    SearchResult,
    format_table,
    load_results,
    read_results,
)
from cs_nn.course.search.runner import run_search, run_trial, solver_kwargs, trial_key, trial_seed
from cs_nn.course.search.spaces import (
    RESERVED,
    Choice,
    IntUniform,
    LogUniform,
    Uniform,
    check_space,
    grid_search,
    random_search,
)

__all__ = [
    "RESERVED", "RESULTS_FORMAT", "RESULTS_VERSION", "Choice", "IntUniform", "LogUniform",
    "MLPBuilder", "SearchResult", "Uniform", "check_space", "format_table", "grid_search",
    "load_results", "random_search", "read_results", "run_search", "run_trial",
    "solver_kwargs", "trial_key", "trial_seed",
]
