"""Classification metrics: confusion matrix, classification rate, per-class precision / recall / F1.

Labels are integers in ``[0, C)``. ``C`` is ``num_classes`` when given, else one more than the
largest label seen in either vector; classes that never occur still get a row and a column.

Conventions (the same as scikit-learn with ``zero_division=0``):

* confusion matrix ``cm[i, j]`` = number of samples whose TRUE class is ``i`` and whose
  PREDICTED class is ``j`` (rows = truth, columns = prediction);
* precision of class ``c`` = ``cm[c, c] / cm[:, c].sum()`` (of the samples predicted ``c``, the
  fraction that really are ``c``); recall = ``cm[c, c] / cm[c, :].sum()``; F1 = their harmonic
  mean, ``2 * tp / (2 * tp + fp + fn)``;
* a ratio whose denominator is 0 (a class never predicted, or never present) is defined as 0;
* macro averages are the plain means over all ``C`` classes, including the absent ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cs_nn._checks import as_float_array, as_label_array, check_int

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "10_hyperparameter_optimisation"


def _as_labels(name: str, y: object) -> np.ndarray:
    """(N,) int64 labels >= 0, or a clear error (range checks against C come later)."""
    arr = np.asarray(y)
    if arr.dtype.kind == "b" or (arr.dtype.kind not in "iuf"):
        raise TypeError(f"{name} must be an integer array of class labels, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got shape {arr.shape}; "
                         "flatten it or take argmax of the scores first")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; metrics need at least one sample")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise TypeError(f"{name} must hold integer class labels, got non-integer floats")
    arr = arr.astype(np.int64)
    if arr.min() < 0:
        raise ValueError(f"{name} contains negative label {int(arr.min())}; "
                         "class labels must be 0, 1, ..., C - 1")
    return arr


def _check_labels(y_true: object, y_pred: object,
                  num_classes: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    """Validate a pair of label vectors; return (y_true, y_pred, C)."""
    yt = _as_labels("y_true", y_true)
    yp = _as_labels("y_pred", y_pred)
    if yt.shape != yp.shape:
        raise ValueError(f"y_true has {yt.shape[0]} labels but y_pred has {yp.shape[0]}; "
                         "they must describe the same samples")
    if num_classes is None:
        num_classes = int(max(yt.max(), yp.max())) + 1
    else:
        num_classes = check_int("num_classes", num_classes, 1)
    yt = as_label_array("y_true", yt, num_classes=num_classes)
    yp = as_label_array("y_pred", yp, num_classes=num_classes)
    return yt, yp, num_classes


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray,
                     num_classes: int | None = None) -> np.ndarray:
    """Count (true class, predicted class) pairs.

    Args:
        y_true: (N,) true labels in [0, C).
        y_pred: (N,) predicted labels in [0, C).
        num_classes: C; default: 1 + the largest label in either vector.

    Returns:
        cm: (C, C) int64, ``cm[i, j]`` = number of samples of true class i predicted as j.
        Rows sum to the class supports, the diagonal holds the correct predictions.
    """
    yt, yp, C = _check_labels(y_true, y_pred, num_classes)
    # BEGIN SOLUTION
    flat = yt * C + yp  # index of cell (true, pred) in the flattened (C * C,) matrix
    cm = np.bincount(flat, minlength=C * C).reshape(C, C)
    return cm.astype(np.int64, copy=False)
    # END SOLUTION


def classification_rate(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Accuracy: the fraction of samples whose prediction equals the truth.

    Args:
        y_true: (N,) true labels.
        y_pred: (N,) predicted labels.

    Returns:
        A Python float in [0, 1].
    """
    yt, yp, _ = _check_labels(y_true, y_pred, None)
    # BEGIN SOLUTION
    return float(np.mean(yt == yp))
    # END SOLUTION


def accuracy_from_scores(scores: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the class with the highest score (first one on ties).

    Args:
        scores: (N, C) class scores (logits or probabilities).
        y: (N,) true labels in [0, C).

    Returns:
        A Python float in [0, 1].
    """
    scores = as_float_array("scores", scores, ndim=2, finite=False)
    if scores.shape[0] == 0:
        raise ValueError("scores is empty; metrics need at least one sample")
    y = as_label_array("y", y, num_classes=scores.shape[1], n=scores.shape[0])
    return float(np.mean(np.argmax(scores, axis=1) == y))


@dataclass(frozen=True)
class ClassificationScores:
    """Per-class scores; every array has shape (C,).

    Attributes:
        precision, recall, f1: float64 in [0, 1] (0 where the ratio is 0 / 0).
        support: int64, the number of true samples of each class.
    """

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray

    @property
    def macro_precision(self) -> float:
        return float(np.mean(self.precision))

    @property
    def macro_recall(self) -> float:
        return float(np.mean(self.recall))

    @property
    def macro_f1(self) -> float:
        """Mean of the per-class F1 values (not the F1 of the macro precision and recall)."""
        return float(np.mean(self.f1))

    def as_dict(self) -> dict[str, object]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "support": self.support, "macro_precision": self.macro_precision,
                "macro_recall": self.macro_recall, "macro_f1": self.macro_f1}


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, with 0 wherever den == 0 (the 0 / 0 := 0 convention)."""
    num = num.astype(np.float64)
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den != 0)
    return out


def precision_recall_f1(y_true: np.ndarray, y_pred: np.ndarray,
                        num_classes: int | None = None) -> ClassificationScores:
    """Per-class precision, recall, F1 and support (0 / 0 is defined as 0).

    Args:
        y_true: (N,) true labels in [0, C).
        y_pred: (N,) predicted labels in [0, C).
        num_classes: C; default: 1 + the largest label in either vector.

    Returns:
        ClassificationScores with (C,) arrays ``precision``, ``recall``, ``f1``, ``support`` and
        the properties ``macro_precision``, ``macro_recall``, ``macro_f1``.
    """
    cm = confusion_matrix(y_true, y_pred, num_classes)  # (C, C)
    # BEGIN SOLUTION
    tp = np.diag(cm)
    predicted = cm.sum(axis=0)  # tp + fp: how often each class was predicted
    support = cm.sum(axis=1)  # tp + fn: how often each class really occurs
    precision = _safe_divide(tp, predicted)
    recall = _safe_divide(tp, support)
    f1 = _safe_divide(2 * tp, predicted + support)  # 2tp / (2tp + fp + fn)
    return ClassificationScores(precision, recall, f1, support.astype(np.int64))
    # END SOLUTION


def classification_report(y_true: np.ndarray, y_pred: np.ndarray,
                          class_names: Sequence[str] | None = None,
                          num_classes: int | None = None, digits: int = 3) -> str:
    """A text table: one row per class, then accuracy, macro and support-weighted averages.

    Args:
        y_true: (N,) true labels in [0, C).
        y_pred: (N,) predicted labels in [0, C).
        class_names: C names for the rows; default "0", "1", ...; fixes C when given.
        num_classes: C (must equal len(class_names) when both are given).
        digits: decimals printed for the scores.

    Returns:
        The table as a string ending with a newline (print it).
    """
    if class_names is not None:
        class_names = [str(name) for name in class_names]
        if num_classes is not None and num_classes != len(class_names):
            raise ValueError(f"class_names has {len(class_names)} names but num_classes is "
                             f"{num_classes}; give one name per class")
        num_classes = len(class_names)
    check_int("digits", digits, 0)
    s = precision_recall_f1(y_true, y_pred, num_classes)
    C = s.support.shape[0]
    names = class_names if class_names is not None else [str(c) for c in range(C)]
    total = int(s.support.sum())
    weights = s.support / total

    name_w = max([len(n) for n in names] + [len("weighted avg")])
    num_w = max(digits + 2, len("precision"))
    head = ("precision", "recall", "f1-score")
    lines = [" " * name_w + "".join(f" {h:>{num_w}}" for h in head) + f" {'support':>9}", ""]

    def row(name: str, values: Sequence[float | None], support: int) -> str:
        cells = "".join(" " * (num_w + 1) if v is None else f" {v:>{num_w}.{digits}f}"
                        for v in values)
        return f"{name:>{name_w}}{cells} {support:>9d}"

    for c in range(C):
        lines.append(row(names[c], (s.precision[c], s.recall[c], s.f1[c]), int(s.support[c])))
    lines.append("")
    accuracy = float(np.trace(confusion_matrix(y_true, y_pred, C))) / total
    lines.append(row("accuracy", (None, None, accuracy), total))
    lines.append(row("macro avg", (s.macro_precision, s.macro_recall, s.macro_f1), total))
    weighted = [float(weights @ a) for a in (s.precision, s.recall, s.f1)]
    lines.append(row("weighted avg", weighted, total))
    return "\n".join(line.rstrip() for line in lines) + "\n"
