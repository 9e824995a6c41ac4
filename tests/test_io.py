"""Tests of cs_nn.io: exact round trips, row-major order, failed writes, malformed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cs_nn import io
from cs_nn.io import CsvFormatError, format_values, read_csv, write_csv

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
tmp_settings = settings(max_examples=25, deadline=None,
                        suppress_health_check=[HealthCheck.function_scoped_fixture])


@tmp_settings
@given(arr=hnp.arrays(np.float64, shapes,
                      elements=st.floats(allow_nan=False, allow_infinity=False,
                                         allow_subnormal=True)))
def test_float64_round_trip_is_exact(tmp_path: Path, arr: np.ndarray) -> None:
    path = write_csv(tmp_path / "a.csv", arr)
    back = read_csv(path, arr.shape)
    assert back.dtype == np.float64 and back.shape == arr.shape
    np.testing.assert_array_equal(back.view(np.int64), arr.view(np.int64))  # bit for bit


@tmp_settings
@given(arr=hnp.arrays(np.float32, shapes,
                      elements=st.floats(width=32, allow_nan=False, allow_infinity=False)))
def test_float32_round_trip_is_exact(tmp_path: Path, arr: np.ndarray) -> None:
    path = write_csv(tmp_path / "a.csv", arr)
    back = read_csv(path, arr.shape, dtype=np.float32)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back.view(np.int32), arr.view(np.int32))


@tmp_settings
@given(dtype=st.sampled_from([np.int8, np.int32, np.int64, np.uint8, np.uint64]),
       data=st.data())
def test_integer_round_trip_is_exact(tmp_path: Path, dtype: type, data: st.DataObject) -> None:
    arr = data.draw(hnp.arrays(dtype, shapes))
    path = write_csv(tmp_path / "a.csv", arr)
    back = read_csv(path, arr.shape, dtype=dtype)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, arr)


def test_extreme_values_round_trip(tmp_path: Path) -> None:
    f64 = np.finfo(np.float64)
    arr = np.array([f64.max, -f64.max, f64.tiny, f64.smallest_subnormal, -0.0, 0.1, 1 / 3])
    back = read_csv(write_csv(tmp_path / "f.csv", arr), arr.shape)
    np.testing.assert_array_equal(back.view(np.int64), arr.view(np.int64))
    ints = np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max, 2**62 + 1])
    back = read_csv(write_csv(tmp_path / "i.csv", ints), 3, dtype=np.int64)
    np.testing.assert_array_equal(back, ints)


def test_file_is_one_value_per_line_row_major(tmp_path: Path) -> None:
    arr = np.arange(6).reshape(2, 3).T  # (3, 2), not C-contiguous
    path = write_csv(tmp_path / "t.csv", arr)
    assert path.read_text() == "0\n3\n1\n4\n2\n5\n"
    np.testing.assert_array_equal(read_csv(path, (3, 2), dtype=np.int64), arr)
    write_csv(path, np.array([[1.5, -2.0], [0.25, 3.0]]))
    assert path.read_text() == "1.5\n-2.0\n0.25\n3.0\n"
    write_csv(path, 7.0)
    np.testing.assert_array_equal(read_csv(path, ()), np.array(7.0))
    write_csv(path, np.array([True, False]))
    assert path.read_text() == "1\n0\n"


def test_read_without_shape_is_flat_and_accepts_crlf_and_no_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"1.0\r\n2\r\n-3e2")
    np.testing.assert_array_equal(read_csv(path), [1.0, 2.0, -300.0])
    np.testing.assert_array_equal(read_csv(path, 3, dtype=np.int64), [1, 2, -300])


def test_write_refuses_nan_and_non_numeric(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="refusing to write .*NaN or infinite"):
        write_csv(tmp_path / "n.csv", np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="refusing to write"):
        write_csv(tmp_path / "n.csv", np.array([np.inf]))
    with pytest.raises(TypeError, match="numeric array"):
        write_csv(tmp_path / "n.csv", np.array(["a"]))
    assert list(tmp_path.iterdir()) == []


def test_write_creates_parent_folders_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a" / "b" / "out.csv", np.ones(3))
    assert path.read_text() == "1.0\n1.0\n1.0\n"
    write_csv(path, np.zeros(2))  # overwrite
    assert path.read_text() == "0.0\n0.0\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.csv"]


@pytest.mark.parametrize("fail_in", ["fsync", "replace"])
def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        fail_in: str) -> None:
    old = write_csv(tmp_path / "ans.csv", np.array([1.0, 2.0]))
    old_text = old.read_text()

    def boom(*args: object) -> None:
        raise OSError(f"simulated crash in {fail_in}")

    monkeypatch.setattr(io.os, fail_in, boom)
    with pytest.raises(OSError, match="simulated crash"):
        write_csv(old, np.arange(1000.0))
    with pytest.raises(OSError, match="simulated crash"):
        write_csv(tmp_path / "new.csv", np.arange(1000.0))
    monkeypatch.undo()
    assert old.read_text() == old_text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ans.csv"]  # no new.csv, no temp


@pytest.mark.parametrize("content, dtype, match", [
    (b"", np.float64, r"bad\.csv: the file is empty"),
    (b"1.0\nhello\n2.0\n", np.float64, r"bad\.csv, line 2: 'hello' is not a number"),
    (b"1.0\n\n2.0\n", np.float64, r"bad\.csv, line 2: blank line"),
    (b"1.0\n   \n", np.float64, r"bad\.csv, line 2: blank line"),
    (b"1.0\n2.0\nnan\n", np.float64, r"bad\.csv, line 3: 'nan' is not a finite number"),
    (b"inf\n", np.float64, r"bad\.csv, line 1: 'inf' is not a finite number"),
    (b"-Infinity\n", np.float64, r"line 1: '-Infinity' is not a finite"),
    (b"1e999\n", np.float64, r"line 1: '1e999' is not a finite"),
    (b"1.0,2.0\n", np.float64, r"line 1: '1.0,2.0' is not a number"),
    (b"1\n2.5\n", np.int64, r"bad\.csv, line 2: '2.5' is not an integer"),
    (b"1\n300\n", np.uint8, r"bad\.csv, line 2: '300' does not fit in uint8"),
    (b"\x00\x01\x02\n", np.float64, r"bad\.csv, line 1: .* is not a number"),
    (b"\xff\xfe\x00garbage\x80\n", np.float64, r"bad\.csv: not a UTF-8 text file"),
])
def test_malformed_files_name_file_and_line(tmp_path: Path, content: bytes, dtype: type,
                                            match: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CsvFormatError, match=match):
        read_csv(path, dtype=dtype)
    assert issubclass(CsvFormatError, ValueError)


def test_wrong_count_for_shape(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", np.ones(5))
    with pytest.raises(CsvFormatError, match=r"c\.csv: has 5 values but shape \(2, 3\) needs 6"):
        read_csv(path, (2, 3))
    with pytest.raises(CsvFormatError, match=r"has 5 values but shape \(4,\) needs 4"):
        read_csv(path, 4)
    assert read_csv(path, 5).shape == (5,)


def test_missing_file_gives_hint(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.csv: no such file.*cs-nn make-inputs"):
        read_csv(tmp_path / "nope.csv")
    with pytest.raises(IsADirectoryError, match="is a folder, not a CSV file"):
        read_csv(tmp_path)  # a folder is not "no such file" (issue 13 case 16)


def test_format_values_matches_write(tmp_path: Path) -> None:
    arr = np.array([[0.1, 2.0], [3.5, -4.0]], dtype=np.float32)
    assert write_csv(tmp_path / "f.csv", arr).read_text() == format_values(arr)
    assert format_values(arr).splitlines()[0] == repr(float(np.float32(0.1)))
