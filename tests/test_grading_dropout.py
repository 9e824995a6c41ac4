"""Statistical dropout grading: random masks pass, fixed or unrelated masks fail."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn.course.dropout_check import check_masked, check_question, randomness_problem
from cs_nn.course.questions import get_question

P, SHAPE = 0.3, (100, 50)


def _x(seed: int = 0) -> np.ndarray:
    return 5.0 + np.random.default_rng(seed).standard_normal(SHAPE)


def _apply(x: np.ndarray, dropped: np.ndarray, p: float = P) -> np.ndarray:
    return np.where(dropped, 0.0, x / (1 - p))


def test_independent_masks_pass_for_many_seeds():
    x = _x()
    for seed in range(300):
        dropped = np.random.default_rng(seed).random(SHAPE) < P
        ok, reason, _ = check_masked(_apply(x, dropped), x, P)
        assert ok, (seed, reason)
    for seed in range(100):  # exactly p*n zeros placed at random is random too
        flat = np.zeros(x.size, bool)
        flat[np.random.default_rng(seed).permutation(x.size)[:1500]] = True
        assert randomness_problem(flat.reshape(SHAPE), P) == "", seed


def _structured() -> dict[str, np.ndarray]:
    n = SHAPE[0] * SHAPE[1]
    idx = np.arange(n).reshape(SHAPE)
    rng = np.random.default_rng(1)
    cols = np.zeros(SHAPE, bool)
    cols[:, rng.permutation(SHAPE[1])[:15]] = True
    return {
        "first_1500": idx < 1500,  # issue 13 case 6
        "last_1500": idx >= n - 1500,
        "every_row_same_columns": cols,
        "stripes": (idx % 10) < 3,
        "blocks_of_3": (idx // 3) % 10 < 3,
        "diagonal": ((idx + idx // SHAPE[1]) % 10) < 3,
        "rows_exactly_15": np.stack([np.isin(np.arange(SHAPE[1]),
                                             np.random.default_rng(r).permutation(SHAPE[1])[:15])
                                     for r in range(SHAPE[0])]),
    }


@pytest.mark.parametrize("name", sorted(_structured()))
def test_fixed_or_structured_masks_fail(name):
    dropped = _structured()[name]
    assert abs(dropped.mean() - P) < 0.01  # the right fraction: only structure gives it away
    x = _x()
    ok, reason, hint = check_masked(_apply(x, dropped), x, P)
    assert not ok and "not random" in reason and "random mask" in hint, name


def test_backward_mask_must_be_the_forward_mask():
    q = get_question("dropout_backward")
    p = q.params["p"]
    inputs = q.generate_inputs()
    ref = q.reference(inputs)
    assert set(ref) == {"forward", "train", "test"}
    assert all(ok for ok, _, _ in check_question(q.key, inputs, ref, p).values())
    other = np.random.default_rng(7).random(SHAPE) < p  # random, but not the forward mask
    unrelated = {"forward": ref["forward"], "train": _apply(inputs["dout"], other, p)}
    verdicts = check_question(q.key, inputs, unrelated, p)
    assert verdicts["forward"][0] and not verdicts["train"][0]
    assert "reuse the mask" in verdicts["train"][2]
    alone = check_question(q.key, inputs, {"train": ref["train"]}, p)
    assert not alone["train"][0] and "missing" in alone["train"][1]
