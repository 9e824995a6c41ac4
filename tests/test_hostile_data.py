"""Issue 13, dataset files: headers that lie about sizes are refused before allocating,
under a memory cap; odd FER csv files get messages, not tracebacks."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from capped import refused_capped

from cs_nn.data import DataFormatError, load_fer2013, read_idx


def _idx(path, dims, body=b"", gz=True, type_code=0x08):
    raw = bytes([0, 0, type_code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + body
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


IDX_CASES = {
    # a 2.9 MB .gz claiming 3 GB: (3,826,531 x 28 x 28) bytes, real data only 2.9 MB
    "claims_3_gb": ([3_826_531, 28, 28], b"\x01" * 2_900_000, "more than this loader"),
    "huge_dims": ([2**32 - 1, 2**32 - 1, 2**32 - 1], b"", "more than this loader"),
    "overflowing_dims": ([2**31, 2**31, 2**33 % 2**32 + 7], b"", "more than this loader"),
    "claims_more_than_file": ([200_000, 28, 28], b"\x01" * 1000, "more than the file can hold"),
}


@pytest.mark.parametrize("kind", sorted(IDX_CASES))
def test_idx_headers_that_lie_are_refused_before_allocating(tmp_path, kind):
    """Case 10: 2.9 MB .gz -> 3 GB; huge dims -> MemoryError; overflowing dims -> 'read
    length must be non-negative'."""
    dims, body, match = IDX_CASES[kind]
    gz = kind != "claims_more_than_file"
    path = _idx(tmp_path / f"{kind}.gz", dims, body, gz=gz)
    r = refused_capped("cs_nn.data import DataFormatError, read_idx", f"read_idx({str(path)!r})",
                       "DataFormatError")
    assert r.returncode == 0 and not r.traceback, r.stderr
    assert "REFUSED" in r.stdout and match in r.stdout, r.stdout
    assert r.peak_mb < 300, r.peak_mb


def test_idx_header_claiming_less_than_the_limit_but_more_than_the_data(tmp_path):
    noise = np.random.default_rng(0).bytes(5000)  # incompressible: the .gz can hold 5 MB
    path = _idx(tmp_path / "short.gz", [1000, 28, 28], noise)
    with pytest.raises(DataFormatError, match="truncated"):
        read_idx(path)
    ok = _idx(tmp_path / "ok.gz", [2, 2, 2], bytes(range(8)))
    np.testing.assert_array_equal(read_idx(ok), np.arange(8).reshape(2, 2, 2))


@pytest.mark.parametrize("gz", [False, True])
def test_cifar_pickle_claiming_3_gib_is_refused_unallocated(tmp_path, gz):
    """Case 10: the CIFAR unpickler allocated a 3 GiB BINBYTES8 from a 3 MB file."""
    raw = b"\x80\x04\x8e" + struct.pack("<Q", 3 << 30) + b"\x00" * 3_000_000
    path = tmp_path / ("data_batch_1.gz" if gz else "data_batch_1")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    r = refused_capped("cs_nn.data import DataFormatError, read_cifar_batch",
                       f"read_cifar_batch({str(path)!r})", "DataFormatError")
    assert r.returncode == 0 and not r.traceback, r.stderr
    assert "REFUSED" in r.stdout and "not a valid pickle" in r.stdout
    assert r.peak_mb < 300, r.peak_mb


def test_cifar_pickle_that_decompresses_beyond_the_limit(tmp_path):
    path = tmp_path / "data_batch_1.gz"
    path.write_bytes(gzip.compress(b"\x80\x04" + b"\x00" * (70 << 20)))
    r = refused_capped("cs_nn.data import DataFormatError, read_cifar_batch",
                       f"read_cifar_batch({str(path)!r})", "DataFormatError")
    assert "REFUSED" in r.stdout and "bytes decompressed" in r.stdout, r.stderr
    assert r.peak_mb < 300


# ---------------------------------------------------------------- FER csv files (case 13)
PIX = " ".join(["7"] * 2304)


def _fer(tmp_path, data: bytes):
    path = tmp_path / "fer2013" / "fer2013.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return tmp_path


@pytest.mark.parametrize("data, match", [
    (b"emotion,pixels,Usage\n3," + b"1 " * 70_000 + b",Training\n",
     "line 2: not a valid csv row.*a field of more"),
    (b"emotion,pixels,Usage\n3,\xff\xfe" + PIX.encode() + b",Training\n",
     "line 2: not UTF-8 text"),
    (b"emotion,pixels,Usage\n3,\"" + PIX.encode() + b",Training\n",
     "line 2: expected 3 fields, got 2"),  # an unterminated quote swallows the rest
    (b"emotion,pixels,Usage\n3," + b"7" * (2 << 20) + b",Training\n",
     "line 2: longer than 1,048,576 bytes"),
])
def test_odd_fer_csv_files_get_messages(tmp_path, data, match):
    with pytest.raises(DataFormatError, match=match):
        load_fer2013(_fer(tmp_path, data))


def test_fer_csv_with_a_bom_is_accepted(tmp_path):
    """Case 13/16: Excel's BOM made the header unrecognisable."""
    data = "\ufeffemotion,pixels,Usage\r\n3," + PIX + ",Training\r\n4," + PIX + ",PrivateTest\r\n"
    loaded = load_fer2013(_fer(tmp_path, data.encode()))
    assert loaded["y_train"].tolist() == [3] and loaded["y_test"].tolist() == [4]
