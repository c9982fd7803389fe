"""Find and merge duplicate papers: same arXiv id (any version), same DOI, same normalised title,
nearly the same title (rapidfuzz, blocked so it is not quadratic), or the same abstract.

Input: the library's papers and new candidates. Output: the library with each candidate added or
merged into the paper it duplicates, and a log of every merge (rule, score, and the incoming
record as it was, so a wrong merge can be undone). Merged records keep every source and the best
of each field (the newest arXiv version's title and abstract, the fuller author list, all links).
Two papers marked distinct are never merged again.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Literal

from rapidfuzz import fuzz

from ..models import Paper, canonical_id
from ..records import Merge
from ..text import abstract_key, normalize_title

Outcome = Literal["added", "merged"]
FUZZY_MIN = 94.0  # rapidfuzz ratio of normalised titles; chosen for precision (see benchmarks/README.md)
_STOP = frozenset("a an the of for and on in with to from via towards toward is are by at".split())


def _keys(paper: Paper) -> list[str]:
    keys = [f"source:{s.file}:{s.line}" for s in paper.sources if s.line]  # re-imports find their own paper
    if paper.arxiv_id:
        keys.append("arxiv-id:" + paper.arxiv_id)
    if paper.doi:
        keys.append("doi:" + paper.doi.lower().strip())
    if paper.title and normalize_title(paper.title):
        keys.append("title:" + normalize_title(paper.title))
    if paper.abstract and len(paper.abstract) > 80:
        keys.append("abstract:" + abstract_key(paper.abstract))
    return keys


def blocks(title: str) -> list[str]:
    """Blocking keys for fuzzy title matching: the first and the last four content words."""
    words = [w for w in normalize_title(title).split() if w not in _STOP]
    if len(words) < 3:
        return []
    return ["head:" + " ".join(words[:4]), "tail:" + " ".join(words[-4:])]


def merge(old: Paper, new: Paper) -> Paper:
    """One record from two listings of the same paper."""
    newer = (new.arxiv_version or 0) > (old.arxiv_version or 0)
    first, second = (new, old) if newer else (old, new)
    data = old.model_dump()
    for field in ("title", "abstract", "comment", "journal_ref", "arxiv_version"):
        data[field] = getattr(first, field) or getattr(second, field)
    if old.abstract and new.abstract and not newer:
        data["abstract"] = max(old.abstract, new.abstract, key=len)
    for field in ("arxiv_id", "doi", "venue", "venue_kind", "year", "acronym", "bibkey", "open_access"):
        data[field] = getattr(old, field) or getattr(new, field)
    data["authors"] = max(old.authors, new.authors, key=len)
    data["categories"] = sorted(set(old.categories) | set(new.categories))
    dates = [d for d in (old.published, new.published) if d]
    data["published"] = min(dates) if dates else None
    updates = [d for d in (old.updated, new.updated) if d]
    data["updated"] = max(updates) if updates else None
    data["links"] = {**new.links, **old.links}
    data["sources"] = sorted(set(old.sources) | set(new.sources), key=lambda s: s.sort_key())
    aliases = set(old.aliases) | set(new.aliases) | {old.id, new.id}
    data["citations"] = max((c for c in (old.citations, new.citations) if c is not None), default=None)
    data["external_ids"] = {**new.external_ids, **old.external_ids}
    _entered_wins(data, old, new)
    data["id"] = canonical_id(data["arxiv_id"], data["title"], data["abstract"])
    data["aliases"] = sorted(aliases - {data["id"]})
    return Paper.model_validate(data)


def _entered_wins(data: dict[str, object], old: Paper, new: Paper) -> None:
    """Where one record has a field from `surveyor enrich` and the other from a listing or a person,
    the listing's value wins; `enriched` keeps naming only the fields that still hold enriched values."""
    enriched = {**new.enriched, **old.enriched}
    for field in list(enriched):
        entered = next((p for p in (old, new) if getattr(p, field) and field not in p.enriched), None)
        if entered is not None:
            data[field] = getattr(entered, field)
            del enriched[field]
            if field == "venue":
                data["venue_kind"] = entered.venue_kind
                enriched.pop("venue_kind", None)
    data["enriched"] = enriched


def _name(title: str) -> str:
    head = title.split(":", 1)[0] if ":" in title else ""
    return normalize_title(head) if 0 < len(head.split()) <= 4 else ""


_NUMBER = re.compile(r"\d+(?:\.\d+)*")


def _numbers(title: str) -> list[str]:
    """The numbers in a title, years left out: versions and sizes (`Qwen2.5`, `1.5B`, `XL-2`)."""
    return sorted(n for n in _NUMBER.findall(title) if not re.fullmatch(r"(19|20)\d{2}", n))


def title_conflict(a: str, b: str) -> bool:
    """Titles too alike for edit distance but naming different papers: different names before
    the colon (VideoChat vs VideoChat2) or different numbers (Video-XL vs Video-XL-2, Qwen2-Math vs
    Qwen2.5-Math): a version is never fuzzy-merged."""
    na, nb = _name(a), _name(b)
    if na and nb and na.replace(" ", "") != nb.replace(" ", ""):
        return True
    return _numbers(a) != _numbers(b)


def _conflict(a: Paper, b: Paper) -> bool:
    """Evidence that two records are different papers whatever their titles say."""
    if a.arxiv_id and b.arxiv_id and a.arxiv_id != b.arxiv_id:
        return True
    if a.doi and b.doi and a.doi.lower() != b.doi.lower():
        return True
    return bool(a.year and b.year and abs(a.year - b.year) > 1)


class PaperIndex:
    """The library plus lookups by key and fuzzy-title blocks; merges are logged in `merges`."""

    def __init__(self, papers: dict[str, Paper], distinct: set[frozenset[str]] | None = None) -> None:
        self.papers = dict(papers)
        self.distinct = distinct or set()
        self.merges: list[Merge] = []
        self._by_key: dict[str, str] = {}
        self._blocks: dict[str, set[str]] = defaultdict(set)
        for paper in self.papers.values():
            self._index(paper)

    def _index(self, paper: Paper) -> None:
        for key in _keys(paper):
            self._by_key[key] = paper.id
        for block in blocks(paper.title or ""):
            self._blocks[block].add(paper.id)

    def _unindex(self, paper: Paper) -> None:
        for block in blocks(paper.title or ""):
            self._blocks[block].discard(paper.id)

    def remove(self, pid: str) -> Paper:
        """Take a paper out of the library (to put it back changed, with `upsert` or `replace`)."""
        paper = self.papers.pop(pid)
        self._unindex(paper)
        return paper

    def replace(self, paper: Paper) -> None:
        """Put a changed paper back under its own id."""
        if paper.id in self.papers:
            self._unindex(self.papers[paper.id])
        self.papers[paper.id] = paper
        self._index(paper)

    def _allowed(self, paper: Paper, other: Paper) -> bool:
        names = {paper.id, *paper.aliases}
        others = {other.id, *other.aliases}
        return not _conflict(paper, other) and not any(
            frozenset((a, b)) in self.distinct for a in names for b in others
        )

    def find(self, paper: Paper) -> tuple[str, str, float | None] | None:
        """(library id, rule, score) of the paper `paper` duplicates, if any."""
        for key in _keys(paper):
            found = self._by_key.get(key)
            if found in self.papers and key.startswith("source:"):
                return found, "same-source", None  # the very line this paper was imported from
            if found in self.papers and self._allowed(paper, self.papers[found]):
                return found, key.split(":", 1)[0], None
        if not paper.title:
            return None
        mine = normalize_title(paper.title)
        best: tuple[float, str] | None = None
        for block in blocks(paper.title):
            for pid in self._blocks.get(block, ()):
                other = self.papers[pid]
                score = fuzz.ratio(mine, normalize_title(other.title or ""))
                if (
                    score >= FUZZY_MIN
                    and self._allowed(paper, other)
                    and not title_conflict(paper.title, other.title or "")
                    and (best is None or (score, pid) > best)
                ):
                    best = (score, pid)
        return (best[1], "fuzzy-title", round(best[0], 1)) if best else None

    def find_by_id(self, paper: Paper) -> str | None:
        """The library paper with the same arXiv id or DOI as `paper` (and not marked distinct), if any;
        `paper` itself should not be in the library."""
        for key in _keys(paper):
            found = self._by_key.get(key)
            if (
                key.startswith(("arxiv-id:", "doi:"))
                and found in self.papers
                and self._allowed(paper, self.papers[found])
            ):
                return found
        return None

    def upsert(self, paper: Paper) -> Outcome:
        """Add `paper`, or merge it into the paper it duplicates (and log the merge)."""
        found = self.find(paper)
        if found is None:
            if paper.id in self.papers:  # same derived id, but marked distinct: keep both apart
                paper = paper.model_copy(update={"id": paper.id + "-2"})
            self.papers[paper.id] = paper
            self._index(paper)
            return "added"
        into, rule, score = found
        old = self.papers[into]
        merged = merge(old, paper)
        if merged.id != into and merged.id in self.papers:  # that id belongs to another (distinct) paper
            merged = merged.model_copy(update={"id": into, "aliases": sorted(set(merged.aliases) - {into})})
        self._unindex(old)
        if merged.id != into:
            del self.papers[into]
        self.papers[merged.id] = merged
        self._index(merged)
        if not paper.sources or not set(paper.sources) <= set(old.sources):  # a re-import is no new merge
            self.merges.append(
                Merge(into=merged.id, absorbed=paper.id, rule=rule, score=score, record=paper, before=old)
            )
        return "merged"
