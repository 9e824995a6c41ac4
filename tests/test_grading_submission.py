"""Opening untrusted submissions: zip-slip, links and zip bombs are refused, nothing extracted."""

from __future__ import annotations

import os
import zipfile

import pytest
from synthetic_submissions import (
    MALFORMED,
    reference_files,
    write_folder,
    write_malformed,
    write_zip,
    zip_bomb,
    zip_with_entry,
)

from cs_nn.course.submit import safe_name
from cs_nn.instructor.grading.submission import SubmissionError, open_submission

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def files():
    return {"relu_forward_out.csv": b"1.0\n2.0\n", "l2_out_loss.csv": b"3.0\n"}


def test_folder_and_zip_give_the_same_files(tmp_path, files):
    a = open_submission(write_folder(tmp_path / "alice", files))
    b = open_submission(write_zip(tmp_path / "bob.zip", files))
    c = open_submission(write_zip(tmp_path / "carol.zip", files, prefix="carol/output_files/"))
    assert a.files == b.files == c.files == files
    assert (a.name, b.name, c.name) == ("alice", "bob", "carol")


def test_manifest_student_is_a_claim_not_the_identity(tmp_path, files):
    sub = open_submission(write_folder(tmp_path / "x", files, {"student": "Ann O'Neil/../x"}))
    assert sub.name == "x" and sub.student == "Ann O'Neil/../x"


def test_manifest_hashes_are_checked(tmp_path, files):
    import hashlib

    listed = [{"path": f"output_files/{n}", "sha256": hashlib.sha256(d).hexdigest()}
              for n, d in files.items()]
    listed.append({"path": "output_files/tanh_forward_out.csv", "sha256": "0" * 64})
    manifest = {"student": "ann", "files": listed}
    sub = open_submission(write_folder(tmp_path / "ok", files, manifest))
    assert sub.changed == ["tanh_forward_out.csv (in the manifest but not in the submission)"]
    edited = dict(files, **{"l2_out_loss.csv": b"4.0\n", "relu_backward_out.csv": b"1\n"})
    sub = open_submission(write_folder(tmp_path / "edited", edited, manifest))
    assert "l2_out_loss.csv (changed after submit)" in sub.changed
    assert "relu_backward_out.csv (not in the manifest: added after submit)" in sub.changed
    assert any("changed after submit" in w for w in sub.warnings)
    assert open_submission(write_folder(tmp_path / "none", files)).changed == []


def test_duplicate_zip_entries_are_refused(tmp_path):
    """Two entries of one name: the last would silently win."""
    import warnings

    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        zf.writestr("output_files/l2_out_loss.csv", b"1.0\n")
        zf.writestr("output_files/l2_out_loss.csv", b"2.0\n")
    with pytest.raises(SubmissionError, match="same name"):
        open_submission(path)
    with zipfile.ZipFile(tmp_path / "case.zip", "w") as zf:
        zf.writestr("output_files/l2_out_loss.csv", b"1.0\n")
        zf.writestr("output_files/L2_out_loss.csv", b"2.0\n")
    with pytest.raises(SubmissionError, match="same name"):
        open_submission(tmp_path / "case.zip")


def test_bad_manifest_is_a_warning_not_a_failure(tmp_path, files):
    folder = write_folder(tmp_path / "x", files)
    (folder / "manifest.json").write_text("{not json")
    sub = open_submission(folder)
    assert sub.files == files and sub.manifest is None and "manifest" in sub.warnings[0]


@pytest.mark.parametrize("entry", ["/etc/evil_out.csv", "output_files/../../evil_out.csv",
                                   "..\\evil_out.csv", "C:/evil_out.csv"])
def test_zip_slip_entries_are_refused(tmp_path, entry):
    path = zip_with_entry(tmp_path / "s.zip", entry)
    assert any(i.filename == entry or i.filename.endswith("evil_out.csv")
               for i in zipfile.ZipFile(path).infolist())
    with pytest.raises(SubmissionError, match="zip-slip|absolute"):
        open_submission(path)
    assert not (tmp_path.parent / "evil_out.csv").exists()


@pytest.mark.parametrize("kind", MALFORMED)
def test_every_malformed_kind_is_refused(tmp_path, kind):
    with pytest.raises(SubmissionError):
        open_submission(write_malformed(tmp_path / f"{kind}.zip", kind))


def test_symlink_entry_is_refused(tmp_path):
    with pytest.raises(SubmissionError, match="link"):
        open_submission(write_malformed(tmp_path / "s.zip", "symlink"))


def test_zip_bomb_refused_by_declared_size_and_by_ratio(tmp_path):
    with pytest.raises(SubmissionError, match="zip bomb"):
        open_submission(zip_bomb(tmp_path / "big.zip"))
    small = zip_bomb(tmp_path / "dense.zip", size=3 * 1024 * 1024)
    assert os.path.getsize(small) < 100_000
    with pytest.raises(SubmissionError, match="compressed more than"):
        open_submission(small)


def test_zip_whose_header_understates_the_size_is_refused(tmp_path):
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("relu_forward_out.csv", b"1.0\n" * 1000)
    raw = bytearray(path.read_bytes())
    # shrink the declared uncompressed size (central directory) from 4000 to 40
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24: cd + 28] = (40).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(SubmissionError):
        open_submission(path)


def test_symlinked_file_in_a_folder_is_refused(tmp_path):
    folder = write_folder(tmp_path / "s", {"relu_forward_out.csv": b"1\n"})
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    os.symlink(secret, folder / "output_files" / "relu_backward_out.csv")
    with pytest.raises(SubmissionError, match="link"):
        open_submission(folder)


def test_duplicate_names_and_non_zip_files_are_refused(tmp_path):
    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("output_files/relu_forward_out.csv", b"1\n")
        zf.writestr("relu_forward_out.csv", b"2\n")
    with pytest.raises(SubmissionError, match="twice"):
        open_submission(path)
    other = tmp_path / "notes.txt"
    other.write_text("hi")
    with pytest.raises(SubmissionError, match="folder or a .zip"):
        open_submission(other)


def test_nothing_is_extracted_and_pickles_are_ignored(tmp_path):
    files = {**reference_files(), "model.pkl": b"\x80\x04cos\nsystem\n"}
    path = write_zip(tmp_path / "s.zip", files)
    before = set(os.listdir(tmp_path))
    sub = open_submission(path)
    assert "model.pkl" not in sub.files and set(os.listdir(tmp_path)) == before


def test_safe_name():
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("") == "submission"
