"""File resolution, download (against a local HTTP server only) and error messages of cs_nn.data."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import pickle
import struct
import tarfile
import threading
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from cs_nn.data import (
    ChecksumError,
    DatasetNotFoundError,
    DownloadError,
    _files,
    cache_dir,
    cifar,
    download,
    idx,
    load_cifar10,
    load_mnist,
    search_roots,
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Only 127.0.0.1 may be contacted: any other URL fails the test."""
    real = _files._open_url

    def guarded(url, timeout):
        if not url.startswith("http://127.0.0.1:"):
            raise AssertionError(f"test tried to go online: {url}")
        return real(url, min(timeout, 5.0))

    monkeypatch.setattr(_files, "_open_url", guarded)


@pytest.fixture()
def server(tmp_path):
    """A tiny HTTP server on 127.0.0.1 serving tmp_path/'served'; yields (base_url, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def do_GET(self):  # noqa: N802 (http.server API)
            if self.path == "/truncated":  # promises 1000 bytes, sends 10, hangs up
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b"x" * 10)
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.timeout = 5
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", folder
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def dead_url():
    """A URL on 127.0.0.1 where nothing listens (connection refused, like being offline)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def idx_bytes(arr: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return gzip.compress(header + arr.astype(np.uint8).tobytes())


def mnist_files(label: int, n: int = 3) -> dict[str, bytes]:
    """Tiny MNIST-format files whose labels are all ``label`` (to tell folders apart)."""
    images = np.arange(n * 4 * 4, dtype=np.uint8).reshape(n, 4, 4)
    labels = np.full(n, label, dtype=np.uint8)
    return {"train-images-idx3-ubyte.gz": idx_bytes(images),
            "train-labels-idx1-ubyte.gz": idx_bytes(labels),
            "t10k-images-idx3-ubyte.gz": idx_bytes(images[:2]),
            "t10k-labels-idx1-ubyte.gz": idx_bytes(labels[:2])}


def write_mnist(root: Path, label: int) -> Path:
    for name, content in mnist_files(label).items():
        (root / "mnist").mkdir(parents=True, exist_ok=True)
        (root / "mnist" / name).write_bytes(content)
    return root


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- resolution order


def test_search_roots_order(monkeypatch, tmp_path):
    monkeypatch.setenv("CS_NN_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert search_roots(tmp_path / "mine") == [tmp_path / "mine"]
    assert search_roots() == [tmp_path / "env", tmp_path / "xdg" / "cs_nn"]
    monkeypatch.delenv("CS_NN_DATA")
    assert search_roots() == [tmp_path / "xdg" / "cs_nn"]


def test_cache_dir_defaults_to_home_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "cs_nn"


def test_loader_resolution_root_then_env_then_cache(monkeypatch, tmp_path):
    explicit, env, xdg = (write_mnist(tmp_path / name, label)
                          for name, label in (("explicit", 1), ("env", 2), ("xdg/cs_nn", 3)))
    monkeypatch.setenv("CS_NN_DATA", str(env))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert load_mnist(explicit)["y_train"][0] == 1
    assert load_mnist()["y_train"][0] == 2
    monkeypatch.setenv("CS_NN_DATA", str(tmp_path / "empty"))  # set but without the files
    assert load_mnist()["y_train"][0] == 3
    monkeypatch.delenv("CS_NN_DATA")
    assert load_mnist()["y_train"][0] == 3
    assert load_mnist(root=str(explicit))["info"]["files"]["t10k-labels-idx1-ubyte.gz"] \
        .startswith(str(explicit))
    assert xdg.is_dir()


def test_explicit_root_is_the_only_place_searched(monkeypatch, tmp_path):
    monkeypatch.setenv("CS_NN_DATA", str(write_mnist(tmp_path / "env", 2)))
    with pytest.raises(DatasetNotFoundError):
        load_mnist(tmp_path / "nothing_here")


# ---------------------------------------------------------------- missing / offline errors


def test_missing_file_error_says_what_where_and_how(monkeypatch, tmp_path):
    called = []
    monkeypatch.setattr(_files, "_open_url", lambda url, timeout: called.append(url))
    monkeypatch.setenv("CS_NN_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist()
    msg = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "train-images-idx3-ubyte.gz" in msg
    assert str(tmp_path / "env" / "mnist") in msg and str(tmp_path / "xdg" / "cs_nn") in msg
    assert "CS_NN_DATA" in msg and "download=True" in msg and "https://" in msg
    assert called == []  # download=False never goes online
    assert not (tmp_path / "env").exists()  # and writes nothing


def test_download_when_offline_gives_clear_error(monkeypatch, tmp_path, dead_url):
    monkeypatch.setattr(idx, "MNIST_MIRRORS", [dead_url, dead_url + "mirror2/"])
    with pytest.raises(DownloadError, match="(?s)offline.*CS_NN_DATA") as info:
        load_mnist(tmp_path, download=True)
    assert "mirror2" in str(info.value)
    assert listing(tmp_path / "mnist") == []  # no partial files


# ---------------------------------------------------------------- download()


def test_download_success_is_atomic_and_checked(monkeypatch, server, tmp_path):
    base, folder = server
    payload = os.urandom(3 * 1024 * 1024 + 17)  # several chunks
    (folder / "blob.bin").write_bytes(payload)
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((Path(src), Path(dst)))
        assert not Path(dst).exists()  # the destination appears only at the rename
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    dest = tmp_path / "out" / "blob.bin"
    got = download(base + "blob.bin", dest, hashlib.sha256(payload).hexdigest(), progress=True)
    assert got == dest and dest.read_bytes() == payload
    (src, dst), = replaced
    assert dst == dest and src.parent == dest.parent and src.name.endswith(".part")
    assert listing(dest.parent) == ["blob.bin"]


def test_download_bad_checksum_leaves_nothing(server, tmp_path):
    base, folder = server
    (folder / "blob.bin").write_bytes(b"not what you expected")
    dest = tmp_path / "out" / "blob.bin"
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as info:
        download(base + "blob.bin", dest, wrong)
    msg = str(info.value)
    assert "blob.bin" in msg and wrong in msg
    assert hashlib.sha256(b"not what you expected").hexdigest() in msg
    assert listing(dest.parent) == []


@pytest.mark.parametrize("name, match", [("missing.bin", "missing.bin: HTTP Error 404"),
                                         ("truncated", "broke off after 10 of 1000 bytes")])
def test_download_http_error_or_cut_transfer_leaves_nothing(server, tmp_path, name, match):
    base, _ = server
    dest = tmp_path / "out" / "x.bin"
    with pytest.raises(DownloadError, match=match):
        download(base + name, dest, None)
    assert listing(dest.parent) == []


def test_download_rejects_non_http_url(tmp_path):
    with pytest.raises(ValueError, match="http"):
        download("file:///etc/passwd", tmp_path / "x", None)


def test_load_mnist_download_end_to_end(monkeypatch, server, tmp_path, dead_url):
    base, folder = server
    files = mnist_files(label=7)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    monkeypatch.setattr(idx, "MNIST_MIRRORS", [dead_url, base])  # first mirror is down
    monkeypatch.setattr(idx, "MNIST_FILES",
                        {k: hashlib.sha256(v).hexdigest() for k, v in files.items()})
    monkeypatch.setenv("CS_NN_DATA", str(tmp_path / "data"))
    data = load_mnist(download=True)
    assert data["X_train"].shape == (3, 1, 4, 4) and np.all(data["y_train"] == 7)
    assert listing(tmp_path / "data" / "mnist") == sorted(files)
    for name, content in files.items():
        assert (tmp_path / "data" / "mnist" / name).read_bytes() == content
    # a second call finds the files and does not download again
    monkeypatch.setattr(_files, "_open_url", pytest.fail)
    assert np.array_equal(load_mnist()["X_test"], data["X_test"])


def test_load_mnist_download_rejects_tampered_file(monkeypatch, server, tmp_path):
    base, folder = server
    for name, content in mnist_files(label=1).items():
        (folder / name).write_bytes(content)
    monkeypatch.setattr(idx, "MNIST_MIRRORS", [base])  # keeps the real pinned SHA-256 values
    with pytest.raises(ChecksumError, match="train-images-idx3-ubyte.gz"):
        load_mnist(tmp_path, download=True)
    assert listing(tmp_path / "mnist") == []


# ---------------------------------------------------------------- CIFAR-10 archive download


def _tar_add(tar: tarfile.TarFile, name: str, content: bytes, kind=tarfile.REGTYPE,
             link: str = "") -> None:
    member = tarfile.TarInfo(name)
    member.type, member.linkname, member.size = kind, link, len(content)
    tar.addfile(member, io.BytesIO(content) if kind == tarfile.REGTYPE else None)


def test_cifar10_download_extracts_only_known_members(monkeypatch, server, tmp_path):
    base, folder = server
    rng = np.random.default_rng(0)
    batch = {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), b"labels": [3, 1, 4, 1]}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("data_batch_1", "test_batch"):
            _tar_add(tar, f"cifar-10-batches-py/{name}", pickle.dumps(batch, protocol=2))
        _tar_add(tar, "../escaped.txt", b"evil")
        _tar_add(tar, "/tmp/cs_nn_absolute_escape.txt", b"evil")
        _tar_add(tar, "cifar-10-batches-py/data_batch_2", b"", tarfile.SYMTYPE, "/etc/passwd")
    archive = buf.getvalue()
    (folder / "cifar.tar.gz").write_bytes(archive)
    monkeypatch.setattr(cifar, "CIFAR10_URL", base + "cifar.tar.gz")
    monkeypatch.setattr(cifar, "CIFAR10_SHA256", hashlib.sha256(archive).hexdigest())
    root = tmp_path / "root"
    data = load_cifar10(root, download=True)
    assert data["y_train"].tolist() == [3, 1, 4, 1] and data["info"]["num_train_batches"] == 1
    assert listing(root / "cifar-10") == ["cifar-10-batches-py"]  # archive removed afterwards
    assert listing(root / "cifar-10" / "cifar-10-batches-py") == ["data_batch_1", "test_batch"]
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/tmp/cs_nn_absolute_escape.txt").exists()


def test_cifar10_not_found_mentions_archive(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="(?s)test_batch.*cifar-10-python.tar.gz"):
        load_cifar10(tmp_path)


def test_no_network_guard_works():
    with pytest.raises(AssertionError, match="online"):
        _files._open_url("https://example.com/x", 1.0)
    assert issubclass(DownloadError, ConnectionError)
    assert not issubclass(urllib.error.URLError, DownloadError)
