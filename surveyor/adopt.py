"""Take over an existing Awesome list: its sections become the taxonomy (the text under a heading
its description), its entries the papers (title, every link, venue, year, authors, acronym), and
the section each entry sits in a human label — so no classifier ever moves a hand-sorted paper.
The README itself is not touched: it stays the maintainer's, and exports edit it entry by entry.

Input: the README. Output: a workspace (taxonomy.yaml, data/papers.jsonl, data/decisions.jsonl,
.gitignore, and surveyor.toml last, so an interrupted adopt is finished by running it again) and
a report of what could not be read as a paper and of the clashes (one id under two titles, one
title for two papers, one link text on many entries), each with its line.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .config import CONFIG_NAME, Config, config_text
from .errors import InputError, SurveyorError
from .files import atomic_write_text
from .listsync import clashes, human, match, read_doc, read_list
from .sources.awesome_md import Section
from .sources.base import Skip
from .store import STATE_DIR, Workspace
from .taxonomy import parse_taxonomy
from .text import slug

_HEADER = "# Adopted from the headings of "


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
    clashes: list[Skip] = field(default_factory=list)
    in_place: bool = False


def node_ids(sections: list[Section]) -> dict[tuple[str, ...], str]:
    """A readable unique id per section path: the heading's slug, prefixed by its parent's on a clash."""
    ids: dict[tuple[str, ...], str] = {}
    used: set[str] = set()
    for section in sections:
        if section.path in ids:
            continue
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


def taxonomy_dict(sections: list[Section], ids: dict[tuple[str, ...], str], name: str) -> dict[str, object]:
    """The taxonomy YAML's content: one node per heading, nested as the headings are."""
    nodes: dict[tuple[str, ...], dict[str, object]] = {}
    roots: list[dict[str, object]] = []
    for section in sections:
        if section.path in nodes:
            continue
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


def paper_sections(sections: list[Section], listed: set[tuple[str, ...]]) -> list[Section]:
    """The sections that become taxonomy nodes: those with papers in them or below them (never a
    contents list, a results table or a Contributing / License / Citation section)."""
    above = {path[:i] for path in listed for i in range(1, len(path) + 1)}
    return [s for s in sections if not s.skip and s.path in above]


def _check_folder(directory: Path) -> None:
    """Refuse to overwrite anything but what an interrupted adopt left behind."""
    if (directory / CONFIG_NAME).exists():
        raise SurveyorError(f"{directory / CONFIG_NAME} already exists", "adopt into a new folder (DIR)")
    taxonomy = directory / "taxonomy.yaml"
    ours = taxonomy.is_file() and taxonomy.read_text(encoding="utf-8", errors="replace").startswith(_HEADER)
    for name in ("taxonomy.yaml", "data/papers.jsonl", "data/decisions.jsonl"):
        if (directory / name).exists() and not ours:
            raise SurveyorError(
                f"{directory / name} already exists and is not from an interrupted adopt",
                "adopt into a new folder (DIR), or move the file away",
            )


def adopt(readme: Path, directory: Path | None = None, in_place: bool = False) -> AdoptReport:
    """Create a workspace from an Awesome README; see the module docstring."""
    if not readme.is_file():
        raise InputError(f"file not found: {readme}", "give the path of the list's README.md")
    readme = readme.resolve()
    directory = (directory or readme.parent).resolve()
    _check_folder(directory)
    rel = _relative(readme, directory)
    doc = read_doc(read_list(readme), rel, directory / STATE_DIR)
    listing = match(doc, {}, rel)
    if not listing.ids:
        raise InputError(
            f"{readme}: no sections with papers found",
            "an Awesome list has headings (## Section) with papers under them as list items, table rows"
            " or paragraphs",
        )
    entries = listing.entries_of()
    sections = paper_sections(doc.sections, {e.section.path for es in entries.values() for e in es})
    ids = node_ids(sections)
    title = doc.title or readme.parent.name or "Awesome list"
    directory.mkdir(parents=True, exist_ok=True)
    taxonomy_path = directory / "taxonomy.yaml"
    tree = taxonomy_dict(sections, ids, title)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(tree, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
    atomic_write_text(taxonomy_path, _HEADER + readme.name + "; edit freely.\n" + text)
    taxonomy = parse_taxonomy(tree, taxonomy_path)
    ws = Workspace(directory, Config())  # surveyor.toml is written last
    decisions = []
    digest = taxonomy.hash
    for pid, mine in sorted(entries.items()):
        evidence = {ids[e.section.path]: f"listed under this section in {rel}:{e.start + 1}" for e in mine}
        decisions.append(human(pid, sorted(evidence), evidence, digest, "adopt"))
    with ws.lock("adopt"):
        ws.save_papers(listing.papers.values())
        ws.save_decisions(decisions)
        gitignore = directory / ".gitignore"
        if not gitignore.exists():
            atomic_write_text(gitignore, ".surveyor/\n")
        atomic_write_text(
            directory / CONFIG_NAME,
            config_text(title, "taxonomy.yaml", (rel, _target(in_place, directory, readme), in_place)),
        )
    kinds: dict[str, int] = defaultdict(int)
    for item in doc.items:
        kinds[item.kind] += 1
    return AdoptReport(
        directory,
        nodes=len(ids),
        entries=sum(len(es) for es in entries.values()),
        papers=len(listing.papers),
        without_link=sum(1 for p in listing.papers.values() if not p.url and not p.links),
        in_several_sections=sum(1 for d in decisions if len(d.labels) > 1),
        style={"row": "table", "paragraph": "paragraphs"}.get(max(kinds, key=kinds.__getitem__), "bullets"),
        skipped=list(doc.skipped),
        clashes=clashes(listing),
        in_place=in_place,
    )


def _relative(readme: Path, directory: Path) -> str:
    try:
        return readme.relative_to(directory).as_posix()
    except ValueError:
        return str(readme)  # outside the workspace: the path as given, absolute


def _target(in_place: bool, directory: Path, readme: Path) -> str:
    """`[export] readme`: the list itself in place (relative to output/ when it is inside the
    workspace, else its absolute path: an explicit path), else output/README.md."""
    if not in_place:
        return "README.md"
    try:
        readme.relative_to(directory)
    except ValueError:
        return str(readme)
    return os.path.relpath(readme, directory / "output").replace(os.sep, "/")


def summary(report: AdoptReport) -> list[str]:
    """Lines for the terminal."""
    out = [
        f"adopted {report.entries} entries as {report.papers} papers in {report.nodes} sections "
        f"({report.style}) into {report.workspace}",
        f"{report.without_link} papers have no link; {report.in_several_sections} sit in several sections",
        "the README is unchanged: `surveyor export awesome` "
        + ("adds new papers to it in place" if report.in_place else "writes it with new papers to output/"),
    ]
    for skip in report.skipped:
        out.append(f"not read as a paper: line {skip.line}: {skip.reason}")
    for clash in report.clashes:
        out.append(f"clash: line {clash.line}: {clash.reason}")
    if report.skipped:
        out.append(f"{len(report.skipped)} entries not read as papers (kept in the README as written)")
    return out
