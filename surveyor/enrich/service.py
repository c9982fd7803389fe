"""One metadata service as an HTTP endpoint: requests paced, failures retried, secrets kept out.

Input: a base URL, the pace (seconds between requests), fixed headers and query parameters (the API
key among them). Output: parsed JSON bodies; None for a 404. Waits honour `Retry-After` (seconds or
an HTTP date, read against `clock`) and back off exponentially otherwise; a wait longer than
`max_wait` is not waited out but raised as `ServiceStopped`, so a run saves what it has and says when
to come back. Error messages name the URL without its secrets.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..errors import SurveyorError
from .records import obj, text

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
SECRET_PARAMS = frozenset({"api_key"})


class ServiceStopped(SurveyorError):
    """A service that will not answer for now (rate limit, daily budget, outage): stop asking it."""


@dataclass
class Stats:
    """What one service was asked in a run."""

    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)


class Service:
    """An HTTP JSON API asked politely: at most one request per `interval` seconds, retries with
    backoff, `Retry-After` honoured up to `max_wait` seconds."""

    def __init__(
        self,
        name: str,
        base_url: str,
        interval: float,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        max_retries: int = 5,
        backoff: float = 2.0,
        max_wait: float = 120.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.interval = interval
        self.headers = {
            "User-Agent": f"surveyor/{__version__}",
            "Accept": "application/json",
            **(headers or {}),
        }
        self.params = dict(params or {})
        self.max_retries, self.backoff, self.max_wait, self.timeout = max_retries, backoff, max_wait, timeout
        self.sleep = sleep
        self.stats = Stats()
        self.refused: set[str] = set()  # query parameters this server would not take (callers drop them)
        self._last: float | None = None

    @classmethod
    def configured(cls, name: str, base_url: str, interval: float, cfg: Any, **kwargs: Any) -> Service:
        """A service with the retry settings of `[enrich]` (`cfg`); other arguments as the constructor's."""
        return cls(
            name,
            base_url,
            interval,
            max_retries=cfg.max_retries,
            backoff=cfg.backoff,
            max_wait=cfg.max_wait,
            timeout=cfg.timeout,
            **kwargs,
        )

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        """GET `path` with `params`; the parsed JSON, or None when the service says 404."""
        return self._send("GET", path, params or {}, None)

    def post(self, path: str, params: dict[str, str] | None, body: Any) -> Any:
        """POST a JSON `body` to `path`; the parsed JSON, or None for a 404."""
        return self._send("POST", path, params or {}, json.dumps(body).encode())

    def shown(self, path: str, params: dict[str, str]) -> str:
        """The URL of a request as it may be printed: without the API key."""
        public = {k: v for k, v in {**self.params, **params}.items() if k not in SECRET_PARAMS}
        return f"{self.base_url}{path}" + (f"?{urllib.parse.urlencode(public)}" if public else "")

    def _pace(self) -> None:
        if self._last is not None:
            wait = self._last + self.interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
                self.stats.waited += wait
        self._last = time.monotonic()

    def _send(self, method: str, path: str, params: dict[str, str], data: bytes | None) -> Any:
        query = urllib.parse.urlencode({**self.params, **params})
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        headers = {**self.headers, **({"Content-Type": "application/json"} if data is not None else {})}
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        for attempt in range(self.max_retries + 1):
            self._pace()
            self.stats.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                    self._count(resp.status)
                    return self._parse(resp.read(), path, params)
            except urllib.error.HTTPError as exc:
                self._count(exc.code)
                if exc.code == 404:
                    return None
                if exc.code not in RETRY_STATUS:
                    raise self._refused(exc, path, params) from None
                wait, why, last = self._failure(exc, attempt)
            except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as exc:
                wait, why, last = self._failure(exc, attempt)
            if last or attempt == self.max_retries or wait > self.max_wait:
                raise ServiceStopped(
                    f"{self.name}: {why} from {self.shown(path, params)}"
                    + (f"; it asks to wait {wait:.0f} s" if wait > self.max_wait and not last else ""),
                    "what was fetched is kept: run the same command again later (enrichment resumes), or "
                    f"raise [enrich] max_wait / max_retries; a key raises the limits ({self.name} docs)",
                )
            self.stats.retries += 1
            self.stats.waited += wait
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _failure(self, exc: Exception, attempt: int) -> tuple[float, str, bool]:
        """(seconds to wait, what went wrong, whether to give up now) after a failed request."""
        backoff = self.backoff * 2**attempt
        if isinstance(exc, urllib.error.HTTPError):
            from ..llm.retry import retry_after  # the one Retry-After reader (seconds or date)

            return retry_after(exc.headers) or backoff, f"HTTP {exc.code}", False
        if isinstance(exc, ValueError):
            return backoff, "a reply that is not JSON", False
        reason = getattr(exc, "reason", exc)
        # No network, or no such host: one retry, then say so (not a minute of backoff).
        unreachable = isinstance(reason, (socket.gaierror, ConnectionRefusedError))
        return backoff, f"no answer ({reason})", unreachable and attempt >= 1

    def _count(self, status: int) -> None:
        self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1

    def _parse(self, raw: bytes, path: str, params: dict[str, str]) -> Any:
        body = raw.decode("utf-8", errors="replace")
        return json.loads(body) if body.strip() else None

    def _refused(self, exc: urllib.error.HTTPError, path: str, params: dict[str, str]) -> SurveyorError:
        try:
            detail = obj(json.loads(exc.read().decode("utf-8", errors="replace") or "{}"))
        except (ValueError, OSError):
            detail = {}
        message = text(str(detail.get("message") or detail.get("error") or ""), 200)  # the server's words
        hint = (
            "refused: an API key it does not accept (check SURVEYOR_S2_API_KEY / SURVEYOR_OPENALEX_API_KEY) "
            "or, for OpenAlex, a rate limit (403): run again later"
            if exc.code in (401, 403)
            else "this looks like a bug in the request surveyor built: please report it with this line"
        )
        return ServiceStopped(
            f"{self.name}: HTTP {exc.code} from {self.shown(path, params)}"
            + (f": {message}" if message else ""),
            hint,
        )
