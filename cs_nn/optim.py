"""First-order update rules: SGD, SGD with momentum, RMSProp and Adam.

Every rule has the signature ``rule(w, dw, config=None) -> (next_w, config)``:

- ``w``: parameter array of any shape; ``dw``: gradient of the loss with respect to ``w``
  (same shape). ``next_w`` is a new array with ``w``'s shape and dtype.
- ``config``: hyperparameters plus the rule's running state (``velocity``, ``cache``, ``m``,
  ``v``, ``t``). Missing entries get the documented defaults; unknown keys are an error.

Ownership of the state. ``w``, ``dw`` and the dict you pass in are never modified: the rule
returns a *new* config dict. State arrays the rule allocated itself belong to the config it
returned, and when you pass that config back in, they are updated in place (one less copy per
step, which matters for Adam). So reuse a returned config only to take the next step; copy it
(``copy.deepcopy``) if you want to keep a snapshot. State arrays you created yourself (for
example ``{"velocity": v}``) are copied on first use and never written to.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from cs_nn._checks import as_float_array, check_int, check_same_shape

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "06_optimizers_and_solver"

Config = dict[str, Any]
UpdateRule = Callable[[np.ndarray, np.ndarray, "Config | None"], tuple[np.ndarray, Config]]

# Arrays allocated by an update rule (keyed by id, dropped automatically when the array dies).
_OWNED: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()

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


def _prepare(rule: str, w: object, dw: object, config: Config | None
             ) -> tuple[np.ndarray, np.ndarray, Config]:
    """Validate ``w``/``dw``/``config``; return arrays and a new config with defaults filled."""
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
            out[key] = _own_state(rule, key, value, w)
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


def _own_state(rule: str, key: str, value: object, w: np.ndarray) -> np.ndarray:
    """Return a state array this module owns: zeros if missing, a copy if the caller made it."""
    if value is None:
        state = np.zeros_like(w)
    elif _OWNED.get(id(value)) is value and value.shape == w.shape and value.dtype == w.dtype:
        return value  # type: ignore[return-value]  # ours, from a previous step: update in place
    else:
        arr = as_float_array(f"config['{key}']", value, finite=False)
        check_same_shape(f"{rule}: config['{key}']", arr, "w", w)
        state = np.array(arr, dtype=w.dtype, order="C")  # a private copy
    _OWNED[id(state)] = state
    return state


def sgd(w: np.ndarray, dw: np.ndarray, config: Config | None = None
        ) -> tuple[np.ndarray, Config]:
    """Vanilla stochastic gradient descent: ``next_w = w - learning_rate * dw``.

    Args:
        w: parameters, any shape. dw: gradient, w's shape.
        config: ``learning_rate`` (default 1e-2).

    Returns:
        next_w: w's shape and dtype. config: a new dict.
    """
    w, dw, config = _prepare("sgd", w, dw, config)
    lr = config["learning_rate"]
    # BEGIN SOLUTION
    next_w = -lr * dw + w  # = w - lr * dw; numpy adds w into the temporary, no second copy
    # END SOLUTION
    return next_w, config


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
    w, dw, config = _prepare("sgd_momentum", w, dw, config)
    lr, mu, v = config["learning_rate"], config["momentum"], config["velocity"]
    # BEGIN SOLUTION
    v *= mu
    v -= lr * dw
    next_w = w + v
    # END SOLUTION
    return next_w, config


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
    w, dw, config = _prepare("rmsprop", w, dw, config)
    lr, rho, eps, cache = (config[k] for k in ("learning_rate", "decay_rate", "epsilon", "cache"))
    # BEGIN SOLUTION
    cache *= rho
    cache += (1 - rho) * np.square(dw)
    denom = np.sqrt(cache)
    denom += eps
    next_w = np.divide(dw, denom, out=denom)  # reuse the buffer: the step direction
    next_w *= -lr
    next_w += w
    # END SOLUTION
    return next_w, config


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
    w, dw, config = _prepare("adam", w, dw, config)
    lr, beta1, beta2, eps = (config[k] for k in ("learning_rate", "beta1", "beta2", "epsilon"))
    m, v = config["m"], config["v"]
    # BEGIN SOLUTION
    t = config["t"] + 1
    config["t"] = t
    # Element-wise work in place on the optimiser-owned state, with one scratch buffer.
    scratch = np.multiply(dw, 1 - beta1)
    m *= beta1
    m += scratch
    np.multiply(dw, dw, out=scratch)
    scratch *= 1 - beta2
    v *= beta2
    v += scratch
    # sqrt(v_hat) + eps, written as sqrt(v) / sqrt(1 - beta2**t) + eps
    np.sqrt(v, out=scratch)
    scratch *= 1 / math.sqrt(1 - beta2**t)
    scratch += eps
    next_w = np.divide(m, scratch, out=scratch)  # m / (sqrt(v_hat) + eps), reusing the buffer
    next_w *= -lr / (1 - beta1**t)  # the bias correction of m folded into the step size
    next_w += w
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
