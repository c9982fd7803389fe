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
