"""The README's chart: papers per year, stacked by the top-level section each paper is listed under,
as data (CSV) and as a PNG (matplotlib).

Input: taxonomy, papers, effective labels. Output: `ChartData` (each listed paper counted once, under
the top-level node of its home section, by year; papers without a year counted apart), its CSV (one
row per year of the whole span, gaps included, then a `no year` row) and a PNG with a numeric year
axis that states how many papers it leaves out for want of a year. The CSV is the reviewable record
of what the chart shows; the PNG is rendered without timestamps or version metadata so that the
same data gives the same bytes on the same matplotlib version.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..library import paper_year, place
from ..models import Classification, Paper
from ..taxonomy import Taxonomy

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NO_YEAR = "no year"


@dataclass
class ChartData:
    """Papers per top-level section and year; `undated` holds those without a year, per section."""

    series: dict[str, Counter[int]] = field(default_factory=dict)  # section name -> year -> papers
    undated: Counter[str] = field(default_factory=Counter)

    @property
    def years(self) -> list[int]:
        """Every year from the first to the last with a paper (a numeric axis has no gaps)."""
        found = [y for counts in self.series.values() for y, n in counts.items() if n]
        return list(range(min(found), max(found) + 1)) if found else []

    @property
    def dated(self) -> int:
        """Papers the chart draws."""
        return sum(sum(c.values()) for c in self.series.values())

    @property
    def total(self) -> int:
        """Papers listed, with or without a year."""
        return self.dated + sum(self.undated.values())


def per_year(taxonomy: Taxonomy, papers: dict[str, Paper], labels: dict[str, Classification]) -> ChartData:
    """Each listed paper once, under the top-level node of the section it is listed in (its home)."""
    placement = place(taxonomy, papers, labels)
    data = ChartData({node.name: Counter() for node in taxonomy.nodes})
    for pid, home in sorted(placement.home.items()):
        top = taxonomy.node(taxonomy.ancestors(home)[0]).name
        year = paper_year(papers[pid])
        if year:
            data.series[top][year] += 1
        else:
            data.undated[top] += 1
    return data


def chart_csv(data: ChartData) -> str:
    """`year,<section>,...`: a row per year of the span (zeros included), then the `no year` row."""
    header = ["year", *(name.replace(",", " ") for name in data.series)]
    rows = [",".join(header)]
    rows += [",".join([str(y), *(str(c[y]) for c in data.series.values())]) for y in data.years]
    rows.append(",".join([NO_YEAR, *(str(data.undated[name]) for name in data.series)]))
    return "\n".join(rows) + "\n"


def chart_note(data: ChartData) -> str:
    """What the chart leaves out, in a sentence (empty when every paper has a year)."""
    missing = data.total - data.dated
    if not data.total:
        return "No papers are listed yet."
    if not missing:
        return ""
    if not data.dated:
        return f"None of the {data.total} papers has a known year, so the chart is empty."
    verb = "has no known year and is" if missing == 1 else "have no known year and are"
    return f"{missing} of the {data.total} papers {verb} not in the chart."


def chart_png(data: ChartData, title: str = "Papers per year") -> bytes:
    """A stacked bar chart on a numeric year axis, with a line saying what it leaves out; an empty
    library or one without years gives a small picture that says so instead of empty axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    years = data.years
    with matplotlib.rc_context({"font.size": 9}):
        if not years:
            fig = plt.figure(figsize=(6, 1.2), dpi=110)
            fig.text(0.5, 0.62, title, ha="center", fontsize=11)
            fig.text(0.5, 0.3, chart_note(data), ha="center", color="#555555")
            return _png(fig)
        fig, ax = plt.subplots(figsize=(8, 3.4), dpi=110)
        bottom = [0] * len(years)
        for i, (name, counter) in enumerate(data.series.items()):  # colours by position: the graph's too
            values = [counter.get(y, 0) for y in years]
            if any(values):
                ax.bar(years, values, bottom=bottom, label=name, width=0.8, color=f"C{i % 10}")
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
        if len(years) <= 12:
            ax.set_xticks(years)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("papers")
        ax.set_title(title)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        note = chart_note(data)
        if note:
            fig.text(0.01, 0.015, note, fontsize=9, color="#333333", ha="left", va="bottom")
        fig.tight_layout(rect=(0, 0.06 if note else 0, 1, 1))
        return _png(fig)


def _png(fig: Figure) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
