"""Issue 13, graded CSVs: oversized, odd and misleading input, within a memory cap."""

from __future__ import annotations

import numpy as np
import pytest
from capped import GB, ROOT, cli_capped, refused_capped, run_capped, sparse_file

from cs_nn.io import MAX_CSV_BYTES, CsvFormatError, read_csv, write_csv


def test_read_csv_refuses_a_2_gb_file_unread_under_a_1_gb_cap(tmp_path):
    """Case 8: read_csv on a 2 GB file peaked at 18.9 GB before failing."""
    big = sparse_file(tmp_path / "big.csv", 2 * GB, b"1.0\n" * 10)
    r = refused_capped("cs_nn.io import CsvFormatError, read_csv", f"read_csv({str(big)!r})",
                       "CsvFormatError")
    assert r.returncode == 0 and not r.traceback, r.stderr
    assert "far too big for a graded file" in r.stdout and "it was not read" in r.stdout
    assert r.peak_mb < 300


def test_read_csv_at_the_limit_stays_bounded(tmp_path):
    """The biggest file accepted (8 MB of one-digit lines: 4 M values) parses in bounded memory."""
    path = tmp_path / "full.csv"
    path.write_bytes(b"1\n" * (MAX_CSV_BYTES // 2))
    r = run_capped(f"""
        from cs_nn.io import read_csv
        print("VALUES", read_csv({str(path)!r}).size)
        try:
            read_csv({str(path)!r}, shape=(10,))
        except ValueError as exc:
            print("WRONG", exc)
    """, limit=GB)
    assert r.returncode == 0 and not r.traceback, r.stderr
    assert f"VALUES {MAX_CSV_BYTES // 2}" in r.stdout
    assert f"has {MAX_CSV_BYTES // 2} values but shape (10,) needs 10" in r.stdout
    assert r.peak_mb < 400, r.peak_mb


def test_check_refuses_a_huge_output_before_reading_it(tmp_path):
    """Case 8: `cs-nn check` read the whole file before its size check."""
    out = tmp_path / "output_files"
    out.mkdir()
    sparse_file(out / "l2_out_dw.csv", 2 * GB, b"1.0\n")
    r = cli_capped(["check", "--outputs", str(out), "--inputs", str(ROOT / "input_files"),
                    "--only", "l2"], limit=GB)
    assert r.returncode == 1 and not r.traceback, r.stderr
    assert "far too big for a graded file" in r.stdout and "malformed" in r.stdout
    assert r.peak_mb < 300


def test_a_byte_order_mark_is_accepted(tmp_path):
    """Case 16: Excel writes a UTF-8 BOM; it used to be 'not a number' without naming it."""
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeff1.5\r\n2.5\r\n".encode())
    np.testing.assert_array_equal(read_csv(path, 2), [1.5, 2.5])
    from cs_nn.course.compare import parse_values
    from cs_nn.course.questions import ArraySpec

    np.testing.assert_array_equal(parse_values(path.read_bytes(), "x", ArraySpec((2,))),
                                  [1.5, 2.5])


def test_a_folder_is_not_reported_as_a_missing_file(tmp_path):
    """Case 16: a folder was reported as 'no such file'."""
    (tmp_path / "x.csv").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder, not a CSV file"):
        read_csv(tmp_path / "x.csv")
    with pytest.raises(IsADirectoryError, match="is a folder, not a file"):
        write_csv(tmp_path / "x.csv", np.ones(2))


def test_a_file_in_the_way_of_an_output_folder_is_named(tmp_path):
    (tmp_path / "afile").write_text("mine")
    with pytest.raises(NotADirectoryError, match="afile is a file, so no folder can be created"):
        write_csv(tmp_path / "afile" / "x.csv", np.ones(2))
    assert (tmp_path / "afile").read_text() == "mine"
    with pytest.raises(CsvFormatError, match="empty"):
        read_csv(sparse_file(tmp_path / "empty.csv", 0))
