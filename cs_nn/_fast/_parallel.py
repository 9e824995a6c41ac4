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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, TypeVar

T = TypeVar("T")

_PIECES_PER_THREAD = 4
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
    counts = [info["num_threads"] for info in controller.info()]
    return min(counts) if counts else 1


def map_ranges(fn: Callable[[int, int], T], n: int, min_size: int) -> list[T]:
    """``[fn(lo, hi) for each range]`` over consecutive ranges that cover ``0 .. n``.

    With a multi-threaded BLAS, the items are cut into up to ``_PIECES_PER_THREAD`` ranges
    per thread, each of at least ``min_size`` items, and the threads take ranges as they
    become free (so a thread slowed by other load does less of the work). The cut depends
    only on ``n``, ``min_size`` and the thread count, never on timing. Otherwise, or when
    ``n`` is too small to cut, this is simply ``[fn(0, n)]`` on the calling thread.
    While the ranges run, BLAS is limited to one thread, and restored afterwards. A call
    made while another parallel section is running (another thread, or nested) runs
    sequentially instead of waiting.
    """
    controller = _controller()
    min_size = max(1, min_size)
    if controller is None or n < 2 * min_size:
        return [fn(0, n)]
    workers = min(_blas_threads(controller), os.cpu_count() or 1)
    if workers < 2 or not _LOCK.acquire(blocking=False):
        return [fn(0, n)]
    try:
        if _STATE["executor"] is None:
            _STATE["executor"] = ThreadPoolExecutor(max_workers=os.cpu_count() or 2,
                                                    thread_name_prefix="cs_nn")
        pieces = min(workers * _PIECES_PER_THREAD, n // min_size)
        bounds = [n * j // pieces for j in range(pieces + 1)]
        with controller.limit(limits=1):
            futures = [_STATE["executor"].submit(fn, lo, hi)
                       for lo, hi in zip(bounds[:-1], bounds[1:])]
            wait(futures)  # all ranges finish (even if one fails) before BLAS is restored
            return [future.result() for future in futures]  # range order, not finish order
    finally:
        _LOCK.release()
