"""Learning-rate range test (L. Smith, "Cyclical learning rates", 2017).

Train a fresh copy of a model for ``num_steps`` minibatch steps while the learning rate grows
geometrically from ``lr_min`` to ``lr_max``, and record the loss after every step. Read the
curve from left to right: flat (lr too small to matter), then falling (lr useful), then a
minimum, then a blow-up (lr too large). The test stops once the smoothed loss exceeds
``diverge_factor`` times its best value (or becomes NaN / inf).

Suggested starting learning rate: **the lr where the smoothed loss falls fastest**, i.e. the
most negative slope d(smoothed loss) / d(log lr), searched between the first few steps and the
minimum of the smoothed loss. (A common alternative, a tenth of the lr at the minimum, is also
reported as ``result.min_lr / 10``.)

    result = lr_range_test(lambda: FullyConnectedNet([100], input_dim=64, seed=0), data)
    print(f"suggested lr: {result.suggestion:.2e}")
    fig = plot_lr_range_test(result)
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from cs_nn import optim
from cs_nn._checks import as_float_array, as_label_array, check_int

ModelFactory = Callable[[], Any]


@dataclasses.dataclass
class LRFinderResult:
    """What the range test measured.

    Attributes:
        lrs: (T,) learning rate of every step taken (geometric: constant ratio between steps).
        losses: (T,) raw minibatch loss of every step.
        smoothed: (T,) bias-corrected exponential moving average of ``losses``.
        suggestion: suggested starting lr (steepest descent of ``smoothed``), or None if the
            curve never falls.
        min_lr: lr at the minimum of ``smoothed``.
        diverged: True if the test stopped early because the loss blew up.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float | None
    min_lr: float
    diverged: bool


def geometric_lrs(lr_min: float, lr_max: float, num_steps: int) -> np.ndarray:
    """(num_steps,) learning rates from lr_min to lr_max (both included), equal ratios."""
    for name, value in (("lr_min", lr_min), ("lr_max", lr_max)):
        if not (isinstance(value, (int, float)) and 0 < value < math.inf):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if lr_max <= lr_min:
        raise ValueError(f"lr_max ({lr_max}) must be larger than lr_min ({lr_min})")
    return np.geomspace(lr_min, lr_max, check_int("num_steps", num_steps, 2))


def ema(values: np.ndarray, beta: float) -> np.ndarray:
    """Bias-corrected exponential moving average: ``avg_t / (1 - beta**(t+1))`` of (T,) values.

    ``avg_t = beta * avg_{t-1} + (1 - beta) * values[t]`` with ``avg_{-1} = 0``; the correction
    removes the pull towards 0 of the first steps. beta = 0 returns the values unchanged.
    """
    v = np.asarray(values, dtype=np.float64)
    if not 0 <= beta < 1:
        raise ValueError(f"beta must lie in [0, 1), got {beta!r}")
    out = np.empty_like(v)
    avg = 0.0
    for t in range(v.shape[0]):  # a recurrence over steps (T is small), not over samples
        avg = beta * avg + (1 - beta) * v[t]
        out[t] = avg / (1 - beta ** (t + 1))
    return out


def suggest_lr(lrs: np.ndarray, smoothed: np.ndarray, skip_start: int = 5) -> float | None:
    """The lr of steepest descent of ``smoothed`` against log(lr), before its minimum.

    Args:
        lrs: (T,) increasing learning rates. smoothed: (T,) smoothed losses.
        skip_start: ignore this many first steps (the moving average is still settling).

    Returns:
        The suggested lr, or None when the loss never falls (T too small or no descent).
    """
    lrs = as_float_array("lrs", lrs, ndim=1)
    smoothed = as_float_array("smoothed", smoothed, ndim=1, finite=False)
    if lrs.shape != smoothed.shape:
        raise ValueError(f"lrs {lrs.shape} and smoothed {smoothed.shape} must have equal length")
    finite = np.isfinite(smoothed)
    end = int(np.argmin(np.where(finite, smoothed, np.inf))) + 1  # up to and with the minimum
    start = min(max(0, skip_start), max(0, end - 3))
    if end - start < 3:
        return None
    s, log_lr = smoothed[start:end], np.log(lrs[start:end])
    h = max(1, s.shape[0] // 20)  # half-width of the difference quotient: less noise than 1 step
    k = np.arange(s.shape[0])
    lo, hi = np.maximum(k - h, 0), np.minimum(k + h, s.shape[0] - 1)
    slope = (s[hi] - s[lo]) / (log_lr[hi] - log_lr[lo])  # d loss / d log lr, (T',)
    best = int(np.argmin(slope))
    return float(lrs[start + best]) if slope[best] < 0 else None


def _fresh_model(model: Any) -> Any:
    """A new model: call a factory, or deep-copy a model object (the original is untouched)."""
    if hasattr(model, "params") and hasattr(model, "loss"):
        return copy.deepcopy(model)
    if callable(model):
        fresh = model()
        if not (hasattr(fresh, "params") and hasattr(fresh, "loss")):
            raise TypeError("the model factory must return a model with .params and .loss()")
        return fresh
    raise TypeError("model must be a model (with .params and .loss) or a zero-argument "
                    f"factory returning one, got {type(model).__name__}")


def lr_range_test(model: Any, data: dict[str, np.ndarray], lr_min: float = 1e-6,
                  lr_max: float = 10.0, num_steps: int = 100, batch_size: int = 64,
                  update_rule: str = "sgd", optim_config: dict[str, Any] | None = None,
                  beta: float = 0.9, diverge_factor: float = 4.0, skip_start: int = 5,
                  seed: int | None = 0) -> LRFinderResult:
    """Run the learning-rate range test on a fresh copy of ``model``.

    Args:
        model: a zero-argument factory returning a new model (``.params``, ``.loss(X, y)``),
            or a model object, which is deep-copied (never trained itself).
        data: ``X_train`` (N, ...) and ``y_train`` (N,); other keys are ignored.
        lr_min, lr_max, num_steps: the geometric lr grid (see :func:`geometric_lrs`).
        batch_size: minibatch size; batches are drawn without replacement within a pass.
        update_rule: a name in ``cs_nn.optim.UPDATE_RULES``; optim_config: its other
            hyperparameters (the learning rate is overwritten every step).
        beta: smoothing of the loss curve (see :func:`ema`).
        diverge_factor: stop once the smoothed loss exceeds this times its best value.
        skip_start: steps ignored when looking for the steepest descent.
        seed: seeds the minibatch order.

    Returns:
        :class:`LRFinderResult` (arrays of length T <= num_steps).
    """
    lrs = geometric_lrs(lr_min, lr_max, num_steps)
    if not isinstance(data, dict) or "X_train" not in data or "y_train" not in data:
        raise KeyError("data must be a dict with 'X_train' and 'y_train'")
    if not (isinstance(diverge_factor, (int, float)) and diverge_factor > 1):
        raise ValueError(f"diverge_factor must be a number > 1, got {diverge_factor!r}")
    check_int("batch_size", batch_size, 1)
    rule = optim.get_update_rule(update_rule)
    net = _fresh_model(model)
    X = as_float_array("data['X_train']", data["X_train"], min_ndim=2)
    y = as_label_array("data['y_train']", data["y_train"],
                       num_classes=int(np.max(data["y_train"])) + 1, n=X.shape[0])
    configs = {name: dict(optim_config or {}) for name in net.params}
    rng = np.random.default_rng(seed)
    order, pos = rng.permutation(X.shape[0]), 0
    losses: list[float] = []
    best, avg, diverged = math.inf, 0.0, False
    for t, lr in enumerate(lrs):
        if pos >= X.shape[0]:
            order, pos = rng.permutation(X.shape[0]), 0
        idx = order[pos:pos + batch_size]
        pos += idx.shape[0]
        loss, grads = net.loss(X[idx], y[idx])
        loss = float(loss)
        losses.append(loss)
        avg = beta * avg + (1 - beta) * loss
        smooth_t = avg / (1 - beta ** (t + 1))
        if not math.isfinite(smooth_t) or smooth_t > diverge_factor * best:
            diverged = True
            break
        best = min(best, smooth_t)
        for name, w in list(net.params.items()):
            configs[name]["learning_rate"] = float(lr)
            net.params[name], configs[name] = rule(w, grads[name], configs[name])
    T = len(losses)
    raw = np.asarray(losses)
    smoothed = ema(np.where(np.isfinite(raw), raw, np.nan), beta) if T else raw
    finite = np.where(np.isfinite(smoothed), smoothed, np.inf)
    return LRFinderResult(lrs=lrs[:T], losses=raw, smoothed=smoothed,
                          suggestion=suggest_lr(lrs[:T], smoothed, skip_start) if T else None,
                          min_lr=float(lrs[int(np.argmin(finite))]) if T else float(lr_min),
                          diverged=diverged)


def plot_lr_range_test(result: LRFinderResult, ax: Any = None) -> Any:
    """Loss against learning rate (log x axis), raw and smoothed, with the suggestion marked.

    Args:
        result: from :func:`lr_range_test`.
        ax: Axes to draw into; default a new pyplot figure, so a notebook shows it (the
            inline backend displays the figures pyplot knows about) and ``plt.show()`` works.

    Returns:
        The Figure.
    """
    from cs_nn.course.plotting import new_axes  # lazy: only plotting needs matplotlib

    fig, ax = new_axes(ax, (6.0, 4.0))
    ax.plot(result.lrs, result.losses, color="tab:blue", alpha=0.3, label="loss")
    ax.plot(result.lrs, result.smoothed, color="tab:blue", label="smoothed loss")
    if result.suggestion is not None:
        ax.axvline(result.suggestion, color="tab:red", linestyle="--",
                   label=f"suggestion {result.suggestion:.2e}")
    ax.set_xscale("log")
    finite = result.smoothed[np.isfinite(result.smoothed)]
    if finite.size:  # keep the blow-up at the end from squashing the interesting part
        lo, hi = float(finite.min()), float(finite[0])
        ax.set_ylim(lo - 0.1 * (hi - lo + 1e-12), hi + 0.5 * (hi - lo + 1e-12))
    ax.set(title="Learning-rate range test", xlabel="learning rate (log scale)", ylabel="loss")
    ax.legend()
    return fig
