"""scikit-learn's bundled 8x8 handwritten digits: a small dataset that works offline.

1797 images of the digits 0..9 (pixel values 0..16), shipped inside the scikit-learn wheel,
so nothing is ever downloaded. Handy for fast notebooks and tests.
"""

from __future__ import annotations

import os

import numpy as np

from .split import pick_indices

DIGITS_CLASSES = tuple(str(d) for d in range(10))


def load_digits(root: str | os.PathLike | None = None, *, download: bool = False,
                test_fraction: float = 0.2, seed: int = 0, num_train: int | None = None,
                num_test: int | None = None) -> dict:
    """Load the 8x8 digits with a deterministic, stratified, seeded train/test split.

    ``root`` and ``download`` are accepted for the common loader signature and ignored (the
    data is bundled with scikit-learn). ``test_fraction`` of the 1797 images (per class, in
    proportion) go to the test set, chosen by ``np.random.default_rng(seed)``; both parts keep
    the original order. ``num_train`` / ``num_test`` then keep only the first n of each part.

    Returns a dict: ``X_train`` (N_train, 1, 8, 8), ``X_test`` (N_test, 1, 8, 8) float32 in
    [0, 1] (pixel / 16); ``y_train``, ``y_test`` int64 in 0..9; ``class_names``; ``info``.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
    for name, value in (("num_train", num_train), ("num_test", num_test)):
        if value is not None and (not isinstance(value, (int, np.integer)) or value < 0):
            raise ValueError(f"{name} must be a non-negative int or None, got {value!r}")
    try:
        from sklearn.datasets import load_digits as sk_load_digits  # lazy: optional dependency
    except ImportError as exc:
        raise ImportError("load_digits needs scikit-learn (it bundles the data): "
                          "pip install scikit-learn") from exc
    bunch = sk_load_digits()
    images = np.asarray(bunch.images, dtype=np.float32) / np.float32(16.0)  # (1797, 8, 8)
    labels = np.asarray(bunch.target, dtype=np.int64)
    num = int(round(test_fraction * labels.shape[0]))
    is_test = np.zeros(labels.shape[0], dtype=bool)
    is_test[pick_indices(labels, num, np.random.default_rng(seed), stratify=True)] = True
    return {
        "X_train": images[~is_test][:num_train, None],  # (N, 1, 8, 8)
        "y_train": labels[~is_test][:num_train],
        "X_test": images[is_test][:num_test, None],
        "y_test": labels[is_test][:num_test],
        "class_names": list(DIGITS_CLASSES),
        "info": {"dataset": "digits", "source": "sklearn.datasets.load_digits",
                 "test_fraction": test_fraction, "seed": seed},
    }
