"""The README's chart: papers per year per top-level node, as data (CSV) and as a PNG (matplotlib).

The CSV is the reviewable record of what the chart shows; the PNG is rendered without timestamps or
version metadata so that the same data gives the same bytes on the same matplotlib version.
"""

from __future__ import annotations

import io
from collections import Counter

from ..models import Classification, Paper
from ..taxonomy import Taxonomy
from .awesome import paper_year, place


def per_year(
    taxonomy: Taxonomy, papers: dict[str, Paper], labels: dict[str, Classification]
) -> dict[str, Counter[int]]:
    """Top-level node name -> year -> papers (a paper counts once per top-level node it is under)."""
    placement = place(taxonomy, papers, labels)
    tops = {node.id: node.name for node in taxonomy.nodes}
    out: dict[str, Counter[int]] = {name: Counter() for name in tops.values()}
    seen: set[tuple[str, str]] = set()
    for node_id, members in placement.members.items():
        top = taxonomy.ancestors(node_id)[0]
        for pid in members:
            year = paper_year(papers[pid])
            if year and (top, pid) not in seen:
                seen.add((top, pid))
                out[tops[top]][year] += 1
    return out


def chart_csv(counts: dict[str, Counter[int]]) -> str:
    """`year,<node>,<node>...` one line per year, in the taxonomy's order of nodes."""
    years = sorted({y for c in counts.values() for y in c})
    header = ["year", *(name.replace(",", " ") for name in counts)]
    rows = [",".join(header)] + [",".join([str(y), *(str(c[y]) for c in counts.values())]) for y in years]
    return "\n".join(rows) + "\n"


def chart_png(counts: dict[str, Counter[int]], title: str) -> bytes:
    """A stacked bar chart of the counts, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    years = sorted({y for c in counts.values() for y in c})
    with matplotlib.rc_context({"font.size": 9}):
        fig, ax = plt.subplots(figsize=(8, 3.2), dpi=110)
        bottom = [0] * len(years)
        for name, counter in counts.items():
            values = [counter.get(y, 0) for y in years]
            ax.bar([str(y) for y in years], values, bottom=bottom, label=name)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_ylabel("papers")
        ax.set_title(title)
        ax.spines[["top", "right"]].set_visible(False)
        if counts:
            ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        plt.close(fig)
    return buf.getvalue()
