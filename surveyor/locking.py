"""One writer at a time, and multi-file changes that a kill cannot leave half done.

Input: a workspace folder. Output: `.surveyor/lock` (an advisory `flock` held by the command that
writes, with who holds it, for the message a second writer prints while it waits) and, while a
multi-file change is being written, `.surveyor/commit.json` (every file's content before and after).

- `workspace_lock`: every command that writes takes it; a second one waits (up to `wait` seconds,
  saying for whom) and then stops with a message that names the holder. It is re-entrant within a
  process (a `build` that imports, classifies and exports takes it once) and works across threads.
  Read-only commands take none: every file is replaced atomically, so a reader sees whole files.
- `commit`: writes several files as one step. The intended contents are recorded first; a kill at
  any point leaves that record, and the next command that takes the lock finishes the step (each
  file is rewritten only if it still holds what it held before, or already holds the new content;
  anything else is a conflict reported, never overwritten).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import clock
from .errors import WorkspaceError
from .files import private_dir

LOCK_NAME = "lock"
COMMIT_NAME = "commit.json"
POLL = 0.05  # seconds between attempts while another process holds the lock
Notify = Callable[[str], None]
Writer = Callable[[Path, bytes], bool]


@dataclass
class _Held:
    """This process's hold on one workspace's lock."""

    guard: threading.RLock
    depth: int = 0
    fd: int | None = None


_held: dict[Path, _Held] = {}
_registry = threading.Lock()


def _entry(root: Path) -> _Held:
    with _registry:
        return _held.setdefault(root, _Held(threading.RLock()))


def holder(state_dir: Path) -> str:
    """Who holds (or last held) the lock, as the lock file says: `surveyor CMD (pid N, since T)`."""
    try:
        info = json.loads((state_dir / LOCK_NAME).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another surveyor command"
    return (
        f"`surveyor {info.get('command', '?')}` (pid {info.get('pid', '?')}, since {info.get('since', '?')})"
    )


def _busy(state_dir: Path, wait: float) -> WorkspaceError:
    return WorkspaceError(
        f"{holder(state_dir)} is writing to this workspace" + (f"; waited {wait:g} s" if wait > 0 else ""),
        "run this again when it has finished (SURVEYOR_LOCK_WAIT=SECONDS sets how long to wait)",
    )


def _acquire_file(state_dir: Path, command: str, wait: float, notify: Notify | None) -> int:
    private_dir(state_dir)
    fd = os.open(state_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(wait, 0.0)
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise _busy(state_dir, wait) from None
            if not told and notify is not None:
                notify(f"waiting for {holder(state_dir)} to finish with this workspace (up to {wait:g} s)")
            told = True
            time.sleep(POLL)
    info = {"command": command, "pid": os.getpid(), "since": clock.stamp()}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
    return fd


@contextlib.contextmanager
def workspace_lock(
    state_dir: Path,
    command: str,
    wait: float = 600.0,
    notify: Notify | None = None,
    writer: Writer | None = None,
) -> Iterator[None]:
    """Hold the workspace's write lock for the block (re-entrant); on first taking it, finish a
    multi-file change a killed command left (see `recover`)."""
    held = _entry(state_dir.resolve())
    if not held.guard.acquire(blocking=False):
        if notify is not None:
            notify(f"waiting for another thread's {holder(state_dir)} (up to {wait:g} s)")
        if not held.guard.acquire(timeout=max(wait, 0.0)):
            raise _busy(state_dir, wait)
    try:
        if held.depth == 0:
            held.fd = _acquire_file(state_dir, command, wait, notify)
            try:
                if writer is not None:
                    recover(state_dir, writer)
            except BaseException:
                _release(held)
                raise
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0:
                _release(held)
    finally:
        held.guard.release()


def _release(held: _Held) -> None:
    if held.fd is not None:
        fcntl.flock(held.fd, fcntl.LOCK_UN)
        os.close(held.fd)
        held.fd = None


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def commit(state_dir: Path, root: Path, files: dict[Path, str | None], writer: Writer, what: str) -> None:
    """Write `files` (path -> new text, None: delete) as one step that survives a kill: the intent
    is recorded in `.surveyor/commit.json` first and removed once every file holds its new text."""
    entries = []
    for path, text in files.items():
        full = (root / path).resolve()
        shown = full.relative_to(root).as_posix() if full.is_relative_to(root) else str(full)
        entries.append({"path": shown, "before": _digest(_read(full)), "after": text})
    intent = state_dir / COMMIT_NAME
    writer(intent, json.dumps({"what": what, "files": entries}, ensure_ascii=False).encode("utf-8"))
    recover(state_dir, writer)


def recover(state_dir: Path, writer: Writer) -> list[str]:
    """Finish the multi-file change recorded in `.surveyor/commit.json`, if any; return the files
    written. A file that holds neither its old nor its new content was changed by someone since:
    that is an error naming it, and nothing is written."""
    intent = state_dir / COMMIT_NAME
    raw = _read(intent)
    if raw is None:
        return []
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):  # cut short by a kill before it was complete: never begun
        intent.unlink()
        return []
    root = state_dir.parent
    plan = []
    for entry in record["files"]:
        path = root / entry["path"]
        after = None if entry["after"] is None else entry["after"].encode("utf-8")
        current = _digest(_read(path))
        if current == _digest(after):
            continue
        if current != entry["before"]:
            raise WorkspaceError(
                f"an interrupted `{record['what']}` left {entry['path']} to finish, but the file "
                "changed since",
                f"restore {entry['path']} (git checkout) and run any command to finish it, or delete "
                f"{intent} to give it up",
            )
        plan.append((path, after))
    for path, data in plan:
        if data is None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        else:
            writer(path, data)
    intent.unlink()
    return [p.name for p, _ in plan]
