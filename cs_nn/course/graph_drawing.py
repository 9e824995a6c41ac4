"""Draw a small scalar computational graph with matplotlib (inputs as boxes, operators as
circles, arrows along the forward pass), optionally with forward values and gradients.

    from cs_nn.graphs import F4_GRAPH
    fig = draw_graph(F4_GRAPH, values={"x": 1.5, ...}, grads={"x": 0.2, ...})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NOTEBOOK = "01_computational_graphs"


def _check(graph: Mapping[str, Any]) -> dict[str, tuple[str, float, float]]:
    if not isinstance(graph, Mapping) or "nodes" not in graph or "edges" not in graph:
        raise TypeError("graph must be a dict with 'nodes' [(name, label, col, row), ...] and "
                        "'edges' [(from, to), ...]")
    nodes = {}
    for node in graph["nodes"]:
        name, label, col, row = node
        if name in nodes:
            raise ValueError(f"node {name!r} appears twice")
        nodes[name] = (str(label), float(col), float(row))
    for src, dst in graph["edges"]:
        for end in (src, dst):
            if end not in nodes:
                raise ValueError(f"edge ({src!r}, {dst!r}) names an unknown node {end!r}")
    return nodes


def draw_graph(graph: Mapping[str, Any], values: Mapping[str, float] | None = None,
               grads: Mapping[str, float] | None = None, title: str | None = None,
               fig: Any = None) -> Any:
    """Draw ``graph`` ({"nodes": [(name, label, col, row)], "edges": [(from, to)]}).

    Nodes without incoming edges are drawn as boxes (inputs), the others as circles
    (operators). ``values`` (forward, green, above a node) and ``grads`` (dL/dnode, red,
    below) annotate nodes by name. Returns the Figure (a new one unless ``fig`` is given).
    """
    from matplotlib.figure import Figure  # lazy: only drawing needs matplotlib

    nodes = _check(graph)
    edges = list(graph["edges"])
    has_input = {dst for _, dst in edges}
    cols = max(c for _, c, _ in nodes.values()) + 1
    rows = max(r for _, _, r in nodes.values()) + 1
    fig = fig if fig is not None else Figure(figsize=(1.3 * cols + 1, 1.1 * rows + 1))
    ax = fig.add_subplot(1, 1, 1)
    for src, dst in edges:
        (_, c0, r0), (_, c1, r1) = nodes[src], nodes[dst]
        ax.annotate("", xy=(c1, -r1), xytext=(c0, -r0),
                    arrowprops={"arrowstyle": "->", "color": "0.35", "shrinkA": 14,
                                "shrinkB": 14})
    for name, (label, col, row) in nodes.items():
        box = "round,pad=0.3" if name not in has_input else "circle,pad=0.3"
        colour = "#dbe9f6" if name not in has_input else "#fbe3c6"
        ax.text(col, -row, label, ha="center", va="center", fontsize=11,
                bbox={"boxstyle": box, "facecolor": colour, "edgecolor": "0.3"})
        if values is not None and name in values:
            ax.text(col, -row + 0.38, f"{values[name]:.3g}", ha="center", fontsize=8,
                    color="tab:green")
        if grads is not None and name in grads:
            ax.text(col, -row - 0.45, f"{grads[name]:.3g}", ha="center", fontsize=8,
                    color="tab:red")
    ax.set_xlim(-0.7, cols - 0.3)
    ax.set_ylim(-rows + 0.3, 0.8)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig
