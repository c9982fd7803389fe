"""Structured output: the request fields that ask a server for a reply in a JSON schema, in each of
the ways servers support it (MODES, in the order `session.probe` tries them).

Input: a mode and a schema. Output: request fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import LLMConfig

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
