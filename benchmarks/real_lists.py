"""Adopt, round-trip and add papers to real Awesome lists: what issue 17 will be checked on.

Usage: python benchmarks/real_lists.py README.md|DIR ... [--show]
Each file is one list's README (fetch them yourself: they are other people's writing and are not
shipped here). Per list, in a scratch folder: `adopt --in-place`; `export awesome`, whose bytes must
be the original's; every http(s) link of each entry read as a paper must be among that paper's
links, arXiv id or DOI (the links are found here with a plain pattern, on purpose independent of the
parser under test; image badges left out); entries with a paper-like link (arXiv, OpenReview, DOI,
ACL Anthology, CVF, a PDF) not read as papers; papers lost (an entry's arXiv id or paper link in no
stored paper); then two synthetic papers labelled into the first, a middle and the last section with
papers, and `export awesome`: the diff must only add lines, each new entry must read back as its
paper, in its section's kind of entry (marker, nesting, number of cells), and a second export must
change nothing. `--show` prints each new entry beside one of its section's.
"""

from __future__ import annotations

import argparse
import difflib
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the tests' helper that labels papers (needs pytest)

from test_awesome_lists import add_machine_labels  # noqa: E402

from surveyor.adopt import adopt  # noqa: E402
from surveyor.models import Paper  # noqa: E402
from surveyor.pipeline import export  # noqa: E402
from surveyor.sources.awesome_md import Doc, read  # noqa: E402
from surveyor.store import Workspace  # noqa: E402

URL = re.compile(r"""https?://[^\s)<>"'\]]+""")
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>", re.I)
BADGE = re.compile(r"shields\.io|badge|camo\.githubusercontent|awesome\.re|\.(svg|png|jpe?g|gif)$", re.I)
PAPERISH = re.compile(
    r"arxiv\.org|openreview\.net|doi\.org|\.pdf\b|aclanthology|thecvf\.com|proceedings\.", re.I
)
ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf|html)/+(\d{4}\.\d{4,5}|[a-z\-]+/\d{7})")


def norm(url: str) -> str:
    """A link as compared: no scheme, `www.`, trailing slash or punctuation; arXiv links as their id."""
    url = re.sub(r"^https?://(www\.)?", "", unquote(url.strip()).rstrip("/.,;").lower())
    found = ARXIV.search(url)
    return "arxiv:" + found.group(1) if found else url


def entry_links(text: str) -> list[str]:
    """The entry's http(s) links, images and badges left out."""
    urls = (u.rstrip(".,;*`") for u in URL.findall(IMAGE.sub(" ", text)))
    return [u for u in urls if not BADGE.search(u) or "arxiv" in u]


def paper_links(paper: Paper) -> set[str]:
    """Every link a paper holds, normalised."""
    found = {norm(u) for u in paper.links.values()}
    found |= {"arxiv:" + paper.arxiv_id} if paper.arxiv_id else set()
    return found | ({"doi.org/" + paper.doi.lower()} if paper.doi else set())


def synthetic(k: int) -> list[Paper]:
    """Two new papers for the k-th chosen section: an arXiv one with a code link, a venue one."""
    n = 10 * k + 1
    return [
        Paper(
            id=f"2611.{n:05d}",
            arxiv_id=f"2611.{n:05d}",
            title=f"Synthetic Probe Model {n}: Planning Over Streams",
            published="2026-11-20",
            authors=["Ann Lee", "Bo Wu"],
            links={"code": f"https://github.com/probe/p{n}"},
        ),
        Paper(
            id=f"t-probe{n + 1:04d}",
            title=f"A Synthetic Benchmark Number {n + 1}",
            venue="ICLR",
            year=2025,
            links={"paper": f"https://openreview.net/forum?id=probe{n + 1}"},
        ),
    ]


def changed(before: str, after: str) -> tuple[list[str], list[str]]:
    """(added, removed) lines."""
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    plus = [d[1:] for d in diff if d.startswith("+") and not d.startswith("+++")]
    return plus, [d[1:] for d in diff if d.startswith("-") and not d.startswith("---")]


def links_check(doc: Doc, stored: dict[str, Paper]) -> dict[str, int]:
    """Lost links, unread paper-like entries, lost papers."""
    held = {link for p in stored.values() for link in paper_links(p)}
    out = {"lost links": 0, "unread paper-like": 0, "lost papers": 0}
    for entry in doc.items:
        text = doc.text(entry)
        if entry.paper is None:
            out["unread paper-like"] += bool(PAPERISH.search(text))
            continue
        have = paper_links(entry.paper)
        out["lost links"] += sum(1 for u in entry_links(text) if norm(u) not in have)
        main = ("arxiv:" + entry.paper.arxiv_id) if entry.paper.arxiv_id else entry.paper.links.get("paper")
        out["lost papers"] += bool(main and (norm(main) if "/" in main else main) not in held)
    return out


def additions(ws: Workspace, doc: Doc, show: bool) -> list[str]:
    """Add synthetic papers to three sections, export: the problems found (none: additions only)."""
    before = "".join(doc.lines)
    paths = list(dict.fromkeys(e.section.path for e in doc.items if e.paper))
    chosen = list(dict.fromkeys([paths[0], paths[len(paths) // 2], paths[-1]]))
    node_of = {tuple(ws.taxonomy.path_names(n.id)): n.id for n in ws.taxonomy.iter_nodes()}
    plan = {path: synthetic(k) for k, path in enumerate(chosen)}
    for path, papers in plan.items():
        add_machine_labels(ws, node_of[path], papers)
    export(ws, "awesome")
    after = (ws.root / "README.md").read_text(encoding="utf-8")
    problems = [f"changed line: {line[:80]}" for line in changed(before, after)[1][:3]]
    new_doc = read(after, "README.md")
    for path, papers in plan.items():
        siblings = [e for e in doc.items if e.section.path == path and e.paper]
        shapes = {(e.kind, e.depth, e.marker[-1:], doc.text(e).count("|")) for e in siblings}
        for paper in papers:
            mine = [e for e in new_doc.items if e.paper and e.paper.title == paper.title]
            if len(mine) != 1 or mine[0].section.path != path or mine[0].paper is None:
                problems.append(f"{paper.title}: {len(mine)} entries read back in {path}")
                continue
            entry, read_back = mine[0], mine[0].paper
            if (entry.kind, entry.depth, entry.marker[-1:], new_doc.text(entry).count("|")) not in shapes:
                problems.append(f"{paper.title}: not shaped like its section's entries")
            wanted = paper.arxiv_id or paper.links.get("paper")
            if (read_back.arxiv_id or read_back.links.get("paper")) != wanted:
                problems.append(f"{paper.title}: its link did not read back")
            if show:
                print(f"  new: {new_doc.text(entry).rstrip()[:300]}")
                print(f"  old: {doc.text(siblings[0]).rstrip()[:300]}")
    export(ws, "awesome")
    if (ws.root / "README.md").read_text(encoding="utf-8") != after:
        problems.append("a second export changed the list")
    return problems


def probe(source: Path, show: bool) -> dict[str, object]:
    """One list's row of the table."""
    folder = Path(tempfile.mkdtemp(prefix="surveyor-real-")) / "list"
    folder.mkdir()
    shutil.copy(source, folder / "README.md")
    original = source.read_bytes()
    row: dict[str, object] = {"list": source.stem}
    start = time.perf_counter()
    try:
        adopt(folder / "README.md", in_place=True)
    except Exception as exc:  # a refusal (no sections with papers) is reported, as is a crash
        row["adopt s"] = f"{type(exc).__name__}: {str(exc).split(': ', 1)[-1]}"[:70]
        return row
    row["adopt s"] = round(time.perf_counter() - start, 2)
    ws = Workspace(folder)
    export(ws, "awesome")
    row["round trip"] = (folder / "README.md").read_bytes() == original
    doc = read(original.decode("utf-8", errors="surrogateescape"), "README.md")
    stored = ws.load_papers()
    row.update(entries=sum(1 for e in doc.items if e.paper), papers=len(stored))
    row.update(links_check(doc, stored))
    problems = additions(ws, doc, show)
    row["additions only"] = not problems
    if problems:
        print(f"{source.stem}: " + "; ".join(problems[:4]))
    shutil.rmtree(folder.parent)
    return row


COLUMNS = [
    "entries",
    "papers",
    "lost links",
    "unread paper-like",
    "lost papers",
    "round trip",
    "additions only",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+", type=Path, help="README files, or folders of *.md")
    parser.add_argument("--show", action="store_true", help="print each new entry beside an old one")
    args = parser.parse_args()
    files = [f for p in args.paths for f in (sorted(p.glob("*.md")) if p.is_dir() else [p])]
    rows = [probe(f, args.show) for f in files]
    print("| list | adopt s | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for row in rows:
        cells = [str(row.get(c, "-")) for c in ["adopt s", *COLUMNS]]
        print(f"| {row['list']} | " + " | ".join(cells) + " |")
    totals = [sum(int(r.get(c, 0) or 0) for r in rows) for c in COLUMNS]
    print(f"| **{len(rows)} lists** | | " + " | ".join(map(str, totals)) + " |")


if __name__ == "__main__":
    main()
