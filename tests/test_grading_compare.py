"""Tolerance comparison, hints and the statistical dropout checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.course import dropout_check as dropout
from cs_nn.course.compare import compare_arrays, diagnose, parse_values
from cs_nn.course.questions import ArraySpec
from cs_nn.io import CsvFormatError

RTOL, ATOL = 1e-5, 1e-7


def _want(shape=(4, 6), seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_within_tolerance_passes_and_beyond_fails():
    want = _want()
    assert compare_arrays(want * (1 + 0.5 * RTOL), want, RTOL, ATOL)[0]
    ok, reason, _ = compare_arrays(want + np.eye(4, 6) * 1e-2, want, RTOL, ATOL)
    assert not ok and reason.startswith("4 of 24 values")


@pytest.mark.parametrize("make, word", [
    (lambda w: -w, "wrong sign"),
    (lambda w: w.T.copy().reshape(w.shape), "transposed"),
    (lambda w: 2 * w, "constant factor"),
    (lambda w: w / 16, "constant factor"),
    (lambda w: w + 0.3, "constant offset"),
])
def test_hints_name_the_mistake(make, word):
    want = _want()
    ok, _, hint = compare_arrays(make(want), want, RTOL, ATOL)
    assert not ok and word in hint


def test_hints_never_contain_reference_values():
    want = _want()
    for got in (-want, 2 * want, want + 0.3, want.T.reshape(want.shape)):
        _, reason, hint = compare_arrays(got, want, RTOL, ATOL)
        text = reason + hint
        assert not any(f"{v:.4g}" in text for v in want.ravel() if abs(v) > 0.01)


def test_random_garbage_gets_no_false_pattern():
    want = _want()
    assert diagnose(_want(seed=1), want, RTOL, ATOL) == ""


def test_some_rows_right():
    want = _want()
    got = want.copy()
    got[2] += 1.0
    assert "3 of 4 rows" in diagnose(got, want, RTOL, ATOL)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(2, 5), st.floats(-3, 3).filter(lambda c: abs(c - 1) > 0.01
                                                                       and abs(c) > 0.01))
def test_factor_hint_for_any_scale(n, m, c):
    want = _want((n, m), seed=n * 10 + m) + 0.1
    ok, _, hint = compare_arrays(c * want, want, RTOL, ATOL)
    assert not ok and ("constant factor" in hint or "wrong sign" in hint)


@pytest.mark.parametrize("data, match", [
    (b"1\n2\n", "has 2 values"),
    (b"1\nnan\n3\n", "line 2.*not a finite"),
    (b"1\nabc\n3\n", "line 2.*not a number"),
    (b"", "empty"),
    (b"\xff\xfe1\n", "UTF-8"),
])
def test_malformed_files_say_what_is_wrong(data, match):
    with pytest.raises(CsvFormatError, match=match):
        parse_values(data, "x_out.csv", ArraySpec((3,)))


def test_wrong_count_names_the_axis():
    with pytest.raises(CsvFormatError, match="size of axis 0"):
        parse_values(b"1\n2\n3\n4\n5\n", "db.csv", ArraySpec((5, 6)))


P = 0.3


def _dropout(seed=0, shape=(100, 50), p=P):
    rng = np.random.default_rng(seed)
    x = 5 + rng.standard_normal(shape)
    keep = rng.random(shape) >= p
    return x, x * keep / (1 - p), keep


@pytest.mark.parametrize("seed", range(5))
def test_correct_dropout_passes_for_any_mask(seed):
    x, out, _ = _dropout(seed)
    assert dropout.check_masked(out, x, P)[0]
    assert dropout.check_identity(x.copy(), x, P)[0]


@pytest.mark.parametrize("make, word", [
    (lambda x, out, keep: x * keep, "divides them by (1 - p)"),
    (lambda x, out, keep: x * keep * (1 - P), "multiplied by (1 - p)"),
    (lambda x, out, keep: x * ~keep / P, "probability of DROPPING"),
    (lambda x, out, keep: x.copy(), "nothing was dropped"),
])
def test_dropout_bugs_get_hints(make, word):
    x, out, keep = _dropout()
    ok, reason, hint = dropout.check_masked(make(x, out, keep), x, P)
    assert not ok and reason and word in hint


def test_dropout_test_mode_must_be_identity():
    x, out, _ = _dropout()
    ok, _, hint = dropout.check_identity(out, x, P)
    assert not ok and "must not drop" in hint
    ok, _, hint = dropout.check_identity(x / (1 - P), x, P)
    assert not ok and "must not scale" in hint


def test_fraction_tolerance_is_binomial():
    # the zero fraction of a correct mask is rarely more than 4 sd from p; 6 sd is refused
    x = 5 + np.zeros((100, 50))
    n = x.size
    sd = np.sqrt(P * (1 - P) / n)
    for z, expect in ((3.5, True), (6.0, False)):
        zeros = int(round((P + z * sd) * n))
        out = x / (1 - P)
        out.ravel()[np.random.default_rng(0).permutation(n)[:zeros]] = 0  # random positions
        assert dropout.check_masked(out, x, P)[0] is expect


def test_dropout_backward_is_checked_against_dout_in_both_modes():
    rng = np.random.default_rng(3)
    x, dout = 5 + rng.standard_normal((100, 50)), 5 + rng.standard_normal((100, 50))
    keep = rng.random(x.shape) >= 0.8
    inputs = {"x": x, "dout": dout}
    good = {"forward": x * keep / 0.2, "train": dout * keep / 0.2, "test": dout.copy()}
    assert all(v[0] for v in dropout.check_question("dropout_backward", inputs, good, 0.8).values())
    bad = {"train": x * keep / 0.2, "test": dout * keep / 0.2}  # masked x, dropped in test mode
    verdicts = dropout.check_question("dropout_backward", inputs, bad, 0.8)
    assert not verdicts["train"][0] and "dout" in verdicts["train"][1]
    assert not verdicts["test"][0] and "return dout unchanged" in verdicts["test"][2]
    with pytest.raises(KeyError, match="dx"):
        dropout.check_question("dropout_backward", inputs, {"dx": dout}, 0.8)
