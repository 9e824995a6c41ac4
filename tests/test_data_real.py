"""The loaders on the real offline datasets, when CS_NN_DATA points at them (CI sets it).

Only the small test files are read, so this stays fast. Reference values come from the
data folder's README (counts and labels checked there independently of cs_nn).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cs_nn.data import _files, load_cifar10, load_fashion_mnist, load_fer2013, load_mnist, sha256sum
from cs_nn.data.idx import FASHION_MNIST_FILES, MNIST_FILES

DATA = os.environ.get("CS_NN_DATA")
pytestmark = pytest.mark.skipif(
    not DATA, reason="CS_NN_DATA is not set: point it at the offline data folder "
    "(e.g. /work/shared/data) to test the loaders on the real datasets")

MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    monkeypatch.setattr(_files, "_open_url", lambda url, timeout: pytest.fail(f"online: {url}"))


def test_pinned_checksums_match_the_real_test_files():
    for sub, table in (("mnist", MNIST_FILES), ("fashion-mnist", FASHION_MNIST_FILES)):
        for name in ("t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                     "train-labels-idx1-ubyte.gz"):
            assert sha256sum(Path(DATA) / sub / name) == table[name], f"{sub}/{name}"


def test_mnist_test_set():
    data = load_mnist(num_train=0)
    assert data["X_test"].shape == (10000, 1, 28, 28) and data["X_test"].dtype == np.float32
    assert data["X_test"].min() == 0.0 and data["X_test"].max() == 1.0
    assert np.bincount(data["y_test"]).tolist() == MNIST_TEST_COUNTS
    assert data["X_train"].shape == (0, 1, 28, 28)
    assert data["info"]["files"]["t10k-labels-idx1-ubyte.gz"].startswith(DATA)


def test_fashion_mnist_test_set():
    data = load_fashion_mnist(num_train=0)
    assert np.bincount(data["y_test"]).tolist() == [1000] * 10


def _cifar_train_batches_on_disk() -> list[str]:
    folder = Path(DATA) / "cifar-10" / "cifar-10-batches-py"
    return sorted({p.name.removesuffix(".gz") for p in folder.glob("data_batch_[1-5]*")})


def test_cifar10_subset():
    data = load_cifar10(num_train=10)
    assert data["y_train"].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert data["y_test"][:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]
    assert np.bincount(data["y_test"]).tolist() == [1000] * 10
    assert data["X_test"].shape == (10000, 3, 32, 32) and data["X_test"].dtype == np.float32
    # Every batch on disk is found; only the first is read for 10 images.
    assert data["info"]["num_train_batches"] == len(_cifar_train_batches_on_disk()) >= 1
    assert [Path(f).name for f in data["info"]["train_files"]] == ["data_batch_1.gz"]
    assert data["class_names"][0] == "airplane" and data["class_names"][9] == "truck"


# First ten labels of each training batch, from the data folder's README.
CIFAR_FIRST_LABELS = {"data_batch_1": [6, 9, 9, 4, 1, 1, 2, 7, 8, 3],
                      "data_batch_2": [1, 6, 6, 8, 8, 3, 4, 6, 0, 6],
                      "data_batch_3": [8, 5, 0, 6, 9, 2, 8, 3, 6, 2]}


def test_cifar10_reads_every_training_batch_in_order():
    on_disk = _cifar_train_batches_on_disk()
    data = load_cifar10(num_test=0)
    assert data["y_train"].shape == (10000 * len(on_disk),)
    for i, name in enumerate(on_disk):
        if name in CIFAR_FIRST_LABELS:
            assert data["y_train"][10000 * i:10000 * i + 10].tolist() == CIFAR_FIRST_LABELS[name]
    assert len(data["info"]["train_files"]) == len(on_disk)


FER_TRAIN_COUNTS = [3995, 436, 4097, 7215, 4830, 3171, 4965]


def test_fer2013_from_the_gzip_csv():
    data = load_fer2013(num_train=None, num_val=0, num_test=0)
    assert data["info"]["source"].endswith("fer2013.csv.gz")
    assert data["X_train"].shape == (28709, 1, 48, 48) and data["X_train"].dtype == np.float32
    assert np.bincount(data["y_train"], minlength=7).tolist() == FER_TRAIN_COUNTS


# Class counts per split, from the data folder's README.
FER_COUNTS = {"train": [3995, 436, 4097, 7215, 4830, 3171, 4965],
              "val": [467, 56, 496, 895, 653, 415, 607],
              "test": [491, 55, 528, 879, 594, 416, 626]}


def test_fer2013_csv_gz():
    data = load_fer2013(num_train=2000)
    assert data["info"]["source"].endswith(("fer2013.csv", "fer2013.csv.gz"))
    assert data["X_train"].shape == (2000, 1, 48, 48) and data["X_train"].dtype == np.float32
    for split in ("val", "test"):
        assert np.bincount(data[f"y_{split}"], minlength=7).tolist() == FER_COUNTS[split]
