"""Tests of cs_nn.course.graph_drawing: one label per node, one arrow per edge, clear errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

from cs_nn.course.graph_drawing import draw_graph  # noqa: E402
from cs_nn.graphs import F4_GRAPH  # noqa: E402


def test_draws_every_node_and_edge_with_annotations() -> None:
    fig = draw_graph(F4_GRAPH, values={"x": 1.5, "w": -0.5}, grads={"x": 0.25}, title="f4")
    ax = fig.axes[0]
    arrows = [c for c in ax.get_children() if isinstance(c, Annotation)]
    assert len(arrows) == len(F4_GRAPH["edges"])
    texts = [t.get_text() for t in ax.texts if not isinstance(t, Annotation)]
    labels = [label for _, label, _, _ in F4_GRAPH["nodes"]]
    assert len(texts) == len(labels) + 3  # one label per node, then 2 values and 1 gradient
    assert sorted(t for t in texts if t not in ("1.5", "-0.5", "0.25")) == sorted(labels)
    assert ax.get_title() == "f4"


def test_bad_graphs_get_clear_errors() -> None:
    with pytest.raises(TypeError, match="nodes"):
        draw_graph({"edges": []})
    with pytest.raises(ValueError, match="unknown node 'y'"):
        draw_graph({"nodes": [("x", "x", 0, 0)], "edges": [("x", "y")]})
    with pytest.raises(ValueError, match="twice"):
        draw_graph({"nodes": [("x", "x", 0, 0), ("x", "x", 1, 0)], "edges": []})
