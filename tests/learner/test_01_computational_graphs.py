"""Notebook 01: the graphs f1, f2, f3 and f4 (cs_nn/graphs.py)."""

from __future__ import annotations

import numpy as np
import pytest
from make_tests import expected_value_test

test_expected_values = expected_value_test("cs_nn.graphs.")

ARGS = {"f1": (0.5, -1.2, 1.5, 0.3, 0.1, 0.7), "f2": (0.4,), "f3": (1.3, -0.4, 1),
        "f4": (0.8, -1.1, 0.4, 0.3, 0.9)}
LABELS = {"f1": 5, "f2": 1, "f3": 2, "f4": 4}  # how many leading inputs get a gradient


@pytest.mark.parametrize("name", sorted(ARGS))
def test_gradients_match_finite_differences(name):
    from cs_nn import graphs

    f = getattr(graphs, name)
    args = ARGS[name]
    _, grads = f(*args)
    assert len(grads) == LABELS[name], (
        f"{name} returned {len(grads)} gradients, expected one per input ({LABELS[name]}, "
        "labels and targets excluded)")
    h = 1e-6
    for i in range(LABELS[name]):
        up, down = list(args), list(args)
        up[i] += h
        down[i] -= h
        numeric = (f(*up)[0] - f(*down)[0]) / (2 * h)
        assert grads[i] == pytest.approx(numeric, rel=1e-5, abs=1e-8), (
            f"{name}: gradient {i} is {grads[i]:.8g} but the loss changes at rate "
            f"{numeric:.8g}: check that local derivative (and the copy rule where a value "
            "feeds two nodes)")
    assert np.isfinite(f(*args)[0])
