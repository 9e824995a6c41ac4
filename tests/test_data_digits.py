"""load_digits: scikit-learn's bundled 8x8 digits, split deterministically."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn.data import _files, load_dataset, load_digits

sk_datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    monkeypatch.setattr(_files, "_open_url", lambda url, timeout: pytest.fail(f"online: {url}"))


@pytest.fixture(scope="module")
def oracle():
    bunch = sk_datasets.load_digits()
    return bunch.images, bunch.target


def as_rows(X: np.ndarray) -> np.ndarray:
    """Each image * 16 as a row of ints, for set comparisons."""
    return np.rint(X.reshape(X.shape[0], -1) * 16).astype(np.int64)


def test_shapes_dtypes_range(oracle):
    data = load_digits()
    n = oracle[1].shape[0]
    assert data["X_train"].shape[1:] == (1, 8, 8) and data["X_test"].shape[1:] == (1, 8, 8)
    assert data["X_train"].shape[0] + data["X_test"].shape[0] == n
    assert data["X_test"].shape[0] == round(0.2 * n)
    assert data["X_train"].dtype == np.float32 and data["y_train"].dtype == np.int64
    assert data["X_train"].min() >= 0 and data["X_train"].max() == 1.0
    assert data["class_names"] == [str(d) for d in range(10)]


def test_split_is_a_partition_of_sklearn_data_in_order(oracle):
    images, target = oracle
    data = load_digits(seed=3)
    rows = as_rows(images[:, None].astype(np.float64) / 16)
    # rebuild the membership mask by walking both parts in order (they keep sklearn's order)
    got = np.concatenate([as_rows(data["X_train"]), as_rows(data["X_test"])])
    got_y = np.concatenate([data["y_train"], data["y_test"]])
    key = lambda r, y: (tuple(r), int(y))  # noqa: E731
    assert sorted(map(key, got, got_y)) == sorted(map(key, rows, target))
    i_train = i_test = 0
    for r, y in zip(rows, target, strict=True):
        if i_train < len(data["y_train"]) and key(as_rows(data["X_train"][i_train:i_train + 1])[0],
                                                  data["y_train"][i_train]) == key(r, y):
            i_train += 1
        else:
            assert key(as_rows(data["X_test"][i_test:i_test + 1])[0], data["y_test"][i_test]) \
                == key(r, y)
            i_test += 1


def test_stratified_deterministic_and_seeded(oracle):
    counts = np.bincount(oracle[1])
    a, b, c = load_digits(seed=0), load_digits(seed=0), load_digits(seed=1)
    assert np.array_equal(a["X_test"], b["X_test"]) and np.array_equal(a["y_test"], b["y_test"])
    assert not np.array_equal(a["X_test"], c["X_test"])
    per_class = np.bincount(a["y_test"], minlength=10)
    assert np.all(np.abs(per_class - 0.2 * counts) <= 1)


def test_limits_fraction_and_ignored_root(tmp_path):
    data = load_digits(tmp_path / "nowhere", download=True, num_train=50, num_test=7,
                       test_fraction=0.5)
    assert data["X_train"].shape == (50, 1, 8, 8) and data["y_test"].shape == (7,)
    assert load_dataset("digits", num_test=3)["X_test"].shape[0] == 3
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=1.0)
    with pytest.raises(ValueError, match="num_train"):
        load_digits(num_train=-2)
    with pytest.raises(ValueError, match="unknown dataset 'mnits'"):
        load_dataset("mnits")
