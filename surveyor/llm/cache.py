"""Replies remembered on disk, so a re-run or a resumed run pays for nothing twice.

Input: a request body and the server it goes to. Output: the cached `Answer`, if any. Keys hash the
request and the server's URL, never the API key; the structured-output mode a server and model
accept is remembered beside the replies. Stored text is scrubbed of secrets.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..config import LLMConfig
from ..store import Cache
from .codec import Answer
from .redact import Scrubber


def open_cache(settings: LLMConfig, state_dir: Path | None) -> Cache:
    """The reply cache: `[llm] cache_file`, else the workspace's `.surveyor/cache.sqlite`; one in
    memory (forgotten at the end) when `[llm] cache = false`."""
    if not settings.cache:
        return Cache(Path(":memory:"))
    if settings.cache_file:
        return Cache(Path(settings.cache_file))
    return Cache((state_dir or Path(".surveyor")) / "cache.sqlite")


def request_key(base_url: str, body: dict[str, Any]) -> str:
    """Cache key of a request: its body and the server it goes to (never the API key)."""
    blob = json.dumps({"base_url": base_url, "body": body}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def mode_key(settings: LLMConfig) -> str:
    """Where the structured-output mode a server and model accept is remembered."""
    return f"mode:{settings.base_url}:{settings.model}"


class Replies:
    """The reply cache of one server and model (an in-memory one when caching is off)."""

    def __init__(self, settings: LLMConfig, db: Cache, scrub: Scrubber | None = None) -> None:
        self.settings = settings
        self.db = db
        self.scrub = scrub or Scrubber([settings.api_key])
        self._held: dict[str, Answer] = {}  # answers got while probing, for the request that follows

    def key(self, body: dict[str, Any]) -> str:
        """The cache key of `body` on this server."""
        return request_key(self.settings.base_url, body)

    def get(self, key: str) -> Answer | None:
        """The answer for `key`: one held from a probe (not yet counted), else the cached one."""
        held = self._held.pop(key, None)
        if held is not None:
            return held
        hit = self.db.get(key)
        return Answer.restored(*hit) if hit else None

    def has(self, key: str) -> bool:
        """Whether a reply for `key` is cached."""
        return key in self._held or self.db.get(key) is not None

    def put(self, key: str, answer: Answer, hold: bool = False) -> Answer:
        """Store an answer (scrubbed); with `hold`, also keep it for the next `get` of `key`."""
        answer.content = self.scrub(answer.content)
        if answer.refusal:
            answer.refusal = self.scrub(answer.refusal)
        self.db.put(key, self.settings.model, answer.stored(), answer.prompt_tokens, answer.completion_tokens)
        if hold:
            self._held[key] = answer
        return answer

    def mode(self) -> str | None:
        """The structured-output mode remembered for this server and model."""
        return self.db.meta(mode_key(self.settings))

    def remember_mode(self, mode: str) -> None:
        """Remember the mode this server and model accept."""
        self.db.set_meta(mode_key(self.settings), mode)

    def close(self) -> None:
        """Close the database."""
        self.db.close()
