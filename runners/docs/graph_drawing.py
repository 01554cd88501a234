"""Draw a catalog graph as SVG: networkx lays it out in layers, matplotlib draws it.

Each box links to its page; each arrow carries the id `edge:<from>-><to>`, so a test reads the
drawn edges back from the SVG.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runners.docs.catalog import Graph

EDGE_ID = re.compile(r'id="edge:([^"]+?)-&gt;([^"]+)"')


def layered_positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """Left to right by topological generation (networkx), a source node moved next to its
    first reader (a schema beside its table, not at the far left); within a column, ordered by
    the mean height of each node's predecessors, which keeps most arrows from crossing."""
    import networkx as nx

    digraph = nx.DiGraph()
    digraph.add_nodes_from(sorted(graph.nodes))
    digraph.add_edges_from(sorted(graph.edges))
    column = {node: depth for depth, layer in enumerate(nx.topological_generations(digraph))
              for node in layer}
    for node in digraph:
        readers = [column[s] for s in digraph.successors(node)]
        if digraph.in_degree(node) == 0 and readers:
            column[node] = min(readers) - 1
    positions: dict[str, tuple[float, float]] = {}
    for depth in sorted(set(column.values())):
        layer = [node for node in digraph if column[node] == depth]

        def barycenter(node: str) -> tuple[float, str]:
            above = [positions[p][1] for p in digraph.predecessors(node) if p in positions]
            return (-sum(above) / len(above) if above else 0.0, node)

        for row, node in enumerate(sorted(layer, key=barycenter)):
            positions[node] = (float(depth), (len(layer) - 1) / 2 - row)
    return positions


def html_page(page: str) -> str:
    return page.removesuffix(".md") + ".html"


def svg(graph: Graph) -> bytes:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    # Text stays text (searchable, and small); the same ids on every build.
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": graph.name}):
        return _draw(graph)


def _draw(graph: Graph) -> bytes:
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    positions = layered_positions(graph)
    columns = {x for x, _ in positions.values()}
    per_layer = max(sum(1 for x, _ in positions.values() if x == c) for c in columns)
    layers = len(columns)
    # inches: the longest label at 8 pt (about 0.075 in a character) and room for an arrow
    column_width = 0.075 * max(len(node) for node in graph.nodes) + 1.0
    size = (max(4.0, column_width * layers), max(1.5, 0.45 * per_layer + 0.6))
    figure, axes = plt.subplots(figsize=size)
    axes.set_axis_off()
    files = sorted(set(graph.groups.values()))
    palette = plt.get_cmap("tab20")
    boxes = {}
    for node, (x, y) in positions.items():
        colour = palette(files.index(graph.groups[node]) % 20) if graph.groups else "#dbe9f6"
        label = axes.text(x, y, node, ha="center", va="center", fontsize=8, zorder=3,
                          bbox={"boxstyle": "round,pad=0.35", "facecolor": colour,
                                "edgecolor": "#4a6a8a"})
        label.set_url(html_page(graph.nodes[node]))
        label.set_gid(f"node:{node}")
        boxes[node] = label
    xs = [x for x, _ in positions.values()]
    ys = [y for _, y in positions.values()]
    axes.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    axes.set_ylim(min(ys) - 0.5, max(ys) + 0.5)
    # Arrows go from a box's right side to the next box's left side, so the boxes' drawn sizes
    # are needed first.
    figure.canvas.draw()
    to_data = axes.transData.inverted()
    extent = {node: to_data.transform(box.get_bbox_patch().get_window_extent())
              for node, box in boxes.items()}
    for source, target in sorted(graph.edges):
        start = (extent[source][1][0], positions[source][1])
        end = (extent[target][0][0], positions[target][1])
        arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, shrinkA=0,
                                shrinkB=1, color="#52606d", linewidth=0.9, zorder=2)
        arrow.set_gid(f"edge:{source}->{target}")
        axes.add_patch(arrow)
    if graph.groups:
        handles = [plt.Rectangle((0, 0), 1, 1, color=palette(i % 20)) for i in range(len(files))]
        axes.legend(handles, [f"{f}.sql" for f in files], loc="upper center", fontsize=7,
                    ncol=min(6, len(files)), frameon=False, bbox_to_anchor=(0.5, 0.0))
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue().encode()


def drawn_edges(svg_text: str) -> set[tuple[str, str]]:
    """The edges an SVG of svg() draws, read from the arrows' ids."""
    return set(EDGE_ID.findall(svg_text))
