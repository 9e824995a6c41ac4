"""Question 10: evaluate a finished model: its predictions, confusion matrix, rate and F1.

Why this design. The end product of notebook 10 is a tuned model, but the model a learner
ends up with depends on the dataset on their machine (FER2013, Fashion-MNIST or the digits),
on how long they searched, and on every random draw along the way, so its predictions cannot
be graded against one reference answer. What *can* be graded exactly is the last step every
learner performs: run a given model on a given input file and evaluate the predictions. So
the input files hold

* the parameters of a trained-looking two-layer MLP ``linear - relu - linear``:
  ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,);
* a set of inputs ``X`` (N, D) and their true labels ``y`` (N,),

and the outputs are the predicted classes (N,) (the arg-max of the scores, as
``FullyConnectedNet([H], input_dim=D, num_classes=C).predict``), the confusion matrix (C, C)
(rows = true class, columns = predicted class), the classification rate (1,) and the per-class
F1 (C,) of those predictions against ``y``. No dataset, no training and no random number is
involved, so every correct implementation writes the same numbers.

How the inputs are made. The network is a nearest-centre classifier written as an MLP, plus
noise so that it looks trained rather than designed: for class c with centre m_c the score
``x . m_c - |m_c|^2 / 2`` is linear in x, and ``relu(a) - relu(-a) = a`` lets a pair of
hidden ReLU units pass it through the hidden layer. A few extra hidden units with small
outgoing weights and a random order of the hidden units complete it. The points are Gaussian
blobs around the centres, wide enough that about one in five is misclassified, so the
confusion matrix has off-diagonal entries. Points whose two best scores are closer than
``MIN_MARGIN`` are skipped while drawing, so that rounding (even float32 arithmetic) cannot
flip a prediction; and every class appears in ``y``.
"""

from __future__ import annotations

import numpy as np

from cs_nn.course.questions import ArraySpec, Question
from cs_nn.metrics import classification_rate, confusion_matrix, precision_recall_f1
from cs_nn.models import FullyConnectedNet

NOTEBOOK = "10_hyperparameter_optimisation"
N, D, C = 150, 12, 5
EXTRA_UNITS = 6
H = 2 * C + EXTRA_UNITS
SPREAD = 2.4  # standard deviation of the points around their centre
MIN_MARGIN = 0.05  # smallest gap between the best and second-best score of a kept point

INPUTS = {
    "W1": ArraySpec((D, H)),
    "b1": ArraySpec((H,)),
    "W2": ArraySpec((H, C)),
    "b2": ArraySpec((C,)),
    "X": ArraySpec((N, D)),
    "y": ArraySpec((N,), "int64"),
}
OUTPUTS = {
    "predictions": ArraySpec((N,), "int64"),
    "confusion": ArraySpec((C, C), "int64"),
    "rate": ArraySpec((1,)),
    "f1": ArraySpec((C,)),
}


def mlp_scores(X: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
               b2: np.ndarray) -> np.ndarray:
    """Scores (N, C) of ``relu(X @ W1 + b1) @ W2 + b2`` for X (N, D), in float64."""
    hidden = np.maximum(X @ W1 + b1, 0.0)  # (N, H)
    return hidden @ W2 + b2


def score_margins(scores: np.ndarray) -> np.ndarray:
    """(N,) gap between the best and the second-best score of each row of scores (N, C)."""
    top2 = np.sort(scores, axis=1)[:, -2:]  # (N, 2)
    return top2[:, 1] - top2[:, 0]


def _network(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The parameters W1, b1, W2, b2 and the class centres (C, D)."""
    centres = 1.5 * rng.standard_normal((C, D))
    offsets = -0.5 * np.sum(centres**2, axis=1)  # (C,): x . m - |m|^2 / 2
    W1 = np.concatenate([centres.T, -centres.T, 0.3 * rng.standard_normal((D, EXTRA_UNITS))],
                        axis=1)  # (D, H): a +/- pair per class, then the extra units
    b1 = np.concatenate([offsets, -offsets, 0.1 * rng.standard_normal(EXTRA_UNITS)])
    W2 = np.concatenate([np.eye(C), -np.eye(C), 0.05 * rng.standard_normal((EXTRA_UNITS, C))])
    W1 = W1 + 0.05 * rng.standard_normal(W1.shape)  # "trained", not designed
    W2 = W2 + 0.02 * rng.standard_normal(W2.shape)
    b2 = 0.1 * rng.standard_normal(C)
    order = rng.permutation(H)  # hide the structure: shuffle the hidden units
    params = {"W1": W1[:, order], "b1": b1[order], "W2": W2[order], "b2": b2}
    return params, centres


def _inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    params, centres = _network(rng)
    y = rng.permutation(np.arange(N) % C)  # every class N / C times, in random order
    X = np.empty((N, D))
    for i, label in enumerate(y):  # redraw a point until its prediction is unambiguous
        while True:
            x = centres[label] + SPREAD * rng.standard_normal(D)
            if score_margins(mlp_scores(x[None], **params))[0] > MIN_MARGIN:
                X[i] = x
                break
    return {**params, "X": X, "y": y}


def evaluate(predictions: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Confusion matrix (C, C), classification rate (1,) and per-class F1 (C,) of predictions
    (N,) against the true labels y (N,), with C fixed by this question."""
    return {"confusion": confusion_matrix(y, predictions, num_classes=C),
            "rate": np.array([classification_rate(y, predictions)]),
            "f1": precision_recall_f1(y, predictions, num_classes=C).f1}


def model_from_params(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
               b2: np.ndarray) -> FullyConnectedNet:
    """A float64 ``FullyConnectedNet([H], input_dim=D, num_classes=C)`` holding the given
    parameters W1 (D, H), b1 (H,), W2 (H, C), b2 (C,)."""
    model = FullyConnectedNet([H], input_dim=D, num_classes=C, dtype=np.float64, seed=0)
    for name, value in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)):
        model.params[name] = np.array(value, dtype=np.float64)
    return model


def _solve(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, X: np.ndarray,
           y: np.ndarray) -> dict[str, np.ndarray]:
    predictions = model_from_params(W1, b1, W2, b2).predict(X)
    return {"predictions": predictions, **evaluate(predictions, y)}


QUESTIONS = [
    Question("best_model_predictions", NOTEBOOK, INPUTS, OUTPUTS, _inputs, _solve,
             params={"hidden_dims": [H], "input_dim": D, "num_classes": C,
                     "network": "linear - relu - linear", "dtype": "float64"},
             rtol=1e-6, atol=1e-9, points=3.0),
]
