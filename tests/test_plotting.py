"""cs_nn.course.plotting: the pure numpy helpers exactly, the figures by structure (Agg)."""

from __future__ import annotations

import os
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cs_nn.course.plotting import (  # noqa: E402
    make_grid,
    plot_confusion_matrix,
    plot_images,
    plot_learning_rate_sweep,
    plot_training_curves,
    plot_weight_grid,
    save_figure,
    smooth,
)
from cs_nn.metrics import confusion_matrix  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _history(seed: int = 0, iters: int = 30, epochs: int = 3) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    return {"loss_history": list(2.3 - np.linspace(0, 1, iters) + 0.1 * rng.random(iters)),
            "train_acc_history": list(rng.random(epochs)),
            "val_acc_history": list(rng.random(epochs))}


# ---- smooth -------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=0, max_size=40), st.integers(1, 50))
def test_smooth_is_a_trailing_moving_average(values: list[float], window: int) -> None:
    naive = [np.mean(values[max(0, t - window + 1):t + 1]) for t in range(len(values))]
    np.testing.assert_allclose(smooth(values, window), naive, rtol=1e-9, atol=1e-9)


def test_smooth_rejects_bad_window() -> None:
    with pytest.raises(ValueError, match="window must be an integer >= 1"):
        smooth([1.0, 2.0], 0)


# ---- make_grid ----------------------------------------------------------------------------

def _naive_grid(images: np.ndarray, ncols: int, padding: int, pad_value: float,
                normalize: bool) -> np.ndarray:
    N, C, H, W = images.shape
    nrows = -(-N // ncols)
    out = np.full((nrows * H + (nrows - 1) * padding, ncols * W + (ncols - 1) * padding, C),
                  pad_value, dtype=np.float64)
    for i in range(N):
        img = images[i].astype(np.float64)
        if normalize:
            lo, hi = img.min(), img.max()
            img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
        r, c = divmod(i, ncols)
        top, left = r * (H + padding), c * (W + padding)
        out[top:top + H, left:left + W] = img.transpose(1, 2, 0)
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 10), st.sampled_from([1, 3]), st.integers(1, 5), st.integers(1, 5),
       st.integers(1, 6), st.integers(0, 3), st.booleans(), st.integers(0, 2**31 - 1))
def test_make_grid_matches_naive_tiling(N: int, C: int, H: int, W: int, ncols: int,
                                        padding: int, normalize: bool, seed: int) -> None:
    images = np.random.default_rng(seed).standard_normal((N, C, H, W))
    if not normalize:
        images = np.abs(images) / (1 + np.abs(images))
    grid = make_grid(images, ncols=ncols, padding=padding, pad_value=0.25, normalize=normalize)
    k = min(ncols, N)
    np.testing.assert_allclose(grid, _naive_grid(images, k, padding, 0.25, normalize),
                               rtol=1e-12, atol=1e-12)
    if normalize and C * H * W > 1:  # every tile spans exactly [0, 1] (random, not constant)
        assert grid.min() == 0.0 and grid.max() == 1.0


def test_make_grid_layout_and_dtype() -> None:
    images = np.arange(5 * 1 * 2 * 3, dtype=np.float32).reshape(5, 1, 2, 3)
    grid = make_grid(images, padding=1, pad_value=1.0)
    # ncols = ceil(sqrt(5)) = 3, nrows = 2: height 2*2 + 1, width 3*3 + 2
    assert grid.shape == (5, 11, 1)
    assert grid.dtype == np.float32
    first = np.arange(6, dtype=np.float32).reshape(2, 3) / np.float32(5)  # tile 0, min-max scaled
    np.testing.assert_array_equal(grid[:2, :3, 0], first)
    assert np.all(grid[2, :, 0] == 1.0)  # padding row between the two rows of tiles
    assert np.all(grid[3:, 8:, 0] == 1.0)  # the unused sixth cell is padding


def test_make_grid_constant_tile_becomes_zero_and_no_padding_works() -> None:
    images = np.stack([np.full((3, 2, 2), 7.0), np.arange(12.0).reshape(3, 2, 2)])
    grid = make_grid(images, ncols=2, padding=0)
    assert grid.shape == (2, 4, 3)
    assert np.all(grid[:, :2] == 0.0)
    np.testing.assert_allclose(grid[:, 2:], (np.arange(12.0).reshape(3, 2, 2) / 11).transpose(
        1, 2, 0))


def test_make_grid_does_not_modify_input() -> None:
    images = np.random.default_rng(1).standard_normal((4, 3, 2, 2))
    before = images.copy()
    make_grid(images)
    np.testing.assert_array_equal(images, before)


@pytest.mark.parametrize(
    ("shape", "kwargs", "match"),
    [((2, 2, 3, 3), {}, "1 or 3 channels"), ((2, 3, 3), {}, "4 dimension"),
     ((0, 1, 2, 2), {}, "empty"), ((2, 1, 2, 2), {"ncols": 0}, "ncols must be"),
     ((2, 1, 2, 2), {"padding": -1}, "padding must be")],
)
def test_make_grid_bad_input(shape: tuple[int, ...], kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_grid(np.zeros(shape), **kwargs)


# ---- training curves ----------------------------------------------------------------------

@pytest.mark.parametrize("as_object", [False, True])
def test_plot_training_curves_lines_equal_history(as_object: bool) -> None:
    h = _history()
    history = SimpleNamespace(**h) if as_object else h
    fig = plot_training_curves(history, smooth_window=5)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax_loss, ax_acc = fig.axes
    raw, smoothed = ax_loss.get_lines()
    np.testing.assert_array_equal(raw.get_xdata(), np.arange(30))
    np.testing.assert_allclose(raw.get_ydata(), h["loss_history"])
    np.testing.assert_allclose(smoothed.get_ydata(), smooth(h["loss_history"], 5))
    train, val = ax_acc.get_lines()
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(train.get_ydata(), h["train_acc_history"])
    np.testing.assert_allclose(val.get_ydata(), h["val_acc_history"])
    assert ax_loss.get_title() and ax_acc.get_title()
    assert ax_loss.get_xlabel() == "iteration" and ax_acc.get_xlabel() == "epoch"
    assert ax_loss.get_ylabel() == "loss" and ax_acc.get_ylabel() == "accuracy"
    assert [t.get_text() for t in ax_acc.get_legend().get_texts()] == ["train", "val"]


def test_plot_training_curves_draws_into_given_figure() -> None:
    fig = plt.figure()
    assert plot_training_curves(_history(), fig=fig) is fig
    assert len(fig.axes) == 2


def test_plot_training_curves_rejects_non_history() -> None:
    with pytest.raises(TypeError, match="loss_history"):
        plot_training_curves({"val_acc_history": [0.5]})
    with pytest.raises(TypeError, match="loss_history"):
        plot_training_curves(object())


def test_plot_learning_rate_sweep_one_line_per_run() -> None:
    results = {1e-3: _history(1), 1e-2: SimpleNamespace(**_history(2)), 2.5e-4: _history(3)}
    fig = plot_learning_rate_sweep(results, smooth_window=4)
    ax_loss, ax_acc = fig.axes
    assert len(ax_loss.get_lines()) == 3 and len(ax_acc.get_lines()) == 3
    labels = [line.get_label() for line in ax_loss.get_lines()]
    assert labels == ["lr = 0.001", "lr = 0.01", "lr = 0.00025"]
    for line, h in zip(ax_loss.get_lines(), [_history(1), _history(2), _history(3)], strict=True):
        np.testing.assert_allclose(line.get_ydata(), smooth(h["loss_history"], 4))
    for line, h in zip(ax_acc.get_lines(), [_history(1), _history(2), _history(3)], strict=True):
        np.testing.assert_allclose(line.get_ydata(), h["val_acc_history"])
    assert ax_acc.get_legend() is not None
    fig2 = plot_learning_rate_sweep([(0.1, _history(1))])
    assert fig2.axes[0].get_lines()[0].get_label() == "lr = 0.1"
    with pytest.raises(ValueError, match="results is empty"):
        plot_learning_rate_sweep({})


# ---- weight grids and images --------------------------------------------------------------

def test_plot_weight_grid_conv_filters_rgb() -> None:
    W = np.random.default_rng(0).standard_normal((6, 3, 5, 5)).astype(np.float32)
    fig = plot_weight_grid(W, ncols=3, padding=2)
    (ax,) = fig.axes
    np.testing.assert_allclose(ax.images[0].get_array(), make_grid(W, ncols=3, padding=2))
    assert ax.get_title() == "6 filters"


def test_plot_weight_grid_linear_weights_gray() -> None:
    rng = np.random.default_rng(1)
    W = rng.standard_normal((1 * 4 * 3, 5))  # D = 12 for images (1, 4, 3), M = 5 units
    fig = plot_weight_grid(W, image_shape=(1, 4, 3), title="first layer")
    ax = fig.axes[0]
    filters = np.stack([W[:, m].reshape(1, 4, 3) for m in range(5)])  # column m = unit m
    np.testing.assert_allclose(ax.images[0].get_array(), make_grid(filters)[..., 0])
    assert ax.images[0].get_cmap().name == "gray"
    assert ax.get_title() == "first layer"


def test_plot_weight_grid_into_given_axes_and_errors() -> None:
    fig, axes = plt.subplots(1, 2)
    assert plot_weight_grid(np.ones((2, 1, 3, 3)), ax=axes[1]) is fig
    assert len(axes[1].images) == 1 and len(axes[0].images) == 0
    with pytest.raises(ValueError, match="need image_shape"):
        plot_weight_grid(np.ones((12, 2)))
    with pytest.raises(ValueError, match="D = 12"):
        plot_weight_grid(np.ones((12, 2)), image_shape=(3, 2, 3))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        plot_weight_grid(np.ones((2, 2, 3, 3)))


def test_plot_images_one_axes_per_image_with_titles() -> None:
    X = np.random.default_rng(2).random((5, 3, 4, 4))
    fig = plot_images(X, labels=[0, 2, 1, 2, 0], class_names=["cat", "dog", "bird"], ncols=3)
    assert len(fig.axes) == 5
    assert [ax.get_title() for ax in fig.axes] == ["cat", "bird", "dog", "bird", "cat"]
    np.testing.assert_allclose(fig.axes[3].images[0].get_array(), X[3].transpose(1, 2, 0))
    gray = plot_images(X[:2, :1], labels=np.array([4, 7]))
    assert [ax.get_title() for ax in gray.axes] == ["4", "7"]
    np.testing.assert_allclose(gray.axes[1].images[0].get_array(), X[1, 0])


def test_plot_images_bad_input() -> None:
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        plot_images(np.full((1, 1, 2, 2), 3.0))
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\)"):
        plot_images(np.zeros((2, 1, 2, 2)), labels=[0])
    with pytest.raises(ValueError, match="index class_names"):
        plot_images(np.zeros((1, 1, 2, 2)), labels=[3], class_names=["a"])


# ---- confusion matrix ---------------------------------------------------------------------

def test_plot_confusion_matrix_annotates_counts() -> None:
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [1, 0, 1, 2, 0, 2], num_classes=3)
    fig = plot_confusion_matrix(cm, class_names=["a", "b", "c"])
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # matrix + colour bar
    np.testing.assert_array_equal(ax.images[0].get_array(), cm)
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in ax.texts}
    assert texts == {(i, j): str(cm[i, j]) for i in range(3) for j in range(3)}
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted label" and ax.get_ylabel() == "true label"


def test_plot_confusion_matrix_normalized_rows() -> None:
    cm = np.array([[3, 1], [0, 0]])
    fig = plot_confusion_matrix(cm, normalize=True, colorbar=False)
    ax = fig.axes[0]
    assert len(fig.axes) == 1
    np.testing.assert_allclose(ax.images[0].get_array(), [[0.75, 0.25], [0.0, 0.0]])
    assert sorted(t.get_text() for t in ax.texts) == ["0.00", "0.00", "0.25", "0.75"]
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="class_names has 1 names"):
        plot_confusion_matrix(cm, class_names=["x"])


# ---- save_figure --------------------------------------------------------------------------

def test_save_figure_writes_png_atomically(tmp_path) -> None:
    fig = plot_training_curves(_history())
    path = tmp_path / "plots" / "curves.png"
    assert save_figure(fig, path) == path
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert os.listdir(path.parent) == ["curves.png"]  # no temporary file left behind


def test_save_figure_failure_keeps_old_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "fig.png"
    path.write_bytes(b"old")
    fig = plt.figure()

    def broken(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(RuntimeError, match="render failed"):
        save_figure(fig, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["fig.png"]
    with pytest.raises(ValueError, match="should end in '.png'"):
        save_figure(plt.figure(), tmp_path / "fig.jpg")


def test_import_does_not_load_matplotlib() -> None:
    import subprocess
    import sys

    code = "import sys, cs_nn.course.plotting, cs_nn.metrics; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.strip() == "False"


def test_plot_run_comparison_labels_skips_diverged_runs_and_titles() -> None:
    from cs_nn.course.plotting import plot_run_comparison

    runs = {"B = 20": _history(1), "B = 100": None, "B = 500": SimpleNamespace(**_history(2))}
    fig = plot_run_comparison(runs, title="batch size", smooth_window=3)
    ax_loss, ax_acc = fig.axes
    assert [line.get_label() for line in ax_acc.get_lines()] == ["B = 20", "B = 500"]
    assert ax_loss.get_title().startswith("batch size: training loss")
    np.testing.assert_allclose(ax_acc.get_lines()[0].get_ydata(), _history(1)["val_acc_history"])
    wrapped = SimpleNamespace(solver=SimpleNamespace(**_history(3)))  # a TrainResult-like object
    assert len(plot_run_comparison([("run", wrapped)]).axes[0].get_lines()) == 1
    with pytest.raises(ValueError, match="every run diverged"):
        plot_run_comparison({"a": None})
