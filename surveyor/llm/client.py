"""The one way surveyor reaches a model server: the SDK client factory, and `Link`, which sends a
request under the retry policy and turns every failure into a told-apart error.

Input: the `[llm]` settings and request bodies. Output: `Answer`s, or `LLMError` (the run stops,
one message), or `Rejected` (this request only). The `openai` SDK is imported only here and only
when a request is about to be sent (it takes a third of a second to load).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..config import LLMConfig
from ..errors import SurveyorError
from .codec import Answer, BadReply, decode
from .errors import LLMError, ModelUnknown, Rejected, Site, triage
from .redact import Scrubber
from .retry import RetryPolicy

T = TypeVar("T")
CONNECT_TIMEOUT = 10.0  # seconds to open a connection: an unreachable server fails fast


@dataclass
class Stats:
    """Running totals of one client's requests."""

    requests: int = 0  # HTTP requests sent, retries included
    cache_hits: int = 0
    retries: int = 0
    cost: float = 0.0
    notes: list[str] = field(default_factory=list)


def require_key(settings: LLMConfig) -> str:
    """The API key, or the error that says how to set one."""
    if not settings.api_key:
        raise SurveyorError(
            "no API key for backend 'openai'",
            "set SURVEYOR_API_KEY or OPENAI_API_KEY (any value for a local server), or use --backend offline",
        )
    return settings.api_key


def make_client(settings: LLMConfig, sync: bool = False) -> Any:
    """An SDK client for the configured server: its own retries off (surveyor's policy counts them),
    a short connect timeout, the configured read timeout."""
    import httpx2
    import openai

    cls = openai.OpenAI if sync else openai.AsyncOpenAI
    return cls(
        api_key=require_key(settings),
        base_url=settings.base_url,
        max_retries=0,
        timeout=httpx2.Timeout(settings.timeout, connect=min(CONNECT_TIMEOUT, settings.timeout)),
    )


def scrubber(settings: LLMConfig) -> Scrubber:
    """What hides this server's secrets (the API key) in stored and printed text."""
    return Scrubber([settings.api_key])


class Link:
    """Requests to one server and model under the retry policy. Use inside a running event loop;
    `close()` when done."""

    def __init__(self, settings: LLMConfig, stats: Stats | None = None, missing: str | None = None) -> None:
        self.settings = settings
        self.stats = stats or Stats()
        self.policy = RetryPolicy.of(settings)
        self.site = Site(
            settings.base_url, settings.model, settings.timeout, settings.max_wait, settings.mode
        )
        self.site.scrub = scrubber(settings)
        if missing:
            self.site.missing = missing  # what a 404 means for these requests
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The SDK's async client (made on first use)."""
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    async def send(self, body: dict[str, Any]) -> Answer:
        """One chat-completion request, retried as the policy allows."""
        import httpx2

        async def once() -> Answer:
            # The SDK client's own `post` (its auth, base URL, headers and typed errors) without the
            # typed-parameter walk of `chat.completions.create` (~2 ms a request for a body like ours).
            response = await self.client.post("/chat/completions", body=body, cast_to=httpx2.Response)
            return decode(response.content, response.headers.get("content-type", ""))

        return await self.call(once)

    async def call(self, once: Callable[[], Awaitable[T]]) -> T:
        """`once()` (any SDK call) under the retry policy; failures told apart (module docstring)."""
        import openai

        attempt = 0
        while True:
            self.stats.requests += 1
            try:
                result = await once()
                self.site.answered = True
                return result
            except (openai.OpenAIError, BadReply) as exc:
                outcome = triage(exc, self.site)
            if isinstance(outcome, LLMError):
                raise await self._explained(outcome)
            if isinstance(outcome, Rejected):
                raise outcome
            if not self.policy.may_retry(attempt):
                raise Rejected(
                    f"gave up after {attempt + 1} attempts, last: {outcome.reason}", outcome.status
                )
            self.stats.retries += 1
            await asyncio.sleep(self.policy.delay(attempt, outcome.wait))
            attempt += 1

    async def _explained(self, error: LLMError) -> LLMError:
        """A model-unknown error with the models the server does serve, when it lists them."""
        if isinstance(error, ModelUnknown):
            try:
                page = await asyncio.wait_for(
                    self.client.models.list(), timeout=min(5.0, self.settings.timeout)
                )
                names = sorted(str(m.id) for m in page.data)[:12]
            except Exception:  # the listing is a courtesy; the error stands without it
                names = []
            if names:
                error.hint = f"{error.hint}; it serves: {', '.join(names)}"
        return error

    async def close(self) -> None:
        """Close the SDK client's connections."""
        if self._client is not None:
            await self._client.close()
            self._client = None
