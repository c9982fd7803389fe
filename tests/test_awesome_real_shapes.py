"""Shapes found when adopting real, popular paper lists that the pattern fixtures did not have, each
as a minimal hand-written list (synthetic titles, ids and URLs): bare URLs in table cells and on
continuation lines, sections whose entries link a paper only as `[[Website]](url)`, link-less lists
of prose, and a list whose only table sits right under its title. Each round-trips byte for byte,
reads as the papers it lists, and takes new papers as added lines in its own style."""

from __future__ import annotations

from pathlib import Path

from test_awesome_lists import _adopted, _copy, add_machine_labels, check_additions

from surveyor.adopt import adopt
from surveyor.models import Paper
from surveyor.pipeline import export
from surveyor.sources.awesome_md import read
from surveyor.store import Workspace

BARE_URLS = """# Awesome Bare Links

## Frameworks

| Kind | Framework | Webpage | Paper |
|---|---|---|---|
| Tool | Alphaeval | https://alphaeval.example.org/docs/ | https://arxiv.org/abs/2601.00011 |
| Benchmark | Betabench | https://github.com/beta/betabench | https://aclanthology.org/2026.demo.1/ |

## Agents

- [**Gamma: Agents That Plan**](https://arxiv.org/abs/2601.00012)<br>
Gamma Lab
https://gamma-agents.example.org/
"""

WEBSITE_ONLY = """# Awesome Website Links

## Posts

**A Gentle Post About Sampling** \\
*Ann Writer* \\
[[Website](https://blog.example.org/sampling)] \\
06 Jun 2022

**Another Post About Noise** \\
*Bo Writer* \\
[[Website](https://blog.example.org/noise)] \\
12 May 2022
"""

PROSE_LISTS = """# Awesome Prose

## Overview

Why this matters:

1. Bypass the need for a long horizon credit assignment.
2. Avoid short sighted behaviours due to discounting.

- **Limitations**:
  - May retrieve irrelevant or inaccurate information
  - Limited by the quality of the knowledge bases

## Papers

- [Delta: Planning With Diffusion](https://arxiv.org/abs/2601.00013)
- [Epsilon: Policies As Samplers](https://arxiv.org/abs/2601.00014)
"""

UNDER_TITLE = """
# [Awesome Under Title](https://example.org/awesome) [![Awesome](https://awesome.re/badge.svg)](https://awesome.re)

| Title | Initial Date | Venue | Resource |
| --- | --- | --- | --- |
| [Zeta: Transformers For Denoising](https://arxiv.org/abs/2601.00015) | 31 Aug 2025 | ICLR'2026 | CODE |
| [Eta: Masked Denoisers](https://arxiv.org/abs/2601.00016) | 25 Sep 2025 | arXiv | |


## Contributing

Your contributions are always welcome!
""".replace("CODE", "[![](./assets/code.svg)](https://github.com/zeta/zeta)")


def _round_trip(tmp_path: Path, name: str, text: str) -> Path:
    """Adopt `text` as a README, export it again: no byte changes."""
    readme = _copy(tmp_path / name, None, text)
    adopt(readme, in_place=True)
    ws = _adopted(tmp_path / (name + "-ws"), readme)
    export(ws, "awesome")
    assert (ws.root / "README.md").read_text() == text
    check_additions(ws, readme)
    return ws.root / "README.md"


def test_bare_urls_are_links_and_round_trip(tmp_path: Path) -> None:
    doc = read(BARE_URLS, "README.md")
    papers = [e.paper for e in doc.items if e.paper]
    assert [(p.arxiv_id, p.links) for p in papers] == [
        ("2601.00011", {"project": "https://alphaeval.example.org/docs/"}),
        (
            None,
            {"code": "https://github.com/beta/betabench", "paper": "https://aclanthology.org/2026.demo.1/"},
        ),
        ("2601.00012", {"project": "https://gamma-agents.example.org/"}),
    ]
    _round_trip(tmp_path, "bare", BARE_URLS)


def test_a_website_only_section_still_writes_the_new_papers_link(tmp_path: Path) -> None:
    after = _round_trip(tmp_path, "website", WEBSITE_ONLY).read_text()
    assert "[[Website](https://arxiv.org/abs/2611.00001)] \\\n" in after  # check_additions' new paper


def test_lists_without_any_link_are_prose_not_papers(tmp_path: Path) -> None:
    doc = read(PROSE_LISTS, "README.md")
    assert [e.paper.title for e in doc.items if e.paper] == [
        "Delta: Planning With Diffusion",
        "Epsilon: Policies As Samplers",
    ]
    assert [s.line for s in doc.skipped if "prose" in s.reason] == [7, 8, 11, 12]
    report = adopt(_copy(tmp_path / "prose", None, PROSE_LISTS), in_place=True)
    assert report.papers == 2
    _round_trip(tmp_path, "prose2", PROSE_LISTS)


TITLES_WITH_VENUES = """# Awesome Classics

## Foundations

- Deep Residual Learning for Image Recognition, CVPR 2016.
- Attention Is All You Need, NeurIPS 2017.

## Classics Without Venues

- Learning Long Horizons From Few Steps. *Ann Author and Bo Writer*
- *Cy Writer, Di Author*. Planning Far Ahead With Small Models.
"""


def test_a_list_of_titles_with_venues_or_authors_and_no_links_is_papers() -> None:
    doc = read(TITLES_WITH_VENUES, "README.md")
    assert [(e.paper.title, e.paper.venue, e.paper.year) for e in doc.items if e.paper] == [
        ("Deep Residual Learning for Image Recognition", "CVPR", 2016),
        ("Attention Is All You Need", "NeurIPS", 2017),
        ("Learning Long Horizons From Few Steps", None, None),
        ("Planning Far Ahead With Small Models", None, None),
    ]


CATEGORY_ROWS = """# Awesome Categories

## Frameworks

| Category | Framework | Webpage | Paper |
|---|---|---|---|
| Tool | Alphaeval | https://alphaeval.example.org/ | - |
| Tool | Betaeval | https://betaeval.example.org/ | - |
| Benchmark | Gammabench | https://github.com/gamma/bench | https://aclanthology.org/2026.demo.7/ |
| Benchmark | Deltabench | - | https://arxiv.org/abs/2601.00017v2 |
"""


def test_a_category_column_is_not_the_title(tmp_path: Path) -> None:
    """A column of a few words repeated on many rows (`Category`: Tool, Benchmark) is not where
    titles come from: the name column is, when no cell has a title; rows that shared a category
    were one merged paper (its links from both), now each row is its own paper."""
    doc = read(CATEGORY_ROWS, "README.md")
    assert [e.paper.title for e in doc.items if e.paper] == [
        "Alphaeval",
        "Betaeval",
        "Gammabench",
        "Deltabench",
    ]
    readme = _copy(tmp_path / "categories", None, CATEGORY_ROWS)
    assert adopt(readme, in_place=True).papers == 4
    links = sorted(
        str(p.arxiv_id or sorted(p.links.values())) for p in Workspace(readme.parent).load_papers().values()
    )
    assert links == [
        "2601.00017",
        "['https://aclanthology.org/2026.demo.7/', 'https://github.com/gamma/bench']",
        "['https://alphaeval.example.org/']",
        "['https://betaeval.example.org/']",
    ]
    _round_trip(tmp_path, "categories2", CATEGORY_ROWS)


SAME_NAME_REPOS = """# Awesome Repos

## Toolkits

- [Evaltool Kit](https://github.com/alpha/evaltool) - scores answers.
- [Evaltool Kit](https://github.com/beta/evaltool) - another one, same name.
"""


def test_one_title_with_links_in_common_to_none_is_two_papers(tmp_path: Path) -> None:
    """Two entries with one title, no paper or project link and no link in common (two repositories
    of one name) are two papers, each with its own link, not one paper holding both."""
    readme = _copy(tmp_path / "repos", None, SAME_NAME_REPOS)
    assert adopt(readme, in_place=True).papers == 2
    links = sorted(tuple(p.links.values()) for p in Workspace(readme.parent).load_papers().values())
    assert links == [("https://github.com/alpha/evaltool",), ("https://github.com/beta/evaltool",)]


PROMO = """# Awesome Promo

## Our Works

🔥🔥🔥 **Theta: A Survey Of Evaluation**

<p align="center">
    <img src="./images/theta.jpg" width="60%">
</p>

<font size=7><div align='center' > [[🍎 Project Page](https://theta.example.org/)] LINK </div></font>

## Papers

- [Iota: Planning Over Graphs](https://arxiv.org/abs/2601.00019)
- [Kappa Toolkit](./docs/kappa.md) - a page of this repository.
""".replace("LINK", "[[📖 arXiv Paper](https://arxiv.org/pdf/2601.00018)]")


def test_a_paper_named_only_by_generic_link_texts_is_kept_and_local_links_are_reported(
    tmp_path: Path,
) -> None:
    """A paragraph whose links are all labels (`[[📖 arXiv Paper](...)]`) still names its paper by
    its arXiv id (it was dropped without a word); an item linking only a file of the repository is
    reported with its line, not dropped silently."""
    doc = read(PROMO, "README.md")
    assert [e.paper.arxiv_id for e in doc.items if e.paper] == ["2601.00018", "2601.00019"]
    assert [(s.line, "files of the repository" in s.reason) for s in doc.skipped] == [(16, True)]
    _round_trip(tmp_path, "promo", PROMO)


PREPRINT_VENUES = """# Awesome Venues

## Models

| Title | Venue | Date |
|---|---|---|
| [Lambda: Long Context Models](https://arxiv.org/abs/2601.00020) | arXiv | 2026-01-05 |
| [Mu: Memory For Agents](https://arxiv.org/abs/2601.00021) | arXiv | 2026-01-02 |
"""


def test_a_new_paper_with_a_venue_is_not_written_as_arxiv(tmp_path: Path) -> None:
    """Where the section's entries say `arXiv` (their venue, none yet), a new paper published at a
    venue gets its venue there, not a copy of `arXiv`."""
    readme = _copy(tmp_path / "venues", None, PREPRINT_VENUES)
    adopt(readme, in_place=True)
    ws = Workspace(readme.parent)
    node = next(n.id for n in ws.taxonomy.iter_nodes())
    paper = Paper(
        id="t-nu-paper",
        title="Nu: Planning With Sparse Rewards",
        venue="ICLR",
        year=2025,
        links={"paper": "https://openreview.net/forum?id=nu2025"},
    )
    add_machine_labels(ws, node, [paper])
    export(ws, "awesome")
    added = [ln for ln in readme.read_text().splitlines() if "Nu: Planning" in ln]
    assert len(added) == 1 and "| ICLR |" in added[0] and "arXiv" not in added[0], added


def test_a_table_right_under_the_title_is_the_lists_section(tmp_path: Path) -> None:
    doc = read(UNDER_TITLE, "README.md")
    assert doc.title and doc.title.startswith("Awesome Under Title")
    assert [(e.section.path, e.paper.arxiv_id) for e in doc.items if e.paper] == [
        ((doc.title,), "2601.00015"),
        ((doc.title,), "2601.00016"),
    ]
    _round_trip(tmp_path, "title", UNDER_TITLE)
