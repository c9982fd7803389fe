"""The records of the workspace's logs and state files, each declared with its file (`Log`):

  data/merges.jsonl         Merge: every merge (rule, score, the incoming record, the paper before it)
  data/distinct.jsonl       Distinct: pairs a human said are different papers
  data/fetch_state.jsonl    FetchState: per arXiv query, when it last succeeded
  data/resolutions.jsonl    Resolution: what `resolve` decided for a paper listed without an arXiv id
  data/batches.jsonl        BatchRecord: a batch submitted to the OpenAI Batch API
  data/taxonomy-log.jsonl   TaxonomyChange: one line per applied taxonomy patch, in order

Input: nothing (declarations). Output: pydantic models the store reads and writes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from pydantic import BaseModel, ConfigDict, Field

from .files import Log
from .models import Paper, Record


class Merge(BaseModel):
    """One merge: which record went into which paper, by what rule."""

    model_config = ConfigDict(extra="forbid")
    into: str
    absorbed: str
    rule: str  # arxiv-id, doi, title, fuzzy-title, abstract
    score: float | None = None
    record: Paper  # the incoming record as it was before the merge
    before: Paper  # the library's paper as it was before the merge


def merge_key(m: Merge) -> tuple[str, str, tuple[str, int, str]]:
    """Where a merge sorts in the log: the paper, the absorbed id, where the record came from."""
    return (m.into, m.absorbed, m.record.sources[0].sort_key() if m.record.sources else ("", 0, ""))


class Distinct(BaseModel):
    """Two ids that must never be merged."""

    model_config = ConfigDict(extra="forbid")
    a: str
    b: str


class FetchState(Record):
    """When a query last succeeded."""

    key: str
    query: str
    categories: list[str] = Field(default_factory=list)
    last_success: date
    last_run: datetime | None = None  # the instant that fetch started (states before it: the day's start)
    fetched: int = 0

    def started(self) -> datetime:
        """When the last successful fetch started (UTC); the day's start for states without it."""
        return self.last_run or datetime.combine(self.last_success, time(), UTC)


class Resolution(BaseModel):
    """What `resolve` decided for a paper listed without an arXiv id."""

    model_config = ConfigDict(extra="forbid")
    paper: str  # the id it had before
    arxiv_id: str | None = None
    rule: str  # exact, fuzzy, not-found
    score: float | None = None
    found_title: str | None = None
    time: str
    before: Paper


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


class TaxonomyChange(BaseModel):
    """One applied taxonomy patch (a line of data/taxonomy-log.jsonl); fields this version does not
    know are kept, so rewriting the log changes no line."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    from_: str = Field(alias="from")  # the taxonomy hash the patch replaced
    to: str
    mapping: dict[str, str] = Field(default_factory=dict)  # removed node -> where its papers went
    patch: str = ""  # the patch file's name
    patch_sha: str | None = None  # its content's hash (logs before it: none)
    kept: int = 0
    human_moved: int = 0


MERGES = Log("merges.jsonl", Merge, merge_key)
DISTINCT = Log("distinct.jsonl", Distinct, lambda d: (d.a, d.b))
FETCH_STATE = Log("fetch_state.jsonl", FetchState, lambda s: s.key)
RESOLUTIONS = Log("resolutions.jsonl", Resolution, lambda r: r.paper)
BATCHES = Log("batches.jsonl", BatchRecord, lambda r: (r.submitted, r.id))
