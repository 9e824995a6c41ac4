"""Tests for cs_nn.course.search: spaces, trial generation, the search loop, resuming, parallel."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from cs_nn.course.search import (
    Choice,
    IntUniform,
    LogUniform,
    MLPBuilder,
    Uniform,
    format_table,
    grid_search,
    load_results,
    random_search,
    run_search,
    solver_kwargs,
    trial_seed,
)
from cs_nn.models import FullyConnectedNet

OPTIONS = {"update_rule": "sgd", "num_epochs": 2, "batch_size": 30}
BUILDER = MLPBuilder(input_dim=6, num_classes=3, hidden_dims=(8,))


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    """Three Gaussian blobs in 6-D: easy enough that a good lr learns them in 2 epochs."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 2, size=(3, 6))
    y = rng.integers(0, 3, size=180)
    X = (centres[y] + rng.normal(size=(180, 6))).astype(np.float32)
    return {"X_train": X[:120], "y_train": y[:120], "X_val": X[120:], "y_val": y[120:]}


@dataclasses.dataclass(frozen=True)
class CountingBuilder:
    """Builds a tiny net and appends one line per call to a file (counts across processes)."""
    counter: str
    interrupt_at: int | None = None

    def __call__(self, config: dict) -> FullyConnectedNet:
        path = Path(self.counter)
        calls = len(path.read_text().splitlines()) if path.exists() else 0
        if self.interrupt_at is not None and calls + 1 == self.interrupt_at:
            raise KeyboardInterrupt  # like Ctrl-C during a trial
        with path.open("a") as f:
            f.write(json.dumps(config) + "\n")
        return BUILDER(config)


def calls(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def without_seconds(table: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "seconds"} for row in table]


# ---------------------------------------------------------------- spaces and trials
def test_grid_enumerates_the_product_last_key_fastest():
    space = {"a": [1, 2], "b": ["x", "y", "z"], "hidden_dims": [[10, 5]], "fixed": 0.5}
    expected = [{"a": a, "b": b, "hidden_dims": [10, 5], "fixed": 0.5}
                for a in (1, 2) for b in ("x", "y", "z")]
    assert grid_search(space) == expected
    assert grid_search({"a": Choice([3, 4])}) == [{"a": 3}, {"a": 4}]


def test_grid_refuses_a_continuous_range_naming_the_parameter():
    with pytest.raises(ValueError, match="'lr'.*random_search"):
        grid_search({"lr": LogUniform(1e-4, 1e-1)})


def test_random_search_is_reproducible_and_prefix_stable():
    space = {"lr": LogUniform(1e-4, 1e-1), "reg": Uniform(0.0, 1.0), "width": IntUniform(5, 9),
             "act": ["relu", "elu"], "batch_size": 50}
    first = random_search(space, 6, seed=3)
    assert first == random_search(space, 6, seed=3)
    assert first != random_search(space, 6, seed=4)
    assert random_search(space, 2, seed=3) == first[:2]
    for config in first:
        assert 1e-4 <= config["lr"] <= 1e-1 and 0.0 <= config["reg"] < 1.0
        assert config["width"] in range(5, 10) and config["act"] in ("relu", "elu")
        assert config["batch_size"] == 50


def test_log_uniform_samples_are_uniform_in_log_space():
    stats = pytest.importorskip("scipy.stats")
    values = np.array([c["lr"] for c in random_search({"lr": LogUniform(1e-5, 1e-1)}, 3000, 0)])
    assert values.min() >= 1e-5 and values.max() <= 1e-1
    logs = np.log10(values)
    assert stats.kstest(logs, stats.uniform(loc=-5, scale=4).cdf).pvalue > 0.01
    # each decade gets about a quarter (a linear-uniform draw would put ~90% in the last one)
    counts = np.histogram(logs, bins=[-5, -4, -3, -2, -1])[0] / values.size
    np.testing.assert_allclose(counts, 0.25, atol=0.04)


def test_int_uniform_includes_both_ends():
    values = {c["n"] for c in random_search({"n": IntUniform(1, 3)}, 200, seed=1)}
    assert values == {1, 2, 3}


@pytest.mark.parametrize("space, match", [
    ({"lr": LogUniform(0.0, 1.0)}, "'lr'.*low > 0"),
    ({"reg": LogUniform(-1e-3, 1e-2)}, "'reg'.*low > 0"),
    ({"lr": LogUniform(1e-1, 1e-4)}, "'lr'.*low < high"),
    ({"dropout": Uniform(0.5, 0.5)}, "'dropout'.*low < high"),
    ({"p": Uniform(0.0, math.inf)}, "'p'.*finite"),
    ({"width": IntUniform(2.5, 9)}, "'width'.*integer"),
    ({"act": Choice([])}, "'act'.*non-empty"),
    ({"hidden_dims": []}, "'hidden_dims'.*empty"),
    ({"seed": [1, 2]}, "seed"),
])
def test_invalid_spaces_name_the_parameter(space, match):
    with pytest.raises(ValueError, match=match):
        random_search(space, 2)


def test_solver_kwargs_route_hyperparameters():
    config = {"lr": 0.05, "momentum": 0.8, "batch_size": 25, "reg": 1e-3, "hidden_dims": [4]}
    opts = solver_kwargs(config, {"update_rule": "sgd_momentum", "num_epochs": 4}, seed=7)
    assert opts["optim_config"] == {"learning_rate": 0.05, "momentum": 0.8}
    assert opts["batch_size"] == 25 and opts["num_epochs"] == 4 and opts["seed"] == 7
    assert opts["patience"] == 3  # early stopping on by default
    assert "reg" not in opts and "hidden_dims" not in opts  # model hyperparameters
    with pytest.raises(ValueError, match="seed"):
        solver_kwargs({}, {"seed": 1}, seed=0)


def test_trial_seeds_differ_and_depend_on_the_search_seed():
    seeds = [trial_seed(0, i) for i in range(20)]
    assert len(set(seeds)) == 20 and trial_seed(1, 0) != seeds[0]


# ---------------------------------------------------------------- the search loop
def test_tiny_search_returns_a_sorted_table_and_the_best_model(data):
    trials = grid_search({"lr": [1e-3, 3e-2, 3e-1], "reg": [1e-4]})
    result = run_search(BUILDER, data, trials, OPTIONS, seed=0, progress=True)
    table = result.table
    assert [row["trial"] for row in table] != [] and len(table) == 3
    assert list(table[0]) == ["trial", "lr", "reg", "best_val_acc", "best_epoch", "epochs_run",
                              "seconds", "status"]
    accs = [row["best_val_acc"] for row in table]
    assert accs == sorted(accs, reverse=True)
    assert all(row["status"] == "ok" and 1 <= row["best_epoch"] <= row["epochs_run"] <= 2
               for row in table)
    assert result.best_config == {"lr": table[0]["lr"], "reg": 1e-4}
    # oracle: the rebuilt best model scores its recorded accuracy on the whole validation set
    model = result.best_model()
    acc = float(np.mean(model.predict(data["X_val"]) == data["y_val"]))
    assert acc == pytest.approx(table[0]["best_val_acc"])
    text = result.to_markdown()
    assert text.splitlines()[0].startswith("| trial | lr | reg | best_val_acc")
    assert f"{table[0]['best_val_acc']:.4f}" in text


def test_a_diverging_trial_is_recorded_and_the_search_goes_on(data):
    trials = [{"lr": 3e-2}, {"lr": 1e6, "weight_scale": 1.0}, {"lr": 1e-2}]
    result = run_search(BUILDER, data, trials, OPTIONS, progress=False)
    by_trial = {row["trial"]: row for row in result.table}
    assert by_trial[1]["status"] == "failed"
    assert "error" in by_trial[1] and by_trial[1]["error"]
    assert by_trial[0]["status"] == by_trial[2]["status"] == "ok"
    assert result.table[-1]["trial"] == 1  # failed trials sort last
    assert result.best_config["lr"] in (3e-2, 1e-2)
    assert "| error |" in result.to_markdown().splitlines()[0]


def test_every_trial_failing_gives_a_clear_error(data):
    result = run_search(BUILDER, data, [{"lr": 1e6, "weight_scale": 1.0}], OPTIONS,
                        progress=False)
    with pytest.raises(ValueError, match="every trial failed"):
        _ = result.best_config


def test_resume_skips_the_trials_already_done(data, tmp_path):
    trials = random_search({"lr": LogUniform(1e-3, 1e-1), "reg": LogUniform(1e-5, 1e-2)}, 4, 0)
    counter, results = tmp_path / "calls.txt", tmp_path / "search.jsonl"
    first = run_search(CountingBuilder(str(counter)), data, trials[:2], OPTIONS,
                       results_path=results, progress=False)
    assert len(calls(counter)) == 2
    full = run_search(CountingBuilder(str(counter)), data, trials, OPTIONS,
                      results_path=results, progress=False)
    made = calls(counter)
    assert len(made) == 4  # only trials 2 and 3 were built the second time
    assert [c["lr"] for c in made[2:]] == [trials[2]["lr"], trials[3]["lr"]]
    old = {row["trial"]: row for row in first.table}
    for row in full.table:  # reused rows come back unchanged, down to the timing
        if row["trial"] in old:
            assert row == old[row["trial"]]
    assert sorted(row["trial"] for row in full.table) == [0, 1, 2, 3]
    # the file alone gives back the same table and the same best model
    again = load_results(results, CountingBuilder(str(tmp_path / "other.txt")))
    assert again.table == full.table
    np.testing.assert_array_equal(again.best_model().predict(data["X_val"]),
                                  full.best_model().predict(data["X_val"]))


def test_an_interrupted_search_resumes_where_it_stopped(data, tmp_path):
    trials = grid_search({"lr": [1e-2, 3e-2, 1e-1], "reg": [0.0]})
    counter, results = tmp_path / "calls.txt", tmp_path / "search.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run_search(CountingBuilder(str(counter), interrupt_at=3), data, trials, OPTIONS,
                   results_path=results, progress=False)
    assert len(load_results(results).table) == 2  # two finished trials were saved
    result = run_search(CountingBuilder(str(counter)), data, trials, OPTIONS,
                        results_path=results, progress=False)
    assert [c["lr"] for c in calls(counter)] == [1e-2, 3e-2, 1e-1]
    assert len(result.table) == 3


def test_parallel_search_gives_the_same_table_as_serial(data):
    trials = random_search({"lr": LogUniform(1e-3, 3e-1), "hidden_dims": [[4], [8, 4]]}, 4, 5)
    serial = run_search(BUILDER, data, trials, OPTIONS, seed=2, n_jobs=1, progress=False)
    parallel = run_search(BUILDER, data, trials, OPTIONS, seed=2, n_jobs=2, progress=False)
    assert without_seconds(parallel.table) == without_seconds(serial.table)
    for name, w in serial.best_params.items():
        np.testing.assert_array_equal(parallel.best_params[name], w)


def test_bad_search_arguments(data, tmp_path):
    with pytest.raises(TypeError, match="list of hyperparameter dicts"):
        run_search(BUILDER, data, {"lr": [1e-2]}, OPTIONS)
    with pytest.raises(ValueError, match="n_jobs"):
        run_search(BUILDER, data, [{"lr": 1e-2}], OPTIONS, n_jobs=0)
    with pytest.raises(TypeError, match="picklable"):
        run_search(lambda c: BUILDER(c), data, [{"lr": 1e-2}, {"lr": 2e-2}], OPTIONS, n_jobs=2,
                   progress=False)
    with pytest.raises(TypeError, match=r"trials\[0\]\['f'\].*JSON"):
        run_search(BUILDER, data, [{"f": print}], OPTIONS)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "something else"}\n')
    with pytest.raises(ValueError, match="not a cs_nn search results file"):
        run_search(BUILDER, data, [{"lr": 1e-2}], OPTIONS, results_path=bad)
    bad.write_text('{"format": "cs_nn-search-results", "version": 999}\n')
    with pytest.raises(ValueError, match="version 999"):
        load_results(bad)


def test_format_table_uses_explicit_formats():
    rows = [{"trial": 0, "lr": 0.000123456, "best_val_acc": 0.912345, "seconds": 1.23456,
             "hidden_dims": [100, 50], "status": "ok", "best_epoch": None}]
    lines = format_table(rows).splitlines()
    assert lines[2] == "| 0 | 0.000123 | 0.9123 | 1.23 | [100, 50] | ok | - |"


CONCURRENT_SCRIPT = r"""
import sys, time
import numpy as np
from cs_nn.course.search import MLPBuilder, random_search, run_search
from cs_nn.course.search.results import load_results

rng = np.random.default_rng(0)
centres = rng.normal(0, 2, size=(3, 6))
y = rng.integers(0, 3, size=180)
X = (centres[y] + rng.normal(size=(180, 6))).astype(np.float32)
data = {"X_train": X[:120], "y_train": y[:120], "X_val": X[120:], "y_val": y[120:]}
trials = random_search({"lr": [1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0]}, 6, int(sys.argv[2]))
start = float(sys.argv[3])
time.sleep(max(0.0, start - time.time()))  # both writers start together
run_search(MLPBuilder(input_dim=6, num_classes=3, hidden_dims=(8,)), data, trials,
           {"update_rule": "sgd", "num_epochs": 2, "batch_size": 30}, seed=int(sys.argv[2]),
           results_path=sys.argv[1], progress=False)
"""


def _wait_ok(proc) -> None:
    """The child must succeed; a child stopped by a release stub re-raises the stub's error
    here, so the learner's release reports "not implemented yet", not a failure."""
    err = proc.communicate(timeout=300)[1]
    if proc.returncode != 0 and "NotImplementedError: implement" in err:
        raise NotImplementedError(err.rsplit("NotImplementedError: ", 1)[1].strip())
    assert proc.returncode == 0, err


def test_two_searches_sharing_a_results_file_lose_no_trial(tmp_path):
    """Issue 13 case 5: two run_search calls on one file at once kept only one's rows."""
    import subprocess
    import sys
    import time

    results = tmp_path / "search.jsonl"
    start = time.time() + 8
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT_SCRIPT, str(results), str(s),
                               str(start)], stderr=subprocess.PIPE, text=True) for s in (1, 2)]
    for p in procs:
        _wait_ok(p)
    rows = load_results(results).records
    assert len(rows) == 12 and len({r["key"] for r in rows}) == 12
    again = load_results(results, BUILDER)
    assert again.best_params is not None  # the .best.npz is the best row of the file
    best = again.best_model()
    assert set(best.params) == {"W1", "b1", "W2", "b2"}


def test_a_results_file_another_search_has_just_created_counts_as_empty(data, tmp_path):
    # The race behind an intermittent failure of the test above: one search has opened (so
    # created) the shared file and not yet written its header when the other reads it.
    results = tmp_path / "search.jsonl"
    results.touch()
    run_search(BUILDER, data, [{"lr": 1e-2}], OPTIONS, results_path=results, progress=False)
    assert len(load_results(results).records) == 1


def test_a_line_torn_by_a_kill_is_ignored_and_cut_off(data, tmp_path):
    results = tmp_path / "search.jsonl"
    run_search(BUILDER, data, [{"lr": 1e-2}], OPTIONS, results_path=results, progress=False)
    with results.open("a") as f:
        f.write('{"trial": 1, "key": "abc", "conf')  # SIGKILL mid-append
    assert len(load_results(results).records) == 1
    run_search(BUILDER, data, [{"lr": 1e-2}, {"lr": 3e-2}], OPTIONS, results_path=results,
               progress=False)
    assert len(load_results(results).records) == 2
    assert "conf\n" not in results.read_text() and results.read_text().endswith("}\n")


SCRIPT_BODY = """
import numpy as np
from cs_nn.course.search import MLPBuilder, run_search
def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6)).astype(np.float32)
    y = rng.integers(0, 3, 60)
    data = {"X_train": X[:40], "y_train": y[:40], "X_val": X[40:], "y_val": y[40:]}
    r = run_search(MLPBuilder(input_dim=6, num_classes=3, hidden_dims=(8,)), data,
                   [{"lr": 1e-2}, {"lr": 1e-1}], {"num_epochs": 1, "batch_size": 20},
                   n_jobs=2, progress=False)
    print("trials", len(r.records))
"""


@pytest.mark.parametrize("guarded", [False, True])
def test_parallel_search_in_a_script_without_main_guard_says_so(tmp_path, guarded):
    """Issue 13 case 15: n_jobs > 1 in a script without `if __name__ == "__main__":`."""
    import subprocess
    import sys

    script = tmp_path / "search_script.py"
    tail = 'if __name__ == "__main__":\n    main()\n' if guarded else "main()\n"
    script.write_text(SCRIPT_BODY + tail)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=240, cwd=tmp_path)
    if guarded:
        assert proc.returncode == 0 and "trials 2" in proc.stdout, proc.stderr
    else:
        assert proc.returncode == 1
        assert 'has no `if __name__ == "__main__":` guard' in proc.stderr
        assert "BrokenProcessPool" not in proc.stderr and "spawn_main" not in proc.stderr
