"""CIFAR-10 / CIFAR-2 loaders on tiny batch files in the official pickle format."""

from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from cs_nn.data import (
    DataFormatError,
    DatasetNotFoundError,
    _files,
    load_cifar2,
    load_cifar10,
    read_cifar_batch,
)

NAMES = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse",
         b"ship", b"truck"]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    monkeypatch.setattr(_files, "_open_url", lambda url, timeout: pytest.fail(f"online: {url}"))


def batch_dict(n: int, seed: int, labels=None) -> dict:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).tolist() if labels is None else list(labels)
    return {b"batch_label": b"training batch", b"labels": labels,
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"filenames": [f"{i}.png".encode() for i in range(n)]}


def write_pickle(path: Path, obj, gz: bool = False, old_numpy_name: bool = False) -> Path:
    raw = pickle.dumps(obj, protocol=2)
    if old_numpy_name:  # the global the official (numpy 1 / Python 2) files use
        raw = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)
    return path


def cifar_dir(root: Path) -> Path:
    return root / "cifar-10" / "cifar-10-batches-py"


def make_cifar(root: Path, train_batches=(1,), n=6, gz=False, meta=True) -> dict:
    batches = {}
    for i in train_batches:
        batches[f"data_batch_{i}"] = batch_dict(n, seed=i)
        write_pickle(cifar_dir(root) / f"data_batch_{i}", batches[f"data_batch_{i}"], gz=gz)
    batches["test_batch"] = batch_dict(n, seed=99)
    write_pickle(cifar_dir(root) / "test_batch", batches["test_batch"], gz=gz,
                 old_numpy_name=True)
    if meta:
        write_pickle(cifar_dir(root) / "batches.meta", {b"label_names": NAMES,
                                                        b"num_cases_per_batch": n})
    return batches


def to_image(row: np.ndarray) -> np.ndarray:
    """Oracle: 1024 red, 1024 green, 1024 blue values, each plane row by row -> (3, 32, 32)."""
    red, green, blue = row[:1024], row[1024:2048], row[2048:]
    return np.stack([plane.reshape(32, 32) for plane in (red, green, blue)])


@pytest.mark.parametrize("gz", [False, True])
def test_load_cifar10_values_and_subset_of_batches(tmp_path, gz):
    batches = make_cifar(tmp_path, train_batches=(1, 3), gz=gz)
    data = load_cifar10(tmp_path)
    train = [batches["data_batch_1"], batches["data_batch_3"]]
    expected_X = np.stack([to_image(r) for b in train for r in b[b"data"]]) / np.float32(255)
    assert data["X_train"].dtype == np.float32 and data["y_train"].dtype == np.int64
    assert data["X_train"].shape == (12, 3, 32, 32)
    np.testing.assert_array_equal(data["X_train"], expected_X.astype(np.float32))
    assert data["y_train"].tolist() == train[0][b"labels"] + train[1][b"labels"]
    assert data["y_test"].tolist() == batches["test_batch"][b"labels"]
    assert 0.0 <= data["X_test"].min() and data["X_test"].max() <= 1.0
    assert data["info"]["num_train_batches"] == 2
    assert data["class_names"] == [n.decode() for n in NAMES]


def test_mixed_plain_and_gz_batches_and_no_meta(tmp_path):
    make_cifar(tmp_path, train_batches=(1,), gz=True, meta=False)
    write_pickle(cifar_dir(tmp_path) / "data_batch_2", batch_dict(4, seed=2))
    data = load_cifar10(tmp_path)
    assert data["X_train"].shape[0] == 10 and data["info"]["num_train_batches"] == 2
    assert data["class_names"][2] == "bird"


def test_num_train_stops_reading_batches(tmp_path):
    make_cifar(tmp_path, train_batches=(1, 2, 3), n=5)
    data = load_cifar10(tmp_path, num_train=3, num_test=2)
    assert data["X_train"].shape == (3, 3, 32, 32) and data["X_test"].shape == (2, 3, 32, 32)
    assert data["info"]["num_train_batches"] == 3
    assert [Path(f).name for f in data["info"]["train_files"]] == ["data_batch_1"]


def test_str_keys_are_accepted(tmp_path):
    b = batch_dict(3, seed=5)
    path = write_pickle(tmp_path / "b", {k.decode(): v for k, v in b.items()})
    X, y = read_cifar_batch(path)
    assert X.shape == (3, 3, 32, 32) and y.tolist() == b[b"labels"]


def test_cifar2_keeps_airplane_and_bird(tmp_path):
    labels = [0, 1, 2, 3, 2, 0, 9, 2]
    b = batch_dict(len(labels), seed=1, labels=labels)
    write_pickle(cifar_dir(tmp_path) / "data_batch_1", b)
    write_pickle(cifar_dir(tmp_path) / "test_batch", batch_dict(4, 2, labels=[2, 2, 5, 0]))
    data = load_cifar2(tmp_path)
    keep = [i for i, c in enumerate(labels) if c in (0, 2)]
    assert data["y_train"].tolist() == [int(labels[i] == 2) for i in keep]
    expected = np.stack([to_image(b[b"data"][i]) for i in keep]) / np.float32(255)
    np.testing.assert_array_equal(data["X_train"], expected.astype(np.float32))
    assert data["y_test"].tolist() == [1, 1, 0]
    assert data["class_names"] == ["airplane", "bird"]
    assert load_cifar2(tmp_path, num_train=2)["y_train"].tolist() == [0, 1]


def test_only_test_batch_needs_num_train_zero(tmp_path):
    make_cifar(tmp_path, train_batches=())
    with pytest.raises(DatasetNotFoundError, match="data_batch_1"):
        load_cifar10(tmp_path)
    data = load_cifar10(tmp_path, num_train=0)
    assert data["X_train"].shape == (0, 3, 32, 32) and data["info"]["num_train_batches"] == 0


# ---------------------------------------------------------------- hostile and corrupt files


class RunsShell:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class CallsEval:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


@pytest.mark.parametrize("gz", [False, True])
def test_malicious_pickle_refused_without_running(tmp_path, gz):
    marker = tmp_path / "pwned"
    b = batch_dict(2, seed=0)
    b[b"labels"] = RunsShell(marker)
    write_pickle(cifar_dir(tmp_path) / "test_batch", b, gz=gz)
    with pytest.raises(DataFormatError, match="refusing to unpickle .*system"):
        load_cifar10(tmp_path, num_train=0)
    assert not marker.exists()


def test_pickle_calling_eval_refused(tmp_path):
    path = write_pickle(tmp_path / "b", {b"data": CallsEval(), b"labels": []})
    with pytest.raises(DataFormatError, match=r"refusing to unpickle (__builtin__|builtins)\.eval"):
        read_cifar_batch(path)


def test_codecs_encode_only_latin1(tmp_path):
    # a protocol-2 pickle calling _codecs.encode with another codec (hand-written opcodes)
    raw = b"\x80\x02c_codecs\nencode\nq\x00X\x03\x00\x00\x00abcX\x06\x00\x00\x00base64\x86R."
    path = tmp_path / "b"
    path.write_bytes(raw)
    with pytest.raises(DataFormatError, match="encoding 'base64'"):
        read_cifar_batch(path)


@pytest.mark.parametrize("obj, match", [
    ([1, 2, 3], "expected a pickled dict"),
    ({b"data": np.zeros((2, 3072), np.uint8)}, "needs 'data' and 'labels'"),
    ({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, r"shape \(N, 3072\)"),
    ({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}, "uint8"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, "2 images but labels"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, "0..9"),
    ({b"data": np.zeros((1, 3072), np.uint8), b"labels": ["x"]}, "list of ints"),
])
def test_wrong_contents(tmp_path, obj, match):
    path = write_pickle(tmp_path / "b", obj)
    with pytest.raises(DataFormatError, match=match):
        read_cifar_batch(path)


def test_object_arrays_refused(tmp_path):
    path = write_pickle(tmp_path / "b", {b"data": np.array([None, 1], dtype=object),
                                         b"labels": [0, 1]})
    with pytest.raises(DataFormatError, match="object"):
        read_cifar_batch(path)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_batch(tmp_path, gz):
    make_cifar(tmp_path)
    raw = pickle.dumps(batch_dict(6, seed=1), protocol=2)[:5000]
    name = "data_batch_1.gz" if gz else "data_batch_1"
    (cifar_dir(tmp_path) / "data_batch_1").unlink()
    (cifar_dir(tmp_path) / name).write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(DataFormatError, match="(?s)data_batch_1.*corrupt or truncated"):
        load_cifar10(tmp_path)


def test_bad_limits(tmp_path):
    make_cifar(tmp_path)
    with pytest.raises(ValueError, match="num_test"):
        load_cifar10(tmp_path, num_test=1.5)
