"""cs_nn.pytorch.jobs and `cs-nn train --framework torch` on tiny data."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cs_nn.pytorch.jobs import (  # noqa: E402
    TorchTrainConfig,
    build_torch_model,
    prepare_pixels,
    save_torch_run,
    train_torch,
)
from cs_nn.pytorch.preact import PreActConvNet  # noqa: E402
from cs_nn.pytorch.saving import load_model  # noqa: E402


def _data(n: int = 48) -> dict:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, n)
    X = rng.standard_normal((n, 1, 28, 28)).astype(np.float32)
    X[np.arange(n), 0, y, y] += 5.0  # a learnable mark
    return {"X_train": X[:32], "y_train": y[:32], "X_val": X[32:40], "y_val": y[32:40],
            "X_test": X[40:], "y_test": y[40:], "class_names": [str(i) for i in range(10)],
            "preprocessing": {"scale": 1 / 255, "mean": [0.0], "std": [1.0],
                              "image_shape": [1, 28, 28]}}


@pytest.mark.parametrize("kwargs, match", [
    ({"dataset": "digits"}, "dataset"), ({"model": "resnet"}, "model"),
    ({"model": "preact", "dataset": "mnist"}, "CIFAR-10"),
    ({"num_steps": 5}, "exactly one"), ({"lr": -1.0}, "lr"),
])
def test_config_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TorchTrainConfig(**kwargs).validate()


def test_train_save_and_reload(tmp_path):
    config = TorchTrainConfig(dataset="fashion-mnist", model="cnn", num_epochs=None,
                              num_steps=4, batch_size=8, augment=True)
    result = train_torch(config, data=_data(), progress=False)
    assert set(result.accuracies) == {"val", "test"} and result.history.num_steps == 4
    paths = save_torch_run(result, tmp_path / "run")
    assert {p.name for p in paths.values()} == {"model.npz", "curves.png", "summary.json"}
    model, meta = load_model(paths["model"])
    assert meta["config"]["num_steps"] == 4
    assert json.loads(paths["summary"].read_text())["accuracies"] == result.accuracies
    X = torch.from_numpy(_data()["X_test"])
    with torch.no_grad():
        assert torch.equal(model(X), result.model.eval()(X))


def test_build_models_are_seeded():
    c = TorchTrainConfig(dataset="mnist", model="mlp", hidden_dims=[7])
    a, b = build_torch_model(c, (1, 28, 28), 10), build_torch_model(c, (1, 28, 28), 10)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    preact = TorchTrainConfig(dataset="cifar10", model="preact")
    assert isinstance(build_torch_model(preact, (3, 32, 32), 10), PreActConvNet)


def test_prepare_pixels():
    prep = {"scale": 0.5, "mean": [1.0, 2.0], "std": [2.0, 4.0]}
    pixels = np.full((1, 2, 1, 1), 6, dtype=np.uint8)
    np.testing.assert_allclose(prepare_pixels(pixels, prep)[0, :, 0, 0], [1.0, 0.25])


def test_cli_train_torch(tmp_path, monkeypatch):
    from cs_nn.cli import main
    from cs_nn.data import LOADERS

    data = _data()
    raw = {k: data[k] for k in ("X_train", "y_train", "X_test", "y_test", "class_names")}
    monkeypatch.setitem(LOADERS, "mnist", lambda **_: dict(raw, info={}))
    out = tmp_path / "run"
    code = main(["train", "--framework", "torch", "--dataset", "mnist", "--model", "mlp",
                 "--steps", "3", "--batch-size", "8", "--quiet", "--out", str(out)])
    assert code == 0
    model, meta = load_model(out / "model.npz")
    assert meta["config"]["model"] == "mlp" and meta["steps_run"] == 3


def test_cli_rejects_bad_combination(capsys):
    from cs_nn.cli import main

    assert main(["train", "--framework", "torch", "--dataset", "mnist", "--model",
                 "preact"]) == 1
    assert "CIFAR-10" in capsys.readouterr().err


def test_a_given_model_is_the_one_trained_and_equals_the_built_one():
    config = TorchTrainConfig(dataset="fashion-mnist", model="cnn", num_epochs=None,
                              num_steps=3, batch_size=8)
    model = build_torch_model(config, (1, 28, 28), 10)
    seen = []
    result = train_torch(config, data=_data(), progress=False, model=model,
                         on_eval=lambda h: seen.append(h.num_steps))
    assert result.model is model and seen == [3]
    built = train_torch(config, data=_data(), progress=False)  # same seed: same run
    X = torch.from_numpy(_data()["X_test"])
    with torch.no_grad():
        assert torch.equal(built.model.eval()(X), model.eval()(X))
