"""cs_nn.metrics against scikit-learn (the oracle) and a naive double loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.metrics import (
    ClassificationScores,
    accuracy_from_scores,
    classification_rate,
    classification_report,
    confusion_matrix,
    precision_recall_f1,
)

skm = pytest.importorskip("sklearn.metrics")


@st.composite
def label_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    """(y_true, y_pred, C) with C possibly larger than any label, so some classes never occur."""
    C = draw(st.integers(1, 7))
    n = draw(st.integers(1, 40))
    labels = st.lists(st.integers(0, C - 1), min_size=n, max_size=n)
    y_true = np.array(draw(labels), dtype=np.int64)
    y_pred = np.array(draw(labels), dtype=np.int64)
    return y_true, y_pred, C


@pytest.mark.filterwarnings("ignore:A single label was found")
@settings(max_examples=25, deadline=None)
@given(label_pairs())
def test_confusion_matrix_matches_sklearn(pair: tuple[np.ndarray, np.ndarray, int]) -> None:
    y_true, y_pred, C = pair
    cm = confusion_matrix(y_true, y_pred, num_classes=C)
    expected = skm.confusion_matrix(y_true, y_pred, labels=np.arange(C))
    assert cm.dtype == np.int64
    assert cm.shape == (C, C)
    np.testing.assert_array_equal(cm, expected)
    assert cm.sum() == y_true.size


def test_confusion_matrix_rows_are_truth_columns_are_predictions() -> None:
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([1, 0, 1, 2, 0, 2])
    naive = np.zeros((3, 3), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        naive[t, p] += 1
    cm = confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(cm, naive)
    assert cm[0, 1] == 1  # one sample of true class 0 predicted as 1
    assert cm[2, 0] == 1 and cm[0, 2] == 0


def test_confusion_matrix_infers_num_classes_from_both_vectors() -> None:
    cm = confusion_matrix(np.array([0, 1]), np.array([3, 1]))
    assert cm.shape == (4, 4)
    assert cm[0, 3] == 1 and cm[1, 1] == 1


def test_confusion_matrix_accepts_integral_floats_and_lists() -> None:
    np.testing.assert_array_equal(confusion_matrix([0.0, 1.0], np.array([1, 1]), 2),
                                  np.array([[0, 1], [0, 1]]))


@settings(max_examples=25, deadline=None)
@given(label_pairs())
def test_classification_rate_matches_sklearn(pair: tuple[np.ndarray, np.ndarray, int]) -> None:
    y_true, y_pred, _ = pair
    rate = classification_rate(y_true, y_pred)
    assert isinstance(rate, float)
    assert rate == pytest.approx(skm.accuracy_score(y_true, y_pred), abs=1e-15)


@settings(max_examples=25, deadline=None)
@given(label_pairs())
def test_precision_recall_f1_match_sklearn(pair: tuple[np.ndarray, np.ndarray, int]) -> None:
    y_true, y_pred, C = pair
    labels = np.arange(C)
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                     average=None, zero_division=0)
    scores = precision_recall_f1(y_true, y_pred, num_classes=C)
    assert isinstance(scores, ClassificationScores)
    np.testing.assert_allclose(scores.precision, p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(scores.recall, r, rtol=0, atol=1e-12)
    np.testing.assert_allclose(scores.f1, f, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(scores.support, s)
    assert scores.support.dtype == np.int64
    mp, mr, mf, _ = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                        average="macro", zero_division=0)
    assert scores.macro_precision == pytest.approx(mp, abs=1e-12)
    assert scores.macro_recall == pytest.approx(mr, abs=1e-12)
    assert scores.macro_f1 == pytest.approx(mf, abs=1e-12)
    macro_f1 = skm.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    assert scores.macro_f1 == pytest.approx(macro_f1, abs=1e-12)


def test_zero_division_is_zero_for_absent_and_never_predicted_classes() -> None:
    # class 1 is never predicted (precision 0/0), class 2 never occurs nor is predicted
    scores = precision_recall_f1(np.array([0, 1, 1]), np.array([0, 0, 0]), num_classes=3)
    assert scores.precision[1] == 0.0 and scores.recall[1] == 0.0 and scores.f1[1] == 0.0
    assert scores.precision[2] == 0.0 and scores.recall[2] == 0.0 and scores.f1[2] == 0.0
    assert scores.support.tolist() == [1, 2, 0]
    assert scores.precision[0] == pytest.approx(1 / 3)
    assert np.all(np.isfinite(scores.f1))
    d = scores.as_dict()
    assert set(d) >= {"precision", "recall", "f1", "support", "macro_f1"}


def test_accuracy_from_scores_uses_argmax() -> None:
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((20, 4)).astype(np.float32)
    y = rng.integers(0, 4, size=20)
    expected = skm.accuracy_score(y, scores.argmax(axis=1))
    assert accuracy_from_scores(scores, y) == pytest.approx(expected)


def _parse_report(text: str) -> dict[str, list[float]]:
    rows = {}
    for line in text.splitlines()[1:]:
        parts = line.split()
        if not parts:
            continue
        k = 2 if parts[0] == "accuracy" else 4  # accuracy has only a score and the support
        rows[" ".join(parts[:-k])] = [float(v) for v in parts[-k:]]
    return rows


def test_classification_report_matches_sklearn_numbers() -> None:
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 3, size=50)
    y_pred = np.where(rng.random(50) < 0.6, y_true, rng.integers(0, 4, size=50))
    names = ["cat", "dog", "airplane", "frog"]  # class 3 ("frog") never occurs in y_true
    text = classification_report(y_true, y_pred, class_names=names, digits=4)
    ref = skm.classification_report(y_true, y_pred, labels=np.arange(4), target_names=names,
                                     output_dict=True, zero_division=0)
    rows = _parse_report(text)
    assert text.splitlines()[0].split() == ["precision", "recall", "f1-score", "support"]
    for key in [*names, "macro avg", "weighted avg"]:
        want = [ref[key]["precision"], ref[key]["recall"], ref[key]["f1-score"]]
        np.testing.assert_allclose(rows[key][:3], want, atol=5e-5 + 1e-12)
        assert rows[key][3] == ref[key]["support"]
    assert rows["accuracy"][0] == pytest.approx(skm.accuracy_score(y_true, y_pred), abs=5e-5)
    assert rows["accuracy"][1] == 50
    assert text.endswith("\n")
    # columns line up: every data row has the same length as the header row
    data_lines = [line for line in text.splitlines() if line and "accuracy" not in line]
    assert len({len(line) for line in data_lines}) == 1


def test_classification_report_default_names_and_digits() -> None:
    text = classification_report([0, 1, 1], [0, 1, 0])
    rows = _parse_report(text)
    assert set(rows) == {"0", "1", "accuracy", "macro avg", "weighted avg"}
    assert "0.500" in text and "0.5000" not in text


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "error", "match"),
    [
        ([0, 1, 2], [0, 1], {}, ValueError, "y_true has 3 labels but y_pred has 2"),
        ([], [], {}, ValueError, "empty"),
        ([0, -1], [0, 1], {}, ValueError, "negative label -1"),
        ([0, 1], [0, -2], {}, ValueError, "y_pred contains negative"),
        ([0, 5], [0, 1], {"num_classes": 3}, ValueError, r"y_true must lie in \[0, 3\)"),
        ([0, 1], [0, 3], {"num_classes": 3}, ValueError, r"y_pred must lie in \[0, 3\)"),
        ([0, 1], [0, 1], {"num_classes": 0}, ValueError, "num_classes must be an integer >= 1"),
        ([0.5, 1], [0, 1], {}, TypeError, "non-integer"),
        (["a", "b"], [0, 1], {}, TypeError, "integer array"),
        ([[0, 1]], [[0, 1]], {}, ValueError, r"shape \(N,\)"),
    ],
)
def test_bad_labels_raise_clear_errors(y_true: list, y_pred: list, kwargs: dict,
                                       error: type, match: str) -> None:
    for fn in (confusion_matrix, precision_recall_f1):
        with pytest.raises(error, match=match):
            fn(y_true, y_pred, **kwargs)
    if not kwargs:
        with pytest.raises(error, match=match):
            classification_rate(y_true, y_pred)


def test_report_rejects_mismatched_names() -> None:
    with pytest.raises(ValueError, match="class_names has 2 names but num_classes is 3"):
        classification_report([0, 1], [0, 1], class_names=["a", "b"], num_classes=3)
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 2\)"):
        classification_report([0, 2], [0, 1], class_names=["a", "b"])


def test_accuracy_from_scores_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="y has 2 labels but there are 3 samples"):
        accuracy_from_scores(np.zeros((3, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"y must lie in \[0, 2\)"):
        accuracy_from_scores(np.zeros((2, 2)), np.array([0, 2]))
