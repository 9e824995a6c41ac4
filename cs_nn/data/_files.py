"""Where dataset files come from: resolution, download with checksum, clear errors.

Resolution order for a dataset file ``<root>/<subdir>/<name>``:

1. an explicit ``root`` argument (only that folder is searched);
2. otherwise ``$CS_NN_DATA`` (if set), then the per-user cache
   ``$XDG_CACHE_HOME/cs_nn`` (default ``~/.cache/cs_nn``).

The expected layout is the one of the shared offline copy, so ``CS_NN_DATA=/path/to/data`` works::

    <root>/mnist/train-images-idx3-ubyte.gz ...
    <root>/fashion-mnist/...
    <root>/cifar-10/cifar-10-batches-py/data_batch_1[.gz] ... test_batch[.gz] batches.meta
    <root>/fer2013/fer2013.csv   or   <root>/fer2013/{train,test}/<class_name>/*.png

Nothing is ever downloaded unless the caller passes ``download=True``. A download streams
into a temporary file next to its destination, checks the SHA-256, then renames it in place
(``os.replace``), so a failed or corrupt download never leaves a partial file behind.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

ENV_VAR = "CS_NN_DATA"
_CHUNK = 1 << 20


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is not in any of the searched folders (and no download was asked for)."""


class DataFormatError(ValueError):
    """A dataset file exists but its contents are not in the expected format."""


class ChecksumError(DataFormatError):
    """A file's SHA-256 differs from the pinned value."""


class DownloadError(ConnectionError):
    """Every download URL failed (offline, blocked, or server error)."""


def cache_dir() -> Path:
    """The per-user cache folder: ``$XDG_CACHE_HOME/cs_nn``, default ``~/.cache/cs_nn``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cs_nn"


def search_roots(root: str | os.PathLike | None = None) -> list[Path]:
    """Data roots to search, in order: ``[root]`` if given, else ``[$CS_NN_DATA, cache]``."""
    if root is not None:
        return [Path(root).expanduser()]
    roots = []
    env = os.environ.get(ENV_VAR)
    if env:
        roots.append(Path(env).expanduser())
    roots.append(cache_dir())
    return roots


def find_file(subdir: str, names: Sequence[str],
              root: str | os.PathLike | None = None) -> Path | None:
    """First existing ``<r>/<subdir>/<name>`` over the search roots (outer) and names (inner)."""
    for r in search_roots(root):
        for name in names:
            path = r / subdir / name
            if path.is_file():
                return path
    return None


def not_found_error(what: str, subdir: str, names: Sequence[str],
                    root: str | os.PathLike | None, urls: Sequence[str] = (),
                    hint: str = "") -> DatasetNotFoundError:
    """Build the error that says which file, where we looked and how to get it."""
    looked = "\n".join(f"  - {r / subdir}" for r in search_roots(root))
    lines = [f"{what}: could not find {' or '.join(names)} in:", looked, "To get it:"]
    lines.append(f"  * put the file in <data>/{subdir}/ and pass root=<data> "
                 f"or set the environment variable {ENV_VAR}=<data>")
    if urls:
        lines.append("  * or download it (needs network access): download=True in Python, "
                     f"--download with `cs-nn train`; it fetches {urls[0]}")
    if hint:
        lines.append(f"  * {hint}")
    return DatasetNotFoundError("\n".join(lines))


def sha256sum(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _open_url(url: str, timeout: float):
    """Single network entry point (tests replace it to prove nothing else goes online)."""
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 (http(s) URLs only)


def download(url: str, dest: str | os.PathLike, sha256: str | None, *,
             progress: bool = False, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` atomically, verifying its SHA-256 (hex) when given.

    The bytes stream into a temporary file in ``dest``'s folder, are hashed on the way, and
    only a file with the right checksum is renamed to ``dest``. Raises ``ChecksumError`` on a
    mismatch and ``DownloadError`` when the URL cannot be fetched; neither leaves a file.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, got {url!r}")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = _open_url(url, timeout)
            except (urllib.error.URLError, OSError) as exc:
                raise DownloadError(f"could not download {url}: {exc}") from exc
            with response:
                total = int(response.headers.get("Content-Length") or 0) or None
                bar = _progress_bar(progress, total, dest.name)
                received = 0
                try:
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        out.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
                except (OSError, http.client.HTTPException) as exc:
                    raise DownloadError(f"download of {url} broke off: {exc!r}") from exc
                finally:
                    if bar is not None:
                        bar.close()
            if total is not None and received != total:
                raise DownloadError(f"download of {url} broke off after {received} of {total} "
                                    "bytes")
        actual = digest.hexdigest()
        if sha256 is not None and actual != sha256.lower():
            raise ChecksumError(f"checksum mismatch for {dest.name} downloaded from {url}: "
                                f"expected SHA-256 {sha256.lower()}, got {actual}; the file was "
                                "discarded (retry, or fetch it by hand and check it)")
        os.replace(tmp_name, dest)
    except BaseException:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
        raise
    return dest


def _progress_bar(enabled: bool, total: int | None, name: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm  # lazy: tqdm is only needed when a progress bar is asked for

    return tqdm(total=total, unit="B", unit_scale=True, desc=name)


def fetch(what: str, subdir: str, name: str, *, root: str | os.PathLike | None,
          download_ok: bool, urls: Sequence[str], sha256: str | None,
          alt_names: Sequence[str] = (), progress: bool = False, hint: str = "") -> Path:
    """Find ``<subdir>/<name>`` (or an alternative name); download it only if ``download_ok``.

    The download goes to the first search root (``root``, else ``$CS_NN_DATA``, else the
    cache). Each URL in ``urls`` is tried in turn (mirrors).
    """
    names = [name, *alt_names]
    found = find_file(subdir, names, root)
    if found is not None:
        return found
    if not download_ok or not urls:
        raise not_found_error(what, subdir, names, root, urls, hint)
    dest = search_roots(root)[0] / subdir / name
    failures = []
    for url in urls:
        try:
            return download(url, dest, sha256, progress=progress)
        except DownloadError as exc:
            failures.append(str(exc))
    raise DownloadError(f"{what}: every download URL failed (are you offline?):\n  "
                        + "\n  ".join(failures)
                        + f"\nDownload {name} by hand into <data>/{subdir}/ and set "
                        f"{ENV_VAR}=<data> (or pass root=<data>).")


def open_maybe_gzip(path: str | os.PathLike) -> BinaryIO:
    """Open a file for binary reading, transparently decompressing gzip (by its magic bytes)."""
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")
