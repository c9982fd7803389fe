"""The workspace on disk: the data of record as sorted JSONL under `data/`, caches in `.surveyor/`.

Files of record (one JSON object a line, sorted by key, written atomically via temp file + rename):
  data/papers.jsonl     Paper, by id
  data/labels.jsonl     Classification from machine backends, by paper id
  data/decisions.jsonl  Classification from humans (backend "human"), by paper id; they always win
  data/runs.jsonl       Run log, by start time
In `.surveyor/`: `cache.sqlite` (response cache, rebuildable); `journal-labels.jsonl` (the labels
written since the last checkpoint: read with the sorted file, folded into it by the next checkpoint,
so a killed run loses at most the paper in flight); `lock` and `commit.json` (one writer at a time,
multi-file changes a kill cannot leave half done: surveyor/locking.py). Human decisions are read and
edited by surveyor/decisions.py.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from . import decisions
from .config import Config, env_lock_wait, load_config
from .errors import InputError, WorkspaceError
from .files import Journal, Log, atomic_write_bytes, private_dir, read_jsonl, write_jsonl
from .locking import commit, workspace_lock
from .models import Classification, Paper, Run
from .records import TaxonomyChange
from .taxonomy import Taxonomy, load_taxonomy

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])
_journals: dict[Path, Journal] = {}
_journals_guard = threading.Lock()


STATE_DIR = ".surveyor"  # a workspace's caches and run state: everything in it can be rebuilt


class Cache:
    """SQLite key-value cache of request hash -> response; everything in it can be rebuilt."""

    def __init__(self, path: Path) -> None:
        if path.parent.name == STATE_DIR:
            private_dir(path.parent)
        elif str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process; a cache needs no more
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS responses (hash TEXT PRIMARY KEY, model TEXT,"
            " body TEXT NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER)"
        )
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def get(self, key: str) -> tuple[str, int, int] | None:
        """The stored (body, prompt tokens, completion tokens) for `key`, if any."""
        row = self.db.execute(
            "SELECT body, prompt_tokens, completion_tokens FROM responses WHERE hash = ?", (key,)
        ).fetchone()
        return (row[0], row[1] or 0, row[2] or 0) if row else None

    def put(self, key: str, model: str, body: str, prompt_tokens: int, completion_tokens: int) -> None:
        """Store a response durably."""
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?)",
                (key, model, body, prompt_tokens, completion_tokens),
            )

    def meta(self, key: str) -> str | None:
        """A remembered setting (e.g. the structured-output mode a server accepts)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Remember a setting."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        """Close the database."""
        self.db.close()


class Workspace:
    """A survey's folder: config, taxonomy, data of record, caches and outputs."""

    def __init__(self, root: Path, config: Config | None = None) -> None:
        self.root = root.resolve()
        self.config = config or load_config(self.root)
        self._taxonomy: Taxonomy | None = None
        self._taxonomy_version: object = None
        self.lock_wait = env_lock_wait()  # seconds a writer waits for another to finish
        self.notify: Callable[[str], None] | None = None  # told when a writer has to wait

    def reload(self) -> None:
        """Read surveyor.toml and the taxonomy again (after a command changed them)."""
        self.config = load_config(self.root)
        self._taxonomy = None

    data_dir = property(lambda self: self.root / "data")
    state_dir = property(lambda self: self.root / STATE_DIR)
    papers_path = property(lambda self: self.data_dir / "papers.jsonl")
    labels_path = property(lambda self: self.data_dir / "labels.jsonl")
    decisions_path = property(lambda self: self.data_dir / "decisions.jsonl")
    runs_path = property(lambda self: self.data_dir / "runs.jsonl")
    taxonomy_path = property(lambda self: self.root / self.config.taxonomy)
    versions_dir = property(lambda self: self.data_dir / "taxonomy-versions")  # every replaced taxonomy
    taxonomy_log_path = property(lambda self: self.data_dir / "taxonomy-log.jsonl")
    batch_dir = property(lambda self: self.state_dir / "batch")  # requests files of submitted batches
    prompts_dir = property(lambda self: self.root / "prompts")  # the workspace's own prompt templates

    @property
    def labels_journal(self) -> Journal:
        """The labels journal: one object per file in the process, so the run appending to it and
        the checkpoint emptying it work on the same file."""
        path = (self.state_dir / "journal-labels.jsonl").resolve()
        with _journals_guard:
            return _journals.setdefault(path, Journal(path))

    def lock(self, command: str) -> contextlib.AbstractContextManager[None]:
        """Hold the workspace's write lock for a block (re-entrant; see surveyor/locking.py); a
        multi-file change a killed command left is finished first."""
        return workspace_lock(self.state_dir, command, self.lock_wait, self.notify, atomic_write_bytes)

    def commit(self, files: dict[Path, str | None], what: str) -> None:
        """Write several files (None: delete) as one step that a kill cannot leave half done."""
        with self.lock(what):
            commit(self.state_dir, self.root, files, atomic_write_bytes, what)

    @property
    def output_dir(self) -> Path:
        """Where exports go."""
        return self.root / self.config.export.dir

    @property
    def changes_path(self) -> Path:
        """CHANGES.md, what an update found (the body of its pull request), beside the exports."""
        return self.output_dir / "CHANGES.md"

    @property
    def taxonomy(self) -> Taxonomy:
        """The taxonomy surveyor.toml names (loaded again only when its file changed)."""
        path = self.taxonomy_path
        try:
            seen = path.stat()
            version: object = (seen.st_mtime_ns, seen.st_size, seen.st_ino)
        except OSError:
            version = None
        if self._taxonomy is None or version != self._taxonomy_version:
            self._taxonomy = load_taxonomy(path)
            self._taxonomy_version = version
        return self._taxonomy

    def rel(self, path: Path) -> str:
        """`path` relative to the workspace when inside it (POSIX separators), else absolute."""
        path = path.resolve()
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return os.path.relpath(path, self.root).replace(os.sep, "/")

    # logs and state files declared as `Log`s (surveyor/records.py) ------------
    def path(self, log: Log[Any]) -> Path:
        """Where a log lives: data/<name>."""
        return self.data_dir / log.name

    def load(self, log: Log[M]) -> list[M]:
        """Every record of a log, validated (a bad line is an error with file:line)."""
        return read_jsonl(self.path(log), log.model)

    def save(self, log: Log[M], records: Iterable[M]) -> bool:
        """Write a log (sorted, atomically); return whether it changed."""
        return write_jsonl(self.path(log), records, log.key)

    # taxonomy versions --------------------------------------------------------
    def load_taxonomy_log(self) -> list[TaxonomyChange]:
        """The applied taxonomy patches, oldest first, validated."""
        return read_jsonl(self.taxonomy_log_path, TaxonomyChange)

    @staticmethod
    def taxonomy_log_text(entries: Iterable[TaxonomyChange]) -> str:
        """The taxonomy log's content: one JSON object a line, in the order applied."""
        lines = (e.model_dump(mode="json", by_alias=True, exclude_unset=True) for e in entries)
        return "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)

    def version_path(self, taxonomy_hash: str) -> Path:
        """data/taxonomy-versions/<hash>.yaml: a taxonomy a patch replaced."""
        return self.versions_dir / f"{taxonomy_hash}.yaml"

    def version_labels_path(self, taxonomy_hash: str) -> Path:
        """data/taxonomy-versions/<hash>.labels.jsonl: the machine labels made under that taxonomy."""
        return self.versions_dir / f"{taxonomy_hash}.labels.jsonl"

    def load_version(self, taxonomy_hash: str) -> Taxonomy:
        """A recorded taxonomy version, validated like the current one."""
        path = self.version_path(taxonomy_hash)
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in self.versions_dir.glob("*.yaml"))) or "none"
            raise InputError(f"no recorded taxonomy version {taxonomy_hash}", f"recorded: {known}")
        return load_taxonomy(path)

    def load_version_labels(self, taxonomy_hash: str) -> dict[str, Classification]:
        """The machine labels archived with a taxonomy version, by paper id (none: empty)."""
        return {c.paper: c for c in read_jsonl(self.version_labels_path(taxonomy_hash), Classification)}

    # papers -----------------------------------------------------------------
    def load_papers(self) -> dict[str, Paper]:
        """All papers by id (shared with other reads: change a paper with `model_copy(update=...)`)."""
        return {p.id: p for p in read_jsonl(self.papers_path, Paper, shared=True)}

    def save_papers(self, papers: Iterable[Paper]) -> bool:
        """Write the papers file; return whether it changed."""
        return write_jsonl(self.papers_path, papers, key=lambda p: p.id)

    # labels -----------------------------------------------------------------
    def load_labels(self) -> dict[str, Classification]:
        """Machine classification records by paper id, including any not yet checkpointed (shared
        with other reads, like the papers)."""
        records = {c.paper: c for c in read_jsonl(self.labels_path, Classification, shared=True)}
        for c in self.labels_journal.replay(Classification):
            records[c.paper] = c
        return records

    def save_labels(self, records: Iterable[Classification]) -> bool:
        """Checkpoint machine labels into the sorted file and clear the journal."""
        changed = write_jsonl(self.labels_path, records, key=lambda c: c.paper)
        self.labels_journal.clear()
        return changed

    # decisions --------------------------------------------------------------
    def decision_lines(self) -> list[decisions.Line]:
        """data/decisions.jsonl line by line, validated (every problem raised at once, with file:line)."""
        data = self.decisions_path.read_bytes() if self.decisions_path.is_file() else b""
        return decisions.read(data, self.taxonomy, self.rel(self.decisions_path))

    def load_decisions(self) -> dict[str, Classification]:
        """Human decisions by the paper id written on their line (see `decisions_for`)."""
        return decisions.by_paper(self.decision_lines())

    def decisions_for(self, papers: dict[str, Paper]) -> tuple[dict[str, Classification], list[str]]:
        """Human decisions filed under each paper's current id, and the ids of decisions whose paper
        is not in the library (yet): kept, and applied once it arrives."""
        lines = self.decision_lines()
        numbers = {ln.record.paper: ln.number for ln in lines if ln.record is not None}
        return decisions.resolve(decisions.by_paper(lines), papers, self.rel(self.decisions_path), numbers)

    def pending_notes(self, pending: list[str]) -> list[str]:
        """One line per decision waiting for its paper, with where it is and what to do."""
        numbers = {ln.record.paper: ln.number for ln in self.decision_lines() if ln.record is not None}
        shown = self.rel(self.decisions_path)
        return [
            f"{shown}:{numbers.get(pid, 0)}: the decision for {pid} waits for that paper (not in the "
            f"library): it applies once the paper is added (`surveyor add {pid}`); or correct the id"
            for pid in pending
        ]

    def edit_decisions(self, changes: dict[str, Classification | None]) -> bool:
        """Change only these papers' decisions (None: remove); every other line stays byte for byte."""
        taxonomy = self.taxonomy
        for rec in changes.values():
            problem = None if rec is None else decisions.problem(rec, taxonomy)
            if problem:
                raise WorkspaceError(f"not saved: {problem}")
        with self.lock("decide"):
            new = decisions.edit(self.decision_lines(), changes)
            return atomic_write_bytes(self.decisions_path, new)

    def save_decisions(self, records: Iterable[Classification]) -> bool:
        """Make the file hold exactly `records`; the lines of decisions that did not change are kept
        byte for byte."""
        wanted = {r.paper: r for r in records}
        with self.lock("decide"):
            current = self.load_decisions()
            changes: dict[str, Classification | None] = {pid: None for pid in current if pid not in wanted}
            changes.update(wanted)
            return self.edit_decisions(changes)

    # runs -------------------------------------------------------------------
    def load_runs(self) -> list[Run]:
        """The run log, oldest first."""
        return read_jsonl(self.runs_path, Run)

    def save_run(self, run: Run) -> None:
        """Add or replace a run in the log."""
        runs = {r.id: r for r in self.load_runs()}
        runs[run.id] = run
        write_jsonl(self.runs_path, runs.values(), key=lambda r: (r.started, r.id))

    def cache(self) -> Cache:
        """Open the SQLite cache (created on first use)."""
        return Cache(self.state_dir / "cache.sqlite")


def writes(command: str) -> Callable[[F], F]:
    """Decorate a function whose first argument is a workspace: it runs holding the write lock."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def locked(ws: Workspace, *args: Any, **kwargs: Any) -> Any:
            with ws.lock(command):
                return fn(ws, *args, **kwargs)

        return locked  # type: ignore[return-value]

    return wrap
