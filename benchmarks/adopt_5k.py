"""Time adopting a 5,000-entry Awesome list, its round trip, and an update that adds 10 papers.

Usage: python benchmarks/adopt_5k.py [--entries 5000] [--only paragraphs.md] [--split]
The list is built from the entry patterns (tests/fixtures/awesome_patterns/, each one a way real
lists are written): their sections are repeated, each copy under its own heading and with its own
arXiv ids and URLs, until the list has the number of entries asked for. Each step runs in a fresh
process that first adopts and updates a 10-entry list of its own (so imports and first-use set-up
are done, and nothing about the big list is remembered), then times the step: `adopt` (in place),
the round trip (`export awesome`, which must change no byte), and `update` with 10 new papers from
a JSON-lines source (import, classification of the 10 by the offline classifier that learns from
the list's own papers, every export, CHANGES.md). With `--split`, the update's CPU time per stage.
Then the same three as `surveyor` commands, each in its own process, start-up and imports included,
a second `update` with 10 more papers (the next day's run, which finds the outputs of the first),
and a third with `.surveyor/` deleted first: the daily workflow's fresh clone, which has no memory
of the list's entries (`listsync.MEMORY`) and reads every entry afresh.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
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


def new_papers(path: Path, batch: int = 0) -> None:
    """Ten new papers as JSON lines (each batch its own ten)."""
    rows = [
        {
            "arxiv_id": f"2611.{90000 + 10 * batch + i}",
            "title": f"Motion Control for Video Generation, Part {10 * batch + i}",
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
    parser.add_argument("--split", action="store_true", help="the update's CPU time per stage")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)  # the child process's work
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        run_step(args.step, args.folder, args.split)
        return

    from surveyor.sources.awesome_md import read

    text = build_list(args.entries, args.only)
    entries = sum(1 for e in read(text, "README.md").items if e.paper)
    print(f"list: {entries} entries, {len(text.splitlines())} lines, {len(text) / 1e6:.2f} MB")
    base = Path(tempfile.mkdtemp(prefix="surveyor-adopt-"))
    steps, commands = base / "steps" / "list", base / "commands" / "list"
    for folder in (steps, commands):
        folder.mkdir(parents=True)
        (folder / "README.md").write_text(text)
    for step in STEPS:
        if step == "update":
            add_source(steps)
        cmd = [sys.executable, __file__, "--step", step, "--folder", str(steps)] + ["--split"] * args.split
        out = subprocess.run(
            cmd, check=True, capture_output=True, text=True, env={**os.environ, "SURVEYOR_NOW": NOW}
        )
        print(out.stdout, end="")
    print("as commands (own process each: start-up and imports included):")
    for step, argv in COMMANDS.items():
        if step.startswith("update"):
            add_source(commands, batch=list(COMMANDS).index(step) - 2)
        if step.endswith("fresh clone"):
            shutil.rmtree(commands / ".surveyor")
        command(step, [a.replace("DIR", str(commands)) for a in argv])
        if step == "round trip":
            print(f"  identical: {(commands / 'README.md').read_text() == text}")
    shutil.rmtree(base)


STEPS = ("adopt", "round trip", "update")
COMMANDS = {
    "adopt": ["adopt", "DIR/README.md", "--in-place"],
    "round trip": ["export", "awesome", "-w", "DIR"],
    "update": ["update", "-w", "DIR"],
    "update again": ["update", "-w", "DIR"],  # commands only: the next day's 10 papers
    "update, fresh clone": ["update", "-w", "DIR"],  # and the day after's, without .surveyor/
}
NOW = "2026-11-22T06:00:00Z"


def add_source(folder: Path, batch: int = 0) -> None:
    """Ten new papers in `new.jsonl` (`new-1.jsonl` for batch 1, ...), listed in the workspace's sources."""
    name = f"new-{batch}.jsonl" if batch else "new.jsonl"
    new_papers(folder / name, batch)
    cfg = folder / "surveyor.toml"
    cfg.write_text(cfg.read_text() + f'\n[[sources.files]]\npath = "{name}"\n')


def run_step(step: str, folder: Path, split: bool) -> None:
    """In this (fresh) process: warm up on a small list of its own, then time the command `step` on
    `folder`, run as the `surveyor` script runs it (`surveyor.cli.main`)."""
    from surveyor.store import Workspace

    warm_up()
    readme = folder / "README.md"
    text = readme.read_text()
    before = len(Workspace(folder).load_papers()) if step == "update" else 0
    stages = split_stages() if split and step == "update" else {}
    with timed(step):
        surveyor_main([a.replace("DIR", str(folder)) for a in COMMANDS[step]])
    ws = Workspace(folder)
    if step == "adopt":
        print(f"  {len(ws.load_papers())} papers, {sum(1 for _ in ws.taxonomy.iter_nodes())} sections")
    elif step == "round trip":
        print(f"  identical: {readme.read_text() == text}")
    else:
        added = len(readme.read_text().splitlines()) - len(text.splitlines())
        print(f"  {len(ws.load_papers()) - before} new papers, {added} lines added to the list")
    for name, used in stages.items():
        print(f"    {name}: {used[0]:.2f} s CPU")


def surveyor_main(argv: list[str]) -> None:
    """`surveyor ARGV` in this process (its output dropped); an error stops the benchmark."""
    from surveyor.cli import main

    sys.argv = ["surveyor", *argv]
    try:
        with redirect_stdout(io.StringIO()):
            main()
    except SystemExit as exc:
        if exc.code:
            raise RuntimeError(f"surveyor {' '.join(argv)} exited with {exc.code}") from None


def warm_up() -> None:
    """Adopt, export and update a 10-entry list (imports, compiled patterns, fonts): not timed."""
    folder = Path(tempfile.mkdtemp(prefix="surveyor-warm-")) / "list"
    folder.mkdir()
    rows = [
        f"- [{word.capitalize()} Video Models for Long Context, Study {i}](https://arxiv.org/abs/2401.{i:05d})"
        f" - `CVPR 2024`\n"
        for i, word in enumerate(_WORDS[:10])
    ]
    (folder / "README.md").write_text("# Warm-up List\n\n## Video Models\n\n" + "".join(rows))
    for step, argv in COMMANDS.items():
        if step == "update":
            add_source(folder)
        surveyor_main([a.replace("DIR", str(folder)) for a in argv])
    shutil.rmtree(folder.parent)


def split_stages() -> dict[str, list[float]]:
    """Wrap the update's stages with CPU timers; returns the totals, filled as they run."""
    from surveyor import listsync, pipeline, update
    from surveyor.classify import runner

    used: dict[str, list[float]] = {}
    stages = [
        (update, "sync", "read the list back (sync)"),
        (pipeline, "import_configured", "import the new papers"),
        (runner, "make_classifier", "train the classifier"),
        (update, "classify_workspace", "classify (training included)"),
        (listsync, "export_list", "export awesome: edit the list, record where entries sit"),
        (pipeline, "export_survey", "survey export"),
        (pipeline, "export_graph", "graph export"),
        (update, "changes_text", "CHANGES.md"),
    ]
    for module, name, label in stages:
        used[label] = [0.0]
        setattr(module, name, _cpu_timer(getattr(module, name), used[label]))
    pipeline.EXPORTERS.update(survey=pipeline.export_survey, graph=pipeline.export_graph)
    return used


def _cpu_timer(func: Callable[..., object], total: list[float]) -> Callable[..., object]:
    def timed_call(*args: object, **kwargs: object) -> object:
        start = time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            total[0] += time.process_time() - start

    return timed_call


def command(step: str, argv: list[str]) -> None:
    """Run `surveyor ARGV` (the command `step`) in its own process; print its wall and CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    cmd = [sys.executable, "-c", "from surveyor.cli import main; main()", *argv]
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "SURVEYOR_NOW": NOW})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    load = os.getloadavg()[0]
    print(f"{step} (surveyor {argv[0]}): {wall:.2f} s wall, {cpu:.2f} s CPU (load {load:.1f})")


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
