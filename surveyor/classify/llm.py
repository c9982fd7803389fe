"""The LLM backend: any OpenAI-compatible chat-completions server, through the `openai` SDK.

Input: taxonomy, examples, papers, the `[llm]` settings. Output: one `Verdict` per paper, yielded
as each completes (N requests in flight). Every reply is cached in `.surveyor/cache.sqlite` under
a hash of the whole request (model, messages, parameters, server), so a re-run or a resumed run
pays for nothing twice. Retries are surveyor's own (the SDK's are off): `Retry-After` on 429,
exponential backoff on 5xx, timeouts and dropped connections. An invalid reply is sent back once
with what was wrong; a second failure records the paper as failed with the reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import queue
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from .. import clock
from ..config import Config, LLMConfig
from ..errors import SurveyorError
from ..models import Paper, Verdict
from ..store import Cache
from ..taxonomy import Taxonomy
from .base import Classifier, Context, Example, register
from .fewshot import FewShot
from .prompt import (
    ReplyError,
    extract_json,
    load_templates,
    prompt_hash,
    render_system,
    render_user,
    reply_schema,
    to_verdict,
)

MODES = ("json_schema", "json_object", "tools", "text")
_DONE = object()


class Rejected(Exception):
    """The server refused a request for good (4xx other than 429), or retries ran out."""


@dataclass
class Answer:
    """What came back for one request (from the server or the cache)."""

    content: str
    finish_reason: str | None = None
    refusal: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False


@dataclass
class Stats:
    """Running totals of this classifier's calls."""

    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    cost: float = 0.0
    notes: list[str] = field(default_factory=list)


def api_settings(config: Config | None) -> LLMConfig:
    """The [llm] settings, or a clear error when no key is configured."""
    settings = config.llm if config else LLMConfig()
    if not settings.api_key:
        raise SurveyorError(
            "no API key for backend 'openai'",
            "set SURVEYOR_API_KEY or OPENAI_API_KEY (any value for a local server), or use --backend offline",
        )
    return settings


class Chat:
    """Requests to one chat-completions server: the response cache (keyed by request and server,
    never the API key), surveyor's retries, and the running totals. The classifier and the
    related-work drafter share it."""

    def __init__(self, settings: LLMConfig, stats: Stats | None = None) -> None:
        self.settings = settings
        self.model = settings.model
        self.stats = stats or Stats()
        self._fresh: dict[str, Answer] = {}  # answers got while probing the mode, not yet charged
        price = settings.prices.get(self.model)
        self.price = (price.input, price.output) if price else (0.0, 0.0)

    def client(self) -> Any:
        """An async SDK client with the SDK's own retries off (ours honour Retry-After)."""
        from openai import AsyncOpenAI

        return AsyncOpenAI(
            api_key=self.settings.api_key,
            base_url=self.settings.base_url,
            max_retries=0,
            timeout=self.settings.timeout,
        )

    def remember(self, key: str, answer: Answer) -> None:
        """Hold an answer got outside the normal flow (a probe) for the next `cached` lookup."""
        self._fresh[key] = answer

    def cost(self, answer: Answer) -> float:
        """What an answer cost at the configured prices (nothing when it came from the cache)."""
        if answer.cached:
            return 0.0
        return (answer.prompt_tokens * self.price[0] + answer.completion_tokens * self.price[1]) / 1e6

    def key(self, body: dict[str, Any]) -> str:
        """Cache key: the request and the server it goes to (never the API key)."""
        blob = json.dumps(
            {"base_url": self.settings.base_url, "body": body}, sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def cached(self, cache: Cache, key: str) -> Answer | None:
        fresh = self._fresh.pop(key, None)
        if fresh is not None:
            return fresh
        hit = cache.get(key)
        if hit is None:
            return None
        self.stats.cache_hits += 1
        data = json.loads(hit[0])
        return Answer(
            data.get("content") or "", data.get("finish_reason"), data.get("refusal"), hit[1], hit[2], True
        )

    def store(self, cache: Cache, key: str, answer: Answer) -> Answer:
        raw = json.dumps(
            {"content": answer.content, "finish_reason": answer.finish_reason, "refusal": answer.refusal}
        )
        cache.put(key, self.model, raw, answer.prompt_tokens, answer.completion_tokens)
        return answer

    async def request(self, client: Any, body: dict[str, Any]) -> Answer:
        """One HTTP request with surveyor's retries."""
        import httpx2
        import openai

        for attempt in range(self.settings.max_retries + 1):
            try:
                self.stats.requests += 1
                # Through the SDK client's own `post` (its auth, base URL, headers and typed errors),
                # skipping the typed-parameter walk of `chat.completions.create`, which costs ~2 ms a
                # request for a body like ours; the reply is read as JSON in the documented shape.
                response = await client.post("/chat/completions", body=body, cast_to=httpx2.Response)
                return _answer(response.json())
            except openai.RateLimitError as exc:
                wait = retry_after(exc.response.headers) or self.backoff_for(attempt)
                last = f"429 rate limited: {exc.message[:100]}"
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                wait, last = self.backoff_for(attempt), f"{type(exc).__name__}: {exc}"
            except openai.APIStatusError as exc:
                if exc.status_code in (401, 403):
                    raise SurveyorError(
                        f"the server refused the API key ({exc.status_code})",
                        "check SURVEYOR_API_KEY / OPENAI_API_KEY and [llm] base_url",
                    ) from None
                if exc.status_code < 500:
                    raise Rejected(f"{exc.status_code} {_message(exc)}") from None
                wait, last = self.backoff_for(attempt), f"{exc.status_code} {_message(exc)}"
            if attempt < self.settings.max_retries:
                self.stats.retries += 1
                await asyncio.sleep(wait)
        raise Rejected(f"gave up after {self.settings.max_retries + 1} attempts, last: {last}")

    def backoff_for(self, attempt: int) -> float:
        return min(60.0, self.settings.backoff * 2**attempt) * (1 + 0.25 * random.random())

    async def find_mode(self, client: Any, cache: Cache, body_for: Callable[[str], dict[str, Any]]) -> str:
        """The structured-output mode for this server and model: as configured, remembered in the
        cache, or the first of MODES the server accepts for `body_for(mode)` (then remembered; the
        probe's answer is held for the next `cached` lookup, so it is paid for once)."""
        if self.settings.mode != "auto":
            return self.settings.mode
        remember = f"mode:{self.settings.base_url}:{self.model}"
        known = cache.meta(remember)
        if known:
            return known
        for mode in MODES:
            body = body_for(mode)
            key = self.key(body)
            if cache.get(key):
                cache.set_meta(remember, mode)
                return mode
            try:
                answer = await self.request(client, body)
            except Rejected as exc:
                self.stats.notes.append(f"the server rejected {mode} ({str(exc)[:80]}); trying the next mode")
                continue
            self.remember(key, self.store(cache, key, answer))
            cache.set_meta(remember, mode)
            self.stats.notes.append(f"structured output mode: {mode}")
            return mode
        raise SurveyorError(
            "the server accepted none of json_schema, json_object, tools or plain text: "
            + "; ".join(self.stats.notes[-len(MODES) :]),
            "check [llm] base_url and model, or set [llm] mode",
        )


def structured(mode: str, schema: dict[str, Any], name: str, what: str) -> dict[str, Any]:
    """The request fields that ask for a reply in `schema` in a structured-output mode (text: none)."""
    if mode == "json_schema":
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": schema},
            }
        }
    if mode == "json_object":
        return {"response_format": {"type": "json_object", "schema": schema}}
    if mode == "tools":
        return {
            "tools": [
                {"type": "function", "function": {"name": name, "parameters": schema, "description": what}}
            ],
            "tool_choice": {"type": "function", "function": {"name": name}},
        }
    return {}


def ask_json(
    settings: LLMConfig,
    cache: Cache,
    jobs: Sequence[tuple[str, list[dict[str, str]], int]],
    schema: dict[str, Any],
    name: str,
) -> tuple[list[str], Stats]:
    """One request per job (label, messages, max_tokens) for a JSON object in `schema`, cached by
    request, `concurrency` at a time: the replies' text in job order ("" for a request the server
    refused, with a note naming the job) and the totals. The structured-output mode is the one the
    classifier found for this server and model, else the first the server accepts (then remembered).
    The drafter and the taxonomy suggestions use it."""
    chat = Chat(settings)

    def body(mode: str, messages: list[dict[str, str]], max_tokens: int) -> dict[str, Any]:
        return {
            "model": settings.model,
            "messages": messages,
            "temperature": settings.temperature,
            "max_tokens": max_tokens,
            **structured(mode, schema, name, "Record the answer."),
        }

    async def run() -> list[str]:
        if not jobs:
            return []
        client = chat.client()
        gate = asyncio.Semaphore(settings.concurrency)

        async def one(mode: str, job: tuple[str, list[dict[str, str]], int]) -> str:
            request = body(mode, job[1], job[2])
            key = chat.key(request)
            async with gate:
                try:
                    answer = chat.cached(cache, key) or chat.store(
                        cache, key, await chat.request(client, request)
                    )
                except Rejected as exc:
                    chat.stats.notes.append(f"{job[0]}: request rejected: {exc}")
                    return ""
            chat.stats.cost += chat.cost(answer)
            return answer.content

        try:
            mode = await chat.find_mode(client, cache, lambda m: body(m, jobs[0][1], jobs[0][2]))
            return list(await asyncio.gather(*(one(mode, job) for job in jobs)))
        finally:
            await client.close()

    return asyncio.run(run()), chat.stats


def json_reply(content: str) -> dict[str, Any]:
    """The JSON object in a model's reply (fences and chatter around it ignored); {} when none."""
    try:
        data = json.loads(content[content.find("{") : content.rfind("}") + 1])
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


class LLMClassifier:
    """Classify with a chat model; see the module docstring."""

    backend = "openai"

    def __init__(self, taxonomy: Taxonomy, examples: Sequence[Example], ctx: Context) -> None:
        self.settings = api_settings(ctx.config)
        self.taxonomy = taxonomy
        self.model = self.settings.model
        system_t, self.user_t = load_templates(ctx.prompt_dir)
        self.system = render_system(system_t, taxonomy)
        self.prompt_hash: str | None = prompt_hash(system_t, self.user_t, taxonomy)
        self.schema = reply_schema(taxonomy)
        self.shots = FewShot([e for e in examples if e.labels], self.settings.few_shot)
        self.cache_path = (ctx.state_dir or Path(".surveyor")) / "cache.sqlite"
        self.chat = Chat(self.settings)
        self.stats = self.chat.stats
        self.stop_reason: str | None = None

    @property
    def notes(self) -> list[str]:
        """Things the run should tell the user (mode chosen, budget reached)."""
        return self.stats.notes

    # requests ---------------------------------------------------------------
    def messages(self, paper: Paper) -> list[dict[str, Any]]:
        """System prefix (identical for every paper), then the examples and the paper."""
        user = render_user(self.user_t, paper, self.shots.nearest(paper), self.taxonomy)
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    def body(self, mode: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The chat-completions request for a structured-output mode."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
        }
        return {**body, **structured(mode, self.schema, "classify", "Record the paper's classification.")}

    # the run ----------------------------------------------------------------
    def classify(self, papers: Sequence[Paper]) -> Iterator[tuple[str, Verdict]]:
        """Run the async engine on a worker thread; yield verdicts as they arrive."""
        out: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()
        worker = threading.Thread(
            target=lambda: asyncio.run(self._main(list(papers), out, stop)), daemon=True
        )
        worker.start()
        try:
            while True:
                try:
                    item = out.get(timeout=0.2)
                except queue.Empty:
                    continue
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            worker.join(timeout=30)

    async def _main(self, papers: list[Paper], out: queue.Queue[Any], stop: threading.Event) -> None:
        cache = Cache(self.cache_path)
        client = self.chat.client()
        try:
            if papers:
                mode = await self._mode(client, cache, papers[0])
                gate = asyncio.Semaphore(self.settings.concurrency)

                async def one(paper: Paper) -> None:
                    async with gate:
                        if stop.is_set() or self.stop_reason:
                            return
                        out.put((paper.id, await self._one(client, cache, mode, paper)))

                await asyncio.gather(*(one(p) for p in papers))
        except BaseException as exc:
            out.put(exc if isinstance(exc, Exception) else SurveyorError(f"LLM run stopped: {exc!r}"))
        finally:
            await client.close()
            cache.close()
            out.put(_DONE)

    async def _mode(self, client: Any, cache: Cache, probe: Paper) -> str:
        """The structured-output mode: as configured, remembered, or the first the server accepts."""
        messages = self.messages(probe)
        return await self.chat.find_mode(client, cache, lambda mode: self.body(mode, messages))

    async def _one(self, client: Any, cache: Cache, mode: str, paper: Paper) -> Verdict:
        """One paper: ask, validate, ask again once with the error, else record the failure."""
        messages = self.messages(paper)
        spent = Verdict()
        for attempt in (1, 2):
            body = self.body(mode, messages)
            key = self.chat.key(body)
            try:
                answer = self.chat.cached(cache, key) or self.chat.store(
                    cache, key, await self.chat.request(client, body)
                )
            except Rejected as exc:
                return self._failed(spent, f"request rejected: {exc}")
            self._spend(spent, answer)
            if answer.refusal:
                return self._failed(spent, f"the model refused: {answer.refusal[:200]}")
            try:
                if answer.finish_reason == "length":
                    raise ReplyError("the reply was cut off at max_tokens; reply with a shorter JSON object")
                verdict = to_verdict(extract_json(answer.content), paper, self.taxonomy)
            except ReplyError as exc:
                if attempt == 2:
                    return self._failed(spent, f"invalid reply twice: {exc}")
                messages = [
                    *messages,
                    {"role": "assistant", "content": answer.content or ""},
                    {
                        "role": "user",
                        "content": f"That reply was not valid: {exc}. "
                        "Reply again with only the corrected JSON object.",
                    },
                ]
                continue
            return verdict.model_copy(update=_usage(spent))
        raise AssertionError("unreachable")

    def _failed(self, spent: Verdict, reason: str) -> Verdict:
        return Verdict(status="failed", error=reason, **_usage(spent))

    def _spend(self, spent: Verdict, answer: Answer) -> None:
        if answer.cached:
            return
        spent.requests += 1
        spent.prompt_tokens += answer.prompt_tokens
        spent.completion_tokens += answer.completion_tokens
        cost = self.chat.cost(answer)
        spent.cost += cost
        self.stats.cost += cost
        limit = self.settings.max_cost
        if limit is not None and self.stats.cost >= limit and not self.stop_reason:
            self.stop_reason = f"stopped at the cost limit (${limit:.2f}); run again to go on"
            self.stats.notes.append(self.stop_reason)

    def estimate(self, papers: Sequence[Paper]) -> dict[str, Any]:
        """What a run would cost, before spending anything (tokens estimated as characters / 4)."""
        cache = Cache(self.cache_path)
        try:
            mode = cache.meta(f"mode:{self.settings.base_url}:{self.model}") or "json_schema"
            todo = [p for p in papers if cache.get(self.chat.key(self.body(mode, self.messages(p)))) is None]
        finally:
            cache.close()
        prompt = sum(len(m["content"]) for p in todo for m in self.messages(p)) // 4
        completion = len(todo) * 150
        cost = (prompt * self.chat.price[0] + completion * self.chat.price[1]) / 1e6
        return {
            "papers": len(papers),
            "requests": len(todo),
            "cached": len(papers) - len(todo),
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "cost": round(cost, 4),
            "prefix_tokens": len(self.system) // 4,
            "model": self.model,
            "priced": self.model in self.settings.prices,
        }


def _usage(v: Verdict) -> dict[str, Any]:
    return {
        "requests": v.requests,
        "prompt_tokens": v.prompt_tokens,
        "completion_tokens": v.completion_tokens,
        "cost": v.cost,
    }


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:200]
    return str(getattr(exc, "message", exc))[:200]


def _answer(response: dict[str, Any]) -> Answer:
    """An Answer from a chat-completion JSON body (tool-call arguments count as the content)."""
    choice = (response.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    calls = message.get("tool_calls") or []
    content = calls[0]["function"]["arguments"] if calls else (message.get("content") or "")
    usage = response.get("usage") or {}
    return Answer(
        content=content,
        finish_reason=choice.get("finish_reason"),
        refusal=message.get("refusal"),
        prompt_tokens=usage.get("prompt_tokens") or 0,
        completion_tokens=usage.get("completion_tokens") or 0,
    )


def retry_after(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    if headers.get("retry-after-ms"):
        try:
            return float(headers["retry-after-ms"]) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - clock.now()).total_seconds())
        except (TypeError, ValueError):
            return None


@register("openai")
def _make(taxonomy: Taxonomy, examples: Sequence[Example], ctx: Context) -> Classifier:
    return LLMClassifier(taxonomy, examples, ctx)
