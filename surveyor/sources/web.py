"""HTTP requests that end: an overall deadline per request, a cap on a response's size, and a plain
reason when no connection can be made at all.

Input: requests made through a `GuardedSession` (a `requests.Session`). Output: a response whose body
is read in full, or an exception: `Unreachable` when no connection could be made (DNS lookup
failed, refused, no route, no answer to connect), `CutShort` when the body stopped early (the
connection broke, the deadline passed, the size cap was reached), carrying the bytes that came.

`requests` has only per-read timeouts (a server trickling a byte every few seconds never trips
them) and reads a body of any size. Here each request runs in a worker thread that the caller waits
for at most `deadline` seconds (on the monotonic clock); the worker reads the body one socket read
at a time, so it notices the deadline or the cap within one read, closes the connection and ends.
"""

from __future__ import annotations

import errno
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NameResolutionError, NewConnectionError

READ_SIZE = 1 << 16


class Unreachable(requests.ConnectionError):
    """No connection could be made: the host name did not resolve, or nothing answered to connect."""

    def __init__(self, why: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(why, *args, **kwargs)
        self.why = why


class CutShort(requests.RequestException):
    """A response whose body stopped early; `partial` holds the bytes that came."""

    def __init__(self, why: str, partial: bytes, response: requests.Response | None) -> None:
        super().__init__(why, response=response)
        self.why = why
        self.partial = partial


_ERRNO = {
    errno.ECONNREFUSED: "the connection was refused",
    errno.ENETUNREACH: "the network is unreachable",
    errno.EHOSTUNREACH: "there is no route to the host",
}


def unreachable(exc: requests.ConnectionError, connect_timeout: float) -> str | None:
    """Why no connection could be made, or None when the failure came after connecting."""
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    if isinstance(reason, NameResolutionError):
        return "its host name could not be resolved (DNS)"
    if isinstance(reason, NewConnectionError):
        cause = reason.__cause__ or reason.__context__
        code = cause.errno if isinstance(cause, OSError) else None
        return _ERRNO.get(code or 0, f"no connection could be made ({cause or reason})")
    if isinstance(reason, ConnectTimeoutError):
        return f"nothing answered within {connect_timeout:g} s"
    return None


class _Exchange:
    """One request's state, shared by the worker that makes it and the caller that waits for it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.chunks: list[bytes] = []
        self.size = 0
        self.response: requests.Response | None = None
        self.error: Exception | None = None

    def add(self, chunk: bytes) -> int:
        with self.lock:
            self.chunks.append(chunk)
            self.size += len(chunk)
            return self.size

    def received(self) -> bytes:
        with self.lock:
            return b"".join(self.chunks)


def _finished(done: threading.Event, seconds: float) -> bool:
    """Whether `done` is set within `seconds`. It polls (1 ms, doubling to 50 ms) instead of
    `done.wait(seconds)`: timed waits on locks never return under libfaketime, which CI runs the
    suite under, while sleeps and socket timeouts keep working."""
    end, pause = time.monotonic() + seconds, 0.001
    while not done.is_set():
        left = end - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.05)
    return True


class GuardedSession(requests.Session):
    """A `requests.Session` whose every request ends within `deadline` seconds with at most
    `max_bytes` of body, and that says plainly when no connection can be made."""

    def __init__(self, deadline: float = 120.0, connect_timeout: float = 10.0, max_bytes: int = 100 << 20):
        super().__init__()
        for prefix in ("http://", "https://"):
            self.mount(prefix, HTTPAdapter(max_retries=0))
        self.deadline = deadline
        self.connect_timeout = min(connect_timeout, deadline)
        self.max_bytes = max_bytes

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Make the request in a worker thread; wait for it at most `deadline` seconds."""
        kwargs["stream"] = True
        kwargs.setdefault("timeout", (self.connect_timeout, self.deadline))
        exchange = _Exchange()
        worker = threading.Thread(
            target=self._exchange, args=(exchange, method, url, args, kwargs), daemon=True
        )
        worker.start()
        if not _finished(exchange.done, self.deadline):
            exchange.stop.set()
            why = f"no complete answer within {self.deadline:g} s"
            raise CutShort(why, exchange.received(), exchange.response)
        if exchange.error is not None:
            raise exchange.error
        assert exchange.response is not None
        exchange.response._content = exchange.received()  # set here: the worker never touches it
        return exchange.response

    def _exchange(self, exchange: _Exchange, method: Any, url: Any, args: Any, kwargs: Any) -> None:
        response = None
        try:
            try:
                response = super().request(method, url, *args, **kwargs)
            except requests.ConnectionError as exc:
                why = unreachable(exc, self.connect_timeout)
                if why is None:
                    raise
                raise Unreachable(why, request=exc.request) from exc
            exchange.response = response
            self._read_body(exchange, response)
        except Exception as exc:  # handed to the waiting thread, which raises it
            exchange.error = exc
        finally:
            if response is not None and (exchange.error is not None or exchange.stop.is_set()):
                response.close()
            exchange.done.set()

    def _read_body(self, exchange: _Exchange, response: requests.Response) -> None:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise CutShort(f"it announced {int(declared):,} bytes, over the cap", b"", response)
        while not exchange.stop.is_set():
            try:
                chunk = response.raw.read1(READ_SIZE, decode_content=True)
            except (HTTPError, OSError) as exc:
                why = f"the connection broke ({type(exc).__name__})"
                raise CutShort(why, exchange.received(), response) from exc
            if not chunk:
                return
            if exchange.add(chunk) > self.max_bytes:
                raise CutShort(f"it passed the {self.max_bytes:,}-byte cap", exchange.received(), response)
