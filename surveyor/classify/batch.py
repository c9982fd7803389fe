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

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from .. import clock
from ..errors import InputError, SurveyorError
from ..models import Paper, Verdict
from ..store import Cache, Workspace, read_jsonl, write_jsonl, writes
from .llm import LLMClassifier, _answer
from .prompt import ReplyError, extract_json, to_verdict
from .runner import plan, run_classifier

ENDPOINT = "/v1/chat/completions"


class BatchRecord(BaseModel):
    """A submitted batch, as kept in data/batches.jsonl."""

    model_config = ConfigDict(extra="forbid")
    id: str
    input_file_id: str
    requests_file: str
    model: str
    mode: str
    prompt_hash: str | None = None
    papers: int
    submitted: str
    status: str = "validating"
    output_file_id: str | None = None
    collected: bool = False


def _path(ws: Workspace) -> Path:
    return ws.data_dir / "batches.jsonl"


def _save(ws: Workspace, records: dict[str, BatchRecord]) -> None:
    write_jsonl(_path(ws), records.values(), key=lambda r: (r.submitted, r.id))


def _load(ws: Workspace) -> dict[str, BatchRecord]:
    return {r.id: r for r in read_jsonl(_path(ws), BatchRecord)}


def _classifier(ws: Workspace, backend: str) -> tuple[LLMClassifier, list[Paper], Any]:
    p = plan(ws, backend)
    if not isinstance(p.clf, LLMClassifier):
        raise SurveyorError(f"--batch needs an LLM backend, not `{backend}`", "use --backend openai")
    return p.clf, p.todo, p


def _mode(clf: LLMClassifier, ws: Workspace) -> str:
    if clf.settings.mode != "auto":
        return clf.settings.mode
    cache = Cache(clf.cache_path)
    try:
        return cache.meta(f"mode:{clf.settings.base_url}:{clf.model}") or "json_schema"
    finally:
        cache.close()


def write_requests(ws: Workspace, backend: str = "openai") -> tuple[Path, LLMClassifier, str, int]:
    """Write the Batch requests file for every paper that needs classifying."""
    clf, todo, _ = _classifier(ws, backend)
    if not todo:
        raise SurveyorError("nothing to classify: every paper has a current label")
    mode = _mode(clf, ws)
    folder = ws.state_dir / "batch"
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


def _client(clf: LLMClassifier) -> Any:
    from openai import OpenAI

    return OpenAI(
        api_key=clf.settings.api_key,
        base_url=clf.settings.base_url,
        max_retries=3,
        timeout=clf.settings.timeout,
    )


@writes("batch submit")
def submit(ws: Workspace, backend: str = "openai") -> str:
    """Write, upload and submit a batch; record it; say what to run next."""
    path, clf, mode, count = write_requests(ws, backend)
    client = _client(clf)
    with path.open("rb") as fh:
        uploaded = client.files.create(file=fh, purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h")
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
        client = _client(clf)
        for record in open_ones:
            batch = client.batches.retrieve(record.id)
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
    records = _load(ws)
    ready = [r for r in status(ws) if r.status == "completed" and r.output_file_id]
    if not ready:
        return ["no finished batch to collect (see `surveyor batch status`)"]
    clf, _, _ = _classifier(ws, "openai")
    client = _client(clf)
    for record in ready:
        text = client.files.content(record.output_file_id).text
        lines.append(_ingest(ws, text, f"batch {record.id}"))
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

    def classify(self, papers: list[Paper]) -> Any:
        """A verdict per paper that has a result; each reply is cached like a direct call's."""
        cache = Cache(self.clf.cache_path)
        try:
            for paper in papers:
                verdict = self._verdict(paper, self.replies[paper.id])
                body = (self.replies[paper.id].get("response") or {}).get("body")
                if body and verdict.status == "ok":
                    answer = _answer(body)
                    request = self.clf.body(self.mode, self.clf.messages(paper))
                    raw = json.dumps(
                        {
                            "content": answer.content,
                            "finish_reason": answer.finish_reason,
                            "refusal": answer.refusal,
                        }
                    )
                    cache.put(
                        self.clf.chat.key(request),
                        self.clf.model,
                        raw,
                        answer.prompt_tokens,
                        answer.completion_tokens,
                    )
                yield paper.id, verdict
        finally:
            cache.close()

    def _verdict(self, paper: Paper, line: dict[str, Any]) -> Verdict:
        response = line.get("response") or {}
        if line.get("error") or response.get("status_code", 200) != 200:
            error = line.get("error") or {"message": f"status {response.get('status_code')}"}
            return Verdict(status="failed", error=f"batch request failed: {error.get('message', error)}")
        answer = _answer(response.get("body") or {})
        spent: dict[str, Any] = {
            "requests": 1,
            "prompt_tokens": answer.prompt_tokens,
            "completion_tokens": answer.completion_tokens,
            "cost": self.clf.chat.cost(answer),
        }
        if answer.refusal:
            return Verdict(status="failed", error=f"the model refused: {answer.refusal[:200]}", **spent)
        try:
            if answer.finish_reason == "length":
                raise ReplyError("the reply was cut off at max_tokens")
            verdict = to_verdict(extract_json(answer.content), paper, self.clf.taxonomy)
        except ReplyError as exc:
            return Verdict(
                status="failed", error=f"invalid reply in batch: {exc}; a direct run retries it", **spent
            )
        return verdict.model_copy(update=spent)


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
        if line.get("custom_id") in papers:
            replies[line["custom_id"]] = line
        else:
            unknown += 1
    todo = [papers[pid] for pid in sorted(replies)]
    report = p.report
    if todo:
        results = _Results(clf, papers, replies, _mode(clf, ws))
        run_classifier(ws, results, p.taxonomy, todo, p.labels, report, None, "batch collect")  # type: ignore[arg-type]
    extra = f", {unknown} results for papers not in the workspace skipped" if unknown else ""
    return (
        f"{source}: {report.classified} papers stored ({report.failed} failed, "
        f"{report.out_of_scope} out of scope){extra}"
    )
