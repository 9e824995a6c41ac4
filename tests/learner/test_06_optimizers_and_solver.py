"""Notebook 06: the update rules (cs_nn/optim.py)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from learner_cases import RULE_CONFIGS
from learner_support import compare
from make_tests import expected_value_test

from cs_nn import optim

test_expected_values = expected_value_test("cs_nn.optim.")
STATE = {"sgd_momentum": "velocity", "rmsprop": "cache", "adam": "m"}


@pytest.mark.parametrize("rule", sorted(STATE))
def test_state_is_returned_in_config_and_used_next_step(rule):
    rng = np.random.default_rng(0)
    w, dw = rng.standard_normal(5), rng.standard_normal(5)
    fn = getattr(optim, rule)
    _, config = fn(w, dw, dict(RULE_CONFIGS[rule]))
    key = STATE[rule]
    assert isinstance(config.get(key), np.ndarray) and np.any(config[key]), (
        f"{rule}: after one step config['{key}'] is {config.get(key)!r}: store the updated "
        f"state back (config['{key}'] = ...) in the config you return, or the next step "
        "starts from zeros again and the rule silently becomes plain SGD")
    dw2 = rng.standard_normal(5)
    restarted, _ = fn(w, dw2, dict(RULE_CONFIGS[rule]))
    continued, _ = fn(w, dw2, config)
    assert not np.allclose(restarted, continued), (
        f"{rule}: the second step ignores the state in the config it was given")


@pytest.mark.parametrize("rule", sorted(RULE_CONFIGS))
def test_inputs_are_not_modified(rule):
    rng = np.random.default_rng(1)
    w, dw = rng.standard_normal(4), rng.standard_normal(4)
    fn = getattr(optim, rule)
    _, config = fn(w, dw, dict(RULE_CONFIGS[rule]))
    snapshot = copy.deepcopy(config)
    w0, dw0 = w.copy(), dw.copy()
    fn(w, dw, config)
    np.testing.assert_array_equal(w, w0, err_msg=f"{rule} changed w in place: return next_w")
    np.testing.assert_array_equal(dw, dw0, err_msg=f"{rule} changed dw in place")
    for key, value in snapshot.items():
        assert np.array_equal(config[key], value), (
            f"{rule} modified config['{key}'] of the config it was GIVEN: compute new arrays "
            f"(e.g. v = mu * v - lr * dw) and store them in the config it returns")


@pytest.mark.parametrize("rule", sorted(RULE_CONFIGS))
def test_agrees_with_pytorch(rule):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    w0, grads = rng.standard_normal((3, 4)), [rng.standard_normal((3, 4)) for _ in range(5)]
    c = RULE_CONFIGS[rule]
    lr = c["learning_rate"]
    make = {"sgd": lambda ps: torch.optim.SGD(ps, lr=lr),
            "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=lr, momentum=c.get("momentum")),
            "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=c.get("decay_rate"),
                                                      eps=1e-8),
            "adam": lambda ps: torch.optim.Adam(ps, lr=lr, betas=(c.get("beta1"), c.get("beta2")),
                                                eps=1e-8)}[rule]
    p = torch.nn.Parameter(torch.tensor(w0))
    opt = make([p])
    w, config = w0, dict(c)
    for dw in grads:
        w, config = getattr(optim, rule)(w, dw, config)
        opt.zero_grad()
        p.grad = torch.tensor(dw)
        opt.step()
    # PyTorch keeps buf = mu * buf + dw and steps -lr * buf; with a constant lr that is the
    # same iterate as the CS231n velocity v = mu * v - lr * dw
    compare(f"{rule} after 5 steps (against PyTorch)", w, p.detach().numpy(), rtol=1e-10)
