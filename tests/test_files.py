"""Tests of cs_nn._util.files: atomic writes keep the old file on failure and get normal modes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cs_nn._util import files
from cs_nn._util.files import atomic_write_text


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002, 0o077])
def test_atomic_write_gives_the_mode_a_plain_open_would(tmp_path: Path, umask: int) -> None:
    old_mask = os.umask(umask)
    try:
        plain = tmp_path / "plain.txt"
        with open(plain, "wb") as f:  # the oracle: what an ordinary write creates
            f.write(b"x")
        atomic = atomic_write_text(tmp_path / "atomic.txt", "x")
        assert oct(atomic.stat().st_mode & 0o777) == oct(plain.stat().st_mode & 0o777)
        assert atomic.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0o600
        for p in (plain, atomic):  # replacing an existing file keeps its mode, like open()
            p.chmod(0o640)
        with open(plain, "wb") as f:
            f.write(b"y")
        atomic_write_text(atomic, "y")
        assert atomic.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777 == 0o640
        assert atomic.read_text() == "y"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["atomic.txt", "plain.txt"]
    finally:
        os.umask(old_mask)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_umask_without_proc_is_read_and_left_unchanged(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def no_proc(*args: object, **kwargs: object) -> None:
        raise OSError("no /proc")

    old_mask = os.umask(0o037)
    try:
        monkeypatch.setattr(files, "open", no_proc, raising=False)  # the os.umask fallback
        assert files._current_umask() == 0o037
        path = atomic_write_text(tmp_path / "f.txt", "x")
        assert path.stat().st_mode & 0o777 == 0o640
        assert os.umask(0o037) == 0o037  # still the umask set above
    finally:
        os.umask(old_mask)


def test_interrupted_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = atomic_write_text(tmp_path / "f.csv", "1.0\n")
    real_fdopen = os.fdopen

    class HalfWriter:
        """Writes half of the data, then dies like an interrupted process."""

        def __init__(self, f: object) -> None:
            self.f = f

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

        def write(self, data: bytes) -> None:
            self.f.write(data[: len(data) // 2])
            raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(path, "2.0\n" * 100)
    monkeypatch.undo()
    assert path.read_text() == "1.0\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]
