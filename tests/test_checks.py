"""Tests of cs_nn._checks: the shared input validators and their messages."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn._checks import (
    as_dtype,
    as_float_array,
    as_label_array,
    check_int,
    check_same_shape,
    check_seed,
    check_shape,
    is_int,
    is_number,
    result_dtype,
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_arrays_pass_through_without_copy(dtype: type) -> None:
    x = np.ones((2, 3), dtype=dtype)
    out = as_float_array("x", x)
    assert out is x
    assert out.dtype == dtype


@pytest.mark.parametrize("value", [np.arange(3), np.array([True, False]),
                                   np.arange(3, dtype=np.uint8), [1, 2, 3], 5])
def test_integers_bools_and_lists_are_promoted_to_float64(value: object) -> None:
    out = as_float_array("x", value)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, np.asarray(value, dtype=np.float64))


def test_integer_input_is_not_mutated() -> None:
    x = np.arange(4)
    out = as_float_array("x", x)
    out[0] = 99.0
    assert x[0] == 0


@pytest.mark.parametrize("value, match", [
    (np.array(["a", "b"]), "x must be a float32 or float64 array, got dtype <U1"),
    (np.array([1 + 2j]), "got dtype complex128"),
    (np.array([1.0], dtype=np.float16), "got dtype float16"),
    (np.array([object()]), "got dtype object"),
    ("hello", "got dtype <U5"),
])
def test_bad_dtypes(value: object, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        as_float_array("x", value)


def test_ndim_checks() -> None:
    with pytest.raises(ValueError, match=r"w must have 2 dimension\(s\), got shape \(3,\)"):
        as_float_array("w", np.ones(3), ndim=2)
    with pytest.raises(ValueError, match=r"x must have at least 1 dimension\(s\), got shape \(\)"):
        as_float_array("x", 1.0, min_ndim=1)
    assert as_float_array("x", np.ones((1, 1, 1)), min_ndim=2).ndim == 3


def test_finite_check() -> None:
    x = np.array([1.0, np.nan, np.inf, -np.inf])
    with pytest.raises(ValueError, match="x contains 3 NaN or infinite value"):
        as_float_array("x", x)
    out = as_float_array("x", x, finite=False)
    assert out is x


def test_label_arrays() -> None:
    y = as_label_array("y", np.array([0, 2, 1], dtype=np.int32), num_classes=3, n=3)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, [0, 2, 1])
    np.testing.assert_array_equal(as_label_array("y", [1.0, 0.0], num_classes=2), [1, 0])
    np.testing.assert_array_equal(as_label_array("y", np.array([], dtype=int), num_classes=2), [])
    np.testing.assert_array_equal(
        as_label_array("y", np.array([3], dtype=np.uint8), num_classes=4), [3])


@pytest.mark.parametrize("y, n, error, match", [
    ([0, 3], None, ValueError, r"y must lie in \[0, 3\), got values from 0 to 3"),
    ([-2, 1], None, ValueError, r"got values from -2 to 1"),
    ([0, 1], 3, ValueError, "y has 2 labels but there are 3 samples"),
    ([[0, 1]], None, ValueError, r"y must have shape \(N,\), got shape \(1, 2\)"),
    ([0.5, 1.0], None, TypeError, "y must hold integer class labels"),
    ([np.nan, 1.0], None, TypeError, "y must hold integer class labels"),
    (["0", "1"], None, TypeError, "y must be an integer array of class labels"),
    ([True, False], None, TypeError, "y must be an integer array"),
])
def test_bad_labels(y: object, n: int | None, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        as_label_array("y", np.array(y), num_classes=3, n=n)


def test_check_shape() -> None:
    check_shape("x", np.ones((2, 3)), (2, None))
    check_shape("x", np.ones((2, 3)), (None, None))
    with pytest.raises(ValueError, match=r"x must have shape \(\*, 4\), got \(2, 3\)"):
        check_shape("x", np.ones((2, 3)), (None, 4))
    with pytest.raises(ValueError, match=r"x must have shape \(2, 3, \*\), got \(2, 3\)"):
        check_shape("x", np.ones((2, 3)), (2, 3, None))


def test_check_same_shape() -> None:
    check_same_shape("dout", np.ones((2, 3)), "out", np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"dout has shape \(3, 2\) but out has shape \(2, 3\)"):
        check_same_shape("dout", np.ones((3, 2)), "out", np.zeros((2, 3)))


def test_result_dtype() -> None:
    f32, f64 = np.ones(1, np.float32), np.ones(1, np.float64)
    assert result_dtype(f32) == np.float32
    assert result_dtype(f32, f32) == np.float32
    assert result_dtype(f32, f64) == np.float64
    assert result_dtype(f64) == np.float64


def test_non_finite_values_raise_a_dedicated_value_error_subclass():
    from cs_nn._checks import NonFiniteError

    with pytest.raises(NonFiniteError, match="a contains 2 NaN or infinite") as info:
        as_float_array("a", np.array([1.0, np.nan, -np.inf]))
    assert isinstance(info.value, ValueError)  # callers catching ValueError still do


@pytest.mark.parametrize("value", [0, 3, np.int64(7), np.uint8(2)])
def test_is_int_accepts_python_and_numpy_integers(value: object) -> None:
    assert is_int(value)


@pytest.mark.parametrize("value", [True, np.bool_(False), 1.0, "1", None, np.float64(2)])
def test_is_int_refuses_bools_floats_and_strings(value: object) -> None:
    assert not is_int(value)


def test_check_int_returns_a_python_int_and_names_the_range() -> None:
    assert check_int("n", np.int32(5), 1) == 5 and type(check_int("n", np.int32(5), 1)) is int
    assert check_int("n", None, 1, allow_none=True) is None
    with pytest.raises(ValueError, match=r"^n must be an integer >= 1, got 0$"):
        check_int("n", 0, 1)
    with pytest.raises(ValueError, match=r"k must be an integer in \[0, 3\], got 4"):
        check_int("k", 4, 0, 3)
    with pytest.raises(ValueError, match=r"p must be an integer >= 2 or None, got True"):
        check_int("p", True, 2, allow_none=True)
    with pytest.raises(ValueError, match=r"w must be an integer >= 1 \(a width\), got 2.5"):
        check_int("w", 2.5, 1, note=" (a width)")


def test_check_seed_and_as_dtype() -> None:
    assert check_seed(None) is None and check_seed(np.int64(3)) == 3
    with pytest.raises(TypeError, match="seed must be an int or None"):
        check_seed(1.5)
    assert as_dtype("float32") == np.float32 and as_dtype(np.float64) == np.float64
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        as_dtype(np.int64)


def test_is_number() -> None:
    assert all(is_number(v) for v in (1, 2.5, np.float32(1), np.int8(3)))
    assert not any(is_number(v) for v in (True, np.bool_(True), "1", None, [1]))
