"""Update rules with in-place state: the speed path of :mod:`cs_nn.optim` (instructor-only).

Same contract and results as the plain rules, but the state arrays a rule allocated itself
(the zeros of a first step, or the private copy of a caller's array) are updated IN PLACE
when the returned config is passed back in: one less allocation per step, which matters for
Adam on a small MLP. Arrays the caller made are still never written to.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from cs_nn.optim import Config, new_state, prepare

# Arrays allocated by an update rule (keyed by id, dropped automatically when the array dies).
_OWNED: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()


def _own_state(rule: str, key: str, value: object, w: np.ndarray) -> np.ndarray:
    """A state array this module owns: ours from a previous step as it is, else a new one."""
    if isinstance(value, np.ndarray) and _OWNED.get(id(value)) is value \
            and value.shape == w.shape and value.dtype == w.dtype:
        return value
    state = new_state(rule, key, value, w)
    _OWNED[id(state)] = state
    return state


def sgd(w: np.ndarray, dw: np.ndarray, config: Config | None = None
        ) -> tuple[np.ndarray, Config]:
    w, dw, config = prepare("sgd", w, dw, config, _own_state)
    next_w = -config["learning_rate"] * dw + w  # numpy adds w into the temporary
    return next_w, config


def sgd_momentum(w: np.ndarray, dw: np.ndarray, config: Config | None = None
                 ) -> tuple[np.ndarray, Config]:
    w, dw, config = prepare("sgd_momentum", w, dw, config, _own_state)
    v = config["velocity"]
    v *= config["momentum"]
    v -= config["learning_rate"] * dw
    return w + v, config


def rmsprop(w: np.ndarray, dw: np.ndarray, config: Config | None = None
            ) -> tuple[np.ndarray, Config]:
    w, dw, config = prepare("rmsprop", w, dw, config, _own_state)
    rho, cache = config["decay_rate"], config["cache"]
    cache *= rho
    cache += (1 - rho) * np.square(dw)
    denom = np.sqrt(cache)
    denom += config["epsilon"]
    next_w = np.divide(dw, denom, out=denom)  # reuse the buffer: the step direction
    next_w *= -config["learning_rate"]
    next_w += w
    return next_w, config


def adam(w: np.ndarray, dw: np.ndarray, config: Config | None = None
         ) -> tuple[np.ndarray, Config]:
    w, dw, config = prepare("adam", w, dw, config, _own_state)
    beta1, beta2, m, v = config["beta1"], config["beta2"], config["m"], config["v"]
    t = config["t"] = config["t"] + 1
    scratch = np.multiply(dw, 1 - beta1)  # element-wise work in place, one scratch buffer
    m *= beta1
    m += scratch
    np.multiply(dw, dw, out=scratch)
    scratch *= 1 - beta2
    v *= beta2
    v += scratch
    # sqrt(v_hat) + eps, written as sqrt(v) / sqrt(1 - beta2**t) + eps
    np.sqrt(v, out=scratch)
    scratch *= 1 / math.sqrt(1 - beta2**t)
    scratch += config["epsilon"]
    next_w = np.divide(m, scratch, out=scratch)  # m / (sqrt(v_hat) + eps), reusing the buffer
    next_w *= -config["learning_rate"] / (1 - beta1**t)  # m's bias correction in the step size
    next_w += w
    return next_w, config
