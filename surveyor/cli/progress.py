"""Progress of long work on stderr: a bar when stderr is a terminal, nothing otherwise.

Input: done/total counts (and, for model calls, the run's tokens and cost). Output: a transient
bar on stderr; nothing on stdout, nothing when stderr is a file or a pipe (CI logs stay clean).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol


class Spend(Protocol):
    """What a run has spent so far (`models.Run` has these)."""

    prompt_tokens: int
    completion_tokens: int
    cost: float


class _Nothing:
    prompt_tokens = 0
    completion_tokens = 0
    cost = 0.0


Tick = Callable[[int, int, Spend], None]


@contextmanager
def progress(label: str, unit: str = "papers") -> Iterator[Tick]:
    """A progress bar on stderr (when it is a terminal): done/total, rate, ETA, tokens and cost."""
    if not sys.stderr.isatty():  # no bar to draw: rich is not even loaded (start-up time)
        yield lambda done, total, run: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        "[cyan]{task.fields[rate]}",
        TimeRemainingColumn(),
        "[magenta]{task.fields[spend]}",
        transient=True,
        console=Console(stderr=True),
    )
    task = bar.add_task(label, total=None, rate="", spend="")
    start = time.monotonic()

    def update(done: int, total: int, run: Spend) -> None:
        rate = done / max(time.monotonic() - start, 1e-6)
        tokens = run.prompt_tokens + run.completion_tokens
        spend = f"{tokens:,} tokens ${run.cost:.4f}" if tokens else ""
        bar.update(task, completed=done, total=total, rate=f"{rate:.1f} {unit}/s", spend=spend)

    with bar:
        yield update


def count_only(update: Tick) -> Callable[[int, int], None]:
    """A progress callback for work that has no tokens or cost."""
    nothing = _Nothing()
    return lambda done, total: update(done, total, nothing)
