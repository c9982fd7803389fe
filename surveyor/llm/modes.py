"""Structured output: the request fields that ask a server for a reply in a JSON schema, in each of
the ways servers support it, and the probe that finds which way a server and model accept.

Input: a mode and a schema; for the probe, a session and its first job. Output: request fields; the
mode (remembered in the reply cache, so each server and model is probed once). The probe's answer is
kept for the job it was sent for, so it is paid for once. A refusal moves on to the next mode; any
other failure (no connection, no answer, key, model, rate limit, not an OpenAI-compatible reply)
stops the probe with its own message, and a server that refuses even the plain request is reported
with that refusal's cause, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import LLMConfig
from .errors import NotOpenAI, Rejected, give_up

if TYPE_CHECKING:
    from .session import Job, Session

MODES = ("json_schema", "json_object", "tools", "text")


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


@dataclass(frozen=True)
class Form:
    """What the replies must look like: a JSON schema, its name, and a line saying what it records."""

    schema: dict[str, Any]
    name: str
    what: str = "Record the answer."

    def body(
        self, settings: LLMConfig, mode: str, messages: list[dict[str, Any]], max_tokens: int
    ) -> dict[str, Any]:
        """The chat-completions request for `messages` in a structured-output mode."""
        body: dict[str, Any] = {
            "model": settings.model,
            "messages": messages,
            "temperature": settings.temperature,
            "max_tokens": max_tokens,
        }
        return {**body, **structured(mode, self.schema, self.name, self.what)}


async def probe(session: Session, first: Job[Any]) -> str:
    """The first of MODES the server accepts for `first`'s request; remembered, and said in a note."""
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
