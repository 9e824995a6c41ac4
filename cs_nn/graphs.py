"""Scalar computational graphs, forward and backward written out node by node.

Each function evaluates a small graph of scalar operations and then walks it backwards,
one line per edge: a node that computes ``y = g(a, b)`` receives the upstream gradient
``grad_y`` and sends ``grad_y * dg/da`` to ``a`` and ``grad_y * dg/db`` to ``b``. Where one value
feeds two nodes, the two gradients arriving at it are summed (the "copy" rule).

Every function returns ``(L, grads)`` with grads in the order of the inputs (labels excluded).
"""

from __future__ import annotations

import math

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "01_computational_graphs"


def _scalar(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def f1(x1: float, w1: float, x2: float, w2: float, b: float, y: float
       ) -> tuple[float, tuple[float, float, float, float, float]]:
    """Squared error of a two-input linear model: ``L = (x1 w1 + x2 w2 + b - y) ** 2``.

    Graph: two products, two sums give the prediction y_hat; a subtraction gives the
    residual d = y_hat - y; a square gives L. Returns L and (dL/dx1, dL/dw1, dL/dx2, dL/dw2,
    dL/db); y is a target, so no gradient is returned for it.
    """
    x1, w1, x2, w2, b, y = (_scalar(n, v) for n, v in
                            zip(("x1", "w1", "x2", "w2", "b", "y"), (x1, w1, x2, w2, b, y)))
    # BEGIN SOLUTION
    # forward: one line per node output
    a1 = x1 * w1
    a2 = x2 * w2
    s = a1 + a2
    y_hat = s + b
    d = y_hat - y
    L = d * d
    # backward: one line per edge into a node input
    grad_L = 1.0
    grad_d = grad_L * 2 * d
    grad_y_hat = grad_d  # d(y_hat - y)/dy_hat = 1
    grad_s = grad_y_hat
    grad_b = grad_y_hat
    grad_a1 = grad_s
    grad_a2 = grad_s
    grad_x1 = grad_a1 * w1
    grad_w1 = grad_a1 * x1
    grad_x2 = grad_a2 * w2
    grad_w2 = grad_a2 * x2
    # END SOLUTION
    return L, (grad_x1, grad_w1, grad_x2, grad_w2, grad_b)


def f2(x: float) -> tuple[float, tuple[float]]:
    """``L = (exp(2x) - 1) / (exp(2x) + 1)``, which is tanh(x), built from elementary nodes.

    Graph: d = 2x; e = exp(d); e feeds two nodes (a copy): t = e - 1 and b = e + 1; y = t / b.
    Returns L = y and (dL/dx,). Stable for |x| up to about 350 (exp overflows beyond).
    """
    x = _scalar("x", x)
    if abs(x) > 350:
        raise ValueError(f"f2 builds exp(2x) explicitly, which overflows for |x| > 350 (x = {x})")
    # BEGIN SOLUTION
    d = 2 * x
    e = math.exp(d)
    e1, e2 = e, e  # copy node: e is used twice
    t = e1 - 1
    b = e2 + 1
    y = t / b
    grad_y = 1.0
    grad_t = grad_y / b
    grad_b = -grad_y * (t / b) / b  # not t / (b * b): b * b overflows for x > 177
    grad_e1 = grad_t
    grad_e2 = grad_b
    grad_e = grad_e1 + grad_e2  # gradients of the copies add up
    grad_d = grad_e * e
    grad_x = grad_d * 2
    # END SOLUTION
    return y, (grad_x,)


def f3(s1: float, s2: float, y: int) -> tuple[float, tuple[float, float]]:
    """Two-class softmax cross-entropy: ``L = -log p_y``, ``p_k = exp(s_k) / (exp(s1) + exp(s2))``.

    Graph: e1 = exp(s1), e2 = exp(s2); d = e1 + e2; p1 = e1 / d, p2 = e2 / d; a "choose" node
    picks p_y (y is 1 or 2); L = -log(p_y). Returns L and (dL/ds1, dL/ds2); y is a label,
    so it gets no gradient. The scores are shifted by max(s1, s2) first, which changes no
    probability and keeps exp from overflowing; |s1 - s2| must stay below 700, beyond which
    the smaller probability underflows to 0 and log(p) is undefined.
    """
    s1 = _scalar("s1", s1)
    s2 = _scalar("s2", s2)
    if y not in (1, 2):
        raise ValueError(f"y must be the class 1 or 2, got {y!r}")
    if abs(s1 - s2) > 700:
        raise ValueError(f"f3 builds exp(s - max(s1, s2)) explicitly, which underflows to 0 for "
                         f"|s1 - s2| > 700 (s1 = {s1}, s2 = {s2})")
    shift = max(s1, s2)
    # BEGIN SOLUTION
    e1 = math.exp(s1 - shift)
    e2 = math.exp(s2 - shift)
    d = e1 + e2
    p1 = e1 / d
    p2 = e2 / d
    p = p1 if y == 1 else p2
    L = -math.log(p)
    grad_L = 1.0
    grad_p = -grad_L / p
    grad_p1 = grad_p if y == 1 else 0.0  # choose routes the gradient to the chosen input only
    grad_p2 = grad_p if y == 2 else 0.0
    # p1 = e1 / d and p2 = e2 / d: each division sends gradient to its numerator and to d
    grad_d = -(grad_p1 * e1 + grad_p2 * e2) / (d * d)
    grad_e1 = grad_p1 / d + grad_d  # e1 feeds both p1 and the sum d
    grad_e2 = grad_p2 / d + grad_d
    grad_s1 = grad_e1 * e1
    grad_s2 = grad_e2 * e2
    # END SOLUTION
    return L, (grad_s1, grad_s2)


def f4(x: float, w: float, b: float, lam: float, t: float
       ) -> tuple[float, tuple[float, float, float, float]]:
    """A sigmoid neuron's squared error plus weight decay, the graph of one's own choosing.

    ``L = (sigmoid(w x + b) - t) ** 2 + lam * w ** 2`` built from eleven operators (drawn by
    :data:`F4_GRAPH`): a = w x; z = a + b; n = -z; e = exp(n); q = 1 + e; s = 1 / q (so
    s = sigmoid(z)); d = s - t; r = d ** 2; u = w ** 2; v = lam u; L = r + v. ``w`` feeds two
    nodes (a copy), so its two gradients add up. Returns L and (dL/dx, dL/dw, dL/db,
    dL/dlam); t is a target and gets no gradient.
    """
    x, w, b, lam, t = (_scalar(n, v) for n, v in
                       zip(("x", "w", "b", "lam", "t"), (x, w, b, lam, t)))
    # BEGIN SOLUTION
    w1, w2 = w, w  # copy node: w is used twice
    a = w1 * x
    z = a + b
    n = -z
    e = math.exp(n) if n < 700 else math.inf  # exp overflows beyond; then s = 0 exactly
    q = 1.0 + e
    s = 1.0 / q
    d = s - t
    r = d * d
    u = w2 * w2
    v = lam * u
    L = r + v
    grad_L = 1.0
    grad_r = grad_L
    grad_v = grad_L
    grad_lam = grad_v * u
    grad_u = grad_v * lam
    grad_w2 = grad_u * 2 * w2
    grad_d = grad_r * 2 * d
    grad_s = grad_d
    grad_q = -grad_s * s * s  # d(1/q)/dq = -1/q^2 = -s^2 (finite even when q overflows)
    grad_e = grad_q
    grad_n = grad_e * e if e != math.inf else 0.0  # s = 0 flat: no gradient flows back
    grad_z = -grad_n
    grad_a = grad_z
    grad_b = grad_z
    grad_x = grad_a * w1
    grad_w1 = grad_a * x
    grad_w = grad_w1 + grad_w2  # gradients of the copies add up
    # END SOLUTION
    return L, (grad_x, grad_w, grad_b, grad_lam)


#: The graph of :func:`f4` for drawing (:func:`cs_nn.course.graph_drawing.draw_graph`): nodes as
#: (name, label, column, row), then edges (from, to). Inputs sit in column 0.
F4_GRAPH: dict[str, list[tuple]] = {
    "nodes": [
        ("x", "x", 0, 0), ("w", "w", 0, 1), ("b", "b", 0, 2), ("t", "t", 0, 3),
        ("lam", "λ", 0, 4),
        ("a", "×", 1, 0.5), ("z", "+", 2, 1), ("n", "−·", 3, 1), ("e", "exp", 4, 1),
        ("q", "+1", 5, 1), ("s", "1/·", 6, 1), ("d", "−", 7, 2), ("r", "^2", 8, 2),
        ("u", "^2", 1, 3.5), ("v", "×", 2, 4), ("L", "+", 9, 3),
    ],
    "edges": [
        ("x", "a"), ("w", "a"), ("a", "z"), ("b", "z"), ("z", "n"), ("n", "e"), ("e", "q"),
        ("q", "s"), ("s", "d"), ("t", "d"), ("d", "r"), ("w", "u"), ("u", "v"), ("lam", "v"),
        ("r", "L"), ("v", "L"),
    ],
}
