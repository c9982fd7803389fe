"""The benchmark picture (`graph/benchmarks.svg`): which top-level sections evaluate on which of the
most used benchmarks, laid out by networkx and drawn by matplotlib, or laid out and drawn by Graphviz
(`[export] graph_layout = "graphviz"`, where `dot` is installed).

Input: the graph from `graph.build_graph`. Output: `PictureData` (what is drawn: each benchmark with
the number of papers evaluated on it, as `surveyor graph` counts them; each section with its papers
among those; a link per section–benchmark pair as wide as its papers, each paper counted once, under
the section it is listed in) and the SVG text (deterministic for one library version; labels are SVG
text, so the picture is searchable and nothing is cut: the figure is sized to what it holds). The
matplotlib picture ends with a comment holding `picture_key`, so that `keyed_svg` keeps an SVG whose
data, drawing code and library versions are unchanged instead of drawing it again.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from ..escape import dot_string
from ..graph import top_benchmarks
from .graph_formats import COLORS, category_benchmark_counts

if TYPE_CHECKING:
    from matplotlib.axes import Axes

TOP = 15  # benchmarks drawn
PALETTE = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf".split()
# matplotlib's tab10, the chart's colours: a section has one colour in both pictures
LAYOUTS = ("matplotlib", "graphviz")
TITLE = "Benchmarks and the sections that use them"
MARK = "<!-- surveyor picture key "  # the SVG's last line: MARK + picture_key + " -->"


@dataclass
class PictureData:
    """What the picture shows."""

    benchmarks: list[tuple[str, int]] = field(default_factory=list)  # name, papers evaluated on it
    sections: list[tuple[str, int]] = field(default_factory=list)  # top-level section, its papers here
    colors: dict[str, str] = field(default_factory=dict)  # section -> colour (the chart's, by position)
    links: Counter[tuple[str, str]] = field(default_factory=Counter)  # (section, benchmark) -> papers
    known: int = 0  # benchmarks and datasets in the graph (with at least one paper evaluated on them)

    @property
    def caption(self) -> str:
        """One line under the title: what is shown and how to read it."""
        if not self.benchmarks:
            return "No paper names a benchmark it is evaluated on yet."
        shown = len(self.benchmarks)
        which = f"The {shown} most used of {self.known}" if self.known > shown else f"All {shown}"
        return (
            f"{which} benchmarks and datasets, with the papers evaluated on each. A line is as wide "
            "as the papers it stands for; each paper counts once, under the section it is listed in."
        )


def picture_data(graph: nx.MultiDiGraph, top: int = TOP) -> PictureData:
    """The benchmarks, sections and links the picture draws."""
    uses = [u for u in top_benchmarks(graph) if u.papers]
    links = category_benchmark_counts(graph, top)
    order = [d["name"] for n, d in graph.nodes(data=True) if d["type"] == "category" and _is_top(d)]
    per_section: Counter[str] = Counter()
    for (section, _), n in links.items():
        per_section[section] += n
    return PictureData(
        benchmarks=[(u.name, len(u.papers)) for u in uses[:top]],
        sections=[(name, per_section[name]) for name in order if per_section[name]],
        links=links,
        colors={name: PALETTE[i % len(PALETTE)] for i, name in enumerate(order)},
        known=len(uses),
    )


def _is_top(data: dict[str, str]) -> bool:
    return len(data.get("ancestors", "").split()) == 1


def positions(data: PictureData) -> dict[tuple[str, str], tuple[float, float]]:
    """networkx's two-column layout, first rows on top; the sections spread over the benchmarks'
    height so that lines fan out evenly."""
    left = [("section", name) for name, _ in data.sections]
    right = [("benchmark", name) for name, _ in data.benchmarks]
    layout = nx.Graph()
    layout.add_nodes_from(left + right)
    layers = {0: left, 1: right} if left else {1: right}
    pos = {node: (float(x), -float(y)) for node, (x, y) in nx.multipartite_layout(layout, layers).items()}
    if len(left) > 1 and len(right) > 1:
        top_y, low_y = pos[right[0]][1], pos[right[-1]][1]
        step = (top_y - low_y) / (len(left) - 1)
        for i, node in enumerate(left):
            pos[node] = (pos[node][0], top_y - i * step)
    return pos


def picture_svg(data: PictureData, title: str = TITLE) -> str:
    """The picture as SVG, drawn with matplotlib over `positions`."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = max(len(data.benchmarks), len(data.sections), 1)
    with matplotlib.rc_context({"svg.hashsalt": "surveyor", "svg.fonttype": "none", "font.size": 10}):
        fig, ax = plt.subplots(figsize=(9, 0.6 + 0.32 * rows))
        ax.set_axis_off()
        fig.subplots_adjust(left=0.3, right=0.7, top=0.97, bottom=0.03)
        caption = textwrap.fill(data.caption, 105)
        fig.text(0, 1.0, caption, fontsize=8, color="#444444", ha="left", va="bottom")
        fig.text(0, 1.0 + 0.18 * (caption.count("\n") + 1) / (0.6 + 0.32 * rows), title,
                 fontsize=12, fontweight="bold", ha="left", va="bottom")  # fmt: skip
        if data.benchmarks:
            _draw(ax, data, positions(data))
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.25, metadata={"Date": None})
        plt.close(fig)
    return buf.getvalue()


def picture_key(data: PictureData, title: str = TITLE) -> str:
    """A digest of everything the matplotlib picture is drawn from: the data (in the order drawn), the
    title, this module's source and the versions of matplotlib and networkx (which lays it out)."""
    links = [[section, bench, n] for (section, bench), n in data.links.items()]
    drawn = [data.benchmarks, data.sections, data.colors, links, data.known, title]
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    parts = [json.dumps(drawn), version("matplotlib"), version("networkx"), code]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def keyed_svg(data: PictureData, previous: str | None, title: str = TITLE) -> str:
    """`picture_svg` with its key as a closing comment; `previous` (the SVG written last time) is kept
    as it is when it ends with this key, so matplotlib is neither imported nor run."""
    mark = f"{MARK}{picture_key(data, title)} -->\n"
    if previous is not None and previous.endswith(mark):
        return previous
    return picture_svg(data, title) + mark


def _draw(ax: Axes, data: PictureData, pos: dict[tuple[str, str], tuple[float, float]]) -> None:
    """Lines in their section's colour, dots, and labels outside the lines."""
    widest = max(data.links.values(), default=1)
    for (section, bench), n in sorted(data.links.items(), key=lambda item: -item[1]):
        (x0, y0), (x1, y1) = pos[("section", section)], pos[("benchmark", bench)]
        color = data.colors.get(section, COLORS["category"])
        ax.plot([x0, x1], [y0, y1], color=color, alpha=0.45, lw=1 + 9 * n / widest, solid_capstyle="butt")
    gap = 0.008
    for name, n in data.sections:
        x, y = pos[("section", name)]
        color = data.colors.get(name, COLORS["category"])
        ax.plot([x], [y], "o", color=color, ms=6)
        ax.text(x - gap, y, f"{name} ({n})", ha="right", va="center", color=color, fontweight="bold")
    for name, n in data.benchmarks:
        x, y = pos[("benchmark", name)]
        ax.plot([x], [y], "o", color="#333333", ms=5)
        ax.text(x + gap, y, f"{name} ({n})", ha="left", va="center", color="#222222")
    xs = [x for x, _ in pos.values()]
    ax.set_xlim(min(xs) - gap, max(xs) + gap)


def picture_dot(data: PictureData, title: str = TITLE) -> str:
    """The same picture for Graphviz: sections left, benchmarks right, pen widths by papers."""
    widest = max(data.links.values(), default=1)
    import textwrap

    parts = [title, *textwrap.wrap(data.caption, 90)]
    label = '"' + "".join(dot_string(part)[1:-1] + "\\l" for part in parts) + '"'  # left-aligned lines
    lines = [
        "digraph benchmarks {",
        "  rankdir=LR; ranksep=2.5; nodesep=0.15; labelloc=t; labeljust=l; fontname=Helvetica;",
        f"  label={label};",
        "  node [shape=plaintext, fontname=Helvetica, fontsize=11]; edge [arrowhead=none];",
    ]
    for name, n in data.sections:
        color = data.colors.get(name, COLORS["category"])
        lines.append(
            f'  {dot_string("s:" + name)} [label={dot_string(f"{name} ({n})")}, fontcolor="{color}"];'
        )
    for name, n in data.benchmarks:
        lines.append(f"  {dot_string('b:' + name)} [label={dot_string(f'{name} ({n})')}];")
    for (section, bench), n in sorted(data.links.items()):
        color = data.colors.get(section, COLORS["category"]) + "80"
        lines.append(
            f"  {dot_string('s:' + section)} -> {dot_string('b:' + bench)} "
            f'[penwidth={1 + 9 * n / widest:.2f}, color="{color}"];'
        )
    return "\n".join([*lines, "}"]) + "\n"


__all__ = [
    "LAYOUTS",
    "PictureData",
    "keyed_svg",
    "picture_data",
    "picture_dot",
    "picture_key",
    "picture_svg",
    "positions",
]
