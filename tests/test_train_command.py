"""``cs-nn train`` and the training job behind it (cs_nn.course.training), run in-process on the
offline digits dataset for one or two epochs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cs_nn.cli import main
from cs_nn.course.delivery import load_bundle, load_model, predict_folder
from cs_nn.course.training import TrainConfig, load_data, train_model

pytest.importorskip("sklearn")  # the digits ship with scikit-learn


def run_cli(*argv):
    return main(["train", *argv])


def test_trains_digits_mlp_and_writes_files(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli("--epochs", "2", "--quiet", "--out", str(out), "--seed", "1") == 0
    printed = capsys.readouterr().out
    assert "split" in printed and "test" in printed and "accuracy" in printed
    for name in ("curves.png", "model.npz", "summary.json"):
        assert (out / name).is_file()
    assert (out / "curves.png").read_bytes().startswith(b"\x89PNG")
    assert not list(out.glob("*.tmp"))  # atomic writes leave no temp files
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["num_epochs"] == 2 and summary["config"]["seed"] == 1
    acc = summary["accuracies"]
    assert acc["test"] > 0.5 and acc["val"] > 0.5 and acc["train"] > 0.5  # chance is 0.1
    assert f"{acc['test']:.4f}" in printed  # the table prints the saved numbers


def test_saved_model_reproduces_the_test_accuracy(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli("--epochs", "2", "--quiet", "--out", str(out), "--hidden-dims", "32") == 0
    bundle = load_bundle(out / "model.npz")
    model, meta = bundle.model, bundle.metadata
    assert model.hidden_dims == [32] and bundle.image_shape == (1, 8, 8)
    assert bundle.class_names == [str(d) for d in range(10)] and bundle.mean.shape == (64,)
    assert meta["training"]["epoch"] == 2 and meta["config"]["hidden_dims"] == [32]
    # Independent check: the raw digits test split, preprocessed by hand with the saved mean.
    from cs_nn.data import load_digits

    raw = load_digits()
    X = raw["X_test"].reshape(raw["X_test"].shape[0], -1) - bundle.mean  # (N, 64)
    acc = float(np.mean(np.argmax(model.loss(X), axis=1) == raw["y_test"]))
    assert acc == pytest.approx(meta["accuracies"]["test"])


def test_predict_folder_on_a_trained_run_matches_the_in_memory_model(tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    from cs_nn.data import load_digits

    config = TrainConfig(hidden_dims=[24], num_epochs=1, seed=2)
    data = load_data(config)
    result = train_model(config, data)
    assert main(["train", "--epochs", "1", "--hidden-dims", "24", "--seed", "2", "--quiet",
                 "--out", str(tmp_path / "run")]) == 0
    model_file = tmp_path / "run" / "model.npz"
    for name, w in result.model.params.items():  # the CLI trained the very same model
        np.testing.assert_array_equal(load_model(model_file).params[name], w)
    # A few digits test images as 8-bit PNGs (0..1 -> 0..255), in sorted file-name order.
    X_test = load_digits()["X_test"][:12]  # (12, 1, 8, 8) in [0, 1]
    pixels = np.rint(X_test * 255).astype(np.uint8)
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, img in enumerate(pixels):
        Image.fromarray(img[0], mode="L").save(folder / f"img_{i:02d}.png")
    preds = predict_folder(folder, model_file)
    # Oracle: the in-memory model on the same pixels, preprocessed by hand like the loader.
    X = pixels.reshape(12, -1) / 255.0 - result.mean.astype(np.float64)  # (12, 64)
    expected = result.model.predict(X)
    np.testing.assert_array_equal(preds, expected)
    # and the 8-bit rounding changes (almost) nothing against the original float images
    original = result.model.predict(data["X_test"][:12])
    assert np.mean(original == expected) >= 0.9
    assert main(["predict", str(folder), "--model", str(model_file),
                 "--out", str(tmp_path / "p.csv")]) == 0
    saved = np.loadtxt(tmp_path / "p.csv", dtype=np.int64)
    np.testing.assert_array_equal(saved, expected)


def test_convnet_on_a_small_subset(tmp_path, capsys):
    out = tmp_path / "cnn"
    assert run_cli("--model", "convnet", "--epochs", "1", "--num-train", "300", "--quiet",
                   "--num-filters", "4", "--filter-size", "3", "--hidden-dims", "20",
                   "--out", str(out)) == 0
    meta = json.loads((out / "summary.json").read_text())
    assert meta["num_samples"]["train"] == 270  # 10% of 300 went to validation
    model = load_model(out / "model.npz")
    assert model.params["W1"].shape == (4, 1, 3, 3)


def test_default_out_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_cli("--epochs", "1", "--quiet", "--num-train", "200") == 0
    assert (tmp_path / "runs" / "digits-mlp" / "model.npz").is_file()


def test_progress_bar_unless_quiet(tmp_path, capsys):
    assert run_cli("--epochs", "1", "--num-train", "200", "--out", str(tmp_path)) == 0
    assert "training" in capsys.readouterr().err  # tqdm writes to stderr


@pytest.mark.parametrize("argv", [
    ["--dataset", "imagenet"], ["--model", "resnet"], ["--epochs", "0"], ["--epochs", "two"],
    ["--batch-size", "-5"], ["--lr", "-1"], ["--lr", "nan"], ["--update-rule", "sgdd"],
    ["--weight-scale", "big"], ["--hidden-dims"],
])
def test_bad_options_are_rejected_by_the_parser(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        run_cli(*argv, "--out", str(tmp_path))
    assert info.value.code == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["--dropout", "1.5"], "dropout must lie in"),
    (["--reg", "-1"], "reg must be"),
    (["--lr-decay", "2"], "lr_decay must lie in"),
    (["--model", "convnet", "--weight-scale", "he"], "numeric weight_scale"),
    (["--model", "convnet", "--filter-size", "4"], "odd"),
])
def test_bad_values_exit_1_with_a_message(argv, message, tmp_path, capsys):
    assert run_cli(*argv, "--quiet", "--epochs", "1", "--out", str(tmp_path / "o")) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_missing_dataset_gives_a_clear_error(tmp_path, capsys):
    code = run_cli("--dataset", "mnist", "--data-root", str(tmp_path / "empty"), "--quiet",
                   "--out", str(tmp_path / "o"))
    err = capsys.readouterr().err
    assert code == 1
    assert "could not find" in err and "CS_NN_DATA" in err
    assert not (tmp_path / "o").exists()


def test_diverging_training_gives_a_clear_error(tmp_path, capsys):
    code = run_cli("--update-rule", "sgd", "--lr", "1e5", "--epochs", "1", "--quiet",
                   "--out", str(tmp_path / "o"))
    assert code == 1
    assert "diverged" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_training_job_api_without_the_cli():
    config = TrainConfig(hidden_dims=[16], num_epochs=1, num_train=300, seed=3)
    data = load_data(config)
    assert data["X_train"].shape == (270, 64) and data["X_val"].shape == (30, 64)
    assert data["X_train"].dtype == np.float32
    np.testing.assert_allclose(data["X_train"].mean(axis=0), 0.0, atol=1e-5)  # mean-centred
    result = train_model(config, data)
    assert result.solver.epoch == 1 and set(result.accuracies) == {"train", "val", "test"}
    with pytest.raises(ValueError, match="update_rule"):
        TrainConfig(update_rule="nesterov").validate()
    with pytest.raises(ValueError, match="num_train"):
        TrainConfig(num_train=3).validate()


def test_training_facts_come_from_their_homes() -> None:
    from cs_nn import optim
    from cs_nn.course import training
    from cs_nn.data import LOADERS

    assert training.DATASETS == tuple(LOADERS) and "fer2013" in training.DATASETS
    with pytest.raises(ValueError, match="dataset must be one of"):
        TrainConfig(dataset="fer2014").validate()
    assert training.UPDATE_RULES == tuple(optim.UPDATE_RULES)
    for rule in training.UPDATE_RULES:
        lr = training.TrainConfig(update_rule=rule).learning_rate
        assert lr == optim.default_config(rule)["learning_rate"]


def test_activation_option_builds_and_saves_an_elu_mlp(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli("--epochs", "1", "--quiet", "--out", str(out), "--hidden-dims", "16",
                   "--activation", "elu", "--num-train", "300") == 0
    assert "elu" in capsys.readouterr().out
    bundle = load_bundle(out / "model.npz")
    assert bundle.model.activation == "elu"  # the saved model rebuilds with its activation
    assert json.loads((out / "summary.json").read_text())["config"]["activation"] == "elu"
    # an ELU net really differs from the ReLU one trained from the same seed
    relu = train_model(TrainConfig(hidden_dims=[16], num_epochs=1, num_train=300))
    elu = train_model(TrainConfig(hidden_dims=[16], num_epochs=1, num_train=300,
                                  activation="elu"))
    assert not np.allclose(relu.model.params["W1"], elu.model.params["W1"])


def test_activation_is_validated(capsys):
    with pytest.raises(ValueError, match="activation must be one of"):
        TrainConfig(activation="swish").validate()
    with pytest.raises(ValueError, match="convnet uses ReLU"):
        TrainConfig(model="convnet", hidden_dims=[8], activation="elu").validate()
    with pytest.raises(SystemExit):
        run_cli("--activation", "swish")
    assert "invalid choice" in capsys.readouterr().err


def test_num_val_and_num_test_fix_the_split_sizes():
    data = load_data(TrainConfig(num_train=500, num_val=120, num_test=50))
    assert data["X_train"].shape[0] == 380 and data["X_val"].shape[0] == 120
    assert data["X_test"].shape[0] == 50
    with pytest.raises(ValueError, match="num_val"):
        TrainConfig(num_val=0).validate()


def test_fer2013_trains_on_training_and_validates_on_public_test(tmp_path, capsys):
    from test_data_fer import make_rows, write_csv

    usages = ["Training"] * 60 + ["PublicTest"] * 14 + ["PrivateTest"] * 11
    rows = make_rows(usages, seed=5)
    write_csv(tmp_path / "data", rows)
    out = tmp_path / "run"
    assert run_cli("--dataset", "fer2013", "--data-root", str(tmp_path / "data"), "--epochs",
                   "1", "--hidden-dims", "8", "--quiet", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("fer2013: 60 train / 14 val / 11 test samples")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["num_samples"] == {"train": 60, "val": 14, "test": 11}
    bundle = load_bundle(out / "model.npz")
    assert bundle.image_shape == (1, 48, 48) and bundle.num_classes == 7
    assert bundle.class_names[1] == "Disgust"
    # the mean is the Training rows' mean only (PublicTest / PrivateTest never leak into it)
    train_pixels = np.array([r[1] for r in rows[:60]], dtype=np.float64) / 255  # (60, 2304)
    np.testing.assert_allclose(bundle.mean, train_pixels.mean(axis=0), atol=1e-6)
    data = load_data(TrainConfig(dataset="fer2013", data_root=str(tmp_path / "data"),
                                 num_val=5))
    assert data["X_val"].shape == (5, 2304) and data["X_train"].shape[0] == 60


@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_normalization_option_trains_saves_and_reloads_the_normalised_mlp(
        normalization, tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli("--epochs", "2", "--quiet", "--out", str(out), "--hidden-dims", "16", "8",
                   "--normalization", normalization.upper(), "--activation", "tanh",
                   "--num-train", "400") == 0
    printed = capsys.readouterr().out
    assert f"hidden 16 8, {normalization} + tanh" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["normalization"] == normalization
    assert summary["config"]["activation"] == "tanh"
    model = load_bundle(out / "model.npz").model
    assert model.normalization == normalization and model.activation == "tanh"
    assert {"gamma1", "beta1", "gamma2", "beta2"} <= set(model.params)
    assert bool(model.buffers) == (normalization == "batchnorm")
    # the reloaded model predicts what the run measured: its test accuracy is reproduced
    config = TrainConfig(hidden_dims=[16, 8], num_epochs=2, num_train=400,
                         normalization=normalization, activation="tanh")
    data = load_data(config)
    result = train_model(config, data)
    assert result.accuracies["test"] == pytest.approx(summary["accuracies"]["test"])
    np.testing.assert_allclose(model.loss(data["X_test"]), result.model.loss(data["X_test"]),
                               rtol=1e-6, atol=1e-6)
    plain = train_model(TrainConfig(hidden_dims=[16, 8], num_epochs=2, num_train=400,
                                    activation="tanh"))
    assert "gamma1" not in plain.model.params  # the default stays unnormalised


def test_normalization_none_is_the_default_and_bad_values_are_refused(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli("--epochs", "1", "--quiet", "--out", str(out), "--hidden-dims", "8",
                   "--normalization", "none", "--num-train", "200") == 0
    assert load_bundle(out / "model.npz").model.normalization is None
    with pytest.raises(SystemExit) as info:
        run_cli("--normalization", "bn", "--out", str(tmp_path / "x"))
    assert info.value.code == 2
    assert "expected none, batchnorm or layernorm, got 'bn'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="normalization must be None .* got 'groupnorm'"):
        TrainConfig(normalization="groupnorm").validate()
    with pytest.raises(ValueError, match="needs at least one hidden layer"):
        TrainConfig(hidden_dims=[], normalization="batchnorm").validate()
    assert run_cli("--model", "convnet", "--normalization", "batchnorm", "--quiet",
                   "--out", str(tmp_path / "c")) == 1
    assert "normalization applies to the mlp only" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("option", [["--normalization", "batchnorm"], ["--activation", "tanh"]])
def test_torch_framework_refuses_numpy_only_options(option, capsys):
    pytest.importorskip("torch")
    assert run_cli("--framework", "torch", *option, "--quiet") == 1
    assert f"{option[0]} applies to --framework numpy only" in capsys.readouterr().err
