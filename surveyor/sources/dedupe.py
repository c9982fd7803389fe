"""Find and merge duplicate papers: same arXiv id (any version), normalised title or abstract.

Input: the library's papers and new candidates. Output: the library with each candidate either
added or merged into the paper it duplicates; merged records keep every source and the best of
each field (the newest arXiv version's title and abstract, the fuller author list, all links).
"""

from __future__ import annotations

from typing import Literal

from ..models import Paper, canonical_id
from ..text import abstract_key, normalize_title

Outcome = Literal["added", "merged"]


def _keys(paper: Paper) -> list[str]:
    keys = []
    if paper.arxiv_id:
        keys.append("arxiv:" + paper.arxiv_id)
    if paper.title and normalize_title(paper.title):
        keys.append("title:" + normalize_title(paper.title))
    if paper.abstract:
        keys.append("abstract:" + abstract_key(paper.abstract))
    return keys


def merge(old: Paper, new: Paper) -> Paper:
    """One record from two listings of the same paper."""
    newer = (new.arxiv_version or 0) > (old.arxiv_version or 0)
    first, second = (new, old) if newer else (old, new)
    data = old.model_dump()
    for field in ("title", "abstract", "comment", "journal_ref", "arxiv_version"):
        data[field] = getattr(first, field) or getattr(second, field)
    if old.abstract and new.abstract and not newer:
        data["abstract"] = max(old.abstract, new.abstract, key=len)
    for field in ("arxiv_id", "doi", "venue", "year"):
        data[field] = getattr(old, field) or getattr(new, field)
    data["authors"] = max(old.authors, new.authors, key=len)
    data["categories"] = sorted(set(old.categories) | set(new.categories))
    dates = [d for d in (old.published, new.published) if d]
    data["published"] = min(dates) if dates else None
    updates = [d for d in (old.updated, new.updated) if d]
    data["updated"] = max(updates) if updates else None
    data["links"] = {**new.links, **old.links}
    data["sources"] = sorted(set(old.sources) | set(new.sources), key=lambda s: s.sort_key())
    data["id"] = canonical_id(data["arxiv_id"], data["title"], data["abstract"])
    aliases = set(old.aliases) | set(new.aliases) | {old.id, new.id}
    data["aliases"] = sorted(aliases - {data["id"]})
    return Paper.model_validate(data)


class PaperIndex:
    """The library plus lookups by arXiv id, title key and abstract key."""

    def __init__(self, papers: dict[str, Paper]) -> None:
        self.papers = dict(papers)
        self._by_key: dict[str, str] = {}
        for paper in self.papers.values():
            self._index(paper)

    def _index(self, paper: Paper) -> None:
        for key in _keys(paper):
            self._by_key.setdefault(key, paper.id)

    def find(self, paper: Paper) -> str | None:
        """The id of the library paper `paper` duplicates, if any."""
        for key in _keys(paper):
            found = self._by_key.get(key)
            if found is None or found not in self.papers:
                continue
            other = self.papers[found].arxiv_id
            if paper.arxiv_id and other and other != paper.arxiv_id:
                continue  # same title, different arXiv ids: two papers
            return found
        return None

    def upsert(self, paper: Paper) -> Outcome:
        """Add `paper`, or merge it into the paper it duplicates."""
        found = self.find(paper)
        if found is None:
            if paper.id in self.papers:  # same derived id, keys disagree: keep both apart
                paper = paper.model_copy(update={"id": paper.id + "-2"})
            self.papers[paper.id] = paper
            self._index(paper)
            return "added"
        merged = merge(self.papers[found], paper)
        if merged.id != found:
            del self.papers[found]
        self.papers[merged.id] = merged
        for key in _keys(merged):
            self._by_key[key] = merged.id
        return "merged"
