"""The LLM backend: any OpenAI-compatible chat-completions server, through `surveyor.llm`.

Input: taxonomy, examples, papers, the `[llm]` settings. Output: one `Verdict` per paper, yielded
as each completes (`concurrency` requests in flight). What is sent and how a reply is validated is in
`prompt.py`; the client (cache, retries, structured-output mode, one repair of an invalid reply,
failures told apart, secrets kept out of every record) is `surveyor.llm`. A paper whose request is
refused, or whose reply is invalid twice, is recorded as failed with the reason; a failure of the
server itself (unreachable, key, model, ...) stops the run with one message, finished papers kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

from ..config import LLMConfig
from ..llm.cache import Replies, open_cache
from ..llm.client import Stats
from ..llm.codec import parse_object
from ..llm.engine import each, stream
from ..llm.modes import Form
from ..llm.session import Job, Outcome, Session
from ..models import Label, Paper, Verdict
from ..store import Cache
from ..taxonomy import Taxonomy
from .base import Classifier, Context, Example, register
from .exemplars import representatives
from .fewshot import FewShot
from .policy import Policy, apply, fit
from .prompt import load_templates, prompt_hash, render_system, render_user, reply_schema, to_verdict

COMPLETION_GUESS = 150  # completion tokens a reply takes, for estimates
CALIBRATION_MIN = 40  # human-labelled papers needed before a sample of them calibrates the labels


class LLMClassifier:
    """Classify with a chat model; see the module docstring."""

    backend = "openai"

    def __init__(self, taxonomy: Taxonomy, examples: Sequence[Example], ctx: Context) -> None:
        self.settings = ctx.config.llm if ctx.config else LLMConfig()
        self.taxonomy = taxonomy
        self.model = self.settings.model
        system_t, self.user_t = load_templates(ctx.prompt_dir)
        labelled = _merged(examples)
        shown = representatives(labelled, taxonomy, self.settings.node_examples)
        self.system = render_system(system_t, taxonomy, shown)
        self.prompt_hash: str | None = prompt_hash(system_t, self.user_t, taxonomy)
        self.form = Form(reply_schema(taxonomy), "classify", "Record the paper's classification.")
        self.shots = FewShot(labelled, self.settings.few_shot)
        in_prompt = {ex.paper.id for group in shown.values() for ex in group}
        self.calibration = calibration_sample(labelled, in_prompt, self.settings.calibration_sample)
        self.policy = Policy()
        self.state_dir = ctx.state_dir
        self.stats = Stats()
        self.overhead: dict[str, float] = {"requests": 0, "cost": 0.0}  # what calibrating cost

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
        """The request for one paper and how its reply becomes a verdict (before the label policy)."""
        return Job(
            paper.id,
            self.messages(paper),
            lambda text: to_verdict(parse_object(text), paper, self.taxonomy),
            self.settings.max_tokens,
        )

    def decide(self, verdict: Verdict) -> Verdict:
        """The verdict with the label policy applied: the primary label, sure secondary ones."""
        if verdict.status == "failed" or verdict.out_of_scope:
            return verdict
        return verdict.model_copy(update={"labels": apply(verdict.labels, self.taxonomy, self.policy)})

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
            await self._calibrate(session, mode)

            async def one(paper: Paper) -> None:
                if not session.stop_reason:
                    emit((paper.id, self.decide(verdict(await session.ask(self.job(paper), mode)))))

            await each(papers, one, self.settings.concurrency)
        finally:
            await session.close()
            db.close()

    async def _calibrate(self, session: Session, mode: str) -> None:
        """Classify the calibration sample (their labels unseen) and fit the label policy on it."""
        if not self.calibration:
            return
        got: list[tuple[list[Label], set[str]]] = []

        async def one(ex: Example) -> None:
            if session.stop_reason:
                return
            out = await session.ask(self.job(ex.paper), mode)
            self.overhead["requests"] += out.requests
            self.overhead["cost"] += out.cost
            if out.value is not None and not out.value.out_of_scope:
                got.append((out.value.labels, set(ex.labels)))

        await each(self.calibration, one, self.settings.concurrency)
        if len(got) < len(self.calibration) // 2:
            self.stats.notes.append("calibration: too few replies; default label policy used")
            return
        got.sort(key=lambda pair: sorted(pair[1]))  # the fit must not depend on arrival order
        self.policy = fit(got, self.taxonomy)
        self.stats.notes.append(describe(self.policy))

    def estimate(self, papers: Sequence[Paper]) -> dict[str, Any]:
        """What a run would cost, before spending anything (tokens estimated as characters / 4);
        the calibration sample counts when there is work to do."""
        db = self.cache()
        try:
            mode, replies = self.known_mode(db), Replies(self.settings, db)
            asked = list(papers) + ([ex.paper for ex in self.calibration] if papers else [])
            todo = [p for p in asked if not replies.has(replies.key(self.body(mode, self.messages(p))))]
        finally:
            db.close()
        prompt = sum(len(m["content"]) for p in todo for m in self.messages(p)) // 4
        completion = len(todo) * COMPLETION_GUESS
        price = self.settings.prices.get(self.model)
        cost = (prompt * price.input + completion * price.output) / 1e6 if price else 0.0
        return {
            "papers": len(papers),
            "requests": len(todo),
            "calibration": len(self.calibration) if papers else 0,
            "cached": len(asked) - len(todo),
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


def describe(policy: Policy) -> str:
    """The fitted policy in a sentence, for the run's notes."""
    second = (
        f"a second label is kept from confidence {policy.secondary_min:.2f}"
        if policy.secondary_min <= 1
        else "one label a view (a second one lowered F1 on them)"
    )
    if policy.view_min > 0:
        second += f", a label in another facet from {policy.view_min:.2f}"
    return (
        f"calibrated on {policy.sample} of your labelled papers: {second}; "
        f"the model's 0.9 counts as {policy.confidence(0.9):.2f}"
    )


def _merged(examples: Sequence[Example]) -> list[Example]:
    """One example per labelled paper (a human decision and a taxonomy example may name the same)."""
    labels: dict[str, dict[str, None]] = {}  # ordered sets: the first-named label stays first
    papers: dict[str, Paper] = {}
    for ex in examples:
        if ex.labels:
            papers.setdefault(ex.paper.id, ex.paper)
            labels.setdefault(ex.paper.id, {}).update(dict.fromkeys(ex.labels))
    return [Example(papers[pid], tuple(labels[pid])) for pid in sorted(papers)]


def calibration_sample(labelled: Sequence[Example], in_prompt: set[str], size: int) -> list[Example]:
    """Up to `size` labelled papers with text, none of them shown in the prompt, picked by a hash of
    their ids (the same labels give the same sample); none below CALIBRATION_MIN labelled papers."""
    if size <= 0 or len(labelled) < CALIBRATION_MIN:
        return []
    pool = [ex for ex in labelled if ex.paper.id not in in_prompt and ex.paper.has_text]
    pool.sort(key=lambda ex: hashlib.sha1(ex.paper.id.encode()).hexdigest())
    return pool[:size]


@register("openai")
def _make(taxonomy: Taxonomy, examples: Sequence[Example], ctx: Context) -> Classifier:
    return LLMClassifier(taxonomy, examples, ctx)
