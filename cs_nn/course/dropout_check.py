"""Statistical checks of inverted-dropout outputs.

A learner's random mask differs from the reference's (another generator, another order of
draws), so dropout answers are not compared value by value. Instead, for an input ``x`` and
drop probability ``p``:

* training output: the fraction of zeros is ``p`` within a binomial tolerance
  (``Z_MAX`` standard deviations of the fraction, ``sqrt(p (1 - p) / n)``), and every value
  that is not zero equals ``x / (1 - p)``;
* test output: exactly ``x`` (inverted dropout needs no test-time scaling);
* backward (``dx`` in each mode): the same two checks against ``dout``.

The graded inputs are bounded away from zero, so a zero output always means "dropped".
"""

from __future__ import annotations

import math

import numpy as np

from cs_nn.course.compare import compare_arrays

#: Allowed deviation of the zero fraction, in binomial standard deviations. With z = 5 a
#: correct answer fails with probability below 1e-6.
Z_MAX = 5.0
#: Tolerance of the kept values (they are a single multiplication away from the input).
RTOL, ATOL = 1e-6, 1e-9

Verdict = tuple[bool, str, str]  # (ok, reason, hint)


def _scaled_hint(kept: np.ndarray, base: np.ndarray, p: float, what: str) -> str:
    for factor, hint in (
        (1.0, f"the kept values equal {what}: inverted dropout divides them by (1 - p)"),
        (1.0 - p, "the kept values are multiplied by (1 - p): divide by (1 - p) instead"),
        (1.0 / p if p > 0 else math.nan, "the kept values are divided by p: divide by (1 - p)"),
    ):
        if np.isfinite(factor) and np.allclose(kept, base * factor, rtol=RTOL, atol=ATOL):
            return hint
    return f"the kept values should be exactly {what} / (1 - p)"


def check_masked(out: np.ndarray, base: np.ndarray, p: float, what: str = "x") -> Verdict:
    """Check ``out = base * mask / (1 - p)`` with ``mask ~ Bernoulli(1 - p)``, statistically.

    Args:
        out: the submitted array, base's shape.
        base: the array dropout was applied to (x for the forward, dout for the backward).
        p: drop probability in [0, 1).
        what: the name of ``base`` used in the messages.
    """
    out = np.asarray(out, dtype=np.float64)
    base = np.asarray(base, dtype=np.float64)
    dropped = out == 0
    n = out.size
    frac = float(dropped.mean())
    tol = Z_MAX * math.sqrt(p * (1 - p) / n) + 0.5 / n
    if abs(frac - p) > tol:
        reason = (f"{frac:.1%} of the values are zero; with drop probability p = {p:g} about "
                  f"{p:.0%} should be (allowed: {max(p - tol, 0):.1%} to {p + tol:.1%})")
        if frac == 0:
            hint = "nothing was dropped: is the mask applied (and is the mode 'train')?"
        elif abs(frac - (1 - p)) <= tol:
            hint = "you dropped with probability 1 - p: p is the probability of DROPPING a unit"
        else:
            hint = "draw the mask as (uniform random numbers >= p), one per value"
        return False, reason, hint
    kept = ~dropped
    ok = np.isclose(out[kept], base[kept] / (1 - p), rtol=RTOL, atol=ATOL)
    if not ok.all():
        reason = (f"{int(ok.size - ok.sum())} of {ok.size} non-zero values are not "
                  f"{what} / (1 - p)")
        return False, reason, _scaled_hint(out[kept], base[kept], p, what)
    return True, "", ""


def check_identity(out: np.ndarray, base: np.ndarray, p: float, what: str = "x") -> Verdict:
    """Check a test-mode output: exactly ``base``, nothing dropped, nothing scaled."""
    ok, reason, hint = compare_arrays(out, base, RTOL, ATOL)
    if ok:
        return ok, reason, hint
    out = np.asarray(out, dtype=np.float64)
    if np.any(out == 0):
        hint = f"test mode must not drop anything: return {what} unchanged"
    elif np.allclose(out, np.asarray(base) / (1 - p), rtol=RTOL) or np.allclose(
            out, np.asarray(base) * (1 - p), rtol=RTOL):
        hint = "test mode must not scale: inverted dropout already scaled during training"
    else:
        hint = f"in test mode the output is exactly {what}"
    return False, reason, hint


def check_question(key: str, inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray],
                   p: float) -> dict[str, Verdict]:
    """Verdicts for the dropout questions, output name -> (ok, reason, hint).

    Both questions have outputs ``train`` and ``test``: ``dropout_forward`` from input ``x``,
    ``dropout_backward`` (its dx in each mode) from input ``dout``. Absent outputs are skipped.
    """
    base = "dout" if key == "dropout_backward" else "x"
    checks = {
        "train": lambda a: check_masked(a, inputs[base], p, base),
        "test": lambda a: check_identity(a, inputs[base], p, base),
    }
    unknown = set(outputs) - set(checks)
    if unknown:
        raise KeyError(f"question {key!r}: no statistical check for outputs {sorted(unknown)}")
    return {name: checks[name](arr) for name, arr in outputs.items()}
