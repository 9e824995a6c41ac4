"""Question 07: train a small MLP by full-batch gradient descent and predict a test set.

Why this recipe. Training results normally depend on how weights are initialised and how
minibatches are shuffled, and two correct implementations that draw random numbers in a
different order end in different places. To grade *training* (forward pass, backward pass,
L2 term and update rule working together over many steps), every source of randomness is
removed:

* the initial weights and biases are input files (``W1``, ``b1``, ``W2``, ``b2``);
* every step uses the whole training set (full-batch gradient descent, no shuffling);
* there is no dropout, and the update is plain ``param -= lr * grad``.

The answer is then a deterministic function of the inputs: any correct implementation
reproduces the final loss to rounding error (float32 included, hence ``rtol=1e-4``). The
test-set predictions are graded too; the committed inputs were checked to leave every test
point with a clear margin between its two best class scores (see ``min_margin``), so rounding
cannot flip a prediction.

The network is ``linear - relu - linear - softmax cross-entropy`` with L2 on the weights, i.e.
``FullyConnectedNet([H], input_dim=D, num_classes=C, reg=REG, dtype=np.float64)``. The data are
Gaussian blobs, two per class, so the classes are not linearly separable.
"""

from __future__ import annotations

import numpy as np

from cs_nn.course.questions import ArraySpec, Question
from cs_nn.models import FullyConnectedNet

NOTEBOOK = "07_training_mlps"
N_TRAIN, N_TEST, D, H, C = 160, 60, 6, 16, 4
BLOBS_PER_CLASS = 2
LR = 0.3
NUM_ITERS = 200
REG = 1e-3
PARAM_NAMES = ("W1", "b1", "W2", "b2")

INPUTS = {
    "X_train": ArraySpec((N_TRAIN, D)),
    "y_train": ArraySpec((N_TRAIN,), "int64"),
    "X_test": ArraySpec((N_TEST, D)),
    "W1": ArraySpec((D, H)),
    "b1": ArraySpec((H,)),
    "W2": ArraySpec((H, C)),
    "b2": ArraySpec((C,)),
}
OUTPUTS = {"predictions": ArraySpec((N_TEST,), "int64"), "loss": ArraySpec((1,))}


def _blobs(rng: np.random.Generator, centres: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n points (X (n, D), y (n,)) around centres (C * BLOBS_PER_CLASS, D).

    Blob k belongs to class k // BLOBS_PER_CLASS.
    """
    blob = rng.integers(0, centres.shape[0], n)
    X = centres[blob] + 1.2 * rng.standard_normal((n, D))  # (n, D)
    return X, blob // BLOBS_PER_CLASS


def _inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    centres = 2.0 * rng.standard_normal((C * BLOBS_PER_CLASS, D))
    X_train, y_train = _blobs(rng, centres, N_TRAIN)
    X_test, _ = _blobs(rng, centres, N_TEST)
    return {
        "X_train": X_train, "y_train": y_train, "X_test": X_test,
        "W1": np.sqrt(2.0 / D) * rng.standard_normal((D, H)),  # He scale
        "b1": 0.1 * rng.standard_normal(H),
        "W2": np.sqrt(2.0 / H) * rng.standard_normal((H, C)),
        "b2": 0.1 * rng.standard_normal(C),
    }


def train_full_batch(X_train: np.ndarray, y_train: np.ndarray,
                     **params: np.ndarray) -> tuple[FullyConnectedNet, list[float]]:
    """Full-batch gradient descent from the given parameters.

    X_train: (N, D); y_train: (N,); params: W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).
    Returns the trained float64 model and the loss history (NUM_ITERS + 1,): the loss before
    every update and, last, the loss at the final parameters.
    """
    model = FullyConnectedNet([H], input_dim=D, num_classes=C, reg=REG, dtype=np.float64,
                              seed=0)
    for name in PARAM_NAMES:
        model.params[name] = np.array(params[name], dtype=np.float64)
    history = []
    for _ in range(NUM_ITERS):
        loss, grads = model.loss(X_train, y_train)
        history.append(float(loss))
        for name in PARAM_NAMES:
            model.params[name] = model.params[name] - LR * grads[name]
    history.append(float(model.loss(X_train, y_train)[0]))
    return model, history


def _solve(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
           **params: np.ndarray) -> dict[str, np.ndarray]:
    model, history = train_full_batch(X_train, y_train, **params)
    return {"predictions": model.predict(X_test), "loss": np.array([history[-1]])}


def min_margin(scores: np.ndarray) -> float:
    """Smallest gap between the best and second-best score of any row of scores (N, C)."""
    top2 = np.sort(scores, axis=1)[:, -2:]  # (N, 2)
    return float(np.min(top2[:, 1] - top2[:, 0]))


QUESTIONS = [
    Question("mlp_predictions", NOTEBOOK, INPUTS, OUTPUTS, _inputs, _solve,
             params={"hidden_dims": [H], "input_dim": D, "num_classes": C, "reg": REG,
                     "learning_rate": LR, "num_iters": NUM_ITERS, "batch": "full",
                     "update_rule": "sgd", "dropout": 0.0, "dtype": "float64"},
             rtol=1e-4, atol=1e-6, points=4.0),
]
