"""Tests of the graded questions (cs_nn.course.questions), course.graded and course.paths."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cs_nn.course import graded, paths
from cs_nn.course.questions import (
    INPUT_SEED,
    ArraySpec,
    Question,
    all_questions,
    get_question,
)
from cs_nn.io import CsvFormatError, read_csv, write_csv

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "input_files"
QUESTIONS = all_questions()
KEYS = [q.key for q in QUESTIONS]


def test_committed_input_files_equal_the_generator(tmp_path: Path) -> None:
    written = graded.write_inputs(tmp_path)
    fresh = {p.name: p.read_bytes() for p in written}
    committed = {p.name: p.read_bytes() for p in COMMITTED.glob("*.csv")}
    assert sorted(fresh) == sorted(committed), "run `cs-nn make-inputs` and commit the result"
    differ = [name for name in fresh if fresh[name] != committed[name]]
    assert differ == [], f"committed inputs differ from the generator: {differ}"


def test_generator_is_deterministic_and_per_question() -> None:
    for q in QUESTIONS[:4]:
        a, b = q.generate_inputs(), q.generate_inputs()
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])
    # each question has its own stream: the first draws differ between questions
    firsts = {q.rng().random() for q in QUESTIONS}
    assert len(firsts) == len(QUESTIONS)
    assert isinstance(INPUT_SEED, int)


def test_keys_and_file_names_are_unique() -> None:
    assert len(set(KEYS)) == len(KEYS)
    files = [q.input_file(n) for q in QUESTIONS for n in q.inputs]
    files += [q.output_file(n) for q in QUESTIONS for n in q.outputs]
    assert len(set(files)) == len(files)
    assert all(k.isidentifier() and k == k.lower() for k in KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_specs_consistent_with_reference(key: str) -> None:
    q = get_question(key)
    assert q.grading in ("allclose", "dropout")
    assert q.points > 0 and q.rtol > 0 and q.atol >= 0
    inputs = graded.load_inputs(q, COMMITTED)
    assert list(inputs) == list(q.inputs)
    for name, spec in q.inputs.items():
        assert inputs[name].shape == spec.shape
        assert inputs[name].dtype == np.dtype(spec.dtype)
    generated = q.generate_inputs()
    for name in q.inputs:  # the files hold the generator's values exactly
        np.testing.assert_array_equal(inputs[name], generated[name])
    raw = q.solve(**inputs)
    assert set(raw) == set(q.outputs)
    for name, spec in q.outputs.items():
        assert np.size(raw[name]) == spec.size
    ref = q.reference(inputs)
    assert list(ref) == list(q.outputs)
    for name, spec in q.outputs.items():
        assert ref[name].shape == spec.shape and ref[name].dtype == np.dtype(spec.dtype)
        assert np.all(np.isfinite(ref[name]))


def test_file_naming() -> None:
    q = get_question("linear_backward")
    assert q.input_file("x") == "linear_backward_in_x.csv"
    assert q.output_file("dw") == "linear_backward_out_dw.csv"
    assert get_question("linear_forward").output_file("") == "linear_forward_out.csv"


def test_unknown_key_lists_valid_keys() -> None:
    with pytest.raises(KeyError, match="no question called 'linar_forward'.*linear_forward"):
        get_question("linar_forward")


def test_some_reference_answers_against_oracles() -> None:
    lin = graded.load_inputs("linear_forward", COMMITTED)
    x, w, b = lin["x"], lin["w"], lin["b"]
    out = get_question("linear_forward").reference(lin)[""]
    np.testing.assert_allclose(out, np.einsum("nd,dm->nm", x.reshape(len(x), -1), w) + b,
                               rtol=1e-12)
    f2 = graded.load_inputs("graph_f2", COMMITTED)
    out = get_question("graph_f2").reference(f2)[""]
    np.testing.assert_allclose(out[:, 0], np.tanh(f2["x"]), rtol=1e-12)
    np.testing.assert_allclose(out[:, 1], 1 / np.cosh(f2["x"]) ** 2, rtol=1e-9)
    sm = graded.load_inputs("softmax_loss", COMMITTED)
    ref = get_question("softmax_loss").reference(sm)
    s = sm["scores"]
    lse = s.max(axis=1) + np.log(np.exp(s - s.max(axis=1, keepdims=True)).sum(axis=1))
    loss = float(np.mean(lse - s[np.arange(len(s)), sm["y"]]))
    assert ref["loss"][0] == pytest.approx(loss, rel=1e-12)
    l2 = get_question("l2")
    w = graded.load_inputs(l2, COMMITTED)["w"]
    ref = l2.reference({"w": w})
    reg = l2.params["reg"]
    assert ref["loss"][0] == pytest.approx(0.5 * reg * math.fsum(w.ravel() ** 2), rel=1e-13)
    np.testing.assert_allclose(ref["dw"], reg * w, rtol=1e-15)


def test_dropout_references_are_statistically_right() -> None:
    q = get_question("dropout_forward")
    x = graded.load_inputs(q, COMMITTED)["x"]
    ref = q.reference({"x": x})
    p = q.params["p"]
    np.testing.assert_array_equal(ref["test"], x)
    dropped = np.count_nonzero(ref["train"] == 0)
    assert abs(dropped - p * x.size) < 4 * math.sqrt(x.size * p * (1 - p))
    kept = ref["train"] != 0
    np.testing.assert_allclose(ref["train"][kept], x[kept] / (1 - p), rtol=1e-15)


def test_save_outputs_round_trip(tmp_path: Path) -> None:
    q = get_question("linear_backward")
    ref = q.reference(graded.load_inputs(q, COMMITTED))
    written = graded.save_outputs(q, ref, tmp_path)
    assert sorted(p.name for p in written) == sorted(q.output_file(n) for n in q.outputs)
    for name, spec in q.outputs.items():
        np.testing.assert_array_equal(read_csv(tmp_path / q.output_file(name), spec.shape),
                                      ref[name])
    # a single array is accepted for a one-output question
    q1 = get_question("relu_forward")
    (path,) = graded.save_outputs("relu_forward", np.zeros(q1.outputs[""].shape), tmp_path)
    assert path.name == "relu_forward_out.csv"


def test_save_outputs_refuses_bad_answers_and_writes_nothing(tmp_path: Path) -> None:
    q = get_question("linear_backward")
    ref = q.reference(graded.load_inputs(q, COMMITTED))
    wrong_shape = {**ref, "db": ref["db"][:-1]}  # dx and dw are fine, db is not
    with pytest.raises(ValueError, match=r"linear_backward output 'db' must have shape \(6,\)"):
        graded.save_outputs(q, wrong_shape, tmp_path)
    with pytest.raises(ValueError, match="writes the outputs"):
        graded.save_outputs(q, {"dx": ref["dx"], "dw": ref["dw"]}, tmp_path)
    with pytest.raises(ValueError, match="writes the outputs"):
        graded.save_outputs(q, {**ref, "dy": ref["db"]}, tmp_path)
    nan = {**ref, "dw": np.full_like(ref["dw"], np.nan)}
    with pytest.raises(ValueError, match="'dw' contains NaN"):
        graded.save_outputs(q, nan, tmp_path)
    with pytest.raises(ValueError, match=r"relu_forward output must have shape \(8, 10\)"):
        graded.save_outputs("relu_forward", np.zeros(3), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_load_inputs_refuses_tampered_files(tmp_path: Path) -> None:
    q = get_question("linear_forward")
    graded.write_inputs(tmp_path, [q])
    graded.load_inputs(q, tmp_path)  # fine as written
    write_csv(tmp_path / q.input_file("b"), np.ones(5))
    with pytest.raises(CsvFormatError, match=r"linear_forward_in_b\.csv: has 5 values"):
        graded.load_inputs(q, tmp_path)
    (tmp_path / q.input_file("w")).unlink()
    with pytest.raises(FileNotFoundError, match=r"linear_forward_in_w\.csv: no such file"):
        graded.load_inputs(q, tmp_path)
    y_file = tmp_path / "graph_f3_in_y.csv"
    graded.write_inputs(tmp_path, [get_question("graph_f3")])
    y_file.write_text("1\n" * 19 + "1.5\n")
    with pytest.raises(CsvFormatError, match=r"graph_f3_in_y\.csv, line 20: '1.5' is not an int"):
        graded.load_inputs("graph_f3", tmp_path)


def test_conform_rejects_a_generator_that_breaks_its_spec() -> None:
    q = Question("bad", "00_x", {"a": ArraySpec((2, 2))}, {"": ArraySpec((1,))},
                 lambda rng: {"a": rng.random(5)}, lambda a: {"": a.sum()})
    with pytest.raises(ValueError, match=r"question bad: input 'a' has shape \(5,\), "
                                         r"declared \(2, 2\)"):
        q.generate_inputs()
    q2 = Question("bad2", "00_x", {"a": ArraySpec((2,))}, {"": ArraySpec(())},
                  lambda rng: {"b": rng.random(2)}, lambda a: {"": a.sum()})
    with pytest.raises(ValueError, match=r"question bad2: inputs \['b'\] do not match"):
        q2.generate_inputs()
    assert q2.reference({"a": np.ones(2)})[""].shape == ()


def test_write_reference_outputs_rows(tmp_path: Path) -> None:
    qs = [get_question("graph_f1"), get_question("linear_backward")]
    rows = graded.write_reference_outputs(COMMITTED, tmp_path, qs)
    assert [(r.question, r.path.name) for r in rows] == [
        ("graph_f1", "graph_f1_out.csv"), ("linear_backward", "linear_backward_out_dx.csv"),
        ("linear_backward", "linear_backward_out_dw.csv"),
        ("linear_backward", "linear_backward_out_db.csv")]
    assert rows[1].shape == (5, 2, 3, 4) and rows[0].notebook == "01_computational_graphs"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(r.path.name for r in rows)


# ----------------------------------------------------------------------------- paths


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake project with input_files/ and a nested notebooks/ folder; env vars cleared."""
    monkeypatch.delenv("CS_NN_INPUT_DIR", raising=False)
    monkeypatch.delenv("CS_NN_OUTPUT_DIR", raising=False)
    (tmp_path / "proj" / "input_files").mkdir(parents=True)
    (tmp_path / "proj" / "notebooks" / "deep").mkdir(parents=True)
    return tmp_path / "proj"


def test_paths_parent_search(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "notebooks" / "deep")
    assert paths.project_dir() == project.resolve()
    assert paths.input_dir() == project.resolve() / "input_files"
    assert paths.output_dir() == project.resolve() / "output_files"
    assert paths.project_dir(project / "notebooks") == project.resolve()


def test_paths_explicit_and_env_vars(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    assert paths.input_dir("somewhere") == Path("somewhere")
    assert paths.output_dir(project / "x") == project / "x"
    monkeypatch.setenv("CS_NN_INPUT_DIR", str(project / "in_env"))
    monkeypatch.setenv("CS_NN_OUTPUT_DIR", str(project / "out_env"))
    assert paths.input_dir() == project / "in_env"
    assert paths.output_dir() == project / "out_env"
    assert paths.input_dir("explicit") == Path("explicit")  # explicit beats the env var
    monkeypatch.setenv("CS_NN_INPUT_DIR", "")  # empty means unset
    assert paths.input_dir() == project.resolve() / "input_files"


def test_paths_without_project_give_a_clear_error(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CS_NN_INPUT_DIR", raising=False)
    monkeypatch.delenv("CS_NN_OUTPUT_DIR", raising=False)
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    if any((p / "input_files").is_dir() for p in lonely.resolve().parents):
        pytest.skip("a parent of the temporary folder has an input_files/ folder")
    monkeypatch.chdir(lonely)
    with pytest.raises(FileNotFoundError, match="no input_files/ folder in .*CS_NN_INPUT_DIR"):
        paths.input_dir()
    with pytest.raises(FileNotFoundError, match="no input_files/ folder"):
        paths.output_dir()


def test_graded_functions_use_default_folders(project: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    q = get_question("l2")
    graded.write_inputs(project / "input_files", [q])
    monkeypatch.chdir(project / "notebooks")
    inputs = graded.load_inputs("l2")
    (path,) = graded.save_outputs("l2", {"loss": np.array([1.0]), "dw": inputs["w"]})[:1]
    assert path.parent == project.resolve() / "output_files"


def test_dropout_backward_references_follow_seed_001_in_both_modes() -> None:
    q = get_question("dropout_backward")
    assert q.params["p"] == 0.8 and set(q.outputs) == {"forward", "train", "test"}
    inputs = graded.load_inputs(q, COMMITTED)
    ref = q.reference(inputs)
    dout, p = inputs["dout"], q.params["p"]
    np.testing.assert_array_equal(ref["test"], dout)  # test mode passes dout straight through
    dropped = np.count_nonzero(ref["train"] == 0)
    assert abs(dropped - p * dout.size) < 4 * math.sqrt(dout.size * p * (1 - p))
    kept = ref["train"] != 0
    np.testing.assert_allclose(ref["train"][kept], dout[kept] / (1 - p), rtol=1e-15)
    np.testing.assert_array_equal(kept, ref["forward"] != 0)  # dx reuses the forward mask
