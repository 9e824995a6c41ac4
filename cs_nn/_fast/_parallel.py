"""Split a batch over a few Python threads, each running BLAS single-threaded.

Small matrix products (like a convolution's im2col GEMMs) gain little from a second BLAS
thread, and the copies around them gain nothing, so a layer can instead hand each thread
its own contiguous range of images. numpy releases the GIL inside matmul and array copies,
so the threads really do run at the same time.

Rules that keep the results deterministic: every range writes only its own slices of the
output arrays, and any per-range partial results (e.g. weight-gradient sums) come back as a
list in range order, for the caller to combine in that fixed order. The number of threads
follows the BLAS thread count (as set by ``threadpoolctl`` or ``OPENBLAS_NUM_THREADS``),
so a single-threaded BLAS means a plain sequential call. Without ``threadpoolctl``
installed everything runs sequentially.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

# Ranges per thread: more let a thread slowed by other load leave work to the other one, but
# each costs numpy calls that contend for the GIL. Measured (conv (a) / (b) forward + backward,
# two threads, quiet machine, means of three runs): 4 -> 2 pieces took 11.4 -> 11.0 ms and
# 6.1 -> 5.8 ms; 1 piece was 2-4% faster still, but leaves no slack for an uneven load.
_PIECES_PER_THREAD = 2
_LOCK = threading.Lock()  # one parallel section at a time (the BLAS limit is process-wide)
_STATE: dict[str, Any] = {"executor": None, "controller": None}


def _reset_after_fork() -> None:
    _STATE["executor"] = None  # a forked child has no worker threads: start afresh


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _controller() -> Any:
    """A cached ``threadpoolctl.ThreadpoolController``, or None if it is not installed."""
    if _STATE["controller"] is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _STATE["controller"] = False
        else:
            _STATE["controller"] = ThreadpoolController().select(user_api="blas")
    return _STATE["controller"] or None


def _blas_threads(controller: Any) -> int:
    # the libraries' own counts, not controller.info(), which builds a dict per library
    # (a parallel section's split: 12.6 -> 8.2 us)
    counts = [lib.num_threads for lib in controller.lib_controllers]
    return min(counts) if counts else 1


@contextmanager
def _one_blas_thread(controller: Any) -> Iterator[None]:
    """BLAS limited to one thread inside, each library's count restored afterwards (what
    ``controller.limit(limits=1)`` does, without its bookkeeping)."""
    libs = controller.lib_controllers
    before = [lib.num_threads for lib in libs]
    for lib in libs:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, count in zip(libs, before, strict=True):
            lib.set_num_threads(count)


def _workers(controller: Any) -> int:
    """How many threads a parallel section may use: the BLAS thread count, at most the cores."""
    if controller is None:
        return 1
    return max(1, min(_blas_threads(controller), os.cpu_count() or 1))


def split(n: int, min_size: int, pieces_per_thread: int = _PIECES_PER_THREAD) -> list[int]:
    """Bounds ``[0, ..., n]`` of consecutive ranges for a parallel section over ``n`` items.

    With a multi-threaded BLAS (and threadpoolctl installed), up to ``pieces_per_thread``
    ranges per thread, each of at least ``min_size`` items; otherwise (or when ``n`` is too
    small to cut) one range. The cut depends only on ``n``, the sizes and the thread count,
    never on timing, so a forward and its backward can share it (see :func:`run_ranges`).
    """
    min_size = max(1, min_size)
    workers = _workers(_controller())
    if workers < 2 or n < 2 * min_size:
        return [0, n]
    pieces = min(workers * max(1, pieces_per_thread), n // min_size)
    return [n * j // pieces for j in range(pieces + 1)]


def run_ranges(fn: Callable[[int, int], T], bounds: list[int]) -> list[T]:
    """``[fn(lo, hi) for consecutive (lo, hi) in bounds]``, the ranges spread over threads.

    The calling thread works too, beside one helper thread per further core: each takes the
    next range as it becomes free (so a thread slowed by other load does less of the work,
    and the caller starts at once instead of waiting for sleeping threads to wake: the
    ThreeLayerConvNet step on two threads took 2-7% less). Results come back in range order.
    While the ranges run, BLAS is limited to one thread, and restored afterwards; every range
    runs even if one fails, and the first failure in range order is raised once all are done.
    With one range, no threadpoolctl, or while another parallel section is running (another
    thread, or nested), the ranges run one after another on the calling thread: the same
    ranges, so the same results.
    """
    pairs = list(zip(bounds[:-1], bounds[1:]))
    controller = _controller()
    if len(pairs) < 2 or controller is None or not _LOCK.acquire(blocking=False):
        return [fn(lo, hi) for lo, hi in pairs]
    try:
        helpers = min(_workers(controller), len(pairs)) - 1
        if helpers < 1:
            return [fn(lo, hi) for lo, hi in pairs]
        if _STATE["executor"] is None:
            _STATE["executor"] = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) - 1),
                                                    thread_name_prefix="cs_nn")
        results: list[Any] = [None] * len(pairs)
        errors: list[Exception | None] = [None] * len(pairs)
        ticket = iter(range(len(pairs)))  # the ranges not yet taken, in order
        taken = threading.Lock()

        def take_ranges() -> None:
            while True:
                with taken:
                    j = next(ticket, None)
                if j is None:
                    return
                try:
                    results[j] = fn(*pairs[j])
                except Exception as error:  # kept for the caller, in range order
                    errors[j] = error

        with _one_blas_thread(controller):
            futures = [_STATE["executor"].submit(take_ranges) for _ in range(helpers)]
            try:
                take_ranges()
            finally:  # all ranges finish (even if one fails) before BLAS is restored
                wait(futures)
        for future in futures:
            future.result()  # (only what is not an Exception, e.g. SystemExit, gets here)
        failure = next((error for error in errors if error is not None), None)
        if failure is not None:
            raise failure
        return results
    finally:
        _LOCK.release()


def sum_in_order(parts: list[Any]) -> Any:
    """``parts[0] + parts[1] + ...`` added left to right (so the result does not depend on
    thread timing), accumulated IN PLACE into ``parts[0]``: the parts must be fresh arrays
    that nothing else holds (per-range partial sums). Saves allocating a new array per
    addition (for a hidden layer's weight gradient, megabytes of fresh pages each step)."""
    total = parts[0]
    for part in parts[1:]:
        total += part
    return total


def map_ranges(fn: Callable[[int, int], T], n: int, min_size: int) -> list[T]:
    """``run_ranges(fn, split(n, min_size))``, except that a call made while another parallel
    section is running (nested, or from another thread) runs ``[fn(0, n)]`` in one piece."""
    if _LOCK.locked():
        return [fn(0, n)]
    return run_ranges(fn, split(n, min_size))
