"""Time adopting a 5,000-entry Awesome list and an update that adds 10 papers to it.

Usage: python benchmarks/adopt_5k.py [--entries 5000] [--only paragraphs.md]
The list is built from the entry patterns (tests/fixtures/awesome_patterns/, each one a way real
lists are written): their sections are repeated, each copy under its own heading and with its own
arXiv ids and URLs, until the list has the number of entries asked for. Timed, in this process
(imports not counted): `adopt` (in place), the round trip (`export awesome`, which must change no
byte), and `update` with 10 new papers from a JSON-lines source (import, classification of the 10
by the offline classifier that learns from the list's own papers, every export, CHANGES.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PATTERNS = ROOT / "tests" / "fixtures" / "awesome_patterns"


def build_list(entries: int, only: str | None) -> str:
    """A list of `entries` entries: each pattern's sections once, with every entry repeated (each
    copy with its own arXiv id and URLs) until the list has the number asked for."""
    from surveyor.sources.awesome_md import read

    docs = []
    for path in sorted(PATTERNS.glob("*.md")):
        if path.name != "PATTERNS.md" and (not only or path.name == only):
            doc = read(path.read_text(), "x")
            docs.append((path.stem, doc, [e for e in doc.items if e.paper]))
    per = sum(len(items) for _, _, items in docs)
    copies, out, made = -(-entries // per), ["# Awesome Benchmark List\n"], 0
    for _stem, doc, items in docs:
        lines = list(doc.lines[1:] if doc.lines[0].startswith("# ") else doc.lines)
        offset = len(doc.lines) - len(lines)
        for item in reversed(items):
            text = doc.text(item)
            text = text if text.endswith("\n") else text + "\n"
            n = min(copies - 1, max(0, entries - made - len(items)))
            made += n
            title = item.paper.title if item.paper else ""
            extra = [_unique(text, title or "", item.kind) for _ in range(n)]
            lines[item.end - offset : item.end - offset] = extra
        made += len(items)
        out.append("".join(lines))
    return "\n".join(out)


_COPY = iter(range(1, 10**9))
_WORDS = """sparse dense causal masked latent neural fast robust unified scalable efficient temporal spatial
    multimodal visual textual graph memory agent token streaming hybrid adaptive contrastive""".split()


def _unique(text: str, title: str, kind: str) -> str:
    """A copy of an entry with its own arXiv ids, URLs and title (a word of its own in front)."""
    n = next(_COPY)
    word = _WORDS[n % len(_WORDS)] + _WORDS[n // len(_WORDS) % len(_WORDS)]
    text = text.replace(title, f"{word.capitalize()} {title}", 1) if title else text
    text = re.sub(r"\b(\d{4})\.\d{5}\b", rf"\g<1>.{n:05d}", text)
    text = re.sub(r"\]\((https?://(?!arxiv)[^)\s?]+)\)", rf"](\1?copy={n})", text)
    return ("\n" + text) if kind == "paragraph" else text


def new_papers(path: Path) -> None:
    """Ten new papers as JSON lines."""
    rows = [
        {
            "arxiv_id": f"2611.{90000 + i}",
            "title": f"Motion Control for Video Generation, Part {i}",
            "abstract": "Video generation with motion control: trajectory attention steers a video "
            "diffusion model.",
            "published": "2026-11-20",
        }
        for i in range(10)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--only", default=None, help="build the list from this one pattern file")
    args = parser.parse_args()

    from surveyor import clock
    from surveyor.adopt import adopt
    from surveyor.pipeline import export
    from surveyor.sources.awesome_md import read
    from surveyor.store import Workspace
    from surveyor.update import update

    clock.pin(clock.parse_instant("2026-11-22T06:00:00Z"))
    folder = Path(tempfile.mkdtemp(prefix="surveyor-adopt-")) / "list"
    folder.mkdir()
    text = build_list(args.entries, args.only)
    readme = folder / "README.md"
    readme.write_text(text)
    entries = sum(1 for e in read(text, "README.md").items if e.paper)
    read.cache_clear()  # adopt parses the list itself
    print(f"list: {entries} entries, {len(text.splitlines())} lines, {len(text) / 1e6:.2f} MB")

    with timed("adopt"):
        report = adopt(readme, in_place=True)
    print(f"  {report.papers} papers, {report.nodes} sections")

    ws = Workspace(folder)
    with timed("round trip (export awesome)"):
        export(ws, "awesome")
    print(f"  identical: {readme.read_text() == text}")

    new_papers(folder / "new.jsonl")
    cfg = folder / "surveyor.toml"
    cfg.write_text(cfg.read_text() + '\n[[sources.files]]\npath = "new.jsonl"\n')
    with timed("update"):
        result = update(Workspace(folder))
    added = len(readme.read_text().splitlines()) - len(text.splitlines())
    print(f"  {len(result.new)} new papers, {added} lines added to the list")


@contextmanager
def timed(what: str) -> Iterator[None]:
    """Print wall and CPU seconds (the CPU figure is what the load of a shared machine leaves out)."""
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    load = os.getloadavg()[0]
    took, used = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{what}: {took:.2f} s wall, {used:.2f} s CPU (load {load:.1f})")


if __name__ == "__main__":
    main()
