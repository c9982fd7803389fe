"""What went wrong with a model server, told apart: each failure becomes either a fatal `LLMError`
(the run stops with one message and a hint), a `Retry` (the retry policy decides how long to wait),
or a `Rejected` request (recorded on the paper it was for; the run goes on).

Input: an exception from the SDK (or the codec) and where it happened (`Site`: server, model, mode,
timeout, whether the server has answered before). Output: one of the three, its text scrubbed of
secrets. Until a server has answered once, a failure is about the setup (wrong URL, key, model,
mode) and stops the run; after that it is about one request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import SurveyorError
from .codec import BadReply
from .redact import Scrubber


class LLMError(SurveyorError):
    """A model server failure that stops the run (finished work is kept)."""


class CannotConnect(LLMError):
    """No connection to the server."""


class NoAnswer(LLMError):
    """The server took the connection but sent nothing back in time."""


class KeyRefused(LLMError):
    """The server refused the API key (401/403)."""


class ModelUnknown(LLMError):
    """The server does not serve the configured model."""


class NoEndpoint(LLMError):
    """The base URL has no chat-completions endpoint (404 that is not about the model)."""


class ModeRefused(LLMError):
    """The server refused the configured structured-output mode."""


class RequestRefused(LLMError):
    """The server refused the request whatever the output mode."""


class RateLimited(LLMError):
    """The server asks to wait longer than `[llm] max_wait`, or its quota is spent."""


class NotOpenAI(LLMError):
    """A 200 reply that is not a chat completion (an HTML page, a JSON list, ...)."""


class ServerFailing(LLMError):
    """The server failed every attempt (5xx, dropped connections) before answering once."""


class Rejected(Exception):
    """One request refused for good (a 4xx about it, or retries used up): recorded on its paper."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status

    @property
    def refusal(self) -> bool:
        """Whether the server refused this request as asked (a 4xx), rather than kept failing."""
        return self.status is not None and 400 <= self.status < 500 and self.status != 429


@dataclass
class Retry:
    """A passing failure: try again after `wait` seconds (None: the policy's backoff)."""

    reason: str
    wait: float | None = None
    status: int | None = None


@dataclass
class Site:
    """Where a request went: what a diagnosis needs to name the cause and the fix."""

    base_url: str
    model: str
    timeout: float
    max_wait: float
    mode: str = "auto"
    answered: bool = False  # the server has answered a request of this run
    missing: str = "has no chat-completions endpoint"  # what a 404 means here
    scrub: Scrubber = field(default_factory=Scrubber)


def triage(exc: BaseException, site: Site) -> LLMError | Retry | Rejected:
    """Tell a failed request's cause: fatal, passing, or about this request alone."""
    import openai

    if isinstance(exc, BadReply):
        detail = site.scrub(str(exc))
        if site.answered:
            return Rejected(f"the server's reply was not a chat completion: {detail}")
        return NotOpenAI(
            f"{site.base_url} did not answer like an OpenAI-compatible API: {detail}",
            "check [llm] base_url (it usually ends in /v1); for a tool-call problem set [llm] mode",
        )
    if isinstance(exc, openai.APIStatusError):
        return _status(exc, site)
    if isinstance(exc, openai.APIConnectionError):
        return _connection(exc, site)
    raise exc


def _connection(exc: Any, site: Site) -> LLMError | Retry:
    import openai

    cause = exc.__cause__
    connect = type(cause).__name__ in ("ConnectTimeout", "ConnectError") or not isinstance(
        exc, openai.APITimeoutError
    )
    detail = site.scrub(_root_cause(exc))
    if site.answered:
        return Retry(f"{type(exc).__name__}: {detail}")
    if connect:
        return CannotConnect(
            f"cannot connect to {site.base_url} ({detail})",
            "start the server, or fix [llm] base_url (SURVEYOR_BASE_URL, --base-url)",
        )
    return NoAnswer(
        f"{site.base_url} accepted the connection but sent no answer within {site.timeout:g} s",
        "raise [llm] timeout (--timeout) for a slow or loading model, or lower [llm] concurrency",
    )


def _root_cause(exc: BaseException) -> str:
    """The innermost reason in an exception chain (e.g. "[Errno 111] Connection refused")."""
    reason = "connection error"
    seen: set[int] = set()
    link: BaseException | None = exc.__cause__
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        reason = f"{type(link).__name__}: {link}" if str(link) else type(link).__name__
        link = link.__cause__ or link.__context__
    return reason


def _status(exc: Any, site: Site) -> LLMError | Retry | Rejected:
    from .retry import retry_after

    status, code, message = exc.status_code, _code(exc), site.scrub(_message(exc))
    said = f"{status}: {message}" if message else str(status)
    if status in (401, 403):
        return KeyRefused(
            f"{site.base_url} refused the API key ({said})",
            "check SURVEYOR_API_KEY / OPENAI_API_KEY, and that [llm] base_url is the key's provider",
        )
    if _about_model(status, code, message, site.model):
        return ModelUnknown(
            f"{site.base_url} does not serve the model `{site.model}` ({said})",
            "set [llm] model (SURVEYOR_MODEL, --model) to a model the server has",
        )
    if status == 404:
        return NoEndpoint(
            f"{site.base_url} {site.missing} ({said})",
            "check [llm] base_url: it usually ends in /v1, e.g. http://localhost:8000/v1",
        )
    if status == 429:
        return _rate_limited(site, code, said, retry_after(exc.response.headers))
    if status in (408, 409) or status >= 500:
        return Retry(said, status=status)
    return Rejected(said, status)


def _rate_limited(site: Site, code: str | None, said: str, asked: float | None) -> RateLimited | Retry:
    if code == "insufficient_quota":
        return RateLimited(
            f"{site.base_url}: the account's quota is used up ({said})", "check the plan and billing"
        )
    if asked is not None and asked > site.max_wait:
        return RateLimited(
            f"{site.base_url} asks to wait {_duration(asked)} before the next request (429 Retry-After)",
            f"run again later (finished work is kept), or raise [llm] max_wait (now {site.max_wait:g} s)",
        )
    return Retry(f"rate limited ({said})", asked, 429)


def _about_model(status: int, code: str | None, message: str, model: str) -> bool:
    if code == "model_not_found":
        return True
    words = ("not found", "does not exist", "unknown", "no such", "not exist", "invalid model")
    low = message.lower()
    return status in (400, 404) and bool(model) and model.lower() in low and any(w in low for w in words)


def _code(exc: Any) -> str | None:
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    code = inner.get("code") if isinstance(inner, dict) else None
    return str(code) if code is not None else None


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            text = inner.get("message") or inner.get("detail")
            if text:
                return " ".join(str(text).split())[:200]
        elif isinstance(inner, str):
            return " ".join(inner.split())[:200]
    if isinstance(body, str):
        return " ".join(body.split())[:200]
    return " ".join(str(getattr(exc, "message", exc)).split())[:200]


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def give_up(site: Site, mode: str, last: Rejected) -> LLMError:
    """The fatal error for a run whose first requests were all refused: the server failing, the
    mode, or the request itself."""
    if not last.refusal:
        return ServerFailing(
            f"{site.base_url} failed every attempt ({last})",
            "check the server (its log says why); run again later: finished work is kept",
        )
    if mode not in ("text", "auto") and last.status in (400, 422):
        return ModeRefused(
            f"{site.base_url} refused {mode} structured output ({last})",
            'set [llm] mode = "auto" (or --mode auto) to use one it accepts',
        )
    return RequestRefused(
        f"{site.base_url} refused the request ({last})",
        "check [llm] model and max_tokens; `--dry-run` shows what would be sent",
    )


def from_sdk(exc: BaseException, scrub: Scrubber | None = None) -> SurveyorError | None:
    """A message and hint for an SDK error that reached the CLI from outside the client; None for
    other exceptions."""
    if type(exc).__module__.split(".")[0] not in ("openai", "httpx2", "httpcore2"):
        return None
    text = (scrub or Scrubber())(" ".join(str(exc).split())[:300])
    status = getattr(exc, "status_code", None)
    what = f"the model server answered {status}: {text}" if status else f"the model server failed: {text}"
    return LLMError(what, "check [llm] base_url, model and the API key; run again to resume")
