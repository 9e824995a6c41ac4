"""Checkpoints: exact round trip, no pickle, atomic writes, tampered and newer files refused."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from cs_nn._util.checkpoint import CHECKPOINT_VERSION, load_checkpoint, save_checkpoint


def _params():
    rng = np.random.default_rng(0)
    return {"W1": rng.normal(size=(4, 3)).astype(np.float32),
            "b1": np.zeros(3, np.float32),
            "conv/w.0 ü": rng.normal(size=(2, 1, 3, 3)),  # any name works
            "steps": np.arange(5, dtype=np.int64),
            "scalar": np.float64(np.pi)}


def _rewrite(path, change):
    """Rewrite the npz at ``path`` with ``change(arrays)`` applied (the header kept as is)."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    np.savez(path, **arrays)


def test_round_trip_is_exact(tmp_path):
    params = _params()
    meta = {"epoch": np.int64(3), "lr": np.float32(0.5), "loss_history": [2.3, 1.1],
            "flag": np.bool_(True), "nested": {"a": [1, 2]}, "arr": np.arange(3)}
    path = save_checkpoint(tmp_path / "sub" / "model.npz", params, meta)
    assert path == tmp_path / "sub" / "model.npz"
    loaded, meta2 = load_checkpoint(path)
    assert list(loaded) == list(params)
    for name, value in params.items():
        assert loaded[name].dtype == np.asarray(value).dtype
        np.testing.assert_array_equal(loaded[name], value)
    assert meta2 == {"epoch": 3, "lr": 0.5, "loss_history": [2.3, 1.1], "flag": True,
                     "nested": {"a": [1, 2]}, "arr": [0, 1, 2]}
    assert [p.name for p in path.parent.iterdir()] == ["model.npz"]  # no temp file left


def test_no_pickle_inside(tmp_path):
    path = save_checkpoint(tmp_path / "m.npz", _params(), {"k": 1})
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            arr = np.load(io.BytesIO(zf.read(name)), allow_pickle=False)
            assert arr.dtype != object


def test_overwrite_and_inputs_untouched(tmp_path):
    params = _params()
    before = {k: np.array(v, copy=True) for k, v in params.items()}
    save_checkpoint(tmp_path / "m.npz", params, {"v": 1})
    save_checkpoint(tmp_path / "m.npz", {"W": np.ones(2)}, {"v": 2})
    loaded, meta = load_checkpoint(tmp_path / "m.npz")
    assert list(loaded) == ["W"] and meta == {"v": 2}
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_newer_version_refused(tmp_path):
    path = save_checkpoint(tmp_path / "m.npz", {"W": np.ones(2)}, {})

    def bump(arrays):
        header = json.loads(arrays["header"].tobytes())
        header["version"] = CHECKPOINT_VERSION + 1
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)

    _rewrite(path, bump)
    with pytest.raises(ValueError, match=f"version {CHECKPOINT_VERSION + 1}.*upgrade cs_nn"):
        load_checkpoint(path)


@pytest.mark.parametrize("change, match", [
    (lambda a: a.__setitem__("p0", a["p0"] + 1e-7), "checksum"),
    (lambda a: a.__setitem__("p0", a["p0"].astype(np.float32)), "dtype"),
    (lambda a: a.pop("p1"), "missing"),
    (lambda a: a.__setitem__("extra", np.zeros(1)), "unexpected arrays"),
    (lambda a: a.pop("header"), "not a cs_nn checkpoint"),
    (lambda a: a.__setitem__("header", np.frombuffer(b"{oops", np.uint8)), "not valid JSON"),
    (lambda a: a.__setitem__("header", np.frombuffer(b'{"format": "x"}', np.uint8)),
     "format tag"),
])
def test_tampered_file_refused(tmp_path, change, match):
    path = save_checkpoint(tmp_path / "m.npz", {"W": np.ones((2, 2)), "b": np.zeros(2)}, {})
    _rewrite(path, change)
    with pytest.raises(ValueError, match=match):
        load_checkpoint(path)


def test_pickled_object_array_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, header=np.frombuffer(b"{}", np.uint8), p0=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a cs_nn checkpoint"):
        load_checkpoint(path)
    good = save_checkpoint(tmp_path / "m.npz", {"W": np.ones(1)}, {})
    header = np.load(good)["header"]  # a valid header whose p0 is a pickled object array
    np.savez(path, header=header, p0=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="objects or pickles are refused"):
        load_checkpoint(path)


def test_garbage_and_missing_files(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 starts like a zip but is not one")
    with pytest.raises(ValueError, match="not a readable cs_nn checkpoint"):
        load_checkpoint(bad)
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        load_checkpoint(tmp_path / "nope.npz")


def _write_npy(path):
    with open(path, "wb") as f:  # np.save on an open file keeps the .npz name
        np.save(f, np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("kind, write, what", [
    ("npy", _write_npy, "single .npy array"),
    ("text", lambda p: p.write_text("W1,b1\n1.0,2.0\n"), "another kind"),
    ("empty", lambda p: p.write_bytes(b""), "empty"),
    ("pickle", lambda p: p.write_bytes(pickle.dumps({"W": [1.0]})), "pickle"),
])
def test_files_that_are_not_npz_get_a_clear_error(tmp_path, kind, write, what):
    path = tmp_path / f"{kind}.npz"
    write(path)
    with pytest.raises(ValueError) as info:  # not a TypeError from deep inside numpy
        load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message and what in message
    assert "not a cs_nn model file or checkpoint" in message and "not an .npz" in message


def test_a_plain_npz_without_header_is_refused(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, W=np.ones(3))
    with pytest.raises(ValueError, match="not a cs_nn checkpoint: no 'header'"):
        load_checkpoint(path)


def test_bad_inputs(tmp_path):
    with pytest.raises(TypeError, match="JSON-serialisable"):
        save_checkpoint(tmp_path / "m.npz", {"W": np.ones(2)}, {"f": object()})
    with pytest.raises(TypeError, match="numeric array"):
        save_checkpoint(tmp_path / "m.npz", {"W": np.array(["a"])})
    with pytest.raises(TypeError, match="names must be strings"):
        save_checkpoint(tmp_path / "m.npz", {1: np.ones(2)})
    assert not list(tmp_path.iterdir())  # nothing written on error


def test_buffers_round_trip_and_are_checked(tmp_path):
    from cs_nn._util.checkpoint import read_checkpoint

    buffers = {"running_mean1": np.arange(3.0), "running_var1": np.ones(3)}
    path = save_checkpoint(tmp_path / "m.npz", _params(), {"k": 1}, buffers=buffers)
    ck = read_checkpoint(path)
    assert list(ck.buffers) == list(buffers) and ck.metadata == {"k": 1}
    for name, value in buffers.items():
        np.testing.assert_array_equal(ck.buffers[name], value)
    assert set(load_checkpoint(path)[0]) == set(_params())  # params only, as before
    _rewrite(path, lambda a: a.update({"b0": np.arange(3.0) + 1}))
    with pytest.raises(ValueError, match="buffer 'running_mean1' does not match its recorded"):
        read_checkpoint(path)
    with pytest.raises(TypeError, match="buffers must be a mapping"):
        save_checkpoint(tmp_path / "x.npz", {"W": np.ones(1)}, buffers=[np.ones(1)])
    assert CHECKPOINT_VERSION == 2
