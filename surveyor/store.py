"""The workspace on disk: the data of record as sorted JSONL under `data/`, caches in `.surveyor/`.

Files of record (one JSON object a line, sorted by key, written atomically via temp file + rename):
  data/papers.jsonl     Paper, by id
  data/labels.jsonl     Classification from machine backends, by paper id
  data/decisions.jsonl  Classification from humans (backend "human"), by paper id; they always win
  data/runs.jsonl       Run log, by start time
Rebuildable: `.surveyor/cache.sqlite` (response cache), `.surveyor/journal-*.jsonl` (records
written since the last checkpoint: replayed on the next start, so a killed run loses at most
the paper in flight).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel, ValidationError

from .config import Config, load_config
from .errors import WorkspaceError, where
from .models import Classification, Paper, Run
from .taxonomy import Taxonomy, load_taxonomy

M = TypeVar("M", bound=BaseModel)
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def dump_line(record: BaseModel) -> str:
    """One record as a canonical JSON line (sorted keys, defaults left out, UTF-8 kept)."""
    data = record.model_dump(mode="json", exclude_defaults=True)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def atomic_write_text(path: Path, text: str) -> bool:
    """Write `text` (UTF-8, `\n` line ends) to `path` atomically; return False if it was already equal."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> bool:
    """Write `data` to `path` via a temp file and rename; return False if it was already equal."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True


def write_jsonl(path: Path, records: Iterable[M], key: Callable[[M], object]) -> bool:
    """Write records sorted by `key`, one a line, atomically; return whether the file changed."""
    lines = [dump_line(r) for r in sorted(records, key=key)]  # type: ignore[arg-type]
    return atomic_write_text(path, "".join(line + "\n" for line in lines))


def read_jsonl(
    path: Path, model: type[M], fill: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> list[M]:
    """Read a JSONL file of `model` records; a bad line is an error naming the file and line.
    `fill` completes a record written by hand before it is validated."""
    if not path.is_file():
        return []
    records: list[M] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                if fill is None:
                    records.append(model.model_validate_json(line))
                    continue
                try:
                    raw = json.loads(line)
                except ValueError as exc:
                    raise WorkspaceError(
                        f"{where(path, number)}: not a JSON object: {exc}",
                        "each line is one JSON object, e.g. "
                        '{"paper": "2401.12345", "labels": [{"node": "watch-fine"}]}',
                    ) from exc
                records.append(model.model_validate(fill(raw) if isinstance(raw, dict) else raw))
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(p) for p in err["loc"])
                raise WorkspaceError(
                    f"{where(path, number)}: bad {model.__name__} record: {loc}: {err['msg']}",
                    "fix or remove that line (the file is plain text; git shows what changed)",
                ) from exc
    return records


def _hand_edit(raw: dict[str, Any]) -> dict[str, Any]:
    """A decision line as a person writes it in a pull request — `{"paper": ID, "labels":
    [{"node": NODE}]}` or `{"paper": ID, "out_of_scope": true, "reason": "..."}` — completed into a
    full record (human, sure, marked as hand-edited)."""
    out = {
        "backend": "human",
        "model": "hand-edited",
        "taxonomy_hash": "",
        "run_id": "hand-edit",
        "time": "",
        **raw,
    }
    out["labels"] = [
        {"confidence": 1.0, "evidence": "", **lab} if isinstance(lab, dict) else lab
        for lab in out.get("labels") or []
    ]
    if out.get("out_of_scope") and not out.get("reason"):
        out["reason"] = "marked out of scope by hand"
    return out


class Journal:
    """Append-only log of records not yet checkpointed into their sorted file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def append(self, record: BaseModel) -> None:
        """Append one record and flush it to the OS, so killing the process keeps it."""
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
        self._fh.write(dump_line(record) + "\n")
        self._fh.flush()

    def replay(self, model: type[M]) -> list[M]:
        """Records in the journal, skipping a final line cut short by a kill."""
        if not self.path.is_file():
            return []
        out: list[M] = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValidationError, ValueError):
                out.append(model.model_validate_json(line))
        return out

    def clear(self) -> None:
        """Forget the journal once its records are in the sorted file."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def close(self) -> None:
        """Close the file handle."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class Cache:
    """SQLite key-value cache of request hash -> response; everything in it can be rebuilt."""

    def __init__(self, path: Path) -> None:
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

    data_dir = property(lambda self: self.root / "data")
    state_dir = property(lambda self: self.root / ".surveyor")
    papers_path = property(lambda self: self.data_dir / "papers.jsonl")
    labels_path = property(lambda self: self.data_dir / "labels.jsonl")
    decisions_path = property(lambda self: self.data_dir / "decisions.jsonl")
    runs_path = property(lambda self: self.data_dir / "runs.jsonl")
    labels_journal = property(lambda self: Journal(self.state_dir / "journal-labels.jsonl"))

    @property
    def output_dir(self) -> Path:
        """Where exports go."""
        return self.root / self.config.export.dir

    @property
    def taxonomy(self) -> Taxonomy:
        """The taxonomy surveyor.toml names (loaded once)."""
        if self._taxonomy is None:
            self._taxonomy = load_taxonomy(self.root / self.config.taxonomy)
        return self._taxonomy

    def rel(self, path: Path) -> str:
        """`path` relative to the workspace when inside it (POSIX separators), else absolute."""
        path = path.resolve()
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return os.path.relpath(path, self.root).replace(os.sep, "/")

    # papers -----------------------------------------------------------------
    def load_papers(self) -> dict[str, Paper]:
        """All papers by id."""
        return {p.id: p for p in read_jsonl(self.papers_path, Paper)}

    def save_papers(self, papers: Iterable[Paper]) -> bool:
        """Write the papers file; return whether it changed."""
        return write_jsonl(self.papers_path, papers, key=lambda p: p.id)

    # labels -----------------------------------------------------------------
    def load_labels(self) -> dict[str, Classification]:
        """Machine classification records by paper id, including any not yet checkpointed."""
        records = {c.paper: c for c in read_jsonl(self.labels_path, Classification)}
        for c in self.labels_journal.replay(Classification):
            records[c.paper] = c
        return records

    def save_labels(self, records: Iterable[Classification]) -> bool:
        """Checkpoint machine labels into the sorted file and clear the journal."""
        changed = write_jsonl(self.labels_path, records, key=lambda c: c.paper)
        self.labels_journal.clear()
        return changed

    def load_decisions(self) -> dict[str, Classification]:
        """Human decisions by paper id."""
        out: dict[str, Classification] = {}
        for c in read_jsonl(self.decisions_path, Classification, fill=_hand_edit):
            if c.backend != "human":
                raise WorkspaceError(
                    f"{self.decisions_path}: record for {c.paper} has backend `{c.backend}`",
                    "decisions.jsonl holds human decisions only: set backend to `human`",
                )
            out[c.paper] = c
        return out

    def save_decisions(self, records: Iterable[Classification]) -> bool:
        """Write human decisions."""
        return write_jsonl(self.decisions_path, records, key=lambda c: c.paper)

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


def effective_labels(
    labels: dict[str, Classification], decisions: dict[str, Classification]
) -> dict[str, Classification]:
    """Per paper, the human decision when there is one, else the machine record."""
    merged = dict(labels)
    merged.update(decisions)
    return merged
