"""One client for OpenAI-compatible model servers (OpenAI, vLLM, Ollama, llama.cpp).

- `client`: the SDK client factory and `Link`, which sends under the one retry policy (`retry`);
- `errors`: every failure told apart: cannot connect, no answer, key refused, model unknown, mode
  refused, rate limited, not an OpenAI-compatible reply; or one request rejected;
- `codec`: a reply into an `Answer`, an answer into the JSON object asked for, one bounded repair;
- `modes`: structured-output request fields, one per way a server may accept a schema;
- `cache`: replies kept on disk, keyed by request and server; `redact`: secrets out of all text;
- `session`: questions in one schema (the classifier, the drafter and taxonomy suggestions use it),
  and the probe that finds which structured-output mode a server accepts;
- `engine`: the bounded fan-out and the worker-thread bridge.

Nothing here imports the `openai` SDK until a request is about to be sent.
"""

from .client import Stats, make_client, require_key
from .codec import Answer, ReplyError, json_object, parse_object
from .errors import LLMError, Rejected
from .session import Job, Outcome, Session, ask_json

__all__ = [
    "Answer",
    "Job",
    "LLMError",
    "Outcome",
    "Rejected",
    "ReplyError",
    "Session",
    "Stats",
    "ask_json",
    "json_object",
    "make_client",
    "parse_object",
    "require_key",
]
