"""Run the `surveyor` command and SIGKILL it at its Nth write: a real process, killed for real.

Usage: python tests/killer.py N surveyor-args...

A "write" is a call to `os.replace` (every atomic file write ends with one), `os.unlink` or a
flush of an appended line (the labels journal): the process kills itself just before the Nth such
call, so nothing after it runs (no `finally`, no exit handler). When the command makes fewer than N
writes it finishes normally (exit 0): a caller raises N until that happens to have killed it at
every step. Test support only: surveyor itself has no hook for this.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

_count = 0
_limit = 0


def _step() -> None:
    global _count
    _count += 1
    if _count >= _limit:
        os.kill(os.getpid(), signal.SIGKILL)


def _wrap(fn: Any) -> Any:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _step()
        return fn(*args, **kwargs)

    return wrapped


def main() -> None:
    """Install the kill switch, then run the CLI with the remaining arguments."""
    global _limit
    _limit = int(sys.argv[1])
    os.replace = _wrap(os.replace)
    os.unlink = _wrap(os.unlink)
    from pydantic import BaseModel

    from surveyor import store

    append = store.Journal.append

    def append_after_a_step(self: store.Journal, record: BaseModel) -> None:
        _step()
        append(self, record)

    store.Journal.append = append_after_a_step  # type: ignore[method-assign]
    sys.argv = ["surveyor", *sys.argv[2:]]
    from surveyor.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
