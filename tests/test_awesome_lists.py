"""Adopted Awesome lists, one per way real lists are written (tests/fixtures/awesome_patterns/, copied
from ../shared/data/awesome-patterns/, whose PATTERNS.md says what must come out of each): the round
trip changes no byte, each entry reads as its paper, and new papers are written in the section's own
style as added lines only. Every list in the shared folder, when it is there, goes through the same
round trip and update."""

from __future__ import annotations

import difflib
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from surveyor import listsync
from surveyor.adopt import adopt
from surveyor.models import Classification, Label, Paper
from surveyor.pipeline import export
from surveyor.sources import awesome_md
from surveyor.sources.awesome_entry import Facts
from surveyor.sources.awesome_md import Doc, read
from surveyor.sources.dedupe import PaperIndex, title_conflict
from surveyor.store import Workspace

PATTERNS = Path(__file__).parent / "fixtures" / "awesome_patterns"
SHARED = ROOT.parent / "shared" / "data" / "awesome-patterns"
FILES = sorted(p.name for p in PATTERNS.glob("*.md") if p.name != "PATTERNS.md")

# file -> (title, arXiv id or paper link, venue, year) of each paper, in list order
EXPECTED: dict[str, list[tuple[str, str | None, str | None, int | None]]] = {
    "acronym_title.md": [
        ("Robo-1: Scaling Action Models with Real Trajectories", "2607.00001", None, None),
        ("Robot Operating System", "https://example.edu/ros.pdf", None, None),
        ("Data Pyramid for Embodied Manipulation", "2607.00002", None, None),
    ],
    "astral.md": [
        ("Transformers Live in 𝖳𝖢⁰ Complexity", "2404.00001", "ICML", 2024),
        ("A Plain Title Here", "2404.00002", "ICLR", 2024),
    ],
    "badge_cell.md": [
        ("Alpha: First Model", "2401.00001", None, 2024),
        ("Beta: Second Model", "2301.00002", "CVPR", 2023),
        ("Gamma: Third Model", "2001.00003", "ICML", 2020),
        ("Delta: Fourth Model", "1801.00004", "NeurIPS", 2018),
    ],
    "contrib_middle.md": [("Alpha: A Model", "2501.00001", None, None)],
    "date_groups.md": [
        ("Periodic Positions for Long Context", "2605.00001", None, None),
        ("Compressing Caches Quickly", "2605.00002", "ICML", 2026),
        ("Sparse Attention Revisited", "2605.00003", None, None),
    ],
    "details_desc.md": [
        ("Model-A-7B", None, None, None),
        ("Model-A2-7B", None, None, None),
        ("TinyThing", None, None, None),
        ("Alpha: A Model", "2501.00001", None, None),
    ],
    "double_bracket.md": [
        ("A Dataset for Referring to Things", "https://aclanthology.org/D14-0001", "EMNLP", 2014),
        ("Zooming Into Regions With Words", "1908.01234", None, 2019),
        ("Attention Maps For Phrases", "https://www.cv-foundation.org/", "CVPR", 2015),
    ],
    "html_heads.md": [
        ("Alpha: A Survey", "2501.00001", None, None),
        ("Beta: A Method", "2501.00002", None, None),
    ],
    "links_column.md": [
        ("Alpha Model", "2501.00001", None, None),
        ("Beta Model", "2501.00002", None, None),
        ("Gamma Model", "https://openreview.net/forum?id=abc123", None, None),
    ],
    "multiline.md": [
        ("Alpha: Real-Time Video Model", "2603.00001", "CVPR", 2027),
        ("Beta: A Survey of Things", "2501.00002", None, 2025),
    ],
    "name_column.md": [
        ("A Big Dataset of Pairs", "2301.00001", None, None),
        ("Another Dataset of Triples", "2302.00002", None, None),
    ],
    "paragraphs.md": [
        ("Alpha: A Diffusion Model", "2310.00001", None, 2023),
        ("Beta: Another Diffusion Model", "2303.00002", "CVPR", 2023),
    ],
    "plain_title.md": [
        ("Deep Learning for Anomaly Detection: A Survey", "1901.03407", None, None),
        ("Video Anomaly Detection for Smart Surveillance", "2004.00222", None, None),
    ],
    "pubdate.md": [
        ("Alpha: A Video Dataset", "2305.00001", None, 2023),
        ("Beta: Another Dataset", "2104.00002", "ICCV", 2021),
    ],
    "results_table.md": [("Fast Anomaly Detection in Videos", "2101.00001", "CVPR", 2021)],
    "same_id.md": [
        ("Trajectory Attention For Motion Control", "2411.14208", None, 2024),
        ("ViewExtrapolator: Novel View Extrapolation", "2411.14208", None, 2024),
    ],
    "same_title.md": [
        ("Alpha", "https://a.example.org/", "CVPR", 2016),
        ("Beta", "https://b.example.org/", "ICCV", 2019),
        ("Gamma", "https://c.example.org/", "ECCV", 2022),
        ("Delta", "https://d.example.org/", "NeurIPS", 2025),
    ],
    "toc_like.md": [
        ("Alpha: A Model", "2501.00001", None, None),
        ("Beta: A Benchmark", "2501.00002", None, None),
    ],
    "toc_omit.md": [("Alpha: A Model", "2501.00001", None, None)],
    "twodigit.md": [
        ("Learning Regularity in Videos", "https://openaccess.thecvf.com/", "CVPR", 2016),
        ("Unmasking Abnormal Events", "http://openaccess.thecvf.com/", "ICCV", 2017),
    ],
    "venue_first.md": [
        ("First Paper About Graphs", "https://aclanthology.org/2023.emnlp-main.1/", "EMNLP", 2023),
        ("Second Paper About Trees", "https://aclanthology.org/2023.emnlp-main.2/", "EMNLP", 2023),
        ("Third Paper About Knowledge", "2310.00001", None, 2023),
    ],
    "version_merge.md": [
        ("Qwen2-Math-1.5B|7B|72B", "https://example.org/qwen2-math/", None, None),
        ("Qwen2.5-Math-1.5B|7B|72B", "https://example.org/qwen2.5-math/", None, None),
    ],
    "wrapped.md": [
        (
            "Weakly-supervised Detection with Contrastive Learning of Long and Short-range Features",
            "2101.00001",
            "ICCV",
            2021,
        ),
        ("Another Paper", "2102.00002", "CVPR", 2021),
    ],
    "www_venue.md": [("Attention Maps For Phrases", "https://www.cv-foundation.org/", "CVPR", 2015)],
}


def test_every_pattern_has_expectations_and_matches_the_shared_copy() -> None:
    assert set(FILES) == set(EXPECTED)
    if SHARED.is_dir():
        for name in FILES:
            assert (SHARED / name).read_bytes() == (PATTERNS / name).read_bytes(), name


def _link(paper: Paper) -> str | None:
    return paper.arxiv_id or paper.links.get("paper") or paper.links.get("project")


@pytest.mark.parametrize("name", FILES)
def test_pattern_reads_as_the_papers_its_readme_lists(name: str) -> None:
    doc = read((PATTERNS / name).read_text(), "README.md")
    got = [(p.title, _link(p), p.venue, p.year) for p, _ in doc.entries]
    want = EXPECTED[name]
    assert [g[0] for g in got] == [w[0] for w in want]
    for (title, link, venue, year), (_, glink, gvenue, gyear) in zip(want, got, strict=True):
        assert (glink or "").startswith(link or ""), (title, glink)
        assert (gvenue, gyear) == (venue, year), title


def _adopted(tmp_path: Path, source: Path, in_place: bool = True) -> Workspace:
    folder = tmp_path / "list"
    folder.mkdir(parents=True)
    shutil.copy(source, folder / "README.md")
    adopt(folder / "README.md", in_place=in_place)
    return Workspace(folder)


@pytest.mark.parametrize("name", FILES)
def test_round_trip_changes_no_byte(tmp_path: Path, name: str) -> None:
    ws = _adopted(tmp_path, PATTERNS / name)
    original = (PATTERNS / name).read_bytes()
    assert (ws.root / "README.md").read_bytes() == original  # adopt writes nothing into it
    export(ws, "awesome")
    assert (ws.root / "README.md").read_bytes() == original
    assert len(ws.load_papers()) == len({p for p in _ids(ws)})


def _reading(doc: Doc) -> list[object]:
    """Everything a read says about each entry, and what it skipped."""
    entries = [
        (e.kind, e.start, e.end, e.section.path, e.block, e.paper.model_dump() if e.paper else None)
        for e in doc.items
    ]
    return [entries, [(s.line, s.reason) for s in doc.skipped], doc.read, doc.title]


@pytest.mark.parametrize("name", FILES)
def test_reading_an_edited_list_again_is_reading_it_afresh(name: str) -> None:
    """An update reads its list again after editing it, with what the first read found about each
    entry remembered by the entry's text: it must come out exactly as a first read of the edited
    text (every entry on its new line, a copy of an entry on its own)."""
    text = (PATTERNS / name).read_text()
    doc = read(text, "README.md")
    first = next((e for e in doc.items if e.paper), None)
    assert first is not None and first.paper is not None
    copy = doc.text(first) if doc.text(first).endswith("\n") else doc.text(first) + "\n"
    copy = "\n" + copy + "\n" if first.kind == "paragraph" else copy
    edited = "".join([*doc.lines[:1], "\n", "<!-- a note -->\n", *doc.lines[1 : first.end], copy])
    edited += "".join(doc.lines[first.end :])
    remembered = read(edited, "README.md")
    for cached in (read, awesome_md._item_facts, awesome_md._row_facts, awesome_md._paper):
        cached.cache_clear()
    afresh = read(edited, "README.md")
    assert remembered is not afresh and _reading(remembered) == _reading(afresh)
    assert all(e.paper.sources[0].line is None for e in remembered.items if e.paper)  # lines move
    imported = awesome_md.parse(edited, "README.md").papers  # imported as a source: each on its line
    sources = [(p.sources[0].line, p.sources[0].section) for p in imported]
    assert sources == [(e.start + 1, " > ".join(e.section.path)) for e in remembered.items if e.paper]
    assert sum(1 for e in remembered.items if e.paper and e.paper.title == first.paper.title) >= 2


def _ids(ws: Workspace) -> list[str]:
    return [p.id for p in ws.load_papers().values()]


NEW = [
    Paper(
        id="2611.00001",
        arxiv_id="2611.00001",
        title="StreamAgent: Planning Tool Calls over Live Video",
        published="2026-11-20",
        authors=["Ann Lee", "Bo Wu"],
        links={"code": "https://github.com/new/streamagent"},
    ),
    Paper(
        id="t-newpaper01",
        title="A Benchmark Without a Preprint",
        venue="ICLR",
        year=2025,
        links={"paper": "https://openreview.net/forum?id=zzz999"},
    ),
]


def add_machine_labels(ws: Workspace, node: str, papers: list[Paper]) -> None:
    """Put `papers` in the library with a machine label for `node` (as a classifier run would)."""
    library = ws.load_papers()
    library.update({p.id: p for p in papers})
    ws.save_papers(library.values())
    labels = ws.load_labels()
    for p in papers:
        labels[p.id] = Classification(
            paper=p.id,
            labels=[Label(node=node, confidence=0.9)],
            backend="offline",
            model="test",
            taxonomy_hash=ws.taxonomy.hash,
            run_id="test",
            time="2026-11-22T06:00:00Z",
        )
    ws.save_labels(labels.values())


def _forget_this_run() -> None:
    """Drop what this process remembers of lists read (a new run starts with none of it)."""
    listsync._memory.cache_clear()
    for cached in (read, awesome_md._item_facts, awesome_md._row_facts, awesome_md._paper):
        cached.cache_clear()


@pytest.mark.parametrize("name", FILES)
def test_entries_remembered_from_an_earlier_run_read_as_afresh(tmp_path: Path, name: str) -> None:
    """An entry read in an earlier run is taken from the workspace's memory of entries
    (.surveyor/list-entries.sqlite) and comes out exactly as read afresh: the same facts, papers,
    skips."""
    text = (PATTERNS / name).read_text()
    state = tmp_path / ".surveyor"
    listsync.read_doc(text, "README.md", state)  # learns every entry, and stores them
    _forget_this_run()
    memory = listsync._memory(state / listsync.MEMORY)
    known = dict(memory.known)
    assert known
    second = listsync.read_doc(text, "README.md", state)
    assert not memory.learned and memory.used <= set(known)  # every entry came from the memory
    afresh = awesome_md._parse(text, "README.md")
    assert _reading(second) == _reading(afresh)
    assert [e.facts for e in second.items] == [e.facts for e in afresh.items]


def test_the_memory_of_entries_is_only_a_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the memory holds is used, but only under the reader's own version; a damaged store is
    read around and rebuilt; without .surveyor/ an export writes the same files."""
    ws = _adopted(tmp_path, PATTERNS / "plain_title.md")
    export(ws)
    outputs = {p: p.read_bytes() for p in [*ws.root.rglob("*.*")] if ".surveyor" not in p.parts}
    store = ws.state_dir / listsync.MEMORY
    text = (ws.root / "README.md").read_text()
    first = next(e for e in read(text, "README.md").items if e.paper)
    assert first.facts is not None
    with closing(sqlite3.connect(store)) as db, db:
        rows = db.execute("SELECT key, facts FROM entries").fetchall()
        key, facts = next((k, f) for k, f in rows if Facts.loads(f).title == first.facts.title)
        poisoned = facts.replace(first.facts.title, "Poisoned Title")
        db.execute("UPDATE entries SET facts = ? WHERE key = ?", (poisoned, key))

    def title() -> str:
        _forget_this_run()
        doc = listsync.read_doc(text, "README.md", ws.state_dir)
        return next(e.paper.title or "" for e in doc.items if e.paper)

    assert title() == "Poisoned Title"  # what is remembered is what is read
    monkeypatch.setattr(listsync, "reader_version", lambda: "another reader")
    assert title() == first.facts.title  # remembered by other code: read again
    with closing(sqlite3.connect(store)) as db:
        assert {v for (v,) in db.execute("SELECT DISTINCT version FROM entries")} == {"another reader"}
    store.write_bytes(b"not a database")
    assert title() == first.facts.title
    with closing(sqlite3.connect(store)) as db:  # rebuilt
        assert db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] > 0
    shutil.rmtree(ws.state_dir)
    _forget_this_run()
    export(Workspace(ws.root))
    assert {p: p.read_bytes() for p in outputs} == outputs


def test_a_repository_with_its_own_gitignore_never_stages_surveyors_state(tmp_path: Path) -> None:
    """A list's repository that has a .gitignore of its own (not naming .surveyor/): after adopt and
    an export, `git add --all` (what the daily workflow runs) stages no cache or lock, and the
    repository's .gitignore is left as written."""
    folder = tmp_path / "list"
    folder.mkdir()
    shutil.copy(PATTERNS / "plain_title.md", folder / "README.md")
    (folder / ".gitignore").write_text("node_modules/\n")
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    adopt(folder / "README.md", in_place=True)
    export(Workspace(folder))
    assert (folder / ".surveyor" / listsync.MEMORY).is_file() and (folder / ".surveyor" / "lock").is_file()
    subprocess.run(["git", "add", "--all", "."], cwd=folder, check=True)
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=folder, check=True, capture_output=True, text=True
    ).stdout.split()
    assert "README.md" in staged and "surveyor.toml" in staged
    assert not [name for name in staged if name.startswith(".surveyor")], staged
    assert (folder / ".gitignore").read_text() == "node_modules/\n"


def added_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(added, removed) lines of a diff."""
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    plus = [d[1:] for d in diff if d.startswith("+") and not d.startswith("+++")]
    minus = [d[1:] for d in diff if d.startswith("-") and not d.startswith("---")]
    return plus, minus


def _cells(row: str) -> list[str]:
    return re.split(r"(?<!\\)\|", row.strip())


def check_additions(ws: Workspace, source: Path) -> None:
    """Add the NEW papers to the first section with entries; only added lines, in its style."""
    before = source.read_text()
    doc = read(before, "README.md")
    first = next(e for e in doc.items if e.paper is not None)
    node = next(
        n.id for n in ws.taxonomy.iter_nodes() if tuple(ws.taxonomy.path_names(n.id)) == first.section.path
    )
    add_machine_labels(ws, node, NEW)
    papers_file = ws.root / "data" / "papers.jsonl"
    data_before = papers_file.read_bytes().splitlines()
    export(ws, "awesome")
    after = (ws.root / "README.md").read_text()
    plus, minus = added_lines(before, after)
    assert minus == [] and plus, source.name
    new_ids = [f'"id":"{p.id}"'.encode() for p in NEW]  # no other paper's record changes (no line numbers)
    data_after = papers_file.read_bytes().splitlines()
    assert [ln for ln in data_after if not any(i in ln for i in new_ids)] == [
        ln for ln in data_before if not any(i in ln for i in new_ids)
    ], source.name
    new_doc = read(after, "README.md")
    mine = [e for e in new_doc.items if e.paper and e.paper.title in {p.title for p in NEW}]
    assert {e.paper.title for e in mine if e.paper} == {p.title for p in NEW}, source.name
    siblings = [e for e in doc.items if e.section.path == first.section.path and e.paper]
    for entry in mine:
        assert entry.section.path == first.section.path
        assert entry.kind == first.kind and entry.depth == first.depth, source.name
        assert entry.marker[-1:] in {e.marker[-1:] for e in siblings}
        assert entry.paper is not None
        wanted = next(p for p in NEW if p.title == entry.paper.title)
        assert (entry.paper.arxiv_id or entry.paper.links.get("paper")) == (
            wanted.arxiv_id or wanted.links["paper"]
        ), new_doc.text(entry)
        if entry.kind == "row":
            assert len(_cells(new_doc.text(entry))) == len(_cells(new_doc.text(siblings[0])))
    export(ws, "awesome")
    assert (ws.root / "README.md").read_text() == after  # the next export changes nothing:
    assert papers_file.read_bytes().splitlines() == data_after  # what the new entries say was kept
    decisions = ws.load_decisions()
    assert not any(p.id in decisions for p in NEW)  # written by surveyor: still machine labels
    section = " > ".join(first.section.path)
    for paper in NEW:  # where it was written is recorded: deleting it later is a person's removal
        sources = ws.load_papers()[paper.id].sources
        assert [(s.file, s.format, s.section, s.line) for s in sources if s.file == "README.md"] == [
            ("README.md", "awesome", section, None)
        ]


@pytest.mark.parametrize("name", FILES)
def test_new_papers_are_added_lines_in_the_sections_style(tmp_path: Path, name: str) -> None:
    ws = _adopted(tmp_path, PATTERNS / name)
    check_additions(ws, PATTERNS / name)


SHARED_FILES = sorted(p.name for p in SHARED.glob("*.md") if p.name != "README.md") if SHARED.is_dir() else []


@pytest.mark.skipif(
    not SHARED_FILES, reason="../shared/data/awesome-patterns is not here (CI clones without it)"
)
@pytest.mark.parametrize("name", SHARED_FILES)
def test_every_shared_list_round_trips_and_takes_new_papers(tmp_path: Path, name: str) -> None:
    ws = _adopted(tmp_path, SHARED / name)
    export(ws, "awesome")
    assert (ws.root / "README.md").read_bytes() == (SHARED / name).read_bytes()
    check_additions(ws, SHARED / name)


def test_style_details(tmp_path: Path) -> None:
    """What each pattern's new entry looks like: numbering, columns, badges, dates, authors."""
    made = {}
    for name in ("links_column.md", "paragraphs.md", "double_bracket.md", "pubdate.md", "same_id.md"):
        ws = _adopted(tmp_path / name, PATTERNS / name)
        add_machine_labels(ws, next(ws.taxonomy.iter_nodes()).id, NEW[:1])
        export(ws, "awesome")
        plus, _ = added_lines((PATTERNS / name).read_text(), (ws.root / "README.md").read_text())
        made[name] = "\n".join(plus).strip("\n")
    assert made["links_column.md"].startswith("| 11) **StreamAgent: Planning Tool Calls over Live Video**")
    assert "[Paper](https://arxiv.org/abs/2611.00001)" in made["links_column.md"]
    assert made["paragraphs.md"].splitlines()[:2] == [
        "**StreamAgent: Planning Tool Calls over Live Video** \\",
        "*Ann Lee, Bo Wu* \\",
    ]
    assert "[[Code]](https://github.com/new/streamagent)" in made["double_bracket.md"]
    assert made["double_bracket.md"].startswith("2. ")  # after `1.`, numbered on
    assert "| Nov, 2026 |" in made["pubdate.md"]  # `May, 2023` is a date: written as one
    assert made["same_id.md"].endswith("(Nov., 2026)")


def test_clashes_and_unread_entries_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "same"
    folder.mkdir()
    shutil.copy(PATTERNS / "same_id.md", folder / "README.md")
    result = run_cli("adopt", str(folder / "README.md"))
    assert result.returncode == 0, result.stderr
    assert "clash: line 5: lines 5, 9 name one paper (2411.14208) under different titles" in result.stdout
    ws = Workspace(folder)
    decision = ws.load_decisions()["2411.14208"]
    assert len(decision.labels) == 2 and len(ws.load_papers()) == 1  # one paper, both entries kept
    report = adopt(_copy(tmp_path / "pp", PATTERNS / "same_title.md"))
    assert report.papers == 4 and any("'project page'" in c.reason for c in report.clashes)
    text = (
        "# L\n\n## A\n\n- [Alpha: A Model](https://arxiv.org/abs/2501.00001)\n- bad \x00 entry with words\n"
    )
    text += "- ok\n"
    report = adopt(_copy(tmp_path / "nul", None, text))
    assert [(s.line, "NUL" in s.reason) for s in report.skipped] == [(6, True), (7, False)]


def _copy(folder: Path, source: Path | None, text: str | None = None) -> Path:
    folder.mkdir(parents=True)
    readme = folder / "README.md"
    if source is not None:
        shutil.copy(source, readme)
    else:
        readme.write_text(text or "")
    return readme


@pytest.mark.slow
def test_hostile_bytes_and_long_lines_round_trip(tmp_path: Path) -> None:
    """Invalid UTF-8, a NUL, CRLF line ends, no final newline, a heading of 3,000 spaces and lines
    of 100,000 characters (unclosed links, parentheses, spaces): adopted without a traceback (and
    without a regex backtracking over them), written back byte for byte."""
    raw = (
        b"# List\r\n\r\n## " + b" " * 3000 + b"Models" + b" " * 3000 + b"#\r\n\r\n"
        b"- [Alpha: A Model](https://arxiv.org/abs/2501.00001) \xff\xfe bad bytes\r\n"
        b"- [Beta: Another](https://arxiv.org/abs/2501.00002)\r\n"
        b"- "
        + b"[x](" * 25000
        + b"\r\n- "
        + b"( " * 20000
        + b"\r\n- x"
        + b" " * 100000
        + b"-. y <!--" * 3
        + b"\r\n"
        b"- [Gamma: Third](https://arxiv.org/abs/2501.00003)"
    )
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "README.md").write_bytes(raw)
    report = adopt(folder / "README.md", in_place=True)
    assert any(s.line == 5 for s in report.skipped)
    assert report.papers >= 2
    ws = Workspace(folder)
    export(ws, "awesome")
    assert (folder / "README.md").read_bytes() == raw
    add_machine_labels(ws, next(ws.taxonomy.iter_nodes()).id, NEW[:1])
    export(ws, "awesome")
    after = (folder / "README.md").read_bytes()
    assert after.startswith(raw[: raw.index(b"- [Gamma")]) and b"2611.00001" in after
    assert after.count(b"\r\n") == raw.count(b"\r\n") + 1  # the new line ends as the others do


def test_adopt_is_resumable_and_never_overwrites_other_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import surveyor.adopt as adopt_module

    readme = _copy(tmp_path / "l", PATTERNS / "paragraphs.md")
    real = adopt_module.atomic_write_text

    def dies_on_config(path: Path, text: str) -> bool:
        if path.name == "surveyor.toml":
            raise KeyboardInterrupt
        return real(path, text)

    monkeypatch.setattr(adopt_module, "atomic_write_text", dies_on_config)
    with pytest.raises(KeyboardInterrupt):
        adopt(readme)
    monkeypatch.setattr(adopt_module, "atomic_write_text", real)
    assert not (readme.parent / "surveyor.toml").exists()
    report = adopt(readme)  # the rerun finishes the interrupted one
    assert report.papers == 2 and (readme.parent / "surveyor.toml").is_file()
    other = _copy(tmp_path / "other", PATTERNS / "paragraphs.md")
    (other.parent / "taxonomy.yaml").write_text("name: mine\nnodes: [{id: a, name: A}]\n")
    result = run_cli("adopt", str(other))
    assert result.returncode == 1 and "not from an interrupted adopt" in result.stderr
    assert (other.parent / "taxonomy.yaml").read_text().startswith("name: mine")


def test_adopt_from_inside_the_lists_folder_with_an_html_title(tmp_path: Path) -> None:
    folder = tmp_path / "awesome-x"
    _copy(folder, PATTERNS / "html_heads.md")
    result = run_cli("adopt", "README.md", "--in-place", cwd=folder)
    assert result.returncode == 0, result.stderr
    ws = Workspace(folder)
    assert ws.config.title == "Awesome X"
    assert [n.name for n in ws.taxonomy.iter_nodes()] == ["Surveys", "Methods"]


@pytest.mark.slow
def test_export_refuses_to_replace_a_readme_without_markers(tmp_path: Path) -> None:
    ws_dir = tmp_path / "ws"
    assert run_cli("init", str(ws_dir), "--title", "Mine").returncode == 0
    (ws_dir / "output").mkdir()
    readme = ws_dir / "output" / "README.md"
    readme.write_text("# My own README\n")
    refused = run_cli("export", "awesome", "-w", str(ws_dir))
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert readme.read_text() == "# My own README\n"
    forced = run_cli("export", "awesome", "--force", "-w", str(ws_dir))
    assert forced.returncode == 0, forced.stderr and "surveyor:begin" in readme.read_text()


def test_versions_are_never_fuzzy_merged() -> None:
    assert title_conflict("Qwen2-Math-1.5B|7B|72B", "Qwen2.5-Math-1.5B|7B|72B")
    assert title_conflict("Video-XL: long video", "Video-XL-2: long video")
    assert not title_conflict("Video-XL: a long video model (2024)", "Video-XL: a long video model")
    index = PaperIndex({})
    for t in ("Qwen2-Math-1.5B|7B|72B Technical Report", "Qwen2.5-Math-1.5B|7B|72B Technical Report"):
        index.upsert(Paper(id="t-" + re.sub(r"\W", "", t)[:10], title=t))
    assert len(index.papers) == 2


def lint_rules(readme: Path, tmp_path: Path) -> set[str]:
    """The awesome-lint rules a README breaks (the README alone in a GitHub-like repository)."""
    from test_exports import awesome_lint

    folder = tmp_path / "lint-src"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(readme, folder / "README.md")
    result = awesome_lint(folder, tmp_path)
    return set(
        re.findall(r"^\s+[✖⚠]\s+\d+:\d+\s+.*?\s(remark-lint:[\w-]+)\s*$", result.stdout + result.stderr, re.M)
    )


LINTED = [
    "paragraphs.md",
    "links_column.md",
    "double_bracket.md",
    "twodigit.md",
    "multiline.md",
    "badge_cell.md",
]


@pytest.mark.slow
@pytest.mark.skipif(
    not (ROOT / ".ci/node/node_modules/.bin/awesome-lint").is_file(), reason="awesome-lint not installed"
)
@pytest.mark.parametrize("name", LINTED)
def test_additions_break_no_new_awesome_lint_rule(tmp_path: Path, name: str) -> None:
    before = lint_rules(PATTERNS / name, tmp_path / "before")
    assert before, "the linter ran"
    ws = _adopted(tmp_path, PATTERNS / name)
    add_machine_labels(ws, next(ws.taxonomy.iter_nodes()).id, NEW)
    export(ws, "awesome")
    assert (ws.root / "README.md").read_text() != (PATTERNS / name).read_text()
    assert lint_rules(ws.root / "README.md", tmp_path / "after") <= before


def test_a_list_outside_the_workspace_is_written_only_where_it_was_named(tmp_path: Path) -> None:
    readme = _copy(tmp_path / "clone", PATTERNS / "same_id.md")
    copy_ws, in_place_ws = tmp_path / "ws-copy", tmp_path / "ws-in-place"
    adopt(readme, copy_ws)
    adopt(readme, in_place_ws, in_place=True)
    for folder in (copy_ws, in_place_ws):
        ws = Workspace(folder)
        add_machine_labels(ws, next(ws.taxonomy.iter_nodes()).id, NEW[:1])
    export(Workspace(copy_ws), "awesome")
    assert readme.read_bytes() == (PATTERNS / "same_id.md").read_bytes()  # not named: untouched
    assert "2611.00001" in (copy_ws / "output" / "README.md").read_text()
    assert Workspace(in_place_ws).config.export.readme == str(readme.resolve())  # an explicit path
    export(Workspace(in_place_ws), "awesome")
    assert "2611.00001" in readme.read_text()


def test_html_links_are_read_and_written_as_html(tmp_path: Path) -> None:
    text = (
        "# X\n\n## Models\n\n| Title | Code |\n|---|---|\n"
        '| <a href="https://arxiv.org/abs/2401.00001"><b>Alpha: A Model</b></a> | '
        '<a href="https://github.com/a/b">code</a> |\n'
    )
    ws = _adopted(tmp_path, _copy(tmp_path / "src", None, text))
    paper = ws.load_papers()["2401.00001"]
    assert paper.title == "Alpha: A Model" and paper.links == {"code": "https://github.com/a/b"}
    add_machine_labels(ws, "models", NEW[:1])
    export(ws, "awesome")
    plus, minus = added_lines(text, (ws.root / "README.md").read_text())
    assert minus == [] and plus == [
        '| <a href="https://arxiv.org/abs/2611.00001"><b>StreamAgent: Planning Tool Calls over Live Video</b>'
        '</a> | <a href="https://github.com/new/streamagent">code</a> |'
    ]
