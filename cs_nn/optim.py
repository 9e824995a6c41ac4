"""First-order update rules: SGD, SGD with momentum, RMSProp and Adam.

Every rule has the signature ``rule(w, dw, config=None) -> (next_w, config)``:

- ``w``: parameter array of any shape; ``dw``: gradient of the loss with respect to ``w``
  (same shape). ``next_w`` is a new array with ``w``'s shape and dtype.
- ``config``: hyperparameters plus the rule's running state (``velocity``, ``cache``, ``m``,
  ``v``, ``t``). Missing entries get the documented defaults; unknown keys are an error.

The state lives in the config. ``w``, ``dw`` and the dict you pass in are never modified:
the rule gets a *new* config dict with the defaults filled in (and a private copy of every
state array), computes the new state and stores it back, e.g. ``config["velocity"] = v``;
the caller passes the returned config to the next step. Reuse a returned config only to take
the next step; copy it (``copy.deepcopy``) if you want to keep a snapshot (the instructor's
speed path, cs_nn/_fast/optim.py, updates the state arrays it allocated in place).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from cs_nn._checks import as_float_array, check_int, check_same_shape
from cs_nn._util.speed import speed_path

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "06_optimizers_and_solver"

Config = dict[str, Any]
UpdateRule = Callable[[np.ndarray, np.ndarray, "Config | None"], tuple[np.ndarray, Config]]

# name -> (default, kind); kind is "lr", "unit" ([0, 1)), "eps" (> 0), "state" or "count".
_SPECS: dict[str, dict[str, tuple[Any, str]]] = {
    "sgd": {"learning_rate": (1e-2, "lr")},
    "sgd_momentum": {"learning_rate": (1e-2, "lr"), "momentum": (0.9, "unit"),
                     "velocity": (None, "state")},
    "rmsprop": {"learning_rate": (1e-2, "lr"), "decay_rate": (0.99, "unit"),
                "epsilon": (1e-8, "eps"), "cache": (None, "state")},
    "adam": {"learning_rate": (1e-3, "lr"), "beta1": (0.9, "unit"), "beta2": (0.999, "unit"),
             "epsilon": (1e-8, "eps"), "m": (None, "state"), "v": (None, "state"),
             "t": (0, "count")},
}


StateMaker = Callable[[str, str, object, np.ndarray], np.ndarray]


def new_state(rule: str, key: str, value: object, w: np.ndarray) -> np.ndarray:
    """A state array for ``config[key]``: zeros if missing, else a private copy in w's dtype."""
    if value is None:
        return np.zeros_like(w)
    arr = as_float_array(f"config['{key}']", value, finite=False)
    check_same_shape(f"{rule}: config['{key}']", arr, "w", w)
    return np.array(arr, dtype=w.dtype, order="C")


def prepare(rule: str, w: object, dw: object, config: Config | None,
            state: StateMaker = new_state) -> tuple[np.ndarray, np.ndarray, Config]:
    """Validate ``w``/``dw``/``config``; return arrays and a new config with defaults filled
    (each state entry made by ``state``)."""
    w = as_float_array("w", w, finite=False)
    dw = as_float_array("dw", dw, finite=False)
    check_same_shape("dw", dw, "w", w)
    dw = dw.astype(w.dtype, copy=False)  # the update follows w's dtype
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise TypeError(f"{rule}: config must be a dict or None, got {type(config).__name__}")
    spec = _SPECS[rule]
    unknown = sorted(set(config) - set(spec))
    if unknown:
        raise ValueError(f"{rule}: unknown config key(s) {unknown}; valid keys are "
                         f"{sorted(spec)}")
    out: Config = {}
    for key, (default, kind) in spec.items():
        value = config.get(key, default)
        if kind == "state":
            out[key] = state(rule, key, value, w)
        elif kind == "count":
            out[key] = check_int(f"{rule}: config['{key}']", value, 0)
        else:
            out[key] = _hyper(rule, key, value, kind)
    return w, dw, out


def _hyper(rule: str, key: str, value: object, kind: str) -> float:
    """A hyperparameter as a Python float (so it never changes an array's dtype), range-checked."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{rule}: config['{key}'] must be a number, got {value!r}") from None
    ok = {"lr": x >= 0 and math.isfinite(x), "unit": 0 <= x < 1, "eps": 0 < x < math.inf}[kind]
    if not ok:
        want = {"lr": "a finite number >= 0", "unit": "in [0, 1)", "eps": "a number > 0"}[kind]
        raise ValueError(f"{rule}: config['{key}'] must be {want}, got {value!r}")
    return x


@speed_path("optim")
def sgd(w: np.ndarray, dw: np.ndarray, config: Config | None = None
        ) -> tuple[np.ndarray, Config]:
    """Vanilla stochastic gradient descent: ``next_w = w - learning_rate * dw``.

    Args:
        w: parameters, any shape. dw: gradient, w's shape.
        config: ``learning_rate`` (default 1e-2).

    Returns:
        next_w: w's shape and dtype. config: a new dict.
    """
    w, dw, config = prepare("sgd", w, dw, config)
    lr = config["learning_rate"]
    # BEGIN SOLUTION
    next_w = w - lr * dw
    # END SOLUTION
    return next_w, config


@speed_path("optim")
def sgd_momentum(w: np.ndarray, dw: np.ndarray, config: Config | None = None
                 ) -> tuple[np.ndarray, Config]:
    """SGD with momentum (CS231n convention: the velocity already contains the learning rate).

    ``velocity = momentum * velocity - learning_rate * dw``; ``next_w = w + velocity``.

    Args:
        w: parameters, any shape. dw: gradient, w's shape.
        config: ``learning_rate`` (1e-2), ``momentum`` (0.9, in [0, 1)),
            ``velocity`` (w's shape, starts at zeros).

    Returns:
        next_w: w's shape and dtype. config: a new dict holding the updated ``velocity``.
    """
    w, dw, config = prepare("sgd_momentum", w, dw, config)
    lr, mu, v = config["learning_rate"], config["momentum"], config["velocity"]
    # BEGIN SOLUTION
    v = mu * v - lr * dw
    next_w = w + v
    config["velocity"] = v
    # END SOLUTION
    return next_w, config


@speed_path("optim")
def rmsprop(w: np.ndarray, dw: np.ndarray, config: Config | None = None
            ) -> tuple[np.ndarray, Config]:
    """RMSProp: divide the step by a running root-mean-square of recent gradients.

    ``cache = decay_rate * cache + (1 - decay_rate) * dw**2``;
    ``next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)``.

    Args:
        w: parameters, any shape. dw: gradient, w's shape.
        config: ``learning_rate`` (1e-2), ``decay_rate`` (0.99), ``epsilon`` (1e-8),
            ``cache`` (w's shape, starts at zeros).

    Returns:
        next_w: w's shape and dtype. config: a new dict holding the updated ``cache``.
    """
    w, dw, config = prepare("rmsprop", w, dw, config)
    lr, rho, eps, cache = (config[k] for k in ("learning_rate", "decay_rate", "epsilon", "cache"))
    # BEGIN SOLUTION
    cache = rho * cache + (1 - rho) * dw**2
    next_w = w - lr * dw / (np.sqrt(cache) + eps)
    config["cache"] = cache
    # END SOLUTION
    return next_w, config


@speed_path("optim")
def adam(w: np.ndarray, dw: np.ndarray, config: Config | None = None
         ) -> tuple[np.ndarray, Config]:
    """Adam: momentum on the gradient (m) and RMSProp scaling (v), both bias-corrected.

    ``t += 1`` first (so the first step uses t = 1), then
    ``m = beta1 * m + (1 - beta1) * dw``, ``v = beta2 * v + (1 - beta2) * dw**2``,
    ``m_hat = m / (1 - beta1**t)``, ``v_hat = v / (1 - beta2**t)``,
    ``next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)``.

    Args:
        w: parameters, any shape. dw: gradient, w's shape.
        config: ``learning_rate`` (1e-3), ``beta1`` (0.9), ``beta2`` (0.999), ``epsilon`` (1e-8),
            ``m`` and ``v`` (w's shape, start at zeros), ``t`` (step count, starts at 0).

    Returns:
        next_w: w's shape and dtype. config: a new dict holding the updated ``m``, ``v``, ``t``.
    """
    w, dw, config = prepare("adam", w, dw, config)
    lr, beta1, beta2, eps = (config[k] for k in ("learning_rate", "beta1", "beta2", "epsilon"))
    m, v, t = config["m"], config["v"], config["t"]
    # BEGIN SOLUTION
    t = t + 1
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    next_w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    config["m"], config["v"], config["t"] = m, v, t
    # END SOLUTION
    return next_w, config


UPDATE_RULES: dict[str, UpdateRule] = {
    "sgd": sgd, "sgd_momentum": sgd_momentum, "rmsprop": rmsprop, "adam": adam,
}


def get_update_rule(name: str) -> UpdateRule:
    """The update rule called ``name`` (one of ``UPDATE_RULES``), or a clear ValueError."""
    if not isinstance(name, str) or name not in UPDATE_RULES:
        raise ValueError(f"unknown update rule {name!r}; valid names are {sorted(UPDATE_RULES)} "
                         "(or pass your own callable (w, dw, config) -> (next_w, config))")
    return UPDATE_RULES[name]


def default_config(name: str) -> Config:
    """The hyperparameter defaults of the named rule (no state), e.g. to show in a notebook."""
    get_update_rule(name)
    return {k: d for k, (d, kind) in _SPECS[name].items() if kind not in ("state", "count")}


def momentum_key(name: str) -> str | None:
    """The config key that plays the role of momentum in the named rule ("momentum" for
    sgd_momentum, "beta1" for Adam), or None for a rule without one."""
    get_update_rule(name)
    return next((k for k in ("momentum", "beta1") if k in _SPECS[name]), None)


def config_keys(name: str) -> list[str]:
    """Every config key the named rule accepts (hyperparameters and state)."""
    get_update_rule(name)
    return sorted(_SPECS[name])
