"""Synthetic submissions for the grading tests: correct ones, typical bugs, malformed zips.

Correct answers come from the reference package applied to the committed input files; each
bug changes one file the way a learner's mistake would, and records which file it breaks.
"""

from __future__ import annotations

import functools
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cs_nn.course.questions import all_questions, get_question
from cs_nn.io import format_values, read_csv

ROOT = Path(__file__).resolve().parent.parent
IN_RELEASE = (ROOT / "RELEASE.json").is_file()
instructor_only = pytest.mark.skipif(
    IN_RELEASE, reason="instructor-only: needs the reference solution, absent in the release")

Files = dict[str, bytes]


@functools.lru_cache(maxsize=1)
def _reference() -> dict[str, np.ndarray]:
    from cs_nn.course.graded import load_inputs

    out = {}
    for q in all_questions():
        for name, arr in q.reference(load_inputs(q, ROOT / "input_files")).items():
            out[q.output_file(name)] = arr
    return out


def reference_files() -> Files:
    """Every expected output file of a correct submission, as bytes."""
    return {f: format_values(a).encode() for f, a in _reference().items()}


def _arr(f: str) -> np.ndarray:
    return _reference()[f].copy()


def _replace(f: str, arr: np.ndarray) -> Callable[[Files], Files]:
    return lambda files: {**files, f: format_values(arr).encode()}


def _text(f: str, text: str) -> Callable[[Files], Files]:
    return lambda files: {**files, f: text.encode()}


def _drop(f: str) -> Callable[[Files], Files]:
    return lambda files: {k: v for k, v in files.items() if k != f}


def _dropout_x() -> np.ndarray:
    return read_csv(ROOT / "input_files" / "dropout_forward_in_x.csv", (100, 50))


def _bugs() -> dict[str, tuple[str, Callable[[Files], Files]]]:
    """bug name -> (the file it breaks, files -> buggy files)."""
    n = get_question("softmax_loss").inputs["scores"].shape[0]
    train = _arr("dropout_forward_out_train.csv")
    x = _dropout_x()
    first = _arr("linear_forward_out.csv")
    return {
        "transposed_dw": ("linear_backward_out_dw.csv",
                          _replace("linear_backward_out_dw.csv",
                                   _arr("linear_backward_out_dw.csv").T)),
        "wrong_sign": ("linear_backward_out_dx.csv",
                       _replace("linear_backward_out_dx.csv", -_arr("linear_backward_out_dx.csv"))),
        "forgot_divide_by_n": ("softmax_loss_out_dscores.csv",
                               _replace("softmax_loss_out_dscores.csv",
                                        n * _arr("softmax_loss_out_dscores.csv"))),
        "scaled_by_2": ("l2_out_dw.csv", _replace("l2_out_dw.csv", 2 * _arr("l2_out_dw.csv"))),
        "dropout_not_rescaled": ("dropout_forward_out_train.csv",
                                 _replace("dropout_forward_out_train.csv", x * (train != 0))),
        "dropout_test_not_identity": ("dropout_forward_out_test.csv",
                                      _replace("dropout_forward_out_test.csv", train)),
        "missing_file": ("linear_forward_out.csv", _drop("linear_forward_out.csv")),
        "nan": ("linear_forward_out.csv",
                _text("linear_forward_out.csv",
                      "nan\n" + format_values(first.ravel()[1:]))),
        "text": ("tanh_forward_out.csv", _text("tanh_forward_out.csv", "hello\nworld\n")),
        "wrong_count": ("sigmoid_forward_out.csv",
                        _replace("sigmoid_forward_out.csv",
                                 _arr("sigmoid_forward_out.csv").ravel()[:-1])),
    }


BUG_NAMES = ("transposed_dw", "wrong_sign", "forgot_divide_by_n", "scaled_by_2",
             "dropout_not_rescaled", "dropout_test_not_identity", "missing_file", "nan", "text",
             "wrong_count")


def bug_names() -> list[str]:
    """The bug names, without computing anything (safe at collection time, also in the
    student release where the reference solution is stubbed)."""
    return list(BUG_NAMES)


def buggy_files(bug: str) -> tuple[str, Files]:
    """(the broken file, the files of a submission with ``bug``)."""
    bugs = _bugs()
    assert set(bugs) == set(BUG_NAMES), "keep BUG_NAMES in step with _bugs()"
    broken, apply = bugs[bug]
    return broken, apply(reference_files())


def file_share(fname: str) -> float:
    """The points one output file is worth."""
    for q in all_questions():
        if fname in {q.output_file(n) for n in q.outputs}:
            return q.points / len(q.outputs)
    raise KeyError(fname)


def max_total() -> float:
    return sum(q.points for q in all_questions())


def write_folder(folder: Path, files: Files, manifest: dict | None = None) -> Path:
    (folder / "output_files").mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / "output_files" / name).write_bytes(data)
    if manifest is not None:
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def write_zip(path: Path, files: Files, prefix: str = "output_files/") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(prefix + name, data)
    return path


def zip_with_entry(path: Path, entry: str) -> Path:
    """A zip holding a correct submission plus one entry with a crafted name."""
    write_zip(path, reference_files())
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(zipfile.ZipInfo(entry), b"1.0\n")
    return path


def zip_with_symlink(path: Path, target: str = "/etc/passwd") -> Path:
    write_zip(path, reference_files())
    info = zipfile.ZipInfo("output_files/relu_forward_out.csv.link")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(info, target)
    return path


def zip_bomb(path: Path, size: int = 9 * 1024 * 1024, name: str = "relu_forward_out.csv") -> Path:
    """A tiny zip that expands to ``size`` bytes of zeros (deflate compresses ~1000:1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("output_files/" + name, b"0" * size)
    return path


MALFORMED = ("absolute_path", "dotdot", "symlink", "bomb_declared", "bomb_ratio", "not_a_zip")


def write_malformed(path: Path, kind: str) -> Path:
    """A refused submission zip of one of the MALFORMED kinds."""
    if kind == "absolute_path":
        return zip_with_entry(path, "/tmp/evil_out.csv")
    if kind == "dotdot":
        return zip_with_entry(path, "output_files/../../evil_out.csv")
    if kind == "symlink":
        return zip_with_symlink(path)
    if kind == "bomb_declared":
        return zip_bomb(path)
    if kind == "bomb_ratio":
        return zip_bomb(path, size=3 * 1024 * 1024)
    if kind == "not_a_zip":
        path.write_bytes(b"PK\x03\x04 this is not really a zip")
        return path
    raise KeyError(kind)


def make_batch(folder: Path, n: int = 100) -> dict[str, str]:
    """``n`` submissions in ``folder`` (folders and zips); returns name -> kind."""
    kinds = ["correct"] * 3 + bug_names() + list(MALFORMED)
    made = {}
    for i in range(n):
        kind = kinds[i % len(kinds)]
        name = f"s{i:03d}_{kind}"
        if kind in MALFORMED:
            write_malformed(folder / f"{name}.zip", kind)
        else:
            files = reference_files() if kind == "correct" else buggy_files(kind)[1]
            if i % 2:
                write_zip(folder / f"{name}.zip", files)
            else:
                write_folder(folder / name, files)
        made[name] = kind
    return made
