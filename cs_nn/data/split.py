"""Helpers on data dicts ``{"X_train", "y_train", ["X_val", "y_val",] "X_test", "y_test", ...}``.

Every helper returns a NEW dict with new arrays (inputs are never modified); keys it does not
handle (``class_names``, ``info``, ...) are carried over unchanged. Randomness comes only from
``np.random.default_rng(seed)``.
"""

from __future__ import annotations

import copy

import numpy as np

from cs_nn._checks import check_int

SPLITS = ("train", "val", "test")


def _splits(data: dict) -> list[str]:
    """Names of the splits present in ``data``, checking that X and y agree in length."""
    if not isinstance(data, dict):
        raise TypeError(f"data must be a dict with X_train, y_train, ... got {type(data).__name__}")
    present = []
    for s in SPLITS:
        has_x, has_y = f"X_{s}" in data, f"y_{s}" in data
        if has_x != has_y:
            raise ValueError(f"data has {'X' if has_x else 'y'}_{s} but not "
                             f"{'y' if has_x else 'X'}_{s}")
        if has_x:
            x, y = np.asarray(data[f"X_{s}"]), np.asarray(data[f"y_{s}"])
            if y.ndim != 1 or x.ndim < 1 or x.shape[0] != y.shape[0]:
                raise ValueError(f"X_{s} has shape {x.shape} and y_{s} shape {y.shape}; "
                                 "expected X (N, ...) and y (N,) with the same N")
            present.append(s)
    if "train" not in present:
        raise ValueError("data must contain X_train and y_train")
    return present


def _copy_dict(data: dict, replaced: tuple[str, ...] = ()) -> dict:
    """Copies of the entries (arrays and containers) except ``replaced`` keys (set later)."""
    return {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else copy.deepcopy(v))
            for k, v in data.items() if k not in replaced}


def _check_count(name: str, value, high: int, low: int = 0) -> int:
    return check_int(name, value, low, high)


def pick_indices(y: np.ndarray, num: int, rng: np.random.Generator,
                 stratify: bool = True) -> np.ndarray:
    """``num`` distinct indices into y (N,), sorted; with ``stratify`` each class gets its share.

    Class quotas are ``num * count / N`` rounded down, and the leftover places go to the
    classes with the largest remainders, so the total is exactly ``num``.
    """
    y = np.asarray(y)
    if not stratify:
        return np.sort(rng.permutation(y.shape[0])[:num])
    classes, counts = np.unique(y, return_counts=True)
    exact = counts * num / y.shape[0]
    quota = np.floor(exact).astype(np.int64)
    leftover = num - int(quota.sum())
    quota[np.argsort(-(exact - quota), kind="stable")[:leftover]] += 1
    chosen = [rng.permutation(np.flatnonzero(y == c))[:k]
              for c, k in zip(classes, quota, strict=True)]
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, np.int64)


def train_val_split(data: dict, num_val: int | None = None, *, val_fraction: float | None = None,
                    seed: int = 0, stratify: bool = True) -> dict:
    """Move ``num_val`` (or ``val_fraction`` of the) training samples into X_val / y_val.

    data: X_train (N, ...), y_train (N,) and any other keys. Give ``num_val`` or
    ``val_fraction`` (default: 0.1 of N). Returns a new dict with X_train (N - num_val, ...),
    y_train, X_val (num_val, ...), y_val plus copies of the other entries. Both parts keep the
    original order. With ``stratify`` every class is split in proportion.
    """
    _splits(data)
    if "X_val" in data:
        raise ValueError("data already has X_val / y_val; drop them first or use them as is")
    y = np.asarray(data["y_train"])
    n = y.shape[0]
    if num_val is not None and val_fraction is not None:
        raise ValueError("give num_val or val_fraction, not both")
    if num_val is None:
        frac = 0.1 if val_fraction is None else val_fraction
        if not 0.0 < frac < 1.0:
            raise ValueError(f"val_fraction must lie in (0, 1), got {frac!r}")
        num_val = max(1, int(round(frac * n)))
    num_val = _check_count("num_val", num_val, n - 1 if n > 1 else 0, min(1, n))
    val_idx = pick_indices(y, num_val, np.random.default_rng(seed), stratify)
    is_val = np.zeros(n, dtype=bool)
    is_val[val_idx] = True
    out = _copy_dict(data, ("X_train", "y_train"))
    X = np.asarray(data["X_train"])
    out["X_train"], out["y_train"] = X[~is_val], y[~is_val]
    out["X_val"], out["y_val"] = X[is_val], y[is_val]
    return out


def subtract_mean(data: dict, *, per_channel: bool = False) -> tuple[dict, np.ndarray]:
    """Subtract the training-set mean from every X_* array.

    data: X_train (N, ...) (and optionally X_val, X_test of the same trailing shape).
    The mean is computed on X_train only (never on val/test): shape X_train.shape[1:], or
    (C, 1, 1) with ``per_channel`` for images (N, C, H, W). Returns (new dict, mean); the
    dtype of each X is kept.
    """
    splits = _splits(data)
    X_train = np.asarray(data["X_train"])
    if X_train.dtype.kind != "f":
        raise TypeError(f"X_train must be a float array, got {X_train.dtype}; scale it first")
    if X_train.shape[0] == 0:
        raise ValueError("X_train is empty; cannot compute a mean")
    if per_channel:
        if X_train.ndim != 4:
            raise ValueError(f"per_channel needs images (N, C, H, W), got {X_train.shape}")
        mean = X_train.mean(axis=(0, 2, 3), dtype=np.float64)[:, None, None]  # (C, 1, 1)
    else:
        mean = X_train.mean(axis=0, dtype=np.float64)  # X_train.shape[1:]
    mean = mean.astype(X_train.dtype)
    out = _copy_dict(data, tuple(f"X_{s}" for s in splits))
    for s in splits:
        X = np.asarray(data[f"X_{s}"])
        if X.shape[1:] != X_train.shape[1:]:
            raise ValueError(f"X_{s} has shape {X.shape} but X_train has {X_train.shape}; "
                             "the trailing dimensions must match")
        out[f"X_{s}"] = (X - mean).astype(X.dtype, copy=False)
    return out, mean


def subsample(data: dict, num_train: int | None = None, num_val: int | None = None,
              num_test: int | None = None, *, seed: int = 0, stratify: bool = False) -> dict:
    """A random subset of each split, e.g. to make a notebook fast: new dict, same keys.

    ``num_<split>=None`` keeps that split whole; otherwise n samples are drawn without
    replacement (seeded) and kept in their original order.
    """
    splits = _splits(data)
    rng = np.random.default_rng(seed)
    out = _copy_dict(data)  # splits not subsampled stay whole (as copies)
    for s, num in (("train", num_train), ("val", num_val), ("test", num_test)):
        if num is None:
            continue
        if s not in splits:
            raise ValueError(f"num_{s} given but data has no X_{s}")
        y = np.asarray(data[f"y_{s}"])
        idx = pick_indices(y, _check_count(f"num_{s}", num, y.shape[0]), rng, stratify)
        out[f"X_{s}"], out[f"y_{s}"] = np.asarray(data[f"X_{s}"])[idx], y[idx]
    return out


def flatten(data: dict) -> dict:
    """Reshape every X_* from (N, d1, ..., dk) to (N, d1 * ... * dk) (copies): for MLPs."""
    splits = _splits(data)
    out = _copy_dict(data, tuple(f"X_{s}" for s in splits))
    for s in splits:
        X = np.asarray(data[f"X_{s}"])
        out[f"X_{s}"] = X.reshape(X.shape[0], -1).copy()  # (N, D)
    return out
