"""Dataset loaders and data-dict helpers.

Every loader returns a dict with ``X_train``, ``y_train``, ``X_test``, ``y_test`` (images
float32 (N, C, H, W) in [0, 1], labels int64), ``class_names`` and ``info``. Files are looked
up under an explicit ``root``, else ``$CS_NN_DATA``, else ``~/.cache/cs_nn``; nothing is
downloaded unless ``download=True``.
"""

from __future__ import annotations

from ._files import (
    ChecksumError,
    DataFormatError,
    DatasetNotFoundError,
    DownloadError,
    cache_dir,
    download,
    search_roots,
    sha256sum,
)
from .cifar import load_cifar2, load_cifar10, read_cifar_batch
from .digits import load_digits
from .fer import load_fer2013
from .idx import load_fashion_mnist, load_mnist, read_idx
from .split import flatten, subsample, subtract_mean, train_val_split

LOADERS = {
    "mnist": load_mnist,
    "fashion-mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
    "cifar2": load_cifar2,
    "fer2013": load_fer2013,
    "digits": load_digits,
}


def load_dataset(name: str, **kwargs) -> dict:
    """Load a dataset by name (a key of ``LOADERS``), passing ``kwargs`` to its loader."""
    try:
        loader = LOADERS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(LOADERS)}") from None
    return loader(**kwargs)


__all__ = [
    "ChecksumError", "DataFormatError", "DatasetNotFoundError", "DownloadError", "LOADERS",
    "cache_dir", "download", "flatten", "load_cifar10", "load_cifar2", "load_dataset",
    "load_digits", "load_fashion_mnist", "load_fer2013", "load_mnist", "read_cifar_batch",
    "read_idx", "search_roots", "sha256sum", "subsample", "subtract_mean", "train_val_split",
]
