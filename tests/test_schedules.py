"""Schedules: values against direct formulas, JSON round trip, validation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn import schedules as sch


def test_step_decay_values():
    s = sch.StepDecay(0.1, factor=0.5, step_size=3)
    want = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]
    np.testing.assert_allclose([s(e) for e in range(7)], want)
    assert isinstance(s(np.int64(4)), float)


def test_exponential_decay_matches_repeated_multiplication():
    s = sch.ExponentialDecay(2e-3, decay=0.9)
    lr = 2e-3
    for epoch in range(10):
        assert math.isclose(s(epoch), lr, rel_tol=1e-12)
        lr *= 0.9


def test_cosine_decay_endpoints_and_midpoint():
    s = sch.CosineDecay(1.0, num_epochs=10, final=0.2)
    assert s(0) == pytest.approx(1.0)
    assert s(5) == pytest.approx(0.6)  # halfway between initial and final
    assert s(10) == pytest.approx(0.2)
    assert s(25) == pytest.approx(0.2)  # flat afterwards


def test_momentum_ramp():
    s = sch.momentum_ramp(0.5, 0.99, num_epochs=7)
    values = [s(e) for e in range(10)]
    assert values[0] == 0.5
    assert values[7] == pytest.approx(0.99) and values[9] == pytest.approx(0.99)
    np.testing.assert_allclose(values[:8], np.linspace(0.5, 0.99, 8))
    assert all(v < 1 for v in values)


@settings(max_examples=25, deadline=None)
@given(initial=st.floats(1e-6, 10), factor=st.floats(0.01, 1.0), step=st.integers(1, 5),
       num_epochs=st.integers(1, 30))
def test_decays_never_increase_and_stay_positive(initial, factor, step, num_epochs):
    for s in (sch.StepDecay(initial, factor, step), sch.ExponentialDecay(initial, factor),
              sch.CosineDecay(initial, num_epochs)):
        values = np.array([s(e) for e in range(40)])
        assert values[0] == pytest.approx(initial)
        assert np.all(np.diff(values) <= 1e-12 * initial)
        assert np.all(values >= 0)


@pytest.mark.parametrize("s", [
    sch.Constant(0.3), sch.StepDecay(0.1, 0.5, 2), sch.ExponentialDecay(0.01, 0.97),
    sch.CosineDecay(0.1, 20, 0.001), sch.LinearRamp(0.0, 2.0, 4), sch.momentum_ramp(),
])
def test_json_round_trip(s):
    d = json.loads(json.dumps(s.to_dict()))
    assert d["type"] == type(s).__name__
    rebuilt = sch.schedule_from_dict(d)
    assert rebuilt == s
    assert [rebuilt(e) for e in range(12)] == [s(e) for e in range(12)]


@pytest.mark.parametrize("make, match", [
    (lambda: sch.StepDecay(-0.1), "initial"),
    (lambda: sch.StepDecay(0.1, factor=0.0), "factor"),
    (lambda: sch.StepDecay(0.1, factor=1.5), "factor"),
    (lambda: sch.StepDecay(0.1, step_size=0), "step_size"),
    (lambda: sch.ExponentialDecay(0.1, decay=2.0), "decay"),
    (lambda: sch.CosineDecay(0.1, num_epochs=0), "num_epochs"),
    (lambda: sch.CosineDecay(0.1, num_epochs=5, final=0.5), "final"),
    (lambda: sch.LinearRamp(0.0, float("inf"), 3), "end"),
    (lambda: sch.momentum_ramp(0.5, 1.0), "momentum end"),
    (lambda: sch.Constant(True), "value"),
])
def test_validation(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_epoch_and_bad_dict():
    s = sch.StepDecay(0.1)
    for epoch in (-1, 1.5, True):
        with pytest.raises(ValueError, match="epoch must be an integer"):
            s(epoch)
    with pytest.raises(ValueError, match="unknown schedule type 'Warp'.*StepDecay"):
        sch.schedule_from_dict({"type": "Warp"})
    with pytest.raises(ValueError, match="bad fields for StepDecay"):
        sch.schedule_from_dict({"type": "StepDecay", "initial": 0.1, "gamma": 0.5})
    with pytest.raises(ValueError, match="'type' key"):
        sch.schedule_from_dict({"initial": 0.1})
