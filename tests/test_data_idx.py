"""IDX reader and the MNIST / Fashion-MNIST loaders on tiny files written here."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.data import DataFormatError, _files, load_fashion_mnist, load_mnist, read_idx

TYPE_CODES = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype(">i2"): 0x0B,
              np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    monkeypatch.setattr(_files, "_open_url", lambda url, timeout: pytest.fail(f"online: {url}"))


def idx_raw(arr: np.ndarray, code: int | None = None) -> bytes:
    """IDX bytes written by hand from the format spec (independent of the reader)."""
    big = arr.astype(arr.dtype.newbyteorder(">"))
    code = TYPE_CODES[big.dtype] if code is None else code
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + big.tobytes()


def make_mnist(folder: Path, n_train=5, n_test=3, rows=28, cols=28, seed=0, gz=True) -> dict:
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, rows, cols), np.uint8),
              "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, np.uint8),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, rows, cols), np.uint8),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, np.uint8)}
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in arrays.items():
        raw = idx_raw(arr)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_reads_values_exactly(tmp_path, gz):
    arrays = make_mnist(tmp_path / "mnist", gz=gz)
    data = load_mnist(tmp_path)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        X, y = data[f"X_{split}"], data[f"y_{split}"]
        images = arrays[f"{prefix}-images-idx3-ubyte"]
        assert X.dtype == np.float32 and y.dtype == np.int64
        assert X.shape == (images.shape[0], 1, 28, 28)
        assert 0.0 <= X.min() and X.max() <= 1.0
        np.testing.assert_array_equal(X[:, 0], images.astype(np.float32) / np.float32(255))
        np.testing.assert_array_equal(y, arrays[f"{prefix}-labels-idx1-ubyte"])
    assert data["class_names"] == [str(d) for d in range(10)]


def test_full_range_maps_to_zero_and_one(tmp_path):
    folder = tmp_path / "mnist"
    make_mnist(folder, n_train=1, n_test=1, rows=1, cols=2)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(
        gzip.compress(idx_raw(np.array([[[0, 255]]], np.uint8))))
    X = load_mnist(tmp_path)["X_train"]
    assert X.tolist() == [[[[0.0, 1.0]]]]


def test_limits_read_only_the_first_items(tmp_path):
    arrays = make_mnist(tmp_path / "mnist", n_train=6, n_test=4)
    data = load_mnist(tmp_path, num_train=2, num_test=0)
    assert data["X_train"].shape == (2, 1, 28, 28) and data["X_test"].shape == (0, 1, 28, 28)
    np.testing.assert_array_equal(data["y_train"], arrays["train-labels-idx1-ubyte"][:2])
    assert load_mnist(tmp_path, num_train=100)["X_train"].shape[0] == 6
    with pytest.raises(ValueError, match="num_train"):
        load_mnist(tmp_path, num_train=-1)


def test_fashion_mnist_folder_and_class_names(tmp_path):
    arrays = make_mnist(tmp_path / "fashion-mnist", seed=3)
    data = load_fashion_mnist(tmp_path)
    np.testing.assert_array_equal(data["y_test"], arrays["t10k-labels-idx1-ubyte"])
    assert data["class_names"][0] == "T-shirt/top" and data["class_names"][9] == "Ankle boot"
    assert data["info"]["dataset"] == "fashion-mnist"


@settings(max_examples=25, deadline=None)
@given(dtype=st.sampled_from(sorted(TYPE_CODES, key=str)),
       shape=st.lists(st.integers(0, 4), min_size=1, max_size=4),
       seed=st.integers(0, 2**16), gz=st.booleans())
def test_read_idx_roundtrip_any_type_and_shape(tmp_path_factory, dtype, shape, seed, gz):
    rng = np.random.default_rng(seed)
    arr = (rng.standard_normal(shape) * 100).astype(dtype)
    path = tmp_path_factory.mktemp("idx") / "a.idx"
    raw = idx_raw(arr)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    got = read_idx(path)
    assert got.shape == tuple(shape) and got.dtype.isnative
    np.testing.assert_array_equal(got, arr)


# ---------------------------------------------------------------- corrupt files


def corrupt(tmp_path: Path, name: str, content: bytes, gz: bool = True) -> Path:
    make_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / name).write_bytes(gzip.compress(content) if gz else content)
    return tmp_path


def test_bad_magic(tmp_path):
    raw = bytearray(idx_raw(np.zeros((2, 28, 28), np.uint8)))
    raw[0] = 0x12
    root = corrupt(tmp_path, "train-images-idx3-ubyte.gz", bytes(raw))
    with pytest.raises(DataFormatError, match="(?s)train-images-idx3-ubyte.gz.*magic"):
        load_mnist(root)


def test_labels_file_in_place_of_images(tmp_path):
    root = corrupt(tmp_path, "t10k-images-idx3-ubyte.gz", idx_raw(np.zeros(3, np.uint8)))
    with pytest.raises(DataFormatError, match="dimension"):
        load_mnist(root)


def test_truncated_data(tmp_path):
    raw = idx_raw(np.zeros((5, 28, 28), np.uint8))[:-100]
    with pytest.raises(DataFormatError, match="truncated"):
        load_mnist(corrupt(tmp_path, "train-images-idx3-ubyte.gz", raw))


def test_truncated_header(tmp_path):
    raw = idx_raw(np.zeros((5, 28, 28), np.uint8))[:9]
    with pytest.raises(DataFormatError, match="truncated IDX header"):
        load_mnist(corrupt(tmp_path, "train-images-idx3-ubyte.gz", raw))


def test_trailing_bytes_mean_wrong_count(tmp_path):
    raw = idx_raw(np.zeros(3, np.uint8)) + b"\x01"
    with pytest.raises(DataFormatError, match="more data"):
        load_mnist(corrupt(tmp_path, "t10k-labels-idx1-ubyte.gz", raw))


def test_truncated_gzip_stream(tmp_path):
    blob = gzip.compress(idx_raw(np.arange(5 * 28 * 28).reshape(5, 28, 28).astype(np.uint8)))
    root = corrupt(tmp_path, "train-images-idx3-ubyte.gz", blob[: len(blob) // 2], gz=False)
    with pytest.raises(DataFormatError, match="(?s)train-images.*(decompress|truncated)"):
        load_mnist(root)


def test_image_and_label_counts_must_agree(tmp_path):
    root = corrupt(tmp_path, "train-labels-idx1-ubyte.gz", idx_raw(np.zeros(4, np.uint8)))
    with pytest.raises(DataFormatError, match="5 images but .* 4 labels"):
        load_mnist(root)


def test_label_out_of_range(tmp_path):
    root = corrupt(tmp_path, "t10k-labels-idx1-ubyte.gz", idx_raw(np.array([0, 1, 10], np.uint8)))
    with pytest.raises(DataFormatError, match="out of range"):
        load_mnist(root)


def test_non_byte_images_rejected(tmp_path):
    root = corrupt(tmp_path, "t10k-images-idx3-ubyte.gz", idx_raw(np.zeros((3, 28, 28), ">f4")))
    with pytest.raises(DataFormatError, match="unsigned-byte"):
        load_mnist(root)
