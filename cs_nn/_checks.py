"""The one set of input checks of the package: one clear message instead of a traceback.

Every public compute function validates its arguments with these helpers *before* the
solution region, so a learner's half-finished implementation still gets friendly errors.
Layers, models, the Solver, schedules, data loaders and the course tools all use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


class NonFiniteError(ValueError):
    """An array holds NaN or infinity (raised by :func:`as_float_array` with ``finite``)."""


def as_float_array(name: str, x: object, *, ndim: int | None = None, min_ndim: int | None = None,
                   finite: bool = True) -> np.ndarray:
    """Return ``x`` as a float32/float64 ndarray, or raise a clear error.

    Integer and boolean arrays are promoted to float64; other dtypes (strings, objects,
    complex) are rejected. ``ndim`` / ``min_ndim`` check the number of axes; ``finite``
    rejects NaN and infinity. The input is never modified or copied unless it must be.
    """
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f" or arr.dtype.type not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be a float32 or float64 array, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), "
                         f"got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise NonFiniteError(f"{name} contains {bad} NaN or infinite value(s); check the data "
                             "or lower the learning rate")
    return arr


def as_label_array(name: str, y: object, *, num_classes: int, n: int | None = None) -> np.ndarray:
    """Return integer class labels of shape (N,) in ``[0, num_classes)``, or raise."""
    arr = np.asarray(y)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise TypeError(f"{name} must hold integer class labels, got non-integer floats")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array of class labels, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} labels but there are {n} samples")
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(f"{name} must lie in [0, {num_classes}), got values from "
                         f"{int(arr.min())} to {int(arr.max())}")
    return arr.astype(np.int64, copy=False)


def check_shape(name: str, arr: np.ndarray, expected: Sequence[int | None]) -> None:
    """Raise if ``arr.shape`` does not match ``expected`` (``None`` matches any size)."""
    ok = arr.ndim == len(expected) and all(e is None or e == s for e, s in zip(expected, arr.shape))
    if not ok:
        want = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ")"
        raise ValueError(f"{name} must have shape {want}, got {arr.shape}")


def check_same_shape(name: str, arr: np.ndarray, ref_name: str, ref: np.ndarray) -> None:
    """Raise if ``arr`` and ``ref`` differ in shape (e.g. an upstream gradient and its output)."""
    if arr.shape != ref.shape:
        raise ValueError(f"{name} has shape {arr.shape} but {ref_name} has shape {ref.shape}; "
                         "they must match")


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    """float32 only when every input is float32, else float64."""
    return np.result_type(*arrays, np.float32)


def is_int(value: object) -> bool:
    """True for a Python or numpy integer; False for a bool (True is not a count)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value: object) -> bool:
    """True for a Python or numpy int or float; False for a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def check_int(name: str, value: object, low: int | None = None, high: int | None = None, *,
              allow_none: bool = False, note: str = "") -> int | None:
    """``value`` as a Python int, or a ValueError naming ``name`` and the allowed range.

    ``low`` / ``high`` bound the value (inclusive); ``allow_none`` lets None through (and
    returns it); ``note`` is appended to the message (e.g. " (a layer width)").
    """
    if value is None and allow_none:
        return None
    if not is_int(value) or (low is not None and value < low) or (
            high is not None and value > high):
        if low is not None and high is not None:
            want = f"an integer in [{low}, {high}]"
        elif low is not None:
            want = f"an integer >= {low}"
        elif high is not None:
            want = f"an integer <= {high}"
        else:
            want = "an integer"
        extra = " or None" if allow_none else ""
        raise ValueError(f"{name} must be {want}{extra}{note}, got {value!r}")
    return int(value)


def check_seed(seed: object) -> int | None:
    """A seed must be None or an int (so a model's config stays JSON-able)."""
    if seed is not None and not is_int(seed):
        raise TypeError(f"seed must be an int or None, got {seed!r}")
    return None if seed is None else int(seed)


def as_dtype(dtype: Any) -> np.dtype:
    """``np.float32`` / ``np.float64`` (or their names) as a numpy dtype; anything else raises."""
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from err
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt
def check_score_margins(scores: np.ndarray, y: np.ndarray) -> None:
    """Raise unless every row's gap between its largest score and the labelled class's score
    is a finite number (it is the part of the loss that can overflow: scores of +-1.7e308
    give a gap beyond the float range and an infinite loss). One pass over (N, C) scores."""
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is what we look for
        gaps = scores.max(axis=1) - scores[np.arange(scores.shape[0]), y]  # (N,)
    if not np.all(np.isfinite(gaps)):
        i = int(np.flatnonzero(~np.isfinite(gaps))[0])
        raise NonFiniteError(
            f"diverged: scores are too extreme for a finite loss (in row {i} the labelled "
            f"class scores {float(scores[i, y[i]]):.3g} against a maximum of "
            f"{float(scores[i].max()):.3g}, a gap beyond the {scores.dtype} range); lower the "
            "learning rate or check the weights")
