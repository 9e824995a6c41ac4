"""Question 01: scalar computational graphs (f1, f2, f3), evaluated row by row."""

from __future__ import annotations

import numpy as np

from cs_nn import graphs
from cs_nn.course.questions import ArraySpec, Question

NOTEBOOK = "01_computational_graphs"
ROWS = 20


def _f1_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"args": rng.standard_normal((ROWS, 6))}


def _f1(args: np.ndarray) -> dict[str, np.ndarray]:
    return {"": np.array([[L, *grads] for L, grads in (graphs.f1(*row) for row in args)])}


def _f2_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"x": rng.uniform(-3, 3, ROWS)}


def _f2(x: np.ndarray) -> dict[str, np.ndarray]:
    return {"": np.array([[L, *grads] for L, grads in (graphs.f2(v) for v in x)])}


def _f3_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"scores": 3 * rng.standard_normal((ROWS, 2)), "y": rng.integers(1, 3, ROWS)}


def _f3(scores: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    rows = (graphs.f3(s1, s2, int(label)) for (s1, s2), label in zip(scores, y))
    return {"": np.array([[L, *grads] for L, grads in rows])}


QUESTIONS = [
    Question("graph_f1", NOTEBOOK, {"args": ArraySpec((ROWS, 6))}, {"": ArraySpec((ROWS, 6))},
             _f1_inputs, _f1),
    Question("graph_f2", NOTEBOOK, {"x": ArraySpec((ROWS,))}, {"": ArraySpec((ROWS, 2))},
             _f2_inputs, _f2),
    Question("graph_f3", NOTEBOOK,
             {"scores": ArraySpec((ROWS, 2)), "y": ArraySpec((ROWS,), "int64")},
             {"": ArraySpec((ROWS, 3))}, _f3_inputs, _f3, points=2.0),
]
