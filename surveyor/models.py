"""The data every stage shares: papers, their sources, classification records and run logs.

These are plain pydantic models; the store writes each as one JSON line. Third-party values are
checked here, where every importer, the arXiv client and the model replies pass: control characters
and lone surrogates are dropped from text, and a URL that is not plain http(s), a DOI, date, arXiv id
or category that is not one, is left out (the paper is kept without it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .text import (
    abstract_key,
    clean_date,
    clean_doi,
    is_arxiv_id,
    is_category,
    normalize_title,
    safe_url,
    short_hash,
    strip_controls,
    untex,
)

PaperType = Literal["method", "benchmark", "dataset", "survey", "analysis", "other"]
PAPER_TYPES: tuple[str, ...] = ("method", "benchmark", "dataset", "survey", "analysis", "other")
VenueKind = Literal["conference", "journal"]


class Record(BaseModel):
    """Base for stored records: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Source(Record):
    """One place a paper was seen: a file (relative to the workspace) and where in it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    format: str
    line: int | None = None
    section: str | None = None
    version: int | None = None

    def sort_key(self) -> tuple[str, int, str]:
        """Order sources by file, then line, then section."""
        return (self.file, self.line or 0, self.section or "")


class Paper(Record):
    """A paper, merged from every source that listed it. Needs a title, an abstract or an id."""

    id: str
    title: str | None = None
    abstract: str | None = None
    authors: list[str] = Field(default_factory=list)
    published: str | None = None  # ISO date of the first version, when known
    updated: str | None = None  # ISO date of the version we hold
    year: int | None = None
    venue: str | None = None
    acronym: str | None = None  # the method or benchmark name a list gives it
    bibkey: str | None = None  # the citation key of an imported .bib entry, kept for exports
    comment: str | None = None
    journal_ref: str | None = None
    categories: list[str] = Field(default_factory=list)
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    doi: str | None = None
    links: dict[str, str] = Field(default_factory=dict)  # kind (arxiv, code, project) -> URL
    sources: list[Source] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)  # ids this paper had before a merge
    venue_kind: VenueKind | None = None  # what `venue` is, when known: BibTeX's entry type follows it
    citations: int | None = None  # citation count (from `surveyor enrich`)
    open_access: str | None = None  # a link to a free full text (from `surveyor enrich`)
    external_ids: dict[str, str] = Field(default_factory=dict)  # service (openalex, s2) -> its id
    # field -> the service `surveyor enrich` filled it from. A field not named here was imported or
    # entered by a person, and enrichment never overwrites it.
    enriched: dict[str, str] = Field(default_factory=dict)

    @field_validator("title", "abstract", "venue", "acronym", "bibkey", "comment", "journal_ref")
    @classmethod
    def _plain_text(cls, value: str | None) -> str | None:
        return (strip_controls(value) or None) if value is not None else None

    @field_validator("authors")
    @classmethod
    def _authors(cls, value: list[str]) -> list[str]:
        return [clean for a in value if (clean := " ".join(strip_controls(a).split()))]

    @field_validator("published", "updated", mode="before")
    @classmethod
    def _date(cls, value: Any) -> str | None:
        return clean_date(value)

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, value: Any) -> int | None:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        return (
            value
            if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 2999
            else None
        )

    @field_validator("arxiv_id", mode="before")
    @classmethod
    def _arxiv_id(cls, value: Any) -> str | None:
        return value if is_arxiv_id(value) else None

    @field_validator("doi", mode="before")
    @classmethod
    def _doi(cls, value: Any) -> str | None:
        return clean_doi(value)

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> list[str]:
        return [c for c in value if is_category(c)] if isinstance(value, list) else []

    @field_validator("links", mode="before")
    @classmethod
    def _links(cls, value: Any) -> dict[str, str]:
        return _name_map(value, safe_url)

    @field_validator("open_access", mode="before")
    @classmethod
    def _open_access(cls, value: Any) -> str | None:
        return safe_url(value)

    @field_validator("citations", mode="before")
    @classmethod
    def _citations(cls, value: Any) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

    @field_validator("external_ids", "enriched", mode="before")
    @classmethod
    def _names(cls, value: Any) -> dict[str, str]:
        return _name_map(value, lambda v: strip_controls(str(v)).strip()[:100] or None)

    @model_validator(mode="after")
    def _has_identity(self) -> Paper:
        if not (self.title or self.abstract or self.arxiv_id):
            raise ValueError("a paper needs a title, an abstract or an arXiv id")
        return self

    @property
    def text(self) -> str:
        """Title and abstract together, the text classifiers read."""
        return "\n".join(t for t in (self.title, self.abstract) if t)

    @property
    def has_text(self) -> bool:
        """Whether there is anything to classify."""
        return bool(self.title or self.abstract)

    @property
    def url(self) -> str | None:
        """The paper's main link: arXiv, else a DOI, else any other link."""
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return self.links.get("paper") or self.links.get("project")

    @property
    def display_title(self) -> str:
        """The title, or a stand-in built from the id or the abstract's first words."""
        if self.title:
            return untex(self.title)
        if self.abstract:
            words = self.abstract.split()
            return "Untitled: " + " ".join(words[:12]) + ("…" if len(words) > 12 else "")
        return f"arXiv:{self.arxiv_id}"


def _name_map(value: Any, clean: Callable[[Any], str | None]) -> dict[str, str]:
    """A JSON object as {name: value}: names that are identifiers (40 characters at most), values
    passed through `clean` (None drops the pair)."""
    if not isinstance(value, dict):
        return {}
    pairs = ((str(k), clean(v)) for k, v in value.items())
    return {k: v for k, v in pairs if v and k.isidentifier() and len(k) <= 40}


def canonical_id(arxiv_id: str | None, title: str | None, abstract: str | None) -> str:
    """The arXiv id without version; else `t-<hash>` of the normalised title; else `a-<hash>`."""
    if arxiv_id:
        return arxiv_id
    if title and normalize_title(title):
        return "t-" + short_hash(normalize_title(title))
    if abstract:
        return "a-" + abstract_key(abstract)[:10]
    raise ValueError("a paper needs a title, an abstract or an arXiv id")


class Label(Record):
    """One taxonomy node assigned to a paper, with how sure and why."""

    node: str
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: str = ""
    grounded: bool = True  # whether `evidence` occurs in the paper's title or abstract

    @field_validator("evidence")
    @classmethod
    def _plain_text(cls, value: str) -> str:
        return strip_controls(value)


class Verdict(Record):
    """What a classifier says about one paper: the content of a classification record."""

    labels: list[Label] = Field(default_factory=list)
    out_of_scope: bool = False
    reason: str | None = None
    paper_type: PaperType = "other"
    method: str | None = None
    evaluates_on: list[str] = Field(default_factory=list)
    introduces: list[str] = Field(default_factory=list)
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None
    # why a human must look before the verdict counts (the paper's text or the reply addresses the
    # model: a prompt injection); such a machine verdict stays out of the list until reviewed
    flag: str | None = None
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    @field_validator("reason", "method", "error", "flag")
    @classmethod
    def _plain_text(cls, value: str | None) -> str | None:
        return strip_controls(value) if value is not None else None

    @field_validator("evaluates_on", "introduces")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        return [strip_controls(v) for v in value]


class Classification(Verdict):
    """A verdict with its provenance; one shape for every backend, humans included."""

    paper: str
    backend: str  # offline, openai, human, imported
    model: str
    taxonomy_hash: str
    prompt_hash: str | None = None
    run_id: str
    time: str

    @property
    def is_human(self) -> bool:
        """Human decisions always win over machine labels."""
        return self.backend == "human"


class Run(Record):
    """One command's run: what it did and what it cost."""

    id: str
    command: str
    backend: str | None = None
    model: str | None = None
    papers: int = 0
    failed: int = 0
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    started: str
    ended: str | None = None
    status: Literal["running", "done", "interrupted", "failed"] = "running"
