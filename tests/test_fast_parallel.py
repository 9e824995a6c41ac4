"""cs_nn/_fast/_parallel.py: how a batch is cut over threads, and how the parts come back."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn._fast import _parallel

INSTRUCTOR_ONLY = True  # not shipped in the student release

threadpoolctl = pytest.importorskip("threadpoolctl")


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 500), min_size=st.integers(0, 80), pieces=st.integers(1, 6),
       threads=st.sampled_from([1, 2]))
def test_split_is_a_partition_into_ranges_of_at_least_min_size(n, min_size, pieces, threads):
    with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
        bounds = _parallel.split(n, min_size, pieces_per_thread=pieces)
    assert bounds[0] == 0 and bounds[-1] == n
    sizes = np.diff(bounds)
    assert (sizes > 0).all()
    if len(sizes) > 1:  # cut only on two threads, never below min_size
        assert threads == 2 and sizes.min() >= max(1, min_size)
        assert len(sizes) <= threads * pieces


def test_run_ranges_returns_results_in_range_order_and_restores_blas_threads():
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        seen = []

        def work(lo, hi):
            seen.append(threading.current_thread().name)
            blas = min(i["num_threads"] for i in threadpoolctl.threadpool_info()
                       if i["user_api"] == "blas")
            return lo, hi, blas

        got = _parallel.run_ranges(work, [0, 3, 7, 10])
        after = min(i["num_threads"] for i in threadpoolctl.threadpool_info()
                    if i["user_api"] == "blas")
    assert [g[:2] for g in got] == [(0, 3), (3, 7), (7, 10)]
    assert all(g[2] == 1 for g in got)  # one BLAS thread inside the ranges
    assert after == 2
    caller = threading.current_thread().name  # works beside the helper thread(s)
    assert all(name.startswith("cs_nn") or name == caller for name in seen)


def test_a_nested_section_runs_in_one_piece_on_the_calling_thread():
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        def outer(lo, hi):
            return _parallel.map_ranges(lambda a, b: (a, b), 40, 1)

        got = _parallel.run_ranges(outer, [0, 5, 10])
    assert got == [[(0, 40)], [(0, 40)]]


def test_a_failing_range_raises_after_every_range_finished():
    finished = []

    def work(lo, hi):
        if lo == 0:
            raise ValueError("range 0 failed")
        finished.append(lo)
        return lo

    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        with pytest.raises(ValueError, match="range 0 failed"):
            _parallel.run_ranges(work, [0, 2, 4, 6])
    assert sorted(finished) == [2, 4]


def test_the_first_failure_in_range_order_is_raised():
    def work(lo, hi):
        if lo in (2, 4):
            raise ValueError(f"range at {lo} failed")
        return lo

    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        for _ in range(20):  # whichever thread fails first
            with pytest.raises(ValueError, match="range at 2 failed"):
                _parallel.run_ranges(work, [0, 2, 4, 6])


def test_sum_in_order_adds_left_to_right_into_the_first_part():
    rng = np.random.default_rng(0)
    parts = [rng.standard_normal((5, 3)).astype(np.float32) for _ in range(4)]
    want = ((parts[0] + parts[1]) + parts[2]) + parts[3]
    first = parts[0]
    got = _parallel.sum_in_order([p.copy() if i else p for i, p in enumerate(parts)])
    assert got is first  # accumulated in place: no new array per addition
    np.testing.assert_array_equal(got, want)
    single = np.ones(3)
    assert _parallel.sum_in_order([single]) is single
