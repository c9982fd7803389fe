"""The LLM backend: any OpenAI-compatible chat-completions server, through `surveyor.llm`.

Input: taxonomy, examples, papers, the `[llm]` settings. Output: one `Verdict` per paper, yielded
as each completes (`concurrency` requests in flight). What is sent and how a reply is validated is in
`prompt.py`; the client (cache, retries, structured-output mode, one repair of an invalid reply,
failures told apart, secrets kept out of every record) is `surveyor.llm`. A paper whose request is
refused, or whose reply is invalid twice, is recorded as failed with the reason; a failure of the
server itself (unreachable, key, model, ...) stops the run with one message, finished papers kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..config import LLMConfig
from ..llm.cache import Replies, open_cache
from ..llm.client import Stats
from ..llm.codec import parse_object
from ..llm.engine import each, stream
from ..llm.modes import Form
from ..llm.session import Job, Outcome, Session
from ..models import Paper, Verdict
from ..store import Cache
from ..taxonomy import Taxonomy
from .base import Classifier, Context, Example, register
from .fewshot import FewShot
from .prompt import load_templates, prompt_hash, render_system, render_user, reply_schema, to_verdict

COMPLETION_GUESS = 150  # completion tokens a reply takes, for estimates


class LLMClassifier:
    """Classify with a chat model; see the module docstring."""

    backend = "openai"

    def __init__(self, taxonomy: Taxonomy, examples: Sequence[Example], ctx: Context) -> None:
        self.settings = ctx.config.llm if ctx.config else LLMConfig()
        self.taxonomy = taxonomy
        self.model = self.settings.model
        system_t, self.user_t = load_templates(ctx.prompt_dir)
        self.system = render_system(system_t, taxonomy)
        self.prompt_hash: str | None = prompt_hash(system_t, self.user_t, taxonomy)
        self.form = Form(reply_schema(taxonomy), "classify", "Record the paper's classification.")
        self.shots = FewShot([e for e in examples if e.labels], self.settings.few_shot)
        self.state_dir = ctx.state_dir
        self.stats = Stats()

    @property
    def notes(self) -> list[str]:
        """Things the run should tell the user (mode chosen, retries, budget reached)."""
        return self.stats.notes

    # requests ---------------------------------------------------------------
    def messages(self, paper: Paper) -> list[dict[str, Any]]:
        """System prefix (identical for every paper), then the examples and the paper."""
        user = render_user(self.user_t, paper, self.shots.nearest(paper), self.taxonomy)
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    def body(self, mode: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The chat-completions request for a structured-output mode."""
        return self.form.body(self.settings, mode, messages, self.settings.max_tokens)

    def job(self, paper: Paper) -> Job[Verdict]:
        """The request for one paper and how its reply becomes a verdict."""
        return Job(
            paper.id,
            self.messages(paper),
            lambda text: to_verdict(parse_object(text), paper, self.taxonomy),
            self.settings.max_tokens,
        )

    def cache(self) -> Cache:
        """The reply cache this backend reads and fills."""
        return open_cache(self.settings, self.state_dir)

    def known_mode(self, db: Cache) -> str:
        """The structured-output mode requests will use, as far as is known without sending any."""
        if self.settings.mode != "auto":
            return self.settings.mode
        return Replies(self.settings, db).mode() or "json_schema"

    # the run ----------------------------------------------------------------
    def classify(self, papers: Sequence[Paper]) -> Iterator[tuple[str, Verdict]]:
        """Ask on a worker thread's event loop; yield verdicts as they arrive."""
        todo = list(papers)
        return stream(lambda emit: self._run(todo, emit))

    async def _run(self, papers: list[Paper], emit: Any) -> None:
        db = self.cache()
        session = Session(self.settings, db, self.form, self.stats)
        try:
            if not papers:
                return
            mode = await session.mode(self.job(papers[0]))

            async def one(paper: Paper) -> None:
                if not session.stop_reason:
                    emit((paper.id, verdict(await session.ask(self.job(paper), mode))))

            await each(papers, one, self.settings.concurrency)
        finally:
            await session.close()
            db.close()

    def estimate(self, papers: Sequence[Paper]) -> dict[str, Any]:
        """What a run would cost, before spending anything (tokens estimated as characters / 4)."""
        db = self.cache()
        try:
            mode, replies = self.known_mode(db), Replies(self.settings, db)
            todo = [p for p in papers if not replies.has(replies.key(self.body(mode, self.messages(p))))]
        finally:
            db.close()
        prompt = sum(len(m["content"]) for p in todo for m in self.messages(p)) // 4
        completion = len(todo) * COMPLETION_GUESS
        price = self.settings.prices.get(self.model)
        cost = (prompt * price.input + completion * price.output) / 1e6 if price else 0.0
        return {
            "papers": len(papers),
            "requests": len(todo),
            "cached": len(papers) - len(todo),
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "cost": round(cost, 4),
            "prefix_tokens": len(self.system) // 4,
            "model": self.model,
            "priced": price is not None,
        }


def verdict(out: Outcome[Verdict]) -> Verdict:
    """A job's outcome as a verdict: the reply's, with what it cost, or a failure with the reason."""
    usage: dict[str, Any] = {
        "requests": out.requests,
        "prompt_tokens": out.prompt_tokens,
        "completion_tokens": out.completion_tokens,
        "cost": out.cost,
    }
    if out.value is None:
        return Verdict(status="failed", error=out.error, **usage)
    return out.value.model_copy(update=usage)


@register("openai")
def _make(taxonomy: Taxonomy, examples: Sequence[Example], ctx: Context) -> Classifier:
    return LLMClassifier(taxonomy, examples, ctx)
