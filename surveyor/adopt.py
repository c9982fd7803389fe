"""Take over an existing Awesome list: its heading hierarchy becomes the taxonomy (the text under a
heading its description), its entries the papers (venue, year, acronym, code links kept), and the
section each entry sits in a human label — so no classifier ever moves a hand-sorted paper.

Input: the README's text. Output: a workspace (surveyor.toml, taxonomy.yaml, data/papers.jsonl,
data/decisions.jsonl) and a report of what could not be carried over. With `in_place`, the README
itself becomes the export target: markers are put around the list's body (from its contents or
first section to the end of its last section, before Contributing / License), so a regeneration
rewrites only that part and the intro and closing sections stay as written.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import clock
from .config import CONFIG_NAME
from .errors import InputError, SurveyorError
from .export.awesome import BEGIN, END
from .library import save_index
from .models import Classification, Label
from .sources.awesome_md import _HEADING, _SKIP_SECTIONS, Doc, clean_heading, read
from .sources.base import Skip
from .sources.dedupe import PaperIndex
from .store import Workspace, atomic_write_text
from .taxonomy import load_taxonomy
from .text import slug


@dataclass
class AdoptReport:
    """What adopting a list did, and what it could not carry over."""

    workspace: Path
    nodes: int = 0
    entries: int = 0
    papers: int = 0
    without_link: int = 0
    in_several_sections: int = 0
    style: str = "bullets"
    skipped: list[Skip] = field(default_factory=list)
    markers: bool = False


def node_ids(doc: Doc) -> dict[tuple[str, ...], str]:
    """A readable unique id per section path: the heading's slug, prefixed by its parent's on a clash."""
    ids: dict[tuple[str, ...], str] = {}
    used: set[str] = set()
    for section in doc.sections:
        base = slug(section.path[-1], 5) or "section"
        candidate = base
        if candidate in used and len(section.path) > 1:
            candidate = f"{ids.get(section.path[:-1], slug(section.path[-2], 3))}-{base}"
        n = 2
        while candidate in used:
            candidate, n = f"{base}-{n}", n + 1
        used.add(candidate)
        ids[section.path] = candidate
    return ids


def taxonomy_dict(doc: Doc, ids: dict[tuple[str, ...], str], name: str) -> dict[str, object]:
    """The taxonomy YAML's content: one node per heading, nested as the headings are."""
    nodes: dict[tuple[str, ...], dict[str, object]] = {}
    roots: list[dict[str, object]] = []
    for section in doc.sections:
        node: dict[str, object] = {"id": ids[section.path], "name": section.path[-1]}
        if section.text:
            node["description"] = section.text
        nodes[section.path] = node
        parents = (section.path[:i] for i in range(len(section.path) - 1, 0, -1))
        parent = next((nodes[p] for p in parents if p in nodes), None)
        if parent is None:
            roots.append(node)
        else:
            children = parent.setdefault("children", [])
            assert isinstance(children, list)
            children.append(node)
    return {"name": name, "description": f"The sections of {name}, adopted by surveyor.", "nodes": roots}


def body_span(text: str, doc: Doc) -> tuple[int, int] | None:
    """(first, last) 1-based lines of the list's body: from its Contents heading (or first section)
    to the line before the first closing section (Contributing, License, ...) after the last section."""
    if not doc.sections:
        return None
    lines = text.splitlines()
    first = doc.sections[0].line
    last_section = doc.sections[-1].line
    end = len(lines)
    in_code = False
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        m = None if in_code else _HEADING.match(line)
        if not m:
            continue
        name = clean_heading(m.group(2))
        if number < first and re.fullmatch(r"(table of )?contents", name, re.I) and len(m.group(1)) >= 2:
            first = number
        elif number > last_section and len(m.group(1)) <= 2 and _SKIP_SECTIONS.match(name):
            end = number - 1
            break
    while end > first and not lines[end - 1].strip():
        end -= 1
    return first, end


def insert_markers(text: str, span: tuple[int, int]) -> str:
    """The README with the generated-part markers around lines first..last."""
    lines = text.splitlines(keepends=True)
    first, last = span
    before, body, after = lines[: first - 1], lines[first - 1 : last], lines[last:]
    if body and not body[-1].endswith("\n"):
        body[-1] += "\n"
    return "".join([*before, BEGIN + "\n", *body, END + "\n", *after])


def adopt(readme: Path, directory: Path | None = None, in_place: bool = False) -> AdoptReport:
    """Create a workspace from an Awesome README; see the module docstring."""
    if not readme.is_file():
        raise InputError(f"file not found: {readme}", "give the path of the list's README.md")
    text = readme.read_text(encoding="utf-8")
    directory = directory or readme.parent
    if (directory / CONFIG_NAME).exists():
        raise SurveyorError(f"{directory / CONFIG_NAME} already exists", "adopt into a new folder (DIR)")
    if in_place and BEGIN in text:
        raise SurveyorError(f"{readme} already has surveyor markers", "it is adopted already")
    doc = read(text, readme.name)
    if not doc.sections or not doc.entries:
        raise InputError(
            f"{readme}: no sections with papers found",
            "an Awesome list has headings (## Section) with papers under them as bullets or table rows",
        )
    listed = {path[:i] for _, path in doc.entries for i in range(1, len(path) + 1)}
    doc.sections = [  # surveyor's own Overview / Benchmarks sections (mind map, chart, table): no papers
        s for s in doc.sections if s.path in listed or s.path[-1].lower() not in ("overview", "benchmarks")
    ]
    report = AdoptReport(directory, skipped=list(doc.skipped))
    ids = node_ids(doc)
    title = doc.title or readme.parent.name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "data").mkdir(exist_ok=True)
    taxonomy_path = directory / "taxonomy.yaml"
    atomic_write_text(
        taxonomy_path,
        "# Adopted from the headings of "
        + readme.name
        + "; edit freely.\n"
        + yaml.safe_dump(taxonomy_dict(doc, ids, title), sort_keys=False, allow_unicode=True, width=100),
    )
    taxonomy = load_taxonomy(taxonomy_path)

    index = PaperIndex({})
    where: dict[str, list[tuple[str, int]]] = defaultdict(list)
    lines = text.splitlines()
    table_rows = 0
    for paper, path in doc.entries:
        index.upsert(paper)
        found = index.find(paper)
        pid = found[0] if found else paper.id
        line = paper.sources[0].line or 0
        where[pid].append((ids[path], line))
        table_rows += lines[line - 1].lstrip().startswith("|") if 0 < line <= len(lines) else 0
    ws_rel = _relative(readme, directory)
    report.style = "table" if table_rows * 2 > len(doc.entries) else "bullets"
    (directory / CONFIG_NAME).write_text(_config_text(title, in_place, ws_rel, report.style))
    ws = Workspace(directory)
    save_index(ws, index)
    now = clock.stamp()
    decisions = []
    current = {alias: p.id for p in index.papers.values() for alias in p.aliases}
    merged_places: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for pid, places in where.items():
        merged_places[pid if pid in index.papers else current[pid]] += places
    for pid, places in sorted(merged_places.items()):
        nodes = sorted({n for n, _ in places})
        evidence = {n: f"listed under this section in {readme.name}:{ln}" for n, ln in places}
        decisions.append(
            Classification(
                paper=pid,
                labels=[Label(node=n, confidence=1.0, evidence=evidence[n]) for n in nodes],
                backend="human",
                model="adopted",
                taxonomy_hash=taxonomy.hash,
                run_id="adopt",
                time=now,
            )
        )
    ws.save_decisions(decisions)
    report.nodes = len(ids)
    report.entries = len(doc.entries)
    report.papers = len(index.papers)
    report.without_link = sum(1 for p in index.papers.values() if not p.url)
    report.in_several_sections = sum(1 for d in decisions if len(d.labels) > 1)
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(".surveyor/\n")
    if in_place:
        span = body_span(text, doc)
        if span:
            atomic_write_text(readme, insert_markers(text, span))
            report.markers = True
    return report


def _relative(readme: Path, directory: Path) -> str:
    try:
        return readme.resolve().relative_to(directory.resolve()).as_posix()
    except ValueError:
        return str(readme.resolve())


def _config_text(title: str, in_place: bool, readme: str, style: str) -> str:
    # exports go to output/; in place, the README target is the list's own (relative to output/)
    folder, name = "output", ("../" + readme if in_place else "README.md")
    return f"""# surveyor workspace adopted from {readme}: see `surveyor --help`
title = {json.dumps(title, ensure_ascii=False)}
description = ""
taxonomy = "taxonomy.yaml"

[classify]
backend = "offline"   # "openai" with SURVEYOR_API_KEY set; the list's own papers are the examples

[export]
dir = {json.dumps(folder)}
readme = {json.dumps(name)}
style = "{style}"
# The list as it was: no mind map, chart, Benchmarks or Contributing section inside the markers.
mindmap = false
chart = false
benchmarks = 0
contributing = false

# What `surveyor update` fetches (arXiv API; one request per 3 s):
# [[sources.arxiv]]
# query = 'abs:"video understanding"'
# categories = ["cs.CV"]
"""


def summary(report: AdoptReport) -> list[str]:
    """Lines for the terminal."""
    out = [
        f"adopted {report.entries} entries as {report.papers} papers in {report.nodes} sections "
        f"({report.style}) into {report.workspace}",
        f"{report.without_link} papers have no link; {report.in_several_sections} sit in several sections",
    ]
    if report.markers:
        out.append("markers put around the list's body: `surveyor export awesome` now rewrites it in place")
    for skip in report.skipped:
        out.append(f"not carried over: line {skip.line}: {skip.reason}")
    if report.skipped:
        out.append(f"{len(report.skipped)} lines not carried over")
    return out
