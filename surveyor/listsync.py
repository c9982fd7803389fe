"""A maintainer's Awesome list and the workspace's data, kept in step.

Each entry of the list is matched to the paper it names by its arXiv id, DOI or the paper's own
link, then by its exact title when no link disagrees — never by line number, never by a fuzzy
title (`Qwen2-Math` is not `Qwen2.5-Math`). `sync` then reads what a person changed by hand since
the last run: an entry added by hand is a paper a human placed (a human decision), an entry moved
to another section moves its paper, an entry deleted by hand is a human removal (out of scope)
that no update undoes. Where each paper sits is recorded in its sources: the list's file and
each section its entries are in. Not the line: a line number changes whenever anything above it
does, and recording it would rewrite thousands of papers' lines for each entry added near the top;
the list itself is the record of where its lines are.

Input: the list's text and the workspace's papers and decisions. Output: `Listing` (the parsed
list, the paper id of each entry), the clashes found in it, and the updated papers and decisions.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from . import clock
from .decisions import other_ids, paper_of
from .errors import SurveyorError
from .files import atomic_write_bytes, private_dir
from .models import Classification, Label, Paper, Source
from .sources.awesome_entry import Facts, reader_version
from .sources.awesome_md import FORMAT, Doc, Entry, Remembered, read, read_written
from .sources.base import Skip
from .sources.links import host_path, is_generic_label
from .sources.listing import Listing
from .store import Workspace
from .taxonomy import Taxonomy
from .text import normalize_title

_norm = normalize_title  # remembered (lru_cache)
_PAGE_LABELS = frozenset(
    {"project page", "project", "page", "website", "homepage", "link", "here", "webpage"}
)


MEMORY = "list-entries.sqlite"  # in .surveyor/: what each entry of the list said when last read


def read_doc(text: str, rel: str, state_dir: Path) -> Doc:
    """The list parsed, each entry read before taken from the workspace's memory of entries (a
    cache: without it, the list is read in full), the entries read afresh stored in it."""
    path = state_dir / MEMORY
    memory = _memory(path)
    doc = read(text, rel, memory)
    if memory.learned:
        _remember(path, memory)
    return doc


@lru_cache(maxsize=8)
def _memory(path: Path) -> Remembered:
    """The entries remembered in `path` under this reader's version (one object per file and process:
    an entry's facts never change for a version, so it can be shared)."""
    memory = Remembered()
    if not path.is_file():
        return memory
    try:
        with closing(sqlite3.connect(path)) as db:
            rows = db.execute("SELECT key, facts FROM entries WHERE version = ?", (reader_version(),))
            memory.known.update(rows.fetchall())
    except sqlite3.Error:
        path.unlink(missing_ok=True)  # damaged or of another shape: a cache, rebuilt on the next read
    return memory


_TABLE = (
    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, version TEXT NOT NULL, facts TEXT NOT NULL)"
)


def _remember(path: Path, memory: Remembered) -> None:
    """Store the entries `memory` learned (all it still uses, once most of what it holds is gone
    from the list); a store that cannot be written is left as it is (it is a cache)."""
    version = reader_version()
    every = len(memory.known) > 2 * len(memory.used) + 1000
    stored = {**memory.known, **memory.learned}
    rows = [(k, version, stored[k]) for k in (memory.used if every else memory.learned)]
    try:
        private_dir(path.parent)
        with closing(sqlite3.connect(path, timeout=5)) as db, db:
            db.execute(_TABLE)
            db.execute("DELETE FROM entries WHERE version != ? OR ?", (version, every))
            db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", rows)
    except (sqlite3.Error, OSError):
        return
    memory.known.update(memory.learned)
    memory.learned.clear()


def read_list(path: Path) -> str:
    """The list's text; bytes that are not UTF-8 survive a write back unchanged (surrogateescape)."""
    if not path.is_file():
        raise SurveyorError(f"the adopted list {path} is missing", "restore it, or set `[export] adopted`")
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def write_list(path: Path, text: str) -> bool:
    """Write the list back (atomically; bytes as read); return whether it changed."""
    return atomic_write_bytes(path, text.encode("utf-8", errors="surrogateescape"))


@lru_cache(maxsize=65536)
def _url_key(url: str) -> str:
    host, path = host_path(url)
    query = urlsplit(url).query if "?" in url else ""
    return "url:" + host + path.rstrip("/").removesuffix(".pdf") + ("?" + query if query else "")


def _keys(paper: Paper) -> list[str]:
    keys = []
    if paper.arxiv_id:
        keys.append("arxiv:" + paper.arxiv_id)
    keys += ["arxiv:" + a for a in paper.aliases if not a.startswith(("t-", "a-"))]
    if paper.doi:
        keys.append("doi:" + paper.doi.lower())
    main = paper.url
    if main and not paper.arxiv_id and not paper.doi:
        keys.append(_url_key(main))
    keys += [_url_key(u) for k, u in paper.links.items() if k.startswith("paper")]
    return keys


Identity = tuple[str, str, str, frozenset[str]]


def _identity(paper: Paper) -> Identity:
    """(arXiv id, DOI, main link, every link) — what tells two papers with one title apart."""
    url = paper.url
    every = frozenset(_url_key(u) for u in paper.links.values())
    return paper.arxiv_id or "", (paper.doi or "").lower(), _url_key(url) if url else "", every


def _disagree(a: Identity, b: Identity) -> bool:
    """Whether two papers with one title carry links that say they differ: other arXiv ids, DOIs
    or main links, or, with none of those on either, links none of which they share (`Tool` with
    one project page and `Tool` with another)."""
    if a[0] and b[0]:
        return a[0] != b[0]
    if a[1] and b[1] and a[1] != b[1]:
        return True
    if a[2] and b[2] and not (a[0] or b[0]):
        return a[2] != b[2]
    unnamed = not (a[0] or b[0] or a[1] or b[1] or a[2] or b[2])
    return unnamed and bool(a[3] and b[3] and not a[3] & b[3])


class Matcher:
    """Finds the library paper an entry names (see the module docstring)."""

    def __init__(self, papers: dict[str, Paper]) -> None:
        self.papers = papers
        self.keys: dict[str, str] = {}
        self.titles: dict[str, list[str]] = defaultdict(list)
        self.ids: dict[str, Identity] = {}
        for paper in papers.values():
            self.index(paper)

    def index(self, paper: Paper) -> None:
        """Make `paper` findable."""
        for key in _keys(paper):
            self.keys.setdefault(key, paper.id)
        self.ids[paper.id] = _identity(paper)
        title = _norm(paper.title or "")
        if title:
            self.titles[title].append(paper.id)

    def find(self, paper: Paper) -> str | None:
        """The id of the paper `paper` names, if the library has it."""
        for key in _keys(paper):
            found = self.keys.get(key)
            if found in self.papers:
                return found
        mine = _identity(paper)
        for pid in self.titles.get(_norm(paper.title or ""), []):
            if pid in self.papers and not _disagree(mine, self.ids[pid]):
                return pid
        return None


_FILLED = ("title", "arxiv_id", "arxiv_version", "doi", "venue", "year", "acronym")


def absorb(old: Paper, new: Paper, sources: bool = True) -> Paper:
    """`old` with what `new` adds: missing fields filled, every new link kept (none overwritten)."""
    urls = set(old.links.values())
    if (
        all(getattr(old, name) or not getattr(new, name) for name in _FILLED)
        and (old.authors or not new.authors)
        and all(url in urls for url in new.links.values())
    ):  # what an entry read again brings: at most where it now sits (no validation needed)
        if not sources or set(new.sources) <= set(old.sources):
            return old
        merged = sorted(set(old.sources) | set(new.sources), key=lambda s: s.sort_key())
        return old.model_copy(update={"sources": merged})
    data = old.model_dump()
    for name in _FILLED:
        data[name] = getattr(old, name) or getattr(new, name)
    data["authors"] = old.authors or new.authors
    links = dict(old.links)
    for key, url in new.links.items():
        if url not in links.values():
            base, n = key.split("_")[0], 2
            while key in links:
                key, n = f"{base}_{n}", n + 1
            links[key] = url
    data["links"] = links
    if sources:
        data["sources"] = sorted(set(old.sources) | set(new.sources), key=lambda s: s.sort_key())
    return Paper.model_validate(data)


def listed_at(rel: str, sections: Iterable[tuple[str, ...]]) -> list[Source]:
    """Where a paper with entries in these sections (heading paths) sits in the list `rel`: one
    source per section."""
    names = {" > ".join(path) for path in sections}
    return [Source(file=rel, format=FORMAT, section=name) for name in sorted(names)]


def placed_at(paper: Paper, rel: str, fresh: list[Source]) -> Paper:
    """`paper` with its sources in the list `rel` replaced by `fresh` (itself when they are the same)."""
    mine = {s for s in paper.sources if s.file == rel and s.format == FORMAT}
    if mine == set(fresh):
        return paper
    others = [s for s in paper.sources if not (s.file == rel and s.format == FORMAT)]
    return paper.model_copy(update={"sources": sorted({*others, *fresh}, key=lambda s: s.sort_key())})


def match(doc: Doc, papers: dict[str, Paper], rel: str) -> Listing:
    """Match every entry to a paper of `papers`; entries naming none add a paper (a fresh id when
    their title's id is taken by a different paper). Each listed paper's sources in `rel` become
    the sections its entries are in."""
    listing = Listing(doc, papers=dict(papers))
    matcher = Matcher(listing.papers)
    for n, entry in enumerate(doc.items):
        if entry.paper is None:
            continue
        pid = matcher.find(entry.paper)
        if pid is None:
            pid, k = entry.paper.id, 2
            while pid in listing.papers:
                pid, k = f"{entry.paper.id}-{k}", k + 1
            listing.papers[pid] = entry.paper.model_copy(update={"id": pid})
            listing.added.append(pid)
            matcher.index(listing.papers[pid])
        else:
            listing.papers[pid] = absorb(listing.papers[pid], entry.paper, sources=False)
        listing.ids[n] = pid
    for pid, entries in listing.entries_of().items():
        fresh = listed_at(rel, (e.section.path for e in entries))
        listing.papers[pid] = placed_at(listing.papers[pid], rel, fresh)
    return listing


def clashes(listing: Listing) -> list[Skip]:
    """Entries that share an id under different titles, a title under different links, or a
    link text such as `Project Page`."""
    out: list[Skip] = []
    by_id: dict[str, list[Entry]] = listing.entries_of()
    for pid, entries in by_id.items():
        titles = {_norm(e.paper.title or "") for e in entries if e.paper}
        if len(titles) > 1:
            lines = ", ".join(str(e.start + 1) for e in entries)
            out.append(
                Skip(entries[0].start + 1, f"lines {lines} name one paper ({pid}) under different titles")
            )
    by_title: dict[str, set[str]] = defaultdict(set)
    first: dict[str, Entry] = {}
    for n, pid in listing.ids.items():
        entry = listing.doc.items[n]
        title = _norm(entry.paper.title or "") if entry.paper else ""
        by_title[title].add(pid)
        first.setdefault(title, entry)
    for title, pids in by_title.items():
        if title and len(pids) > 1:
            out.append(
                Skip(first[title].start + 1, f"{len(pids)} different papers share the title {title!r}")
            )
    labels: dict[str, list[int]] = defaultdict(list)
    for entry in listing.doc.items:
        label = _first_label(entry.facts)
        if label:
            labels[label].append(entry.start + 1)
    for text, at in labels.items():
        if len(at) > 1:
            where = ", ".join(map(str, at[:8])) + (" ..." if len(at) > 8 else "")
            out.append(Skip(at[0], f"{len(at)} entries share the link text {text!r} (lines {where})"))
    return sorted(out, key=lambda s: s.line)


def _first_label(facts: Facts | None) -> str:
    link = facts.all_links[0] if facts and facts.all_links else None
    label = link.label.strip().lower() if link and not link.image else ""
    return label if label in _PAGE_LABELS and is_generic_label(label) else ""


def section_nodes(doc: Doc, taxonomy: Taxonomy) -> dict[tuple[str, ...], str]:
    """The taxonomy node of each section, matched by its heading path (names as written)."""
    by_path: dict[tuple[str, ...], str] = {}
    for node in taxonomy.iter_nodes():
        path = tuple(taxonomy.path_names(node.id))
        by_path.setdefault(path, node.id)
    return {s.path: by_path[s.path] for s in doc.sections if s.path in by_path and not s.skip}


@dataclass
class SyncReport:
    """What reading the list back found: hand-added, moved and deleted papers, unknown sections."""

    listing: Listing
    placed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unknown_sections: list[str] = field(default_factory=list)


def list_file(ws: Workspace) -> Path | None:
    """The adopted list's path, when this workspace keeps one."""
    name = ws.config.export.adopted
    return (ws.root / name).resolve() if name else None


def human(
    pid: str, nodes: list[str], evidence: dict[str, str], taxonomy_hash: str, run: str
) -> Classification:
    """A human decision placing `pid` in `nodes`."""
    return Classification(
        paper=pid,
        labels=[Label(node=n, confidence=1.0, evidence=evidence.get(n, "")) for n in nodes],
        backend="human",
        model="list",
        taxonomy_hash=taxonomy_hash,
        run_id=run,
        time=clock.stamp(),
    )


def sync(ws: Workspace) -> SyncReport:
    """Read the list back and record what a person changed by hand as decisions, editing only the
    lines of those papers (see the module docstring)."""
    path = list_file(ws)
    assert path is not None
    rel = ws.rel(path)
    doc = read_doc(read_list(path), rel, ws.state_dir)
    before = ws.load_papers()
    listing = match(doc, before, rel)
    report = SyncReport(listing)
    nodes = section_nodes(doc, ws.taxonomy)
    papers = listing.papers
    written = ws.load_decisions()  # by the id on each line (maybe a former one)
    alias_of = other_ids(papers)
    decisions = {paper_of(k, papers, alias_of) or k: rec for k, rec in written.items()}
    digest = ws.taxonomy.hash
    entries = listing.entries_of()
    for pid in list(papers):
        known = before[pid].sources if pid in before else []  # a paper new to the library: in no list yet
        mine = [s for s in known if s.file == rel and s.format == FORMAT]
        now = sorted({" > ".join(e.section.path) for e in entries.get(pid, [])})
        if pid in entries and sorted({s.section or "" for s in mine}) != now:
            placed = [e for e in entries[pid] if e.section.path in nodes]
            report.unknown_sections += [" > ".join(e.section.path) for e in entries[pid] if e not in placed]
            if placed:
                evidence = {
                    nodes[e.section.path]: f"listed under this section in {rel}:{e.start + 1}" for e in placed
                }
                (report.moved if mine else report.placed).append(pid)
                decisions[pid] = human(pid, sorted(evidence), evidence, digest, "list")
        elif mine and pid not in entries:
            papers[pid] = placed_at(papers[pid], rel, [])
            if not getattr(decisions.get(pid), "out_of_scope", False):
                report.removed.append(pid)
                decisions[pid] = human(pid, [], {}, digest, "list").model_copy(
                    update={"out_of_scope": True, "reason": f"deleted from {rel} by hand"}
                )
    if any(papers[pid] is not before.get(pid) for pid in papers):
        ws.save_papers(papers.values())
    changed: dict[str, Classification | None] = {
        pid: decisions[pid] for pid in report.placed + report.moved + report.removed
    }
    if changed:
        ws.edit_decisions(_with_former_lines(changed, written, papers, alias_of))
    report.unknown_sections = sorted(set(report.unknown_sections))
    return report


def _with_former_lines(
    changes: dict[str, Classification | None],
    written: dict[str, Classification],
    papers: dict[str, Paper],
    alias_of: dict[str, str],
) -> dict[str, Classification | None]:
    """`changes` (by paper id), and the removal of any line that names one of those papers by another
    id (a former or versioned one): the new decision replaces it rather than sitting beside it. Only
    these lines change; every other decision stays as written."""
    former = [k for k in written if k not in changes and paper_of(k, papers, alias_of) in changes]
    return {**changes, **dict.fromkeys(former)}


def export_list(ws: Workspace, target: Path) -> list[tuple[Path, bool]]:
    """Read the list back (hand edits become decisions), then write it with the new papers and the
    moves and removals decided since, to `target` (the list itself when adopted in place)."""
    from .export.adopted import edit_list
    from .library import load_library

    report = sync(ws)
    lib = load_library(ws)
    papers, labels = lib.papers, lib.labels
    nodes = section_nodes(report.listing.doc, ws.taxonomy)
    text, edit = edit_list(report.listing, papers, labels, ws.taxonomy, nodes)
    changed = write_list(target, text)
    if changed and target.resolve() == list_file(ws):  # where the entries written now sit (a later
        rel = ws.rel(target.resolve())  # deletion of one is a person's), and what the new ones say
        for pid, sections in edit.sections.items():
            papers[pid] = placed_at(papers[pid], rel, listed_at(rel, sections))
        for pid, (entry, near) in edit.written.items():
            listed = read_written(report.listing.doc, entry, near, rel)
            if listed is not None and Matcher({pid: papers[pid]}).find(listed) == pid:
                papers[pid] = absorb(papers[pid], listed, sources=False)
        ws.save_papers(papers.values())
    return [(target, changed)]
