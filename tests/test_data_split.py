"""train_val_split, subtract_mean, subsample, flatten: pure helpers on data dicts."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.data import flatten, subsample, subtract_mean, train_val_split


def make_data(n_train=40, n_test=10, num_classes=4, seed=0, dtype=np.float32) -> dict:
    rng = np.random.default_rng(seed)
    return {"X_train": rng.random((n_train, 2, 3, 3)).astype(dtype),
            "y_train": rng.integers(0, num_classes, n_train).astype(np.int64),
            "X_test": rng.random((n_test, 2, 3, 3)).astype(dtype),
            "y_test": rng.integers(0, num_classes, n_test).astype(np.int64),
            "class_names": [str(i) for i in range(num_classes)],
            "info": {"dataset": "fake"}}


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            np.testing.assert_array_equal(a[k], b[k])
        else:
            assert a[k] == b[k]


def ids_data(y: np.ndarray) -> dict:
    """X_train[i] = i, so every sample can be traced."""
    n = y.shape[0]
    return {"X_train": np.arange(n, dtype=np.float64).reshape(n, 1),
            "y_train": np.asarray(y, np.int64)}


def test_train_val_split_partitions_and_keeps_order():
    data = make_data()
    before = copy.deepcopy(data)
    out = train_val_split(data, 8, seed=1)
    assert_same(data, before)  # input untouched
    assert out["X_train"].shape == (32, 2, 3, 3) and out["X_val"].shape == (8, 2, 3, 3)
    rows = lambda X: [r.tobytes() for r in X]  # noqa: E731
    merged = rows(out["X_train"]) + rows(out["X_val"])
    assert sorted(merged) == sorted(rows(data["X_train"]))
    ids = train_val_split(ids_data(data["y_train"]), 8, seed=1)
    for part in ("train", "val"):
        i = ids[f"X_{part}"][:, 0].astype(int)
        assert np.all(np.diff(i) > 0)  # original order kept
        np.testing.assert_array_equal(ids[f"y_{part}"], data["y_train"][i])
        np.testing.assert_array_equal(out[f"X_{part}"], data["X_train"][i])
    assert out["class_names"] == data["class_names"] and out["info"] == data["info"]
    assert not np.shares_memory(out["X_test"], data["X_test"])
    out["info"]["dataset"] = "changed"
    assert data["info"]["dataset"] == "fake"


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 200), num_classes=st.integers(1, 6), seed=st.integers(0, 1000),
       frac=st.floats(0.01, 0.99))
def test_split_is_stratified_and_exact(n, num_classes, seed, frac):
    y = np.random.default_rng(seed).integers(0, num_classes, n)
    num_val = min(max(1, round(frac * n)), n - 1)
    out = train_val_split(ids_data(y), num_val, seed=seed)
    i_val, i_train = out["X_val"][:, 0].astype(int), out["X_train"][:, 0].astype(int)
    assert len(i_val) == num_val
    assert sorted(np.concatenate([i_val, i_train]).tolist()) == list(range(n))
    expected = np.bincount(y, minlength=num_classes) * num_val / n
    assert np.all(np.abs(np.bincount(out["y_val"], minlength=num_classes) - expected) < 1)


def test_split_seeded_fraction_and_unstratified():
    data = make_data(n_train=100)
    a = train_val_split(data, val_fraction=0.25, seed=5)
    b = train_val_split(data, val_fraction=0.25, seed=5)
    c = train_val_split(data, val_fraction=0.25, seed=6)
    assert a["X_val"].shape[0] == 25
    np.testing.assert_array_equal(a["X_val"], b["X_val"])
    assert not np.array_equal(a["X_val"], c["X_val"])
    assert train_val_split(data)["X_val"].shape[0] == 10  # default 10 %
    assert train_val_split(data, 30, stratify=False)["y_val"].shape == (30,)


@pytest.mark.parametrize("kwargs, match", [
    ({"num_val": 3, "val_fraction": 0.1}, "not both"),
    ({"val_fraction": 1.5}, r"val_fraction must lie in \(0, 1\)"),
    ({"num_val": 40}, r"num_val must be an integer in \[1, 39\]"),
    ({"num_val": 2.5}, "num_val must be an integer"),
])
def test_split_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_val_split(make_data(), **kwargs)


def test_split_bad_data():
    data = make_data()
    with pytest.raises(ValueError, match="already has X_val"):
        train_val_split(train_val_split(data, 4))
    with pytest.raises(ValueError, match="same N"):
        train_val_split({**data, "y_train": data["y_train"][:-1]})
    with pytest.raises(ValueError, match="X_train and y_train"):
        train_val_split({"X_test": data["X_test"], "y_test": data["y_test"]})
    with pytest.raises(ValueError, match="has X_test but not y_test"):
        train_val_split({k: v for k, v in data.items() if k != "y_test"})
    with pytest.raises(TypeError, match="dict"):
        train_val_split([1, 2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_subtract_mean_uses_training_mean_only(dtype):
    data = train_val_split(make_data(dtype=dtype), 8)
    before = copy.deepcopy(data)
    out, mean = subtract_mean(data)
    assert_same(data, before)
    oracle = data["X_train"].astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(mean, oracle, rtol=1e-6)
    assert mean.shape == (2, 3, 3) and mean.dtype == dtype
    for s in ("train", "val", "test"):
        assert out[f"X_{s}"].dtype == dtype
        np.testing.assert_allclose(out[f"X_{s}"], data[f"X_{s}"] - oracle, atol=1e-6)
        np.testing.assert_array_equal(out[f"y_{s}"], data[f"y_{s}"])
    np.testing.assert_allclose(out["X_train"].mean(axis=0), 0, atol=1e-6)
    assert abs(out["X_test"].mean()) > 1e-4  # test data is NOT re-centred on itself


def test_subtract_mean_per_channel():
    data = make_data()
    out, mean = subtract_mean(data, per_channel=True)
    oracle = data["X_train"].astype(np.float64).mean(axis=(0, 2, 3))
    assert mean.shape == (2, 1, 1)
    np.testing.assert_allclose(mean[:, 0, 0], oracle, rtol=1e-6)
    np.testing.assert_allclose(out["X_test"], data["X_test"] - oracle[:, None, None], atol=1e-6)


def test_subtract_mean_errors():
    data = make_data()
    with pytest.raises(TypeError, match="float"):
        subtract_mean({**data, "X_train": (data["X_train"] * 255).astype(np.uint8)})
    with pytest.raises(ValueError, match="trailing dimensions"):
        subtract_mean({**data, "X_test": data["X_test"][:, :1]})
    with pytest.raises(ValueError, match="per_channel needs images"):
        subtract_mean(flatten(data), per_channel=True)
    with pytest.raises(ValueError, match="empty"):
        subtract_mean({**data, "X_train": data["X_train"][:0], "y_train": data["y_train"][:0]})


def test_subsample():
    data = make_data(n_train=50, n_test=20)
    before = copy.deepcopy(data)
    out = subsample(data, num_train=10, num_test=5, seed=2)
    assert_same(data, before)
    assert out["X_train"].shape[0] == 10 and out["X_test"].shape[0] == 5
    ids = subsample(ids_data(data["y_train"]), num_train=10, seed=2)["X_train"][:, 0].astype(int)
    assert len(set(ids)) == 10 and np.all(np.diff(ids) > 0)
    np.testing.assert_array_equal(out["X_train"], data["X_train"][ids])
    np.testing.assert_array_equal(out["y_train"], data["y_train"][ids])
    again = subsample(data, num_train=10, num_test=5, seed=2)
    np.testing.assert_array_equal(again["X_test"], out["X_test"])
    whole = subsample(data, num_train=3)
    np.testing.assert_array_equal(whole["X_test"], data["X_test"])
    strat = subsample({**data, "y_train": np.repeat([0, 1], 25)}, num_train=10, stratify=True)
    assert np.bincount(strat["y_train"]).tolist() == [5, 5]
    with pytest.raises(ValueError, match="no X_val"):
        subsample(data, num_val=3)
    with pytest.raises(ValueError, match=r"num_train must be an integer in \[0, 50\]"):
        subsample(data, num_train=51)


def test_flatten():
    data = make_data()
    out = flatten(data)
    assert out["X_train"].shape == (40, 18) and out["X_test"].shape == (10, 18)
    np.testing.assert_array_equal(out["X_train"][3], data["X_train"][3].ravel())
    assert not np.shares_memory(out["X_train"], data["X_train"])
    assert data["X_train"].shape == (40, 2, 3, 3)
