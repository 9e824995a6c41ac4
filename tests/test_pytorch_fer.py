"""cs_nn.pytorch.fer and cs_nn.test_deep_fer_model: seed 000 Q6's test function."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
# the course's trained FER2013 models are held back from the learner release
INSTRUCTOR_ONLY = True

from PIL import Image  # noqa: E402

import cs_nn  # noqa: E402
from cs_nn.pytorch.cnn import FER_CONFIG, SmallCNN  # noqa: E402
from cs_nn.pytorch.device import seeded  # noqa: E402
from cs_nn.pytorch.fer import DEFAULT_FER_MODEL  # noqa: E402
from cs_nn.pytorch.fer import test_deep_fer_model as deep_fer  # noqa: E402
from cs_nn.pytorch.jobs import prepare_pixels  # noqa: E402
from cs_nn.pytorch.loop import predict  # noqa: E402
from cs_nn.pytorch.saving import ModelFileError, save_model  # noqa: E402

PREP = {"scale": 1 / 255, "mean": [0.5], "std": [0.25], "image_shape": [1, 48, 48]}


def _faces(folder, n: int = 5, size: int = 48) -> np.ndarray:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (n, size, size), dtype=np.uint8)
    folder.mkdir()
    for i, img in enumerate(pixels):  # names out of creation order: sorting must matter
        Image.fromarray(img).save(folder / f"face_{(i * 3) % n:02d}.png")
    order = [(i * 3) % n for i in range(n)]
    return pixels[np.argsort(order)][:, None]  # (N, 1, 48, 48) in sorted-name order


def _model(tmp_path):
    with seeded(0):
        net = SmallCNN(**FER_CONFIG).eval()
    return net, save_model(tmp_path / "fer.npz", net, metadata={"preprocessing": PREP})


def test_predictions_in_sorted_file_order(tmp_path):
    pixels = _faces(tmp_path / "faces")
    net, path = _model(tmp_path)
    preds = deep_fer(tmp_path / "faces", model=path)
    assert preds.dtype == np.int64 and preds.shape == (5,)
    assert np.array_equal(preds, predict(net, prepare_pixels(pixels, PREP)))
    assert np.array_equal(cs_nn.test_deep_fer_model(str(tmp_path / "faces"), model=path), preds)


def test_other_image_sizes_are_resized(tmp_path):
    _faces(tmp_path / "faces", n=2, size=64)
    _, path = _model(tmp_path)
    assert deep_fer(tmp_path / "faces", model=path).shape == (2,)


def test_a_model_without_preprocessing_is_refused(tmp_path):
    _faces(tmp_path / "faces", n=1)
    path = save_model(tmp_path / "bare.npz", SmallCNN(**FER_CONFIG))
    with pytest.raises(ModelFileError, match="preprocessing"):
        deep_fer(tmp_path / "faces", model=path)


def test_shipped_model_is_small_and_predicts_classes(tmp_path):
    if not DEFAULT_FER_MODEL.is_file():
        pytest.fail(f"the shipped FER model is missing: {DEFAULT_FER_MODEL}")
    assert DEFAULT_FER_MODEL.stat().st_size < 5_000_000
    _faces(tmp_path / "faces", n=4)
    preds = cs_nn.test_deep_fer_model(tmp_path / "faces")
    assert preds.shape == (4,) and set(preds.tolist()) <= set(range(7))


def test_importing_cs_nn_does_not_import_torch():
    code = ("import sys, cs_nn; from cs_nn import test_deep_fer_model; "
            "import cs_nn.course.questions as q; q.all_questions(); "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_the_course_cnn_the_error_says_to_pass_your_own(tmp_path, monkeypatch):
    # the learner release holds the course's CNN back: the default then points nowhere
    import cs_nn.pytorch.fer as fer

    missing = tmp_path / "weights" / "fer_cnn.npz"
    monkeypatch.setattr(fer, "DEFAULT_FER_MODEL", missing)
    _faces(tmp_path / "faces", n=1)
    with pytest.raises(FileNotFoundError, match="not part of the learner release.*model="):
        fer.test_deep_fer_model(tmp_path / "faces", model=missing)
