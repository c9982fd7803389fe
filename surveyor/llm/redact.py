"""Secrets out of anything surveyor stores or prints.

Input: text that may hold a secret (a server's error body echoing the API key, an exception's
message). Output: the same text with every configured secret, and anything shaped like an API key
or a bearer token, replaced by `[redacted]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "[redacted]"
# Key shapes worth hiding even when they are not ours: OpenAI-style keys, bearer tokens.
_SHAPES = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}|(?<=Bearer )[A-Za-z0-9_\-.~+/=]{8,}")
MIN_SECRET = 6  # shorter "keys" (e.g. "x" for a local server) protect nothing and would mangle text


class Scrubber:
    """Replaces the given secrets and key-shaped strings in text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """`text` with every secret masked."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return _SHAPES.sub(MASK, text) if ("sk-" in text or "Bearer " in text) else text
