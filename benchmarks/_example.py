"""Shared by the benchmark scripts: the bundled example, built once in a scratch folder."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def built_example():  # type: ignore[no-untyped-def]
    """(workspace, library) of the bundled example after `build`, outputs kept out of the repo."""
    from surveyor.pipeline import build, load_library
    from surveyor.store import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="surveyor-bench-"))
    ws_dir = tmp / "examples" / "video-understanding"
    shutil.copytree(ROOT / "examples" / "video-understanding", ws_dir, ignore=shutil.ignore_patterns("data"))
    shutil.copytree(ROOT / "taxonomies", tmp / "taxonomies")
    ws = Workspace(ws_dir)
    ws.config.export.dir = str(tmp / "out")
    build(ws)
    return ws, load_library(ws)


def scaled_example(n: int, distinct_links: bool = False):  # type: ignore[no-untyped-def]
    """(workspace, papers, labels): the example's labelled papers repeated to `n` with new ids; with
    `distinct_links`, each copy also gets its own arXiv id (and every third a code link)."""
    ws, lib = built_example()
    seeds = [(lib.papers[pid], rec) for pid, rec in sorted(lib.labels.items()) if pid in lib.papers]
    if distinct_links:
        seeds = [(p, r) for p, r in seeds if not r.out_of_scope]
    papers, records = {}, {}
    for i in range(n):
        paper, rec = seeds[i % len(seeds)]
        if distinct_links:
            pid = f"26{i // 10000:02d}.{i % 10000:05d}"
            links = {"code": f"https://github.com/example/repo-{i}"} if i % 3 == 0 else {}
            update = {"id": pid, "arxiv_id": pid, "links": links}
        else:
            pid = f"{paper.id}-{i}"
            update = {"id": pid}
        papers[pid] = paper.model_copy(update=update)
        records[pid] = rec.model_copy(update={"paper": pid})
    return ws, papers, records
