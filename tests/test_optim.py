"""Update rules: agreement with PyTorch and with naive formulas, dtypes, purity, errors."""

from __future__ import annotations

import copy
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_submissions import instructor_only

from cs_nn import optim
from cs_nn.gradcheck import rel_error

#: Not shipped to learners: naive() below implements every update rule.
INSTRUCTOR_ONLY = True

RULES = ["sgd", "sgd_momentum", "rmsprop", "adam"]


def _grads(shape, steps, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(dtype) for _ in range(steps)]


def _run(rule, w, grads, config):
    """Apply ``rule`` once per gradient, threading the config through."""
    for dw in grads:
        w, config = rule(w, dw, config)
    return w, config


# ------------------------------------------------------------------ naive reference formulas
def naive(rule: str, w, grads, **hp):
    """Straightforward loops over steps, written independently of cs_nn.optim (float64)."""
    w = np.array(w, dtype=np.float64)
    state1 = np.zeros_like(w)
    state2 = np.zeros_like(w)
    for t, dw in enumerate(grads, start=1):
        dw = np.asarray(dw, dtype=np.float64)
        lr = hp.get("learning_rate", 1e-3 if rule == "adam" else 1e-2)
        if rule == "sgd":
            w = w - lr * dw
        elif rule == "sgd_momentum":  # CS231n: velocity includes the learning rate
            state1 = hp.get("momentum", 0.9) * state1 - lr * dw
            w = w + state1
        elif rule == "rmsprop":
            rho, eps = hp.get("decay_rate", 0.99), hp.get("epsilon", 1e-8)
            state1 = rho * state1 + (1 - rho) * dw**2
            w = w - lr * dw / (np.sqrt(state1) + eps)
        else:
            b1, b2, eps = hp.get("beta1", 0.9), hp.get("beta2", 0.999), hp.get("epsilon", 1e-8)
            state1 = b1 * state1 + (1 - b1) * dw
            state2 = b2 * state2 + (1 - b2) * dw**2
            m_hat, v_hat = state1 / (1 - b1**t), state2 / (1 - b2**t)
            w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


@settings(max_examples=25, deadline=None)
@given(rule=st.sampled_from(RULES),
       shape=st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple),
       steps=st.integers(1, 6), lr=st.floats(1e-4, 0.5), mu=st.floats(0.0, 0.99),
       seed=st.integers(0, 10_000))
def test_matches_naive_formula(rule, shape, steps, lr, mu, seed):
    hp = {"learning_rate": lr}
    if rule == "sgd_momentum":
        hp["momentum"] = mu
    if rule == "rmsprop":
        hp["decay_rate"] = mu
    if rule == "adam":
        hp["beta1"] = mu
    w0 = np.random.default_rng(seed + 1).normal(size=shape)
    grads = _grads(shape, steps, seed)
    got, _ = _run(optim.get_update_rule(rule), w0, grads, dict(hp))
    np.testing.assert_allclose(got, naive(rule, w0, grads, **hp), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ PyTorch as an oracle
def _torch_run(torch, make_opt, w0, grads):
    p = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
    opt = make_opt([p])
    for dw in grads:
        opt.zero_grad()
        p.grad = torch.tensor(dw, dtype=torch.float64)
        opt.step()
    return p.detach().numpy()


@pytest.mark.parametrize("rule", RULES)
def test_matches_pytorch(rule):
    """SGD, RMSprop and Adam use the same formulas as PyTorch (RMSprop: alpha = decay_rate,
    eps added outside the sqrt; Adam: eps added to sqrt(v_hat)). PyTorch's momentum keeps
    ``buf = mu * buf + dw`` and steps ``-lr * buf``, while CS231n keeps the velocity
    ``v = mu * v - lr * dw``: with a constant learning rate v = -lr * buf exactly, so the
    iterates agree (they would differ if lr changed between steps)."""
    torch = pytest.importorskip("torch")
    w0 = np.random.default_rng(3).normal(size=(4, 5))
    grads = _grads((4, 5), 7, seed=4)
    lr = 0.05
    makers = {
        "sgd": lambda ps: torch.optim.SGD(ps, lr=lr),
        "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.8),
        "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=0.95, eps=1e-8),
        "adam": lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.85, 0.995), eps=1e-8),
    }
    configs = {"sgd": {}, "sgd_momentum": {"momentum": 0.8}, "rmsprop": {"decay_rate": 0.95},
               "adam": {"beta1": 0.85, "beta2": 0.995}}
    got, _ = _run(optim.get_update_rule(rule), w0, grads, {"learning_rate": lr, **configs[rule]})
    want = _torch_run(torch, makers[rule], w0, grads)
    assert rel_error(got, want) < 1e-12


# ------------------------------------------------------------------ defaults and conventions
def test_default_learning_rates():
    w = np.ones(3)
    dw = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(optim.sgd(w, dw)[0], w - 1e-2 * dw)
    np.testing.assert_allclose(optim.sgd_momentum(w, dw)[0], w - 1e-2 * dw)  # v starts at 0
    next_w, config = optim.adam(w, dw)
    # t = 1: m_hat = dw and v_hat = dw**2, so each weight moves by lr * sign(dw) (up to eps)
    np.testing.assert_allclose(next_w, w - 1e-3 * np.sign(dw), rtol=1e-7)
    assert config["t"] == 1
    assert optim.default_config("adam") == {"learning_rate": 1e-3, "beta1": 0.9,
                                            "beta2": 0.999, "epsilon": 1e-8}


@pytest.mark.parametrize("rule", RULES)
def test_float32_stays_float32(rule):
    w = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    grads = _grads((3, 4), 3, dtype=np.float32)
    fn = optim.get_update_rule(rule)
    # a float64 gradient is cast to w's dtype
    next_w, config = _run(fn, w, grads + [grads[0].astype(np.float64)], None)
    assert next_w.dtype == np.float32
    for key, value in config.items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, key
    np.testing.assert_allclose(next_w, naive(rule, w, grads + [grads[0]]), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("rule", RULES)
def test_pure_from_the_callers_view(rule):
    rng = np.random.default_rng(1)
    w, dw = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    w_copy, dw_copy = w.copy(), dw.copy()
    fn = optim.get_update_rule(rule)
    _, config1 = fn(w, dw, {"learning_rate": 0.1})
    config1_snapshot = copy.deepcopy(config1)
    passed = dict(config1)
    next_w, config2 = fn(w, dw, passed)
    assert config2 is not passed
    assert passed.keys() == config1_snapshot.keys()
    assert all(passed[k] is config1[k] for k in passed)  # the dict itself is untouched
    np.testing.assert_array_equal(w, w_copy)
    np.testing.assert_array_equal(dw, dw_copy)
    assert next_w is not w


def test_integer_weights_are_promoted():
    next_w, _ = optim.sgd(np.array([1, 2, 3]), np.array([1, 1, 1]), {"learning_rate": 0.5})
    assert next_w.dtype == np.float64
    np.testing.assert_allclose(next_w, [0.5, 1.5, 2.5])


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("rule", RULES)
def test_shape_mismatch(rule):
    with pytest.raises(ValueError, match=r"dw has shape \(3,\) but w has shape \(2,\)"):
        optim.get_update_rule(rule)(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize("rule", RULES)
def test_unknown_config_key(rule):
    with pytest.raises(ValueError, match=r"unknown config key\(s\) \['lr'\].*learning_rate"):
        optim.get_update_rule(rule)(np.zeros(2), np.zeros(2), {"lr": 0.1})


@pytest.mark.parametrize("rule, key, value", [
    ("sgd", "learning_rate", -1.0), ("sgd", "learning_rate", float("nan")),
    ("sgd_momentum", "momentum", 1.0), ("rmsprop", "decay_rate", -0.1),
    ("rmsprop", "epsilon", 0.0), ("adam", "beta2", 1.5), ("adam", "t", -1),
    ("adam", "t", 1.5),
])
def test_bad_hyperparameters(rule, key, value):
    with pytest.raises(ValueError, match=key):
        optim.get_update_rule(rule)(np.zeros(2), np.zeros(2), {key: value})


def test_bad_state_shape_and_config_type():
    with pytest.raises(ValueError, match="velocity"):
        optim.sgd_momentum(np.zeros(2), np.zeros(2), {"velocity": np.zeros(3)})
    with pytest.raises(TypeError, match="config must be a dict"):
        optim.sgd(np.zeros(2), np.zeros(2), [("learning_rate", 1.0)])
    with pytest.raises(TypeError, match="float32 or float64"):
        optim.sgd(np.array(["a"]), np.zeros(1))


def test_get_update_rule():
    assert optim.get_update_rule("adam") is optim.adam
    with pytest.raises(ValueError, match=r"unknown update rule 'adamw'.*'rmsprop'.*'sgd_momentum'"):
        optim.get_update_rule("adamw")
    assert optim.config_keys("rmsprop") == ["cache", "decay_rate", "epsilon", "learning_rate"]


@pytest.mark.parametrize("rule", RULES)
@instructor_only  # the student release has its solution regions replaced
def test_solution_region_marked(rule):
    src = inspect.getsource(optim.get_update_rule(rule))
    assert src.count("# BEGIN SOLUTION") == 1 and src.count("# END SOLUTION") == 1


def test_momentum_key_comes_from_the_rule_specs() -> None:
    assert optim.momentum_key("sgd_momentum") == "momentum"
    assert optim.momentum_key("adam") == "beta1"
    assert optim.momentum_key("sgd") is None and optim.momentum_key("rmsprop") is None
    for rule in optim.UPDATE_RULES:
        key = optim.momentum_key(rule)
        assert key is None or key in optim.default_config(rule)
