"""Running many requests at once: a bounded fan-out that stops at the first fatal error, and a
bridge that runs an async job on a worker thread while the caller iterates its results.

Input: items and an async function per item (or an async producer). Output: nothing but the
function's effects; `stream` yields what the producer emits, in the order it emits it.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

X = TypeVar("X")
T = TypeVar("T")
_DONE = object()


async def each(items: Iterable[X], fn: Callable[[X], Awaitable[None]], limit: int) -> None:
    """`fn(item)` for every item, at most `limit` at once; the first exception cancels the rest and
    is raised as itself (not wrapped in an exception group)."""
    gate = asyncio.Semaphore(limit)

    async def one(item: X) -> None:
        async with gate:
            await fn(item)

    try:
        async with asyncio.TaskGroup() as group:
            for item in items:
                group.create_task(one(item))
    except BaseExceptionGroup as failed:
        raise _first(failed) from None


def _first(group: BaseExceptionGroup[Any]) -> BaseException:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first(exc)
        if not isinstance(exc, asyncio.CancelledError):
            return exc
    return group.exceptions[0]


Producer = Callable[[Callable[[T], None]], Awaitable[None]]


def stream(producer: Producer[T]) -> Iterator[T]:
    """Run `producer(emit)` on a worker thread's event loop and yield each emitted item as it comes.
    An exception in the producer is raised here; leaving the loop early cancels the producer."""
    out: queue.Queue[Any] = queue.Queue()
    started: queue.Queue[tuple[asyncio.AbstractEventLoop, asyncio.Task[None]]] = queue.Queue()

    async def main() -> None:
        started.put((asyncio.get_running_loop(), asyncio.current_task()))  # type: ignore[arg-type]
        await producer(out.put)

    def work() -> None:
        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            out.put(_Failed(exc))
        finally:
            out.put(_DONE)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    loop, task = started.get()
    try:
        while True:
            try:
                item = out.get(timeout=0.2)  # a timeout keeps Ctrl-C responsive
            except queue.Empty:
                continue
            if item is _DONE:
                break
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        if worker.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(task.cancel)
            worker.join(timeout=10)


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
