"""Learning-rate range test: geometric lr grid, smoothing, divergence stop, a sensible suggestion
on a toy problem (checked against a grid search of real training runs), and plotting."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn.course.lr_finder import (
    LRFinderResult,
    ema,
    geometric_lrs,
    lr_range_test,
    plot_lr_range_test,
    suggest_lr,
)
from cs_nn.models import FullyConnectedNet
from cs_nn.solver import Solver


def blobs(n=2000, D=10, C=4, seed=0):
    """Gaussian clusters around random centres: learnable, not trivially separable."""
    rng = np.random.default_rng(seed)
    centres = 2.0 * rng.normal(size=(C, D))
    y = rng.integers(0, C, n)
    X = centres[y] + rng.normal(size=(n, D))
    return {"X_train": X[:1600], "y_train": y[:1600], "X_val": X[1600:], "y_val": y[1600:]}


def factory(hidden_dims, seed=0):
    return lambda: FullyConnectedNet(hidden_dims, input_dim=10, num_classes=4,
                                     weight_scale="he" if hidden_dims else 1e-2,
                                     dtype=np.float64, seed=seed)


def test_lrs_increase_geometrically_and_losses_are_recorded():
    data = blobs()
    r = lr_range_test(factory([16]), data, lr_min=1e-5, lr_max=1e-2, num_steps=40, batch_size=32)
    assert isinstance(r, LRFinderResult)
    assert r.lrs.shape == r.losses.shape == r.smoothed.shape == (40,)  # never diverges so low
    ratios = r.lrs[1:] / r.lrs[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-10)
    assert ratios[0] > 1
    np.testing.assert_allclose([r.lrs[0], r.lrs[-1]], [1e-5, 1e-2])
    assert not r.diverged and np.all(np.isfinite(r.losses))


@pytest.mark.parametrize("hidden_dims,seed", [([], 0), ([32], 0), ([32], 1)])
def test_suggestion_within_an_order_of_magnitude_of_a_good_lr(hidden_dims, seed):
    data = blobs(seed=seed)
    r = lr_range_test(factory(hidden_dims, seed), data, lr_min=1e-5, lr_max=100.0,
                      num_steps=100, batch_size=32, seed=seed)
    assert r.diverged and r.lrs.shape[0] < 100  # stopped once the loss blew up
    assert r.suggestion is not None
    # Oracle: train a fresh model for one epoch at each lr of a grid; an lr is "good" when the
    # final training loss is below a quarter of the initial one. The known good lr is the
    # geometric centre of the good interval.
    grid = np.geomspace(1e-4, 10.0, 26)
    initial, _ = factory(hidden_dims, seed)().loss(data["X_train"], data["y_train"])
    good = []
    for lr in grid:
        solver = Solver(factory(hidden_dims, seed)(), data, optim_config={"learning_rate": lr},
                        num_epochs=1, batch_size=32, seed=seed)
        try:
            solver.train()
        except FloatingPointError:
            continue
        final, _ = solver.model.loss(data["X_train"], data["y_train"])
        if final < 0.25 * initial:
            good.append(lr)
    assert good, "the oracle found no good learning rate"
    centre = np.sqrt(min(good) * max(good))
    assert centre / 10 <= r.suggestion <= centre * 10
    assert min(good) / 10 <= r.suggestion <= max(good)  # never beyond the stable range


def test_model_object_is_copied_not_trained():
    model = factory([8])()
    before = {k: v.copy() for k, v in model.params.items()}
    lr_range_test(model, blobs(), num_steps=20, lr_max=1.0)
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, before[k])


def test_stops_when_loss_diverges():
    r = lr_range_test(factory([16]), blobs(), lr_min=1.0, lr_max=1e6, num_steps=60,
                      batch_size=32, diverge_factor=4.0)
    assert r.diverged and r.lrs.shape[0] < 60
    finite = r.smoothed[np.isfinite(r.smoothed)]
    assert not np.isfinite(r.smoothed[-1]) or r.smoothed[-1] > 4.0 * finite[:-1].min()


def test_ema_matches_naive_weighted_mean():
    rng = np.random.default_rng(0)
    v = rng.normal(size=30)
    beta = 0.8
    out = ema(v, beta)
    for t in range(30):  # bias-corrected EMA = weighted mean with weights beta**(t - i)
        weights = beta ** np.arange(t, -1, -1)
        np.testing.assert_allclose(out[t], np.sum(weights * v[:t + 1]) / weights.sum())
    np.testing.assert_allclose(ema(v, 0.0), v)


def test_suggest_lr_finds_steepest_descent_of_a_known_curve():
    lrs = np.geomspace(1e-4, 1.0, 81)
    x = np.log10(lrs)
    curve = 2.0 - np.tanh(2.0 * (x + 2.0))  # falls fastest at lr = 1e-2, then flat
    curve[x > -0.5] += 50 * (x[x > -0.5] + 0.5) ** 2  # blow-up at the end
    s = suggest_lr(lrs, curve, skip_start=0)
    assert 10 ** -2.15 <= s <= 10 ** -1.85
    assert suggest_lr(lrs, np.linspace(1, 2, 81)) is None  # never falls: no suggestion


def test_bad_arguments_raise_clear_errors():
    data = blobs()
    with pytest.raises(ValueError, match="lr_max"):
        geometric_lrs(1.0, 0.1, 10)
    with pytest.raises(ValueError, match="num_steps"):
        geometric_lrs(1e-3, 1.0, 1)
    with pytest.raises(ValueError, match="diverge_factor"):
        lr_range_test(factory([4]), data, diverge_factor=0.5)
    with pytest.raises(KeyError, match="X_train"):
        lr_range_test(factory([4]), {"X": 1})
    with pytest.raises(TypeError, match="factory"):
        lr_range_test(42, data)
    with pytest.raises(ValueError, match="unknown update rule"):
        lr_range_test(factory([4]), data, update_rule="sgdd")


def test_plot_marks_the_suggestion():
    r = lr_range_test(factory([16]), blobs(), lr_min=1e-5, lr_max=100.0, num_steps=80,
                      batch_size=32)
    fig = plot_lr_range_test(r)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), r.smoothed)
    assert ax.lines[2].get_xdata()[0] == pytest.approx(r.suggestion)


def test_plot_is_a_pyplot_figure_so_notebooks_show_it():
    # A bare matplotlib Figure is invisible to pyplot: plt.show() and the inline backend
    # would skip it (notebook 10 stored no image). The figure must be one pyplot manages.
    import matplotlib.pyplot as plt

    r = lr_range_test(factory([8]), blobs(), num_steps=20, batch_size=32)
    fig = plot_lr_range_test(r)
    try:
        assert plt.fignum_exists(fig.number) and fig in map(plt.figure, plt.get_fignums())
    finally:
        plt.close(fig)
    own = plt.figure()  # an axes passed in is drawn into, and no extra figure appears
    before = plt.get_fignums()
    assert plot_lr_range_test(r, ax=own.add_subplot(1, 1, 1)) is own
    assert plt.get_fignums() == before
    plt.close(own)
