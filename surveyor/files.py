"""Plain-text files of record: atomic writes, sorted JSONL (one canonical record a line), the
append-only journal a run writes between checkpoints, `LineMemo` (what each line of a file gave in
its last read, so that a read parses only the lines changed since), and `Log`, the declaration of
one JSONL file (its name under `data/`, its record model, its sort key) that `Workspace.load` and
`save` read and write.

Input: paths and pydantic records. Output: bytes on disk, written via temp file + rename.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import WorkspaceError, where

M = TypeVar("M", bound=BaseModel)
V = TypeVar("V")
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def dump_line(record: BaseModel) -> str:
    """One record as a canonical JSON line (sorted keys, defaults left out, UTF-8 kept); a record of
    a shared read is dumped once while it is remembered (see `LineMemo.line`)."""
    return _memo.line(record, _dump)


def _dump(record: BaseModel) -> str:
    data = record.model_dump(mode="json", exclude_defaults=True)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def atomic_write_text(path: Path, text: str) -> bool:
    """Write `text` (UTF-8, `\n` line ends) to `path` atomically; return False if it was already equal."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> bool:
    """Write `data` to `path` via a temp file and rename; return False if it was already equal. A temp
    file a killed write left beside `path` is removed (writers hold the workspace lock)."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
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


def private_dir(path: Path) -> Path:
    """Create `path`, a folder of caches and run state, holding a `.gitignore` that ignores all of
    it: `git add --all` (the daily workflow's) never takes it, whatever the repository's own
    .gitignore says, and that file is never touched."""
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        with contextlib.suppress(OSError):
            atomic_write_text(ignore, "*\n")
    return path


def jsonl_text(records: Iterable[M], key: Callable[[M], object]) -> str:
    """Records sorted by `key`, one canonical JSON line each."""
    lines = [dump_line(r) for r in sorted(records, key=key)]  # type: ignore[arg-type]
    return "".join(line + "\n" for line in lines)


def write_jsonl(path: Path, records: Iterable[M], key: Callable[[M], object]) -> bool:
    """Write records sorted by `key`, one a line, atomically; return whether the file changed."""
    return atomic_write_text(path, jsonl_text(records, key))


class LineMemo(Generic[V]):
    """What each line of the last read of up to `files` files gave, keyed by the line's bytes.

    A command reads a file of records many times (an update of a 5,000-entry list reads the papers
    ten times and the decisions twelve), unchanged or with a few lines changed: a line read before
    is not parsed again, and a line changed since (by surveyor or by hand) is new bytes, so it is
    parsed. What a line gives must depend only on its bytes and the file's key (put anything else it
    depends on, such as the taxonomy's hash, in the key). The results are shared between reads:
    never change one in place. A file of more than `lines` lines is not remembered.

    Writing such a file back dumps the same records again (an update writes the papers five times):
    `line` works out each remembered record's canonical line once."""

    def __init__(self, files: int = 8, lines: int = 20_000) -> None:
        self.files = files
        self.lines = lines
        self._by_file: dict[Hashable, dict[bytes, V]] = {}
        self._held: dict[int, V] = {}  # id() -> every result remembered (some since forgotten)
        self._lines: dict[int, str] = {}  # id() -> the dumped line of a result in `_held`

    def take(self, key: Hashable) -> dict[bytes, V]:
        """What the last read of `key` gave, line by line; forgotten until `keep` is called again
        (a read that fails half-way leaves nothing behind)."""
        return self._by_file.pop(key, {})

    def keep(self, key: Hashable, seen: dict[bytes, V]) -> None:
        """Remember what this read of `key` gave (only its lines: what the file no longer has goes)."""
        if len(seen) > self.lines:
            return
        self._by_file[key] = seen
        while len(self._by_file) > self.files:
            del self._by_file[next(iter(self._by_file))]  # the file read longest ago
        self._held.update((id(value), value) for value in seen.values())
        if len(self._held) > 2 * sum(map(len, self._by_file.values())) + 1024:
            self._forget_lines()

    def line(self, value: V, dump: Callable[[V], str]) -> str:
        """`dump(value)`, worked out once for a result this memo remembered (results are never
        changed in place, so their line does not change either); other values are dumped each time.
        `_held` keeps each such result alive, so no other object can take its id()."""
        ident = id(value)
        if self._held.get(ident) is not value:
            return dump(value)
        text = self._lines.get(ident)
        if text is None:
            text = self._lines[ident] = dump(value)
        return text

    def _forget_lines(self) -> None:
        """Hold (and keep the lines of) only the results still remembered."""
        self._held = {id(value): value for seen in self._by_file.values() for value in seen.values()}
        self._lines = {ident: text for ident, text in self._lines.items() if ident in self._held}

    def entries(self) -> Iterator[tuple[Hashable, bytes, V]]:
        """Every remembered (file key, line, result): for checks that nothing changed a result."""
        for key, seen in self._by_file.items():
            for raw, value in seen.items():
                yield key, raw, value

    def clear(self) -> None:
        """Forget every file."""
        self._by_file.clear()
        self._forget_lines()


_memo: LineMemo[BaseModel] = LineMemo()  # the records of shared reads


def read_jsonl(path: Path, model: type[M], shared: bool = False) -> list[M]:
    """Read a JSONL file of `model` records; a bad line (not UTF-8, not JSON, not a record) is an
    error naming the file and line. With `shared`, a record whose line is unchanged since the last
    read is the same object as then: never change one in place (`model_copy(update=...)` makes a
    changed copy)."""
    key = (str(path.absolute()), model)
    before = _memo.take(key) if shared else {}
    if not path.is_file():
        return []
    records: list[M] = []
    seen: dict[bytes, BaseModel] = {}
    for number, raw in enumerate(path.read_bytes().splitlines(), 1):
        if not raw.strip():
            continue
        known = before.get(raw)
        if known is not None:
            records.append(known)  # type: ignore[arg-type]
            seen[raw] = known
            continue
        try:
            records.append(model.model_validate_json(raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise WorkspaceError(
                f"{where(path, number)}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
                f"{exc.start + 1})",
                "retype that line or re-save the file as UTF-8 (git shows what changed)",
            ) from exc
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise WorkspaceError(
                f"{where(path, number)}: bad {model.__name__} record: {loc}: {err['msg']}",
                "fix or remove that line (the file is plain text; git shows what changed)",
            ) from exc
        seen[raw] = records[-1]
    if shared:
        _memo.keep(key, seen)
    return records


class Journal:
    """Append-only log of records not yet checkpointed into their sorted file. One per workspace
    and file: the run appends to it, a checkpoint empties that same file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    def append(self, record: BaseModel) -> None:
        """Append one record and flush it to the OS, so killing the process keeps it."""
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("ab")
            if self._fh.tell() > 0 and not self._ends_with_newline():
                self._fh.write(b"\n")  # a line a kill cut short stays apart from the next record
        self._fh.write((dump_line(record) + "\n").encode("utf-8"))
        self._fh.flush()

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"

    def replay(self, model: type[M]) -> list[M]:
        """Records in the journal, skipping a line cut short by a kill."""
        if not self.path.is_file():
            return []
        out: list[M] = []
        for line in self.path.read_bytes().splitlines():
            with contextlib.suppress(ValidationError, ValueError):
                out.append(model.model_validate_json(line))
        return out

    def clear(self) -> None:
        """Empty the journal once its records are in the sorted file: the open file is truncated in
        place (the run goes on appending to it); a closed one is removed."""
        if self._fh is not None:
            self._fh.flush()
            self._fh.truncate(0)
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def close(self) -> None:
        """Close the file handle."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


@dataclass(frozen=True)
class Log(Generic[M]):
    """One JSONL data file: its name under `data/`, the record each line holds, how lines are sorted."""

    name: str
    model: type[M]
    key: Callable[[M], object]

    def text(self, records: Iterable[M]) -> str:
        """The file's content for `records` (sorted by the key, one canonical line each)."""
        return jsonl_text(records, self.key)
