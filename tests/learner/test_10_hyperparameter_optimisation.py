"""Notebook 10: evaluation metrics (cs_nn/metrics.py)."""

from __future__ import annotations

import numpy as np
import pytest
from learner_support import compare
from make_tests import expected_value_test

from cs_nn import metrics

test_expected_values = expected_value_test("cs_nn.metrics.")


def test_metrics_agree_with_scikit_learn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    compare("confusion_matrix (against scikit-learn)",
            metrics.confusion_matrix(y_true, y_pred, num_classes=5),
            sk.confusion_matrix(y_true, y_pred, labels=range(5)))
    compare("classification_rate (against scikit-learn accuracy_score)",
            metrics.classification_rate(y_true, y_pred), sk.accuracy_score(y_true, y_pred))
    scores = metrics.precision_recall_f1(y_true, y_pred, num_classes=5)
    p, r, f, s = sk.precision_recall_fscore_support(y_true, y_pred, labels=range(5),
                                                    zero_division=0)
    for name, got, want in (("precision", scores.precision, p), ("recall", scores.recall, r),
                            ("f1", scores.f1, f), ("support", scores.support, s)):
        compare(f"precision_recall_f1 {name} (against scikit-learn)", got, want)
