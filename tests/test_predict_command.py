"""Tests for ``cs-nn predict``, run in-process through cs_nn.cli.main."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn.cli import main
from cs_nn.course.delivery import predict_folder, save_model
from cs_nn.io import read_csv
from cs_nn.models import FullyConnectedNet

Image = pytest.importorskip("PIL.Image")


@pytest.fixture()
def setup(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "faces"
    folder.mkdir()
    for i in range(6):
        pixels = rng.integers(0, 256, (6, 6), dtype=np.uint8)
        Image.fromarray(pixels, "L").save(folder / f"img_{i:02d}.png")
    (folder / "readme.txt").write_text("skip me")
    net = FullyConnectedNet([8], input_dim=36, num_classes=3, weight_scale=1.0, seed=0)
    model = save_model(tmp_path / "model.npz", net, image_shape=(1, 6, 6),
                       class_names=["angry", "happy", "sad"])
    return folder, model


def test_predict_writes_the_csv_and_a_summary(setup, tmp_path, capsys):
    folder, model = setup
    out = tmp_path / "out" / "predictions.csv"
    assert main(["predict", str(folder), "--model", str(model), "--out", str(out)]) == 0
    with pytest.warns(UserWarning):
        expected = predict_folder(folder, model)
    written = read_csv(out, dtype=np.int64)
    np.testing.assert_array_equal(written, expected)
    captured = capsys.readouterr()
    assert "readme.txt" in captured.err and "warning" in captured.err
    assert "wrote 6 predictions" in captured.out
    for c, name in enumerate(["angry", "happy", "sad"]):  # one summary line per class
        count = int(np.sum(expected == c))
        assert any(line.split() == [str(c), name, str(count)]
                   for line in captured.out.splitlines())


def test_predict_default_output_name(setup, tmp_path, monkeypatch, capsys):
    folder, model = setup
    monkeypatch.chdir(tmp_path)
    assert main(["predict", str(folder), "--model", str(model)]) == 0
    assert read_csv(tmp_path / "predictions.csv").shape == (6,)


def test_predict_reports_errors_without_traceback(setup, tmp_path, capsys):
    folder, _ = setup
    assert main(["predict", str(folder), "--model", str(tmp_path / "nope.npz")]) == 1
    assert "cs-nn predict: error: no model file" in capsys.readouterr().err
    bad = tmp_path / "bad.npz"
    bad.write_text("not a model")
    assert main(["predict", str(folder), "--model", str(bad)]) == 1
    assert "not a cs_nn model file" in capsys.readouterr().err
