"""The instructor's in-place update rules (cs_nn/_fast/optim.py) equal the plain rules that
learners write (cs_nn/optim.py), step after step, in float64 and float32."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_submissions import instructor_only

from cs_nn import optim
from cs_nn._fast import optim as fast

INSTRUCTOR_ONLY = True  # not shipped in the student release
pytestmark = instructor_only  # cs_nn/_fast/ is not shipped in the student release
RULES = ["sgd", "sgd_momentum", "rmsprop", "adam"]
SECOND_HP = {"sgd_momentum": "momentum", "rmsprop": "decay_rate", "adam": "beta1"}


def _run(rule, w, grads, config):
    for dw in grads:
        w, config = rule(w, dw, config)
    return w, config


@settings(max_examples=40, deadline=None)
@given(rule=st.sampled_from(RULES),
       shape=st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple),
       steps=st.integers(1, 6), lr=st.floats(1e-4, 0.5), mu=st.floats(0.0, 0.99),
       dtype=st.sampled_from([np.float64, np.float32]), seed=st.integers(0, 10_000))
def test_fast_equals_plain(rule, shape, steps, lr, mu, dtype, seed):
    rng = np.random.default_rng(seed)
    w0 = rng.normal(size=shape).astype(dtype)
    grads = [rng.normal(size=shape).astype(dtype) for _ in range(steps)]
    hp = {"learning_rate": lr, **({SECOND_HP[rule]: mu} if rule in SECOND_HP else {})}
    want, want_config = _run(getattr(optim, rule).plain, w0, grads, dict(hp))
    got, got_config = _run(getattr(fast, rule), w0, grads, dict(hp))
    tol = {"rtol": 1e-12, "atol": 1e-12} if dtype == np.float64 else {"rtol": 2e-5,
                                                                       "atol": 1e-6}
    assert got.dtype == want.dtype == dtype
    np.testing.assert_allclose(got, want, **tol)
    assert got_config.keys() == want_config.keys()
    for key, value in want_config.items():
        np.testing.assert_allclose(got_config[key], value, **tol)


def test_learner_facing_rules_dispatch_to_the_fast_path_and_own_their_state():
    w, dw = np.ones(4), np.full(4, 0.5)
    v = np.full(4, 0.25)
    next_w, out = optim.sgd_momentum(w, dw, {"learning_rate": 0.1, "velocity": v})
    np.testing.assert_array_equal(v, 0.25)  # the caller's array was not written to
    np.testing.assert_allclose(out["velocity"], 0.9 * 0.25 - 0.1 * 0.5)
    np.testing.assert_allclose(next_w, w + out["velocity"])
    # the returned state belongs to the fast path: the next step reuses it in place
    _, out2 = optim.sgd_momentum(next_w, dw, out)
    assert out2["velocity"] is out["velocity"]
    _, c1 = optim.adam(w, dw)
    _, c2 = optim.adam(w, dw, c1)
    assert c2["m"] is c1["m"] and c2["v"] is c1["v"] and (c1["t"], c2["t"]) == (1, 2)
    # the plain rules return fresh state every step
    _, p1 = optim.adam.plain(w, dw)
    _, p2 = optim.adam.plain(w, dw, p1)
    assert p2["m"] is not p1["m"] and (p1["t"], p2["t"]) == (1, 2)
