"""The reply codec: a server's chat-completion reply into an `Answer`, and an answer's text into the
JSON object the caller asked for, with one bounded repair.

Input: the HTTP reply (or a parsed body, for batch results) and the model's text. Output: an
`Answer`; the JSON object in it; or an error that says what was wrong: `BadReply` when the server's
reply is not a chat completion at all (an HTML page, a JSON list, a tool call without `function`),
`ReplyError` when the model's text is not what was asked (sent back to the model once, by
`repair`), `Refusal` when the model declined.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

REPAIR = "That reply was not valid: {error}. Reply again with only the corrected JSON object."
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


class BadReply(Exception):
    """A 200 reply that is not a chat completion: the server is not speaking the API asked of it."""


class ReplyError(ValueError):
    """A reply that cannot be used, with the message to send back to the model."""


class Refusal(Exception):
    """The model declined to answer (its `refusal` field)."""


@dataclass
class Answer:
    """What came back for one request (from the server or the cache)."""

    content: str
    finish_reason: str | None = None
    refusal: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False

    def stored(self) -> str:
        """The answer as kept in the cache (tokens are kept in their own columns)."""
        return json.dumps(
            {"content": self.content, "finish_reason": self.finish_reason, "refusal": self.refusal}
        )

    @classmethod
    def restored(cls, body: str, prompt_tokens: int, completion_tokens: int) -> Answer:
        """An answer read back from the cache."""
        data = json.loads(body)
        return cls(
            data.get("content") or "",
            data.get("finish_reason"),
            data.get("refusal"),
            prompt_tokens,
            completion_tokens,
            True,
        )


def decode(raw: bytes, content_type: str = "application/json") -> Answer:
    """An Answer from the bytes of a 200 reply; BadReply when they are not a chat completion."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        start = raw[:60].decode("utf-8", "replace").strip()
        raise BadReply(f"the reply is not JSON ({content_type or 'no content type'}: {start!r}…)") from None
    return from_payload(payload)


def from_payload(payload: Any) -> Answer:
    """An Answer from a parsed chat-completion body; BadReply when it has another shape."""
    if not isinstance(payload, dict):
        raise BadReply(f"the reply is a JSON {type(payload).__name__}, not a chat completion object")
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise BadReply("the reply has no `choices`")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        raise BadReply("the reply's choice has no `message`")
    usage: dict[str, Any] = payload["usage"] if isinstance(payload.get("usage"), dict) else {}
    refusal = message.get("refusal")
    return Answer(
        content=_content(message),
        finish_reason=_text(choice.get("finish_reason")),
        refusal=refusal if isinstance(refusal, str) and refusal else None,
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
    )


def _content(message: dict[str, Any]) -> str:
    """The message's text: the first tool call's arguments when it made one, else its content."""
    calls = message.get("tool_calls")
    if calls:
        call = calls[0] if isinstance(calls, list) else None
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise BadReply("the reply holds a tool call without `function`")
        arguments = function.get("arguments")
        return arguments if isinstance(arguments, str) else json.dumps(arguments)
    content = message.get("content")
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text") or "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def text_of(answer: Answer) -> str:
    """The answer's text, or why it cannot be used: Refusal, or ReplyError for a cut-off reply."""
    if answer.refusal:
        raise Refusal(answer.refusal[:200])
    if answer.finish_reason == "length":
        raise ReplyError("the reply was cut off at max_tokens; reply with a shorter JSON object")
    return answer.content


def parse_object(text: str) -> dict[str, Any]:
    """The JSON object in a reply, allowing code fences and prose around it; ReplyError when none."""
    text = text.strip()
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text.startswith("{"):
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise ReplyError("the reply holds no JSON object")
        text = text[start : end + 1]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReplyError(f"the reply is not valid JSON ({exc.msg} at character {exc.pos})") from exc
    if not isinstance(data, dict):
        raise ReplyError(f"the reply is a JSON {type(data).__name__}, not an object")
    return data


def json_object(text: str) -> dict[str, Any]:
    """The JSON object in a reply, or {} when it holds none (for callers that keep a fallback)."""
    try:
        return parse_object(text)
    except ReplyError:
        return {}


def repair(messages: list[dict[str, Any]], content: str, error: ReplyError) -> list[dict[str, Any]]:
    """The conversation sent back once: the invalid reply, then what was wrong with it."""
    return [
        *messages,
        {"role": "assistant", "content": content or ""},
        {"role": "user", "content": REPAIR.format(error=error)},
    ]
