"""Questions to one server and model whose replies must be a JSON object in a given schema: the
request body for each structured-output mode (and the probe that finds the one a server accepts),
the cache, the bounded repair, the cost and its limit. The classifier, the related-work drafter and
the taxonomy suggestions all ask through it.

Input: the `[llm]` settings, a reply cache, the schema, and `Job`s (messages plus how to read the
reply). Output: an `Outcome` per job (the value read, or why there is none, and what it cost).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..config import LLMConfig
from ..store import Cache
from .cache import Replies
from .client import Link, Stats, scrubber
from .codec import Answer, Refusal, ReplyError, parse_object, repair, text_of
from .errors import NotOpenAI, Rejected, give_up
from .modes import MODES, Form

T = TypeVar("T")
STREAK = 3  # refusals in a row, before the server has answered once, that stop the run


@dataclass
class Job(Generic[T]):
    """One question: a label for notes, the messages, the reply's token budget, and how to read the
    reply's text (raising ReplyError with what to fix, which is sent back once)."""

    label: str
    messages: list[dict[str, Any]]
    read: Callable[[str], T]
    max_tokens: int


@dataclass
class Outcome(Generic[T]):
    """What a job came to: its value, or the reason it has none; and what it cost."""

    value: T | None = None
    error: str | None = None
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0


class Session:
    """Asks one server and model for replies in `schema` (see the module docstring). Use inside a
    running event loop; `close()` when done."""

    def __init__(self, settings: LLMConfig, db: Cache, form: Form, stats: Stats | None = None) -> None:
        self.settings = settings
        self.form = form
        self.stats = stats or Stats()
        self.replies = Replies(settings, db, scrubber(settings))
        self.link = Link(settings, self.stats)
        self.stop_reason: str | None = None
        self._refused = 0

    def body(self, mode: str, messages: list[dict[str, Any]], max_tokens: int) -> dict[str, Any]:
        """The chat-completions request for a structured-output mode."""
        return self.form.body(self.settings, mode, messages, max_tokens)

    def cost(self, answer: Answer) -> float:
        """What an answer cost at the configured prices (nothing when it came from the cache)."""
        return price_of(self.settings, answer)

    async def mode(self, first: Job[Any]) -> str:
        """The structured-output mode: as configured, remembered, or probed with `first`."""
        if self.settings.mode != "auto":
            return self.settings.mode
        return self.replies.mode() or await probe(self, first)

    async def answer(self, body: dict[str, Any]) -> Answer:
        """The reply to `body`: cached, or sent (then cached)."""
        key = self.replies.key(body)
        hit = self.replies.get(key)
        if hit is not None:
            self.stats.cache_hits += hit.cached
            return hit
        return self.replies.put(key, await self.link.send(body))

    async def ask(self, job: Job[T], mode: str) -> Outcome[T]:
        """One job: ask, read, send an invalid reply back once with what was wrong, else give the
        reason. Fatal server errors propagate."""
        out: Outcome[T] = Outcome()
        messages = job.messages
        for attempt in (1, 2):
            try:
                answer = await self.answer(self.body(mode, messages, job.max_tokens))
            except Rejected as exc:
                self._count_refusal(exc, mode)
                out.error = f"request rejected: {exc}"
                return out
            self._spend(out, answer)
            try:
                out.value = job.read(text_of(answer))
                return out
            except Refusal as exc:
                out.error = f"the model refused: {exc}"
                return out
            except ReplyError as exc:
                if attempt == 2:
                    out.error = f"invalid reply twice: {exc}"
                    return out
                messages = repair(messages, answer.content, exc)
        raise AssertionError("unreachable")

    def _count_refusal(self, exc: Rejected, mode: str) -> None:
        """Refusals before the server has answered once are about the setup: stop at STREAK."""
        if self.link.site.answered:
            return
        self._refused += 1
        if self._refused >= STREAK:
            raise give_up(self.link.site, mode, exc)

    def _spend(self, out: Outcome[Any], answer: Answer) -> None:
        if answer.cached:
            return
        cost = self.cost(answer)
        out.requests += 1
        out.prompt_tokens += answer.prompt_tokens
        out.completion_tokens += answer.completion_tokens
        out.cost += cost
        self.stats.cost += cost
        limit = self.settings.max_cost
        if limit is not None and self.stats.cost >= limit and not self.stop_reason:
            self.stop_reason = f"stopped at the cost limit (${limit:.2f}); run again to go on"
            self.stats.notes.append(self.stop_reason)

    async def close(self) -> None:
        """Close the connections (the cache belongs to the caller); note the retries there were."""
        await self.link.close()
        if self.stats.retries:
            self.stats.notes.append(
                f"{self.stats.retries} requests retried (rate limits, server errors, timeouts)"
            )


def price_of(settings: LLMConfig, answer: Answer) -> float:
    """What an answer cost at the configured prices (nothing when it came from the cache)."""
    price = settings.prices.get(settings.model)
    if answer.cached or price is None:
        return 0.0
    return (answer.prompt_tokens * price.input + answer.completion_tokens * price.output) / 1e6


def ask_json(
    settings: LLMConfig,
    cache: Cache,
    jobs: Sequence[tuple[str, list[dict[str, str]], int]],
    schema: dict[str, Any],
    name: str,
    read: Callable[[str], Any] = parse_object,
) -> tuple[list[Any], Stats]:
    """One request per job (label, messages, max_tokens) for a reply in `schema`, cached by request,
    `concurrency` at a time, an invalid reply sent back once: each reply read by `read` (default:
    its JSON object), in job order (None for a job without a valid reply, with a note naming it),
    and the totals. The drafter and the taxonomy suggestions use it."""
    import asyncio

    from .engine import each

    todo = [Job(label, messages, read, max_tokens) for label, messages, max_tokens in jobs]
    values: list[Any] = [None] * len(todo)
    session = Session(settings, cache, Form(schema, name))

    async def run() -> None:
        try:
            mode = await session.mode(todo[0])

            async def one(i: int) -> None:
                if session.stop_reason:
                    return
                out = await session.ask(todo[i], mode)
                values[i] = out.value
                if out.value is None:
                    session.stats.notes.append(f"{todo[i].label}: {out.error}")

            await each(range(len(todo)), one, settings.concurrency)
        finally:
            await session.close()

    if todo:
        asyncio.run(run())
    return values, session.stats


async def probe(session: Session, first: Job[Any]) -> str:
    """The first of MODES the server accepts for `first`'s request; remembered (in the reply cache, so
    each server and model is probed once), and said in a note. The probe's answer is kept for the
    job it was sent for, so it is paid for once. A refusal moves on to the next mode; any other
    failure (no connection, no answer, key, model, rate limit, not an OpenAI-compatible reply) stops
    the probe with its own message, and a server that refuses even the plain request is reported
    with that refusal's cause, once."""
    notes = session.stats.notes
    last: Rejected | None = None
    for mode in MODES:
        body = session.body(mode, first.messages, first.max_tokens)
        key = session.replies.key(body)
        if not session.replies.has(key):
            try:
                session.replies.put(key, await session.link.send(body), hold=True)
            except Rejected as exc:
                if not exc.refusal:  # the server keeps failing: no other mode would fare better
                    raise give_up(session.link.site, mode, exc) from None
                last = exc
                notes.append(f"the server rejected {mode} ({str(exc)[:80]}); trying the next mode")
                continue
            except NotOpenAI as exc:
                if mode != "tools":  # only a tool-call reply can be wrong in tools mode alone
                    raise
                notes.append(
                    f"the server's tool calls are unusable ({exc.message[:80]}); trying the next mode"
                )
                continue
            notes.append(f"structured output mode: {mode}")
        session.replies.remember_mode(mode)
        return mode
    assert last is not None
    raise give_up(session.link.site, "text", last)
