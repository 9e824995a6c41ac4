"""Statistical checks of inverted-dropout outputs.

A learner's random mask differs from the reference's (another generator, another order of
draws), so dropout answers are not compared value by value. Instead, for an input ``x`` and
drop probability ``p``:

* training output: the fraction of zeros is ``p`` within a binomial tolerance
  (``Z_MAX`` standard deviations of the fraction, ``sqrt(p (1 - p) / n)``), the zeros look
  random (below), and every value that is not zero equals ``x / (1 - p)``;
* test output: exactly ``x`` (inverted dropout needs no test-time scaling);
* backward (``dx`` in each mode): the same two checks against ``dout``, and the training-mode
  ``dx`` is zero exactly where the forward output of the same pass (also submitted) was
  dropped: the backward pass must reuse the forward mask.

"Looks random" means the mask passes three tests that an independent Bernoulli(p) mask passes
with overwhelming probability (each at ``Z_MAX`` standard deviations, about 3e-7 one-sided) and
that fixed or structured masks fail: the number of zeros per row and per column have the
binomial spread (a dispersion test, two-sided: too even is as suspicious as too uneven), and
the number of runs of zeros and non-zeros in row-major order is what independent draws give
(Wald-Wolfowitz runs test: stripes, blocks and alternating patterns fail it).

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
    if 0 < p < 1:
        reason = randomness_problem(dropped, p)
        if reason:
            return False, reason, ("draw a fresh random mask, one independent uniform number "
                                   "per value (rng.random(x.shape) >= p), not a fixed pattern")
    kept = ~dropped
    ok = np.isclose(out[kept], base[kept] / (1 - p), rtol=RTOL, atol=ATOL)
    if not ok.all():
        reason = (f"{int(ok.size - ok.sum())} of {ok.size} non-zero values are not "
                  f"{what} / (1 - p)")
        return False, reason, _scaled_hint(out[kept], base[kept], p, what)
    return True, "", ""


def _dispersion_z(counts: np.ndarray, m: int, p: float) -> float:
    """z-score (Wilson-Hilferty) of the dispersion of ``counts`` of Bernoulli(p) draws, ``m``
    per count: sum((c - m p)^2) / (m p (1 - p)) is about chi-square with len(counts) d.o.f."""
    k = counts.size
    stat = float(((counts - m * p) ** 2).sum() / (m * p * (1 - p)))
    return ((stat / k) ** (1 / 3) - (1 - 2 / (9 * k))) / math.sqrt(2 / (9 * k))


def _runs_z(flat: np.ndarray) -> float:
    """z-score of the number of runs in a 0/1 sequence (Wald-Wolfowitz)."""
    n = flat.size
    n1 = int(flat.sum())
    n2 = n - n1
    if n1 == 0 or n2 == 0:
        return 0.0
    runs = 1 + int(np.count_nonzero(flat[1:] != flat[:-1]))
    mean = 1 + 2 * n1 * n2 / n
    var = 2 * n1 * n2 * (2 * n1 * n2 - n) / (n * n * (n - 1))
    return (runs - mean) / math.sqrt(var) if var > 0 else 0.0


def randomness_problem(dropped: np.ndarray, p: float) -> str:
    """Why a mask (True = dropped) does not look like independent Bernoulli(p) draws, or ""."""
    d = np.asarray(dropped, dtype=bool)
    if d.size < 100:
        return ""  # too few values to tell
    m2 = d.reshape(d.shape[0], -1) if d.ndim >= 2 else d.reshape(1, -1)
    tests = [("per row", m2.sum(axis=1), m2.shape[1]), ("per column", m2.sum(axis=0),
                                                       m2.shape[0])]
    for where, counts, m in tests:
        if counts.size >= 10 and m >= 10:
            z = _dispersion_z(counts.astype(np.float64), m, p)
            if abs(z) > Z_MAX:
                spread = "too uneven" if z > 0 else "too even"
                return (f"the zeros are not random: their number {where} is {spread} for "
                        f"independent draws (dispersion z = {z:+.1f})")
    z = _runs_z(d.ravel().astype(np.int8))
    if abs(z) > Z_MAX:
        kind = "clustered" if z < 0 else "alternating"
        return (f"the zeros are not random: they come in {kind} runs (runs test z = {z:+.1f})")
    return ""


def check_same_mask(dx: np.ndarray, forward: np.ndarray) -> Verdict:
    """Check that the backward output is zero exactly where the forward output was dropped."""
    a, b = np.asarray(dx) == 0, np.asarray(forward) == 0
    if a.shape != b.shape:
        return False, f"dx has shape {a.shape} but the forward output {b.shape}", ""
    if np.array_equal(a, b):
        return True, "", ""
    return (False, f"dx is zero at {int((a != b).sum())} places that disagree with the forward "
            "output's mask", "the backward pass must reuse the mask stored in the cache by the "
            "forward pass, not draw a new one")


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

    ``dropout_forward`` has outputs ``train`` and ``test`` (from input ``x``);
    ``dropout_backward`` has outputs ``forward`` (the training-mode forward output of the pass
    whose cache the backward used), ``train`` and ``test`` (dx in each mode, from input
    ``dout``). Absent outputs are skipped; a training-mode dx without ``forward`` fails, since
    its mask cannot be checked.
    """
    def backward(a: np.ndarray) -> Verdict:
        verdict = check_masked(a, inputs["dout"], p, "dout")
        if not verdict[0]:
            return verdict
        if "forward" not in outputs:
            return (False, "the forward output of the same pass is missing, so the backward "
                    "mask cannot be checked", "save every output of this question")
        return check_same_mask(a, outputs["forward"])

    if key == "dropout_backward":
        checks = {
            "forward": lambda a: check_masked(a, inputs["x"], p, "x"),
            "train": backward,
            "test": lambda a: check_identity(a, inputs["dout"], p, "dout"),
        }
    else:
        checks = {
            "train": lambda a: check_masked(a, inputs["x"], p, "x"),
            "test": lambda a: check_identity(a, inputs["x"], p, "x"),
        }
    unknown = set(outputs) - set(checks)
    if unknown:
        raise KeyError(f"question {key!r}: no statistical check for outputs {sorted(unknown)}")
    return {name: checks[name](arr) for name, arr in outputs.items()}
