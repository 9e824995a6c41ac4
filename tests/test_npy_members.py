"""cs_nn._util.npy_members: bounded reading of untrusted .npz members."""

from __future__ import annotations

import pickle
import zipfile

import numpy as np
import pytest

from cs_nn._util.npy_members import read_npy_member, refuse_non_zip


@pytest.mark.parametrize("content, says", [
    (b"", "empty"), (b"\x93NUMPY\x01\x00", "single .npy array"),
    (pickle.dumps({"a": 1}), "pickle"), (b"hello, world", "another kind")])
def test_files_that_are_no_zip_are_refused_with_what_they_are(tmp_path, content, says):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=says):
        refuse_non_zip(path)


def test_a_zip_passes(tmp_path):
    path = tmp_path / "ok.npz"
    np.savez(path, a=np.arange(3))
    refuse_non_zip(path)  # no error


def _member(tmp_path, arr, name="a.npy"):
    path = tmp_path / "m.npz"
    np.savez(path, **{name[:-4]: arr})
    zf = zipfile.ZipFile(path)
    return path, zf, zf.getinfo(name)


def test_a_member_is_read_exactly_with_its_dtype_and_shape(tmp_path):
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    path, zf, info = _member(tmp_path, arr)
    with zf:
        got = read_npy_member(path, zf, info, max_bytes=1 << 20,
                              expect=(np.dtype(np.float32), (3, 4)))
    assert got.dtype == np.float32 and np.array_equal(got, arr)


def test_objects_a_wrong_shape_and_a_size_over_the_limit_are_refused(tmp_path):
    path, zf, info = _member(tmp_path, np.array([{"x": 1}], dtype=object))
    with zf, pytest.raises(ValueError, match="objects or pickles are refused"):
        read_npy_member(path, zf, info, max_bytes=1 << 20, expect=None)
    path, zf, info = _member(tmp_path, np.zeros((2, 2)))
    with zf, pytest.raises(ValueError, match="does not match its recorded"):
        read_npy_member(path, zf, info, max_bytes=1 << 20, expect=(np.dtype(float), (4,)))
    path, zf, info = _member(tmp_path, np.zeros(1000))
    with zf, pytest.raises(ValueError, match="claims 8,000 bytes"):
        read_npy_member(path, zf, info, max_bytes=100, expect=None)
