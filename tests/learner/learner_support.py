"""Helpers of the learner tests: stored cases, comparisons with clear messages, numeric gradients.

No reference implementation lives here or anywhere in tests/learner/: the expected values in
expected.json were computed by the instructor's solution when the release was built, from the
inputs stored beside them (as CS231n prints ``correct_out``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cs_nn.gradcheck import eval_numerical_gradient_array, rel_error

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected.json"
Inputs = dict[str, Any]
Outputs = dict[str, Any]


# ------------------------------------------------------------------ the registry of cases
@dataclass(frozen=True)
class Case:
    name: str  # unique key in expected.json
    function: str  # the learner function this case checks, e.g. "cs_nn.optim.adam"
    make_inputs: Callable[[np.random.Generator], Inputs]
    run: Callable[[Inputs], Outputs]
    seed: int = 0
    rtol: float = 1e-7
    hints: dict[str, str] = field(default_factory=dict)  # output name -> what to look at
    covers: tuple[str, ...] = ()  # other learner functions run reaches (e.g. the containers)


CASES: list[Case] = []


def case(name: str, function: str, seed: int = 0, rtol: float = 1e-7,
         hints: dict[str, str] | None = None, covers: tuple[str, ...] = ()
         ) -> Callable[[Callable[[Inputs], Outputs]], Any]:
    """Register a case: ``case(name, function, ...)(make_inputs)(run)``; used as a decorator
    of ``run``, it returns ``run`` unchanged."""
    def register(make_inputs: Callable[[np.random.Generator], Inputs]) -> Any:
        def add(run: Callable[[Inputs], Outputs]) -> Callable[[Inputs], Outputs]:
            CASES.append(Case(name, function, make_inputs, run, seed, rtol, hints or {},
                              covers))
            return run
        return add
    return register


def cases_for(prefix: str) -> list[Case]:
    """The cases whose function starts with ``prefix`` (e.g. "cs_nn.layers.conv.")."""
    return [c for c in CASES if c.function.startswith(prefix)]


def normal(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Standard normal float64 values of ``shape`` from ``rng``."""
    return rng.standard_normal(shape)


# ------------------------------------------------------------------ expected.json
def encode(value: Any) -> Any:
    """JSON form of case inputs/outputs: arrays keep dtype and shape; floats round-trip."""
    if isinstance(value, np.ndarray):
        return {"__array__": value.ravel().tolist(), "dtype": value.dtype.str,
                "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict) and "__array__" in value:
        return np.array(value["__array__"], dtype=np.dtype(value["dtype"])).reshape(value["shape"])
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def load_expected(path: Path = EXPECTED) -> dict[str, dict[str, Any]]:
    """{case name: {"function", "inputs", "outputs"}} from expected.json."""
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: it holds the expected values of the learner tests and comes "
            "with the release (rebuild or re-download the release; do not delete it)")
    return {name: decode(entry) for name, entry in json.loads(path.read_text()).items()}


# ------------------------------------------------------------------ comparisons
def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}, dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:120]


def compare(label: str, got: Any, want: Any, rtol: float = 1e-7, hint: str = "") -> None:
    """Assert ``got`` matches ``want`` (rel_error <= rtol), saying HOW it differs if not.

    Recognised mistakes: None or a wrong type, a wrong shape, NaN / inf, all zeros, a
    transposed matrix, and a constant factor (a wrong scale such as a missing / N).
    """
    tail = f"\n  hint: {hint}" if hint else ""
    want_arr = np.asarray(want)
    if got is None:
        raise AssertionError(f"{label} is None: return it (expected {_describe(want_arr)}){tail}")
    if np.isscalar(want) or want_arr.ndim == 0:
        try:
            g = float(np.asarray(got).reshape(()))
        except (TypeError, ValueError):
            raise AssertionError(f"{label} should be a number, got {_describe(got)}{tail}") \
                from None
        w = float(want_arr)
        if not rel_error(np.array(g), np.array(w)) <= rtol:
            ratio = f" ({g / w:.4g} times the expected value)" if w and g else ""
            raise AssertionError(f"{label} = {g:.8g}, expected {w:.8g}{ratio}{tail}")
        return
    if not isinstance(got, np.ndarray):
        raise AssertionError(f"{label} should be a numpy array ({_describe(want_arr)}), got "
                             f"{_describe(got)}{tail}")
    if got.shape != want_arr.shape:
        extra = ""
        if got.size == want_arr.size:
            extra = " (the right number of values: a missing or wrong reshape?)"
        raise AssertionError(f"{label} has shape {got.shape}, expected {want_arr.shape}"
                             f"{extra}{tail}")
    if not np.all(np.isfinite(got)):
        raise AssertionError(f"{label} contains NaN or infinite values{tail}")
    err = rel_error(got, want_arr)
    if err <= rtol:
        return
    if not np.any(got) and np.any(want_arr):
        why = "is all zeros"
    elif got.ndim == 2 and got.shape[0] == got.shape[1] and rel_error(got.T, want_arr) <= rtol:
        why = "is the transpose of the expected matrix"
    else:
        w64, g64 = want_arr.astype(np.float64).ravel(), got.astype(np.float64).ravel()
        scale = float(g64 @ w64 / (w64 @ w64)) if np.any(w64) else 0.0
        shift_axis = _shift_axis(got, want_arr, rtol)
        if scale and rel_error(g64, scale * w64) <= max(rtol, 1e-6):
            why = (f"is {scale:.4g} times the expected values: right shape and pattern, wrong "
                   "scale (a missing or extra factor, e.g. a division by N, 2 or (1 - p))")
        elif shift_axis is not None:
            what = "channel" if shift_axis == 1 and got.ndim == 4 else "feature"
            why = (f"differs from the expected values by a constant per {what} (axis "
                   f"{shift_axis}): a missing, doubled or wrong shift (is the bias b / beta "
                   "added, once, to the right axis?)")
        else:
            i = np.unravel_index(int(np.argmax(np.abs(got - want_arr))), got.shape)
            why = (f"differs from the expected values: relative error {err:.2e} > {rtol:.0e}; "
                   f"at index {tuple(int(k) for k in i)} got {got[i]:.8g}, expected "
                   f"{want_arr[i]:.8g}")
    raise AssertionError(f"{label} {why}{tail}")


def _shift_axis(got: np.ndarray, want: np.ndarray, rtol: float) -> int | None:
    """The axis (1 or the last) along which alone ``got - want`` varies, if it varies along
    no other (a bias added wrongly), else None."""
    if got.ndim < 2 or got.size <= got.shape[1]:
        return None
    diff = got.astype(np.float64) - want.astype(np.float64)
    tol = max(rtol, 1e-9) * max(float(np.max(np.abs(want))), 1e-12)
    for axis in dict.fromkeys((1, got.ndim - 1)):
        others = tuple(i for i in range(got.ndim) if i != axis)
        per_axis = diff.mean(axis=others, keepdims=True)
        if np.max(np.abs(per_axis)) > tol and np.max(np.abs(diff - per_axis)) <= tol:
            return axis
    return None


def loss_at(model: Any, name: str, value: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """The model's loss with params[name] set to ``value`` (restored afterwards)."""
    saved = model.params[name]
    model.params[name] = value
    try:
        return model.loss(X, y)[0]
    finally:
        model.params[name] = saved


def numeric_gradient_check(f: Any, x: np.ndarray, dout: np.ndarray, analytic: Any,
                           label: str, tol: float = 1e-7) -> None:
    """Compare an analytic gradient with the centred-difference one of ``f`` at ``x``."""
    num = eval_numerical_gradient_array(f, x, dout)
    compare(f"{label} (against the numeric gradient)", analytic, num, rtol=tol,
            hint="your backward pass does not match how your forward pass changes; check "
                 "each local derivative and that every path into a value is summed")


# ------------------------------------------------------------------ running a stored case
def _short(function: str) -> str:
    return function.removeprefix("cs_nn.")


def _summary(inputs: Any) -> str:
    if isinstance(inputs, dict):
        return ", ".join(f"{k} {_summary(v)}" for k, v in inputs.items())
    if isinstance(inputs, np.ndarray):
        return f"{inputs.shape}"
    if isinstance(inputs, list):
        return f"[{len(inputs)} items]"
    return repr(inputs)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


def check_case(case: Any, expected: dict[str, dict[str, Any]]) -> None:
    """Run ``case`` on its stored inputs and compare every output with the stored one."""
    import copy

    entry = expected.get(case.name)
    if entry is None:
        raise AssertionError(f"expected.json has no values for case {case.name!r}: the file "
                             "does not belong to these tests (rebuild the release)")
    inputs = copy.deepcopy(entry["inputs"])
    label = _short(case.function)
    try:
        outputs = case.run(inputs)
    except NotImplementedError:
        raise  # a stub: reported as "not implemented yet" by conftest.py
    except Exception as exc:
        hints = "".join(f"\n  hint ({k}): {v}" for k, v in case.hints.items()
                        if k in entry["outputs"])
        raise AssertionError(f"{label} raised {type(exc).__name__}: {exc}\n  on the inputs "
                             f"{_summary(entry['inputs'])} (see the traceback below){hints}"
                             ) from exc
    for name, want in entry["outputs"].items():
        if name not in outputs:
            raise AssertionError(f"{label}: no {name} was produced")
        compare(f"{label}: {name}", outputs[name], want, case.rtol, case.hints.get(name, ""))
    for name, value in entry["inputs"].items():
        if not _same(inputs[name], value):
            raise AssertionError(f"{label} modified its input {name!r} in place: compute new "
                                 "arrays instead of writing into the ones you were given")
