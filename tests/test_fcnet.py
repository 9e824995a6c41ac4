"""Tests for cs_nn.models.fcnet.FullyConnectedNet."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.gradcheck import eval_numerical_gradient
from cs_nn.models.fcnet import FullyConnectedNet


def numeric_grads(model, X, y):
    """Centred-difference gradient of model.loss(X, y)[0] for every parameter."""
    out = {}
    for name in list(model.params):
        orig = model.params[name]

        def f(w, name=name):
            model.params[name] = w
            return model.loss(X, y)[0]

        out[name] = eval_numerical_gradient(f, orig, verbose=False)
        model.params[name] = orig
    return out


def assert_grads_match(model, X, y, rtol=1e-6, atol=1e-9):
    # Non-zero biases keep ReLU inputs off the kink at 0 (a zero-bias unit whose inputs are
    # all dropped or dead sits exactly on it, where the numeric gradient is one-sided).
    rng = np.random.default_rng(99)
    for name in model.params:
        if name.startswith("b"):
            model.params[name] = rng.normal(0, 0.5, size=model.params[name].shape)
    _, grads = model.loss(X, y)
    num = numeric_grads(model, X, y)
    assert set(grads) == set(model.params)
    for name in model.params:
        assert grads[name].shape == model.params[name].shape
        np.testing.assert_allclose(grads[name], num[name], rtol=rtol, atol=atol, err_msg=name)


def small_problem(n=6, d=(2, 5), c=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, *d))
    y = rng.integers(0, c, size=n)
    return X, y


def naive_scores(model, X):
    """Independent oracle: the MLP written out with plain numpy (no dropout)."""
    h = X.reshape(X.shape[0], -1).astype(np.float64)
    L = model.num_layers
    for i in range(1, L):
        h = np.maximum(0, h @ model.params[f"W{i}"] + model.params[f"b{i}"])
    return h @ model.params[f"W{L}"] + model.params[f"b{L}"]


# ---------------------------------------------------------------- construction


def test_params_names_shapes_dtype_and_init():
    model = FullyConnectedNet([30, 20], input_dim=12, num_classes=5, weight_scale=0.05, seed=0)
    assert list(model.params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    shapes = {k: v.shape for k, v in model.params.items()}
    assert shapes == {"W1": (12, 30), "b1": (30,), "W2": (30, 20), "b2": (20,),
                      "W3": (20, 5), "b3": (5,)}
    assert all(v.dtype == np.float32 for v in model.params.values())
    assert all(np.all(model.params[f"b{i}"] == 0) for i in (1, 2, 3))
    assert abs(model.params["W2"].std() - 0.05) < 0.005
    assert abs(model.params["W2"].mean()) < 0.005


def test_weight_scale_he_and_xavier():
    he = FullyConnectedNet([400], input_dim=200, num_classes=3, weight_scale="he", seed=1)
    xa = FullyConnectedNet([400], input_dim=200, num_classes=3, weight_scale="xavier", seed=1)
    assert abs(he.params["W1"].std() - np.sqrt(2 / 200)) < 0.005
    assert abs(xa.params["W1"].std() - np.sqrt(2 / 600)) < 0.005


def test_seed_reproduces_weights():
    a = FullyConnectedNet([8], input_dim=5, num_classes=3, seed=7)
    b = FullyConnectedNet([8], input_dim=5, num_classes=3, seed=7)
    c = FullyConnectedNet([8], input_dim=5, num_classes=3, seed=8)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["W1"], c.params["W1"])


def test_config_is_json_and_rebuilds_the_model():
    model = FullyConnectedNet([6, 4], input_dim=10, num_classes=3, dropout=0.25, reg=0.1,
                              weight_scale=0.2, dtype=np.float64, seed=5)
    config = json.loads(json.dumps(model.config))
    assert config["dtype"] == "float64"
    twin = FullyConnectedNet(**config)
    assert twin.config == model.config
    assert all(np.array_equal(model.params[k], twin.params[k]) for k in model.params)
    assert twin.params["W1"].dtype == np.float64
    numpy_args = FullyConnectedNet([3], input_dim=4, num_classes=2, weight_scale=np.float32(0.5),
                                   seed=np.int64(2))
    assert json.loads(json.dumps(numpy_args.config))["seed"] == 2


# ---------------------------------------------------------------- forward / loss


@pytest.mark.parametrize("hidden_dims", [[], [9], [7, 6, 5]])
def test_scores_match_naive_numpy(hidden_dims):
    model = FullyConnectedNet(hidden_dims, input_dim=10, num_classes=4, weight_scale=0.5,
                              dtype=np.float64, seed=0)
    X, _ = small_problem(d=(2, 5))
    scores = model.loss(X)
    assert scores.shape == (6, 4)
    np.testing.assert_allclose(scores, naive_scores(model, X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("num_classes", [3, 10])
def test_initial_loss_is_log_num_classes(num_classes):
    model = FullyConnectedNet([50, 40], input_dim=32, num_classes=num_classes,
                              weight_scale=1e-3, seed=0)
    X, y = small_problem(n=40, d=(32,), c=num_classes)
    loss, _ = model.loss(X, y)
    assert isinstance(loss, float)
    assert abs(loss - np.log(num_classes)) < 1e-3


def test_initial_loss_with_reg_adds_the_l2_term():
    reg = 3.0
    plain = FullyConnectedNet([20], input_dim=8, num_classes=5, weight_scale=0.1, seed=2)
    regd = FullyConnectedNet([20], input_dim=8, num_classes=5, weight_scale=0.1, reg=reg, seed=2)
    X, y = small_problem(n=30, d=(8,), c=5)
    data_loss, _ = plain.loss(X, y)
    loss, _ = regd.loss(X, y)
    penalty = 0.5 * reg * sum(float(np.sum(regd.params[k].astype(np.float64) ** 2))
                              for k in ("W1", "W2"))
    assert abs(data_loss - np.log(5)) < 0.05
    assert loss == pytest.approx(data_loss + penalty, rel=1e-5)
    assert loss > data_loss


def test_float32_and_float64_dtypes_are_kept():
    X, y = small_problem(d=(4,))
    for dtype in (np.float32, np.float64):
        model = FullyConnectedNet([5], input_dim=4, num_classes=4, dtype=dtype, seed=0)
        assert model.loss(X).dtype == dtype  # float64 X is cast to the model's dtype
        _, grads = model.loss(X.astype(np.float32), y)
        assert all(g.dtype == dtype for g in grads.values())


def test_loss_does_not_modify_inputs_or_params():
    model = FullyConnectedNet([5], input_dim=10, num_classes=4, dropout=0.5, reg=0.3,
                              dtype=np.float64, seed=0)
    X, y = small_problem()
    X0, y0 = X.copy(), y.copy()
    before = {k: v.copy() for k, v in model.params.items()}
    model.loss(X, y)
    assert np.array_equal(X, X0) and np.array_equal(y, y0)
    assert all(np.array_equal(before[k], model.params[k]) for k in before)


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("reg", [0.0, 0.7])
@pytest.mark.parametrize("hidden_dims", [[], [7], [6, 5, 4]])
def test_gradient_check(hidden_dims, reg):
    model = FullyConnectedNet(hidden_dims, input_dim=10, num_classes=4, reg=reg,
                              weight_scale=0.5, dtype=np.float64, seed=1)
    X, y = small_problem()
    assert_grads_match(model, X, y)


@pytest.mark.parametrize("hidden_dims", [[7], [6, 5, 4]])
def test_gradient_check_with_fixed_dropout_mask(hidden_dims):
    model = FullyConnectedNet(hidden_dims, input_dim=10, num_classes=4, dropout=0.4, reg=0.2,
                              weight_scale=0.5, dtype=np.float64, seed=1)
    model.dropout_seed = 123
    X, y = small_problem()
    assert model.loss(X, y)[0] == model.loss(X, y)[0]  # same mask every call
    assert_grads_match(model, X, y)


@settings(max_examples=15, deadline=None)
@given(hidden_dims=st.lists(st.integers(1, 5), max_size=3), input_dim=st.integers(1, 5),
       num_classes=st.integers(2, 4), n=st.integers(1, 4), reg=st.sampled_from([0.0, 0.5]),
       dropout=st.sampled_from([0.0, 0.3]), seed=st.integers(0, 2**16))
def test_gradient_check_random_architectures(hidden_dims, input_dim, num_classes, n, reg,
                                             dropout, seed):
    model = FullyConnectedNet(hidden_dims, input_dim=input_dim, num_classes=num_classes,
                              dropout=dropout, reg=reg, weight_scale=0.7, dtype=np.float64,
                              seed=seed)
    model.dropout_seed = seed
    rng = np.random.default_rng(seed + 1)
    X = rng.normal(size=(n, input_dim))
    y = rng.integers(0, num_classes, size=n)
    assert_grads_match(model, X, y, rtol=1e-5, atol=1e-8)


TORCH_ACTIVATIONS = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU",
                     "sigmoid": "Sigmoid", "tanh": "Tanh"}


@pytest.mark.parametrize("activation", sorted(TORCH_ACTIVATIONS))
def test_agrees_with_pytorch(activation):
    torch = pytest.importorskip("torch")
    reg = 0.3
    model = FullyConnectedNet([7, 5], input_dim=10, num_classes=4, reg=reg, weight_scale=0.5,
                              dtype=np.float64, seed=3, activation=activation)
    X, y = small_problem()
    loss, grads = model.loss(X, y)

    layers = []
    for i in (1, 2, 3):
        lin = torch.nn.Linear(*model.params[f"W{i}"].shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(model.params[f"W{i}"].T))
            lin.bias.copy_(torch.from_numpy(model.params[f"b{i}"]))
        layers += [lin, getattr(torch.nn, TORCH_ACTIVATIONS[activation])()]
    net = torch.nn.Sequential(torch.nn.Flatten(), *layers[:-1])
    scores = net(torch.from_numpy(X))
    t_loss = torch.nn.functional.cross_entropy(scores, torch.from_numpy(y))
    t_loss = t_loss + 0.5 * reg * sum((lin.weight ** 2).sum() for lin in layers[::2])
    t_loss.backward()

    np.testing.assert_allclose(model.loss(X), scores.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert loss == pytest.approx(t_loss.item(), rel=1e-10)
    for i, lin in enumerate(layers[::2], start=1):
        np.testing.assert_allclose(grads[f"W{i}"], lin.weight.grad.numpy().T, rtol=1e-8,
                                   atol=1e-12)
        np.testing.assert_allclose(grads[f"b{i}"], lin.bias.grad.numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "sigmoid", "tanh"])
def test_gradient_check_other_activations(activation):
    model = FullyConnectedNet([6, 5], input_dim=10, num_classes=4, reg=0.1, weight_scale=0.5,
                              dtype=np.float64, seed=4, activation=activation, dropout=0.3)
    model.dropout_seed = 5
    X, y = small_problem()
    assert_grads_match(model, X, y)


def test_activation_is_in_the_config_and_checked():
    model = FullyConnectedNet([4], input_dim=3, num_classes=2, activation="elu", seed=0)
    assert model.config["activation"] == "elu"
    rebuilt = FullyConnectedNet(**json.loads(json.dumps(model.config)))
    assert rebuilt.activation == "elu"
    X = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(rebuilt.loss(X), model.loss(X))
    relu = FullyConnectedNet([4], input_dim=3, num_classes=2, seed=0)
    assert relu.activation == "relu" and not np.allclose(relu.loss(X * 40), model.loss(X * 40))
    with pytest.raises(ValueError, match="activation must be one of"):
        FullyConnectedNet([4], input_dim=3, num_classes=2, activation="swish")


# ---------------------------------------------------------------- dropout modes


def test_dropout_test_mode_is_deterministic_and_unscaled():
    model = FullyConnectedNet([30], input_dim=10, num_classes=4, dropout=0.5, weight_scale=0.3,
                              dtype=np.float64, seed=0)
    X, _ = small_problem()
    np.testing.assert_array_equal(model.loss(X), model.loss(X))
    np.testing.assert_allclose(model.loss(X), naive_scores(model, X), rtol=1e-12)


def test_dropout_train_mode_draws_new_masks_and_seed_reproduces_them():
    X, y = small_problem()
    kwargs = dict(input_dim=10, num_classes=4, dropout=0.5, weight_scale=0.3, seed=4)
    a = FullyConnectedNet([30], **kwargs)
    b = FullyConnectedNet([30], **kwargs)
    losses_a = [a.loss(X, y)[0] for _ in range(3)]
    losses_b = [b.loss(X, y)[0] for _ in range(3)]
    assert losses_a == losses_b
    assert len(set(losses_a)) == 3
    no_drop = FullyConnectedNet([30], **{**kwargs, "dropout": 0.0})
    assert no_drop.loss(X, y)[0] not in losses_a


# ---------------------------------------------------------------- predict


def test_predict_is_argmax_of_scores_in_any_batch_size():
    model = FullyConnectedNet([8], input_dim=10, num_classes=4, weight_scale=0.5, seed=0)
    X, _ = small_problem(n=11)
    expected = np.argmax(naive_scores(model, X), axis=1)
    for batch_size in (1, 4, 1000):
        pred = model.predict(X, batch_size=batch_size)
        assert pred.dtype == np.int64
        np.testing.assert_array_equal(pred, expected)
    with pytest.raises(ValueError, match="batch_size"):
        model.predict(X, batch_size=0)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, match", [
    ({"hidden_dims": 100}, r"did you mean \[100\]"),
    ({"hidden_dims": [10, 0]}, r"hidden_dims\[1\] must be an integer >= 1 \(a layer width\)"),
    ({"hidden_dims": [10, 2.5]}, r"hidden_dims\[1\]"),
    ({"hidden_dims": None}, "list of positive integers"),
    ({"dropout": 1.0}, r"DROPPING .* \[0, 1\)"),
    ({"dropout": -0.1}, r"\[0, 1\)"),
    ({"reg": -1.0}, "reg must be"),
    ({"input_dim": 0}, "input_dim"),
    ({"num_classes": 1}, "num_classes"),
    ({"weight_scale": "big"}, "weight_scale"),
    ({"weight_scale": -1.0}, "weight_scale"),
    ({"dtype": np.int32}, "float32 or float64"),
    ({"seed": 1.5}, "seed must be an int or None"),
])
def test_bad_constructor_arguments(kwargs, match):
    args = {"hidden_dims": [5], "input_dim": 4, "num_classes": 3, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        FullyConnectedNet(**args)


def test_bad_loss_inputs():
    model = FullyConnectedNet([5], input_dim=12, num_classes=3, seed=0)
    X = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"X has 20 features .* input_dim=12.*reshape X"):
        model.loss(np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match=r"y must lie in \[0, 3\)"):
        model.loss(X, np.array([0, 3]))
    with pytest.raises(ValueError, match="2 labels but there are 3 samples"):
        model.loss(np.zeros((3, 12)), np.array([0, 1]))
    bad = X.copy()
    bad[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.loss(bad)
    with pytest.raises(ValueError, match="dimension"):
        model.loss(np.zeros(12))


# ---------------------------------------------------------------- training


def sgd_train(model, X, y, lr, num_iters):
    for _ in range(num_iters):
        _, grads = model.loss(X, y)
        for k in model.params:
            model.params[k] = model.params[k] - lr * grads[k]


@pytest.mark.parametrize("hidden_dims", [[40], [30, 30]])
def test_overfits_a_tiny_dataset(hidden_dims):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3, 2, 2))
    y = rng.integers(0, 5, size=20)
    model = FullyConnectedNet(hidden_dims, input_dim=12, num_classes=5, weight_scale="he",
                              seed=0)
    start = model.loss(X, y)[0]
    sgd_train(model, X, y, lr=0.1, num_iters=300)
    assert model.loss(X, y)[0] < 0.1 * start
    assert np.mean(model.predict(X) == y) == 1.0
