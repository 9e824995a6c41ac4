"""A fixture that runs a test module twice: through the speed path and with the plain code.

``pytestmark = pytest.mark.usefixtures("both_paths")`` (after importing ``both_paths``) makes
every test of a module check the learner-facing functions as the reference runs them (the
instructor's cs_nn/_fast/ speed path) AND as the student release runs them (the plain code
in the solution regions, see cs_nn/_util/speed.py). Without cs_nn/_fast/ only the plain run is
left.
"""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn._util import speed as _speed

PATHS = ["speed path", "plain"] if _speed.installed() else ["plain"]


@pytest.fixture(params=PATHS)
def both_paths(request):
    if request.param == "plain":
        with _speed.plain():
            yield request.param
    else:
        yield request.param


def check_thread_runs(runs, expected, same_pairs):
    """Every run (a tuple of float32 arrays, one per thread setting) is close to the float64
    ``expected``; the runs at each index pair in ``same_pairs`` (same thread count) are
    bitwise equal, so a result never depends on thread timing."""
    for got in runs:
        for g, e in zip(got, expected, strict=True):
            assert g.dtype == np.float32
            np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5 * np.abs(e).max())
    for i, j in same_pairs:
        for a, c in zip(runs[i], runs[j], strict=True):
            np.testing.assert_array_equal(a, c)
