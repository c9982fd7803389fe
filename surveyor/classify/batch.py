"""Classification at scale through the OpenAI Batch API (or any runner that reads and writes its
JSONL format, such as vLLM's offline batch runner).

`submit`: the papers a `classify --backend openai` run would send are written as Batch requests
(`.surveyor/batch/requests-<id>.jsonl`, one `{"custom_id", "method", "url", "body"}` a line),
uploaded (files endpoint) and submitted (batches endpoint); the batch is recorded in
`data/batches.jsonl` so any machine can collect it. `status` refreshes that record. `collect`
downloads finished results (or reads `--from FILE`), validates every reply exactly as the direct
path does, caches it, and stores the verdicts through the same runner. A batch cannot send a reply
back for repair: an invalid one is recorded as failed, and the next direct run retries it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from .. import clock
from ..errors import InputError, SurveyorError
from ..llm.cache import Replies
from ..llm.client import Link, scrubber
from ..llm.codec import BadReply, Refusal, ReplyError, from_payload, parse_object, text_of
from ..llm.errors import NoEndpoint, Rejected
from ..llm.session import price_of
from ..models import Paper, Verdict
from ..records import BATCHES, BatchRecord
from ..store import Workspace, writes
from .llm import LLMClassifier
from .prompt import to_verdict
from .runner import plan, run_classifier

ENDPOINT = "/v1/chat/completions"


def _save(ws: Workspace, records: dict[str, BatchRecord]) -> None:
    ws.save(BATCHES, records.values())


def _load(ws: Workspace) -> dict[str, BatchRecord]:
    return {r.id: r for r in ws.load(BATCHES)}


def _classifier(ws: Workspace, backend: str) -> tuple[LLMClassifier, list[Paper], Any]:
    p = plan(ws, backend)
    if not isinstance(p.clf, LLMClassifier):
        raise SurveyorError(f"--batch needs an LLM backend, not `{backend}`", "use --backend openai")
    return p.clf, p.todo, p


def _mode(clf: LLMClassifier) -> str:
    db = clf.cache()
    try:
        return clf.known_mode(db)
    finally:
        db.close()


def write_requests(ws: Workspace, backend: str = "openai") -> tuple[Path, LLMClassifier, str, int]:
    """Write the Batch requests file for every paper that needs classifying."""
    clf, todo, _ = _classifier(ws, backend)
    if not todo:
        raise SurveyorError("nothing to classify: every paper has a current label")
    mode = _mode(clf)
    folder = ws.batch_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"requests-{clock.stamp().replace(':', '')}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for paper in todo:
            line = {
                "custom_id": paper.id,
                "method": "POST",
                "url": ENDPOINT,
                "body": clf.body(mode, clf.messages(paper)),
            }
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return path, clf, mode, len(todo)


T = TypeVar("T")


def _remote(clf: LLMClassifier, op: Callable[[Any], Awaitable[T]]) -> T:
    """`op(client)` (a Files or Batches API call) through the one client and retry policy."""

    async def run() -> T:
        link = Link(clf.settings, missing="does not know this batch or file, or has no Batch API")
        try:
            return await link.call(lambda: op(link.client))
        except NoEndpoint as exc:
            exc.hint = (
                "run the requests file elsewhere (e.g. vLLM's run_batch) and ingest the results with "
                "`surveyor batch collect --from FILE`"
            )
            raise
        except Rejected as exc:
            raise SurveyorError(
                f"the server refused the batch request ({exc})", "check [llm] base_url and the API key"
            ) from None
        finally:
            await link.close()

    return asyncio.run(run())


def _call(resource: str, method: str, *args: Any) -> Callable[[Any], Awaitable[Any]]:
    """An SDK call for `_remote`: `client.<resource>.<method>(*args)`."""
    return lambda client: getattr(getattr(client, resource), method)(*args)


@writes("batch submit")
def submit(ws: Workspace, backend: str = "openai") -> str:
    """Write, upload and submit a batch; record it; say what to run next."""
    path, clf, mode, count = write_requests(ws, backend)
    data = path.read_bytes()
    uploaded = _remote(clf, lambda c: c.files.create(file=(path.name, data), purpose="batch"))
    batch = _remote(
        clf,
        lambda c: c.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h"),
    )
    records = _load(ws)
    records[batch.id] = BatchRecord(
        id=batch.id,
        input_file_id=uploaded.id,
        requests_file=ws.rel(path),
        model=clf.model,
        mode=mode,
        prompt_hash=clf.prompt_hash,
        papers=count,
        submitted=clock.stamp(),
        status=batch.status,
    )
    _save(ws, records)
    return (
        f"submitted batch {batch.id}: {count} papers ({mode}); requests in {ws.rel(path)}\n"
        "check it with `surveyor batch status`, ingest it with `surveyor batch collect`"
    )


@writes("batch status")
def status(ws: Workspace) -> list[BatchRecord]:
    """Refresh and return every batch not yet collected."""
    records = _load(ws)
    open_ones = [r for r in records.values() if not r.collected]
    if open_ones:
        clf, _, _ = _classifier(ws, "openai")
        for record in open_ones:
            batch = _remote(clf, _call("batches", "retrieve", record.id))
            record.status = batch.status
            record.output_file_id = batch.output_file_id
        _save(ws, records)
    return open_ones


@writes("batch collect")
def collect(ws: Workspace, from_file: Path | None = None) -> list[str]:
    """Ingest finished batches (or a results file); return one line of report per source."""
    lines: list[str] = []
    if from_file is not None:
        if not from_file.is_file():
            raise InputError(f"results file not found: {from_file}")
        return [_ingest(ws, from_file.read_text(encoding="utf-8"), str(from_file))]
    ready = [r for r in status(ws) if r.status == "completed" and r.output_file_id]
    if not ready:
        return ["no finished batch to collect (see `surveyor batch status`)"]
    clf, _, _ = _classifier(ws, "openai")
    for record in ready:
        text = _remote(clf, _call("files", "content", record.output_file_id)).text
        lines.append(_ingest(ws, text, f"batch {record.id}"))
        records = _load(ws)  # as `status` just refreshed and saved them
        records[record.id].collected = True
        _save(ws, records)
    return lines


class _Results:
    """Yields verdicts from a results file, shaped like a classifier for the runner."""

    backend = "openai"

    def __init__(
        self, clf: LLMClassifier, papers: dict[str, Paper], replies: dict[str, Any], mode: str
    ) -> None:
        self.clf = clf
        self.mode = mode
        self.model = clf.model
        self.prompt_hash = clf.prompt_hash
        self.papers = papers
        self.replies = replies
        self.scrub = scrubber(clf.settings)

    def classify(self, papers: list[Paper]) -> Any:
        """A verdict per paper that has a result; each valid reply is cached like a direct call's."""
        db = self.clf.cache()
        cache = Replies(self.clf.settings, db, self.scrub)
        try:
            for paper in papers:
                verdict, answer = self._verdict(paper, self.replies[paper.id])
                if answer is not None and verdict.status == "ok":
                    request = self.clf.body(self.mode, self.clf.messages(paper))
                    cache.put(cache.key(request), answer)
                yield paper.id, verdict
        finally:
            db.close()

    def _verdict(self, paper: Paper, line: dict[str, Any]) -> tuple[Verdict, Any]:
        response: dict[str, Any] = line["response"] if isinstance(line.get("response"), dict) else {}
        if line.get("error") or response.get("status_code", 200) != 200:
            error = line.get("error") or {"message": f"status {response.get('status_code')}"}
            message = error.get("message", error) if isinstance(error, dict) else error
            return self._failed(f"batch request failed: {message}"), None
        try:
            answer = from_payload(response.get("body"))
        except BadReply as exc:
            return self._failed(f"batch result is not a chat completion: {exc}"), None
        spent: dict[str, Any] = {
            "requests": 1,
            "prompt_tokens": answer.prompt_tokens,
            "completion_tokens": answer.completion_tokens,
            "cost": price_of(self.clf.settings, answer),
        }
        try:
            verdict = to_verdict(parse_object(text_of(answer)), paper, self.clf.taxonomy)
        except Refusal as exc:
            return self._failed(f"the model refused: {exc}", spent), None
        except ReplyError as exc:
            return self._failed(f"invalid reply in batch: {exc}; a direct run retries it", spent), None
        return verdict.model_copy(update=spent), answer

    def _failed(self, reason: str, spent: dict[str, Any] | None = None) -> Verdict:
        return Verdict(status="failed", error=self.scrub(reason), **(spent or {}))


def _ingest(ws: Workspace, text: str, source: str) -> str:
    clf, _, p = _classifier(ws, "openai")
    papers = ws.load_papers()
    replies: dict[str, Any] = {}
    unknown = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(line, dict):
            raise InputError(
                f"{source}:{number}: a JSON {type(line).__name__}, not a batch result",
                "each line must be an object with custom_id and response (the Batch API's output format)",
            )
        if line.get("custom_id") in papers:
            replies[line["custom_id"]] = line
        else:
            unknown += 1
    todo = [papers[pid] for pid in sorted(replies)]
    report = p.report
    if todo:
        results = _Results(clf, papers, replies, _mode(clf))
        run_classifier(ws, results, p.taxonomy, todo, p.labels, report, None, "batch collect")  # type: ignore[arg-type]
    extra = f", {unknown} results for papers not in the workspace skipped" if unknown else ""
    return (
        f"{source}: {report.classified} papers stored ({report.failed} failed, "
        f"{report.out_of_scope} out of scope){extra}"
    )
