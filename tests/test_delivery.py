"""Tests for cs_nn.course.delivery: model files (round trip, hostile files), folder prediction."""

from __future__ import annotations

import os
import pickle
import re
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

from cs_nn._util.checkpoint import load_checkpoint, save_checkpoint
from cs_nn.course.delivery import load_bundle, load_model, predict_folder, save_model
from cs_nn.course.model_size import MAX_PARAMS, num_params
from cs_nn.models import FullyConnectedNet, ThreeLayerConvNet
from cs_nn.nn import Classifier, Linear, ReLU, Sequential, mlp

Image = pytest.importorskip("PIL.Image")


def perturbed(model, seed: int = 1):
    """Trained-looking weights: the rebuilt model (same seed) must not match by accident."""
    rng = np.random.default_rng(seed)
    for name, w in list(model.params.items()):
        model.params[name] = (w + rng.normal(0, 0.3, size=w.shape)).astype(w.dtype)
    return model


def make_models():
    return {
        "fcnet": (perturbed(FullyConnectedNet([7, 5], input_dim=64, num_classes=4, dropout=0.2,
                                              reg=1e-3, seed=0)), (10, 1, 8, 8)),
        "fcnet64": (perturbed(FullyConnectedNet([6], input_dim=12, num_classes=3,
                                                dtype=np.float64, seed=2)), (10, 12)),
        "convnet": (perturbed(ThreeLayerConvNet((3, 8, 8), num_filters=4, filter_size=3,
                                                hidden_dim=10, num_classes=5, seed=0)),
                    (10, 3, 8, 8)),
        "classifier": (perturbed(Classifier(mlp(64, [9, 6], 4, activation="elu", dropout=0.3,
                                                seed=0), reg=1e-2)), (10, 64)),
    }


@pytest.mark.parametrize("kind", ["fcnet", "fcnet64", "convnet", "classifier"])
def test_round_trip_gives_the_same_model(tmp_path, kind):
    model, x_shape = make_models()[kind]
    X = np.random.default_rng(3).normal(size=x_shape)
    path = save_model(tmp_path / "model.npz", model, class_names=list("abcde")[:4],
                      metadata={"note": "test"})
    loaded = load_model(path)
    assert type(loaded) is type(model) and loaded.config == model.config
    assert list(loaded.params) == list(model.params)
    for name, w in model.params.items():
        assert loaded.params[name].dtype == w.dtype
        np.testing.assert_array_equal(loaded.params[name], w)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.loss(X), model.loss(X))
    bundle = load_bundle(path)
    assert bundle.class_names == list("abcd") and bundle.metadata == {"note": "test"}


def test_save_refuses_what_it_cannot_rebuild(tmp_path):
    with pytest.raises(ValueError, match="hand-built"):
        save_model(tmp_path / "m.npz", Classifier(Sequential(Linear(4, 3, rng=0), ReLU())))
    with pytest.raises(TypeError, match="save_model handles"):
        save_model(tmp_path / "m.npz", object())
    net = FullyConnectedNet([5], input_dim=64, num_classes=3, seed=0)
    with pytest.raises(ValueError, match="image_shape"):
        save_model(tmp_path / "m.npz", net, image_shape=(3, 8, 8))
    with pytest.raises(ValueError, match="mean has shape"):
        save_model(tmp_path / "m.npz", net, image_shape=(1, 8, 8), mean=np.zeros((2, 8, 8)))
    conv = ThreeLayerConvNet((3, 8, 8), num_filters=2, filter_size=3, hidden_dim=4, seed=0)
    with pytest.raises(ValueError, match="input_dim"):
        save_model(tmp_path / "m.npz", conv, image_shape=(1, 8, 8))


# ---------------------------------------------------------------- hostile and foreign files
class Payload:
    """Unpickling this creates a marker file: proof that code from the file ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_the_payload_is_live(tmp_path):
    # control experiment: plain unpickling DOES run it (so the next test proves something)
    pickle.loads(pickle.dumps(Payload(tmp_path / "control")))
    assert (tmp_path / "control").exists()


@pytest.mark.parametrize("layout", ["object_header", "object_param", "raw_pickle"])
def test_pickled_payloads_are_refused_without_running(tmp_path, layout):
    marker = tmp_path / "pwned"
    evil = np.empty(1, dtype=object)
    evil[0] = Payload(marker)
    path = tmp_path / "model.npz"
    if layout == "raw_pickle":
        path.write_bytes(pickle.dumps(Payload(marker)))
    elif layout == "object_header":
        np.savez(path, header=evil)
    else:
        good = tmp_path / "good.npz"
        save_model(good, FullyConnectedNet([3], input_dim=4, num_classes=2, seed=0))
        with np.load(good) as npz:
            arrays = dict(npz)
        arrays["p0"] = evil
        np.savez(path, **arrays)
    with pytest.raises(ValueError, match="pickle|not a cs_nn model"):
        load_model(path)
    assert not marker.exists()


def rewrite(path: Path, change) -> None:
    """Load a model file's raw content, let ``change(arrays, header)`` edit it, save it."""
    arrays, header = load_checkpoint(path)
    change(arrays, header)
    save_checkpoint(path, arrays, header)


def test_newer_format_version_is_refused(tmp_path):
    path = save_model(tmp_path / "m.npz", FullyConnectedNet([3], input_dim=4, num_classes=2))
    rewrite(path, lambda arrays, header: header.update(model_version=999))
    with pytest.raises(ValueError, match="version 999.*upgrade cs_nn"):
        load_model(path)


def test_params_of_another_architecture_are_refused(tmp_path):
    path = save_model(tmp_path / "m.npz", FullyConnectedNet([50], input_dim=64, num_classes=10))
    # the weights of a [50] net under the config of a [20] net
    rewrite(path, lambda arrays, header: header["config"].update(hidden_dims=[20]))
    with pytest.raises(ValueError, match=r"do not fit.*W1 has shape \(64, 50\) but needs "
                                         r"\(64, 20\)"):
        load_model(path)
    other = save_model(tmp_path / "o.npz", FullyConnectedNet([5, 5], input_dim=4, num_classes=2))
    rewrite(other, lambda arrays, header: header["config"].update(hidden_dims=[5]))
    with pytest.raises(ValueError, match="W3 is not part of this architecture"):
        load_model(other)


@pytest.mark.parametrize("change, match", [
    (lambda a, h: h.update(model_class="os.system"), "unknown class 'os.system'"),
    (lambda a, h: h.update(config={"hidden_dims": "abc"}), "does not build a"),
    (lambda a, h: h.update(config=None), "config"),
    (lambda a, h: h.pop("model_format"), "not a saved model"),
])
def test_malformed_headers_are_refused(tmp_path, change, match):
    path = save_model(tmp_path / "m.npz", FullyConnectedNet([3], input_dim=4, num_classes=2))
    rewrite(path, change)
    with pytest.raises(ValueError, match=match):
        load_model(path)


def test_missing_and_non_model_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        load_model(tmp_path / "absent.npz")
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not an .npz"):
        load_model(text)
    npy = tmp_path / "array.npz"
    with open(npy, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(ValueError, match="not an .npz"):
        load_model(npy)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty.npz is not a cs_nn model file or checkpoint"):
        load_model(empty)


@pytest.mark.parametrize("kind", ["fcnet", "fcnet64", "convnet", "classifier"])
def test_num_params_matches_the_built_model(kind):
    model = make_models()[kind][0]
    cls = type(model)
    oracle = sum(w.size for w in model.params.values())  # the real arrays
    assert num_params(cls, model.config) == oracle
    arch = cls.architecture(model.config)  # the model describes itself, unbuilt
    assert arch.param_shapes == {k: w.shape for k, w in model.params.items()}
    if kind == "fcnet":  # keys left out of the config take the constructor's defaults
        default = FullyConnectedNet([7])
        assert num_params(cls, {"hidden_dims": [7]}) == sum(
            w.size for w in default.params.values())


def _peak_bytes(fn):
    """(exception raised by fn, peak bytes traced while running it); numpy reports its
    array allocations to tracemalloc."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            fn()
        return info.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("model, change", [
    (FullyConnectedNet([3], input_dim=4, num_classes=2),
     lambda c: c.update(hidden_dims=[10**9])),
    (FullyConnectedNet([3], input_dim=4, num_classes=2),
     lambda c: c.update(input_dim=10**5, hidden_dims=[10**4])),
    (ThreeLayerConvNet((1, 4, 4), num_filters=2, filter_size=3, hidden_dim=3, num_classes=2),
     lambda c: c.update(num_filters=10**7)),
    (Classifier(mlp(4, [3], 2, seed=0)), lambda c: c["mlp"].update(hidden_dims=[10**5] * 3)),
])
def test_huge_configs_are_refused_before_allocating(tmp_path, model, change):
    path = save_model(tmp_path / "m.npz", model)
    rewrite(path, lambda arrays, header: change(header["config"]))
    exc, peak = _peak_bytes(lambda: load_model(path))
    assert re.search(r"asks for [\d,]+ parameters, more than load_model accepts", str(exc))
    assert f"{MAX_PARAMS:,}" in str(exc)
    assert peak < 20 * 2**20  # the weights asked for would take gigabytes


def test_configs_needing_more_than_the_file_holds_are_refused_before_building(tmp_path):
    path = save_model(tmp_path / "m.npz", FullyConnectedNet([3], input_dim=4, num_classes=2))
    rewrite(path, lambda arrays, header: header["config"].update(hidden_dims=[50_000]))
    needed = 4 * 50_000 + 50_000 + 50_000 * 2 + 2  # under the cap, but the file holds 23
    exc, peak = _peak_bytes(lambda: load_model(path))
    assert re.search(rf"do not fit.*needs {needed:,} parameter values but the file holds 23",
                     str(exc))
    assert peak < needed * 4  # the float32 weights of that net were never made


# ---------------------------------------------------------------- predict_folder
def write_images(folder: Path) -> None:
    """Grayscale and RGB images of several sizes, PNG and JPEG, plus a text file."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8), "L").save(folder / "b.png")
    Image.fromarray(rng.integers(0, 256, (10, 12, 3), dtype=np.uint8), "RGB").save(
        folder / "a.jpg")
    Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8), "RGB").save(
        folder / "d.PNG")
    Image.fromarray(rng.integers(0, 256, (5, 7), dtype=np.uint8), "L").save(folder / "c.jpeg")
    (folder / "notes.txt").write_text("not an image")


def expected_inputs(folder: Path, names: list[str], c: int, h: int, w: int, mean: np.ndarray,
                    scale: float = 1 / 255) -> np.ndarray:
    """Oracle: each file read on its own, converted, resized, scaled, mean subtracted."""
    out = []
    for name in names:
        im = Image.open(folder / name).convert("L" if c == 1 else "RGB")
        if im.size != (w, h):
            im = im.resize((w, h), Image.Resampling.BILINEAR)
        arr = np.asarray(im, dtype=np.float64).reshape(h, w, c).transpose(2, 0, 1)
        out.append(arr * scale - mean.reshape(mean.shape if mean.ndim == 3 else (c, h, w)))
    return np.stack(out)


def test_predict_folder_matches_model_predict(tmp_path):
    folder = tmp_path / "images"
    write_images(folder)
    names = ["a.jpg", "b.png", "c.jpeg", "d.PNG"]
    rng = np.random.default_rng(1)

    fc = perturbed(FullyConnectedNet([10], input_dim=64, num_classes=5, weight_scale=1.0, seed=0))
    mean_fc = rng.uniform(0.3, 0.6, size=64)  # a flat (D,) mean
    fc_path = save_model(tmp_path / "fc.npz", fc, image_shape=(1, 8, 8), mean=mean_fc)
    with pytest.warns(UserWarning, match="notes.txt"):
        preds, files = predict_folder(folder, fc_path, return_files=True)
    assert files == names and preds.dtype == np.int64 and preds.shape == (4,)
    X = expected_inputs(folder, names, 1, 8, 8, mean_fc).reshape(4, -1)
    np.testing.assert_array_equal(preds, fc.predict(X))

    conv = perturbed(ThreeLayerConvNet((3, 8, 8), num_filters=3, filter_size=3, hidden_dim=6,
                                       num_classes=4, weight_scale=0.5, seed=0))
    mean_rgb = rng.uniform(0.3, 0.6, size=(3, 1, 1))  # a per-channel mean
    conv_path = save_model(tmp_path / "conv.npz", conv, mean=mean_rgb)
    with pytest.warns(UserWarning):
        preds = predict_folder(folder, conv_path)
    X = expected_inputs(folder, names, 3, 8, 8, mean_rgb)
    np.testing.assert_array_equal(preds, conv.predict(X))


def test_image_shape_is_inferred_when_unambiguous(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    Image.fromarray(np.full((4, 4, 3), 200, np.uint8), "RGB").save(folder / "x.png")
    net = FullyConnectedNet([3], input_dim=48, num_classes=2, seed=0)  # 48 = 3 * 4 * 4
    assert predict_folder(folder, save_model(tmp_path / "m.npz", net)).shape == (1,)
    odd = FullyConnectedNet([3], input_dim=10, num_classes=2, seed=0)
    with pytest.raises(ValueError, match="image_shape"):
        predict_folder(folder, save_model(tmp_path / "odd.npz", odd))


def test_unreadable_images_are_skipped_with_a_warning(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8), "L").save(folder / "good.png")
    (folder / "broken.png").write_bytes(b"\x89PNG this is not really a PNG")
    path = save_model(tmp_path / "m.npz", FullyConnectedNet([3], input_dim=64, num_classes=2))
    with pytest.warns(UserWarning, match=r"unreadable: broken\.png"):
        preds, files = predict_folder(folder, path, return_files=True)
    assert files == ["good.png"] and preds.shape == (1,)
    os.remove(folder / "good.png")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="no readable"):
            predict_folder(folder, path)


def test_empty_or_missing_folder(tmp_path):
    path = save_model(tmp_path / "m.npz", FullyConnectedNet([3], input_dim=64, num_classes=2))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="is empty"):
        predict_folder(tmp_path / "empty", path)
    with pytest.raises(FileNotFoundError, match="no folder"):
        predict_folder(tmp_path / "absent", path)
