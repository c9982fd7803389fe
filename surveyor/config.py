"""surveyor.toml, validated: the only module that reads configuration and the environment.

Precedence: surveyor.toml < SURVEYOR_* environment variables < command-line flags.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .clock import parse_instant
from .errors import ConfigError, where

CONFIG_NAME = "surveyor.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileSource(_Section):
    """A listing file to import on every build (path relative to the workspace)."""

    path: str
    format: str | None = None  # detected from the content when left out
    # Filters for the arXiv metadata snapshot (format "arxiv-snapshot"):
    categories: list[str] = Field(default_factory=list)
    since: date | None = None
    until: date | None = None
    keywords: list[str] = Field(default_factory=list)


class ArxivQuery(_Section):
    """An arXiv search run by `fetch` and `build` (arXiv query syntax, e.g. `abs:"video LLM"`)."""

    query: str = ""
    categories: list[str] = Field(default_factory=list)
    since: date | None = None
    until: date | None = None
    max_results: int | None = Field(default=2000, ge=1)  # caps a query's first fetch; later ones take all


class Sources(_Section):
    """Where papers come from."""

    files: list[FileSource] = Field(default_factory=list)
    arxiv: list[ArxivQuery] = Field(default_factory=list)


class ArxivClientConfig(_Section):
    """How the arXiv API is called: endpoint (a mirror or a test server), politeness, retries."""

    api_url: str | None = None  # default: the arXiv API; also SURVEYOR_ARXIV_API_URL
    delay: float = Field(default=3.0, ge=0)  # seconds between requests (arXiv asks for 3)
    max_retries: int = Field(default=5, ge=0)
    backoff: float = Field(default=3.0, gt=0)  # first wait after a failure; doubles each time
    max_wait: float = Field(default=120.0, ge=0)  # the longest wait before a retry (caps Retry-After)
    timeout: float = Field(default=120.0, gt=0)  # seconds for a whole request, answer read in full
    connect_timeout: float = Field(default=10.0, gt=0)  # no connection by then: fail, saying so
    max_response_mb: float = Field(default=100.0, gt=0)  # a longer answer is cut there
    # Each fetch re-asks from the earliest submission that could have been unannounced at the last
    # one, less this margin, for announcements held back by closures (21 covers closures of up to
    # about 19 days; arXiv's longest, at the year's end, are under a week) or moderation holds.
    margin_days: int = Field(default=21, ge=0)


class ClassifyConfig(_Section):
    """How papers are classified."""

    backend: str = "offline"
    min_confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    review_below: float = Field(default=0.4, ge=0.0, le=1.0)  # labels less sure than this need review
    checkpoint_every: int = Field(default=500, ge=1)  # verdicts between rewrites of data/labels.jsonl


class Price(_Section):
    """What a model costs, in US dollars per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class LLMConfig(_Section):
    """An OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp) for `--backend openai`."""

    base_url: str = "https://api.openai.com/v1"
    api_key: str | None = Field(default=None, repr=False)  # prefer SURVEYOR_API_KEY / OPENAI_API_KEY
    model: str = "gpt-4o-mini"
    mode: Literal["auto", "json_schema", "json_object", "tools", "text"] = "auto"  # structured output
    timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=6, ge=0)
    backoff: float = Field(default=0.5, gt=0)  # seconds before the first retry; doubles each time
    max_wait: float = Field(default=60.0, ge=0)  # longest Retry-After obeyed; a longer one stops the run
    cache: bool = True  # reuse cached replies (false: every request is sent, nothing is kept)
    cache_file: str | None = None  # the reply cache (default: the workspace's .surveyor/cache.sqlite)
    concurrency: int = Field(default=8, ge=1, le=512)
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_tokens: int = Field(default=700, ge=50)
    few_shot: int = Field(default=3, ge=0, le=20)  # most similar labelled papers shown with each paper
    node_examples: int = Field(
        default=3, ge=0, le=10
    )  # titles the author filed under each node, in the prompt
    # human-labelled papers classified to calibrate confidences and the secondary-label threshold
    # (needs 40 labelled papers; 0: no calibration, secondary labels from 0.7)
    calibration_sample: int = Field(default=30, ge=0, le=500)
    max_cost: float | None = Field(default=None, ge=0)
    prices: dict[str, Price] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": Price(input=0.15, output=0.60),
            "gpt-4.1-mini": Price(input=0.40, output=1.60),
            "gpt-4.1-nano": Price(input=0.10, output=0.40),
            "gpt-4o": Price(input=2.50, output=10.00),
        }
    )


class ExportConfig(_Section):
    """Where and how exports are written."""

    dir: str = "output"
    readme: str = "README.md"  # relative to `dir`
    # An adopted list (relative to the workspace): `export awesome` edits it — new papers written in
    # each section's own style, the maintainer's lines kept byte for byte — into `readme`.
    adopted: str | None = None
    newest_first: bool = True
    style: Literal["bullets", "table"] = "bullets"  # how the README lists papers
    mindmap: bool = True  # a Mermaid mind map of the taxonomy in the README
    chart: bool = True  # a papers-per-year chart (PNG, with its data as CSV) beside the README
    benchmarks: int = Field(default=30, ge=0)  # rows of the README's Benchmarks section (0: none)
    contributing: bool = True  # write contributing.md beside the README when it is missing
    arxiv: bool = False  # also write survey/main.bbl (arXiv runs no BibTeX) whenever TeX is installed
    graph_layout: Literal["matplotlib", "graphviz"] = "matplotlib"  # who lays out graph/benchmarks.svg


Service = Literal["openalex", "s2"]
SERVICES: tuple[Service, ...] = ("openalex", "s2")


class EnrichConfig(_Section):
    """How `surveyor enrich` asks OpenAlex and Semantic Scholar: where, as whom, how fast."""

    auto: bool = False  # `build` and `update` also enrich the papers they add (needs the network)
    sources: list[Service] = Field(default_factory=lambda: list(SERVICES))  # asked in this order
    openalex_url: str = "https://api.openalex.org"  # also SURVEYOR_OPENALEX_URL
    s2_url: str = "https://api.semanticscholar.org"  # also SURVEYOR_S2_URL
    mailto: str | None = None  # sent to OpenAlex (`mailto=`) and in the User-Agent; SURVEYOR_MAILTO
    openalex_api_key: str | None = Field(default=None, repr=False)  # prefer SURVEYOR_OPENALEX_API_KEY
    s2_api_key: str | None = Field(default=None, repr=False)  # prefer SURVEYOR_S2_API_KEY
    # Seconds between two requests to one service. OpenAlex documents at most 100 requests a second;
    # Semantic Scholar 1 a second with a key, and a shared pool of about 100 per 5 minutes without.
    openalex_interval: float = Field(default=0.1, ge=0)
    s2_interval: float | None = Field(default=None, ge=0)  # default: 1.0 with a key, 3.0 without
    max_retries: int = Field(default=5, ge=0)
    backoff: float = Field(default=2.0, gt=0)  # first wait after a failure; doubles each time
    max_wait: float = Field(default=120.0, ge=0)  # a longer Retry-After stops that service for the run
    timeout: float = Field(default=30.0, gt=0)

    def s2_pace(self) -> float:
        """Seconds between Semantic Scholar requests: as set, else what its documented limits allow."""
        if self.s2_interval is not None:
            return self.s2_interval
        return 1.0 if self.s2_api_key else 3.0


class Config(_Section):
    """The whole surveyor.toml."""

    title: str = "Awesome Papers"
    description: str = ""
    taxonomy: str = "taxonomy.yaml"
    sources: Sources = Field(default_factory=Sources)
    classify: ClassifyConfig = Field(default_factory=ClassifyConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    arxiv: ArxivClientConfig = Field(default_factory=ArxivClientConfig)
    enrich: EnrichConfig = Field(default_factory=EnrichConfig)


# Later entries win: OPENAI_* is the fallback, SURVEYOR_* the override.
ENV_OVERRIDES = [
    ("SURVEYOR_BACKEND", ("classify", "backend")),
    ("OPENAI_BASE_URL", ("llm", "base_url")),
    ("SURVEYOR_BASE_URL", ("llm", "base_url")),
    ("OPENAI_API_KEY", ("llm", "api_key")),
    ("SURVEYOR_API_KEY", ("llm", "api_key")),
    ("SURVEYOR_MODEL", ("llm", "model")),
    ("SURVEYOR_ARXIV_API_URL", ("arxiv", "api_url")),
    ("SURVEYOR_OPENALEX_URL", ("enrich", "openalex_url")),
    ("SURVEYOR_S2_URL", ("enrich", "s2_url")),
    ("SURVEYOR_MAILTO", ("enrich", "mailto")),
    ("OPENALEX_API_KEY", ("enrich", "openalex_api_key")),
    ("SURVEYOR_OPENALEX_API_KEY", ("enrich", "openalex_api_key")),
    ("S2_API_KEY", ("enrich", "s2_api_key")),
    ("SURVEYOR_S2_API_KEY", ("enrich", "s2_api_key")),
]


def load_config(root: Path, env: dict[str, str] | None = None) -> Config:
    """Read `root/surveyor.toml`, apply SURVEYOR_* overrides and validate."""
    path = root / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(
            f"no {CONFIG_NAME} in {root}",
            f"run `surveyor init {root}` or pass the workspace with -w DIR",
        )
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}", "fix that line") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: nested too deeply to read", "flatten the nested arrays") from exc
    _override(data, env)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, path, text) from exc


def env_now(env: dict[str, str] | None = None) -> datetime | None:
    """The instant `SURVEYOR_NOW` pins the clock to (ISO date or date-time, UTC), or None: the real
    clock. For reproducible runs: replaying a day's update, tests of date windows."""
    env = dict(os.environ) if env is None else env
    value = env.get("SURVEYOR_NOW", "").strip()
    if not value:
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise ConfigError(
            f"SURVEYOR_NOW={value!r} is not an ISO date or date-time",
            "use e.g. SURVEYOR_NOW=2026-11-22T06:00:00Z, or unset it for the real clock",
        ) from exc


LOCK_WAIT = 600.0  # seconds a writing command waits for another one on the same workspace


def env_lock_wait(env: dict[str, str] | None = None) -> float:
    """How long a writing command waits for the one holding the workspace (`SURVEYOR_LOCK_WAIT`,
    seconds; 0: stop at once with a message)."""
    env = dict(os.environ) if env is None else env
    value = env.get("SURVEYOR_LOCK_WAIT", "").strip()
    if not value:
        return LOCK_WAIT
    try:
        wait = float(value)
    except ValueError:
        wait = -1.0
    if not wait >= 0:
        raise ConfigError(
            f"SURVEYOR_LOCK_WAIT={value!r} is not a number of seconds", "use e.g. SURVEYOR_LOCK_WAIT=60"
        )
    return wait


def env_config(env: dict[str, str] | None = None) -> Config:
    """The defaults with the SURVEYOR_* overrides, for tools that run without a workspace (benchmarks)."""
    data: dict[str, Any] = {}
    _override(data, env)
    return Config.model_validate(data)


def _override(data: dict[str, Any], env: dict[str, str] | None) -> None:
    env = dict(os.environ) if env is None else env
    for var, (section, key) in ENV_OVERRIDES:
        if env.get(var):
            data.setdefault(section, {})[key] = env[var]


def _config_error(exc: ValidationError, path: Path, text: str) -> ConfigError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    dotted = ".".join(loc)
    line = _find_line(text, loc[-1] if loc else "")
    if err["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        return ConfigError(
            f"{where(path, line)}: unknown key `{dotted}`",
            f"known keys here: {', '.join(known)}" if known else "remove it",
        )
    return ConfigError(f"{where(path, line)}: `{dotted}`: {err['msg']}", "fix the value")


def _find_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(\[+\s*)?([\w.]*\.)?{re.escape(key)}\s*(=|\])")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def _known_keys(loc: list[str]) -> list[str]:
    model: Any = Config
    for part in loc:
        if part.isdigit():
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", None)
        model = args[0] if args else annotation
    fields = getattr(model, "model_fields", {})
    return sorted(fields)


_CONFIG_TEMPLATE = """\
# surveyor workspace{origin}: see `surveyor --help`
title = {title}
description = ""
taxonomy = {taxonomy}
{files}
[classify]
backend = "offline"{backend_note}

[export]
dir = "output"
{export}"""
_FILES_HINT = """
# Listings imported on every `surveyor build` (paths relative to this file).
# [[sources.files]]
# path = "sources/papers.jsonl"
# format = "jsonl"   # optional: detected from the content
"""
_ADOPTED_EXPORT = """\
# The list stays yours: each export reads it again and only adds the new papers, in each section's
# own style, to {where}.
adopted = {adopted}
readme = {readme}

# What `surveyor update` fetches (arXiv API; one request per 3 s):
# [[sources.arxiv]]
# query = 'abs:"video understanding"'
# categories = ["cs.CV"]
"""


def config_text(
    title: str, taxonomy: str = "taxonomy.yaml", adopted: tuple[str, str, bool] | None = None
) -> str:
    """The surveyor.toml a new workspace starts with: `surveyor init`'s, or, with `adopted` (the
    list's path relative to the workspace, `[export] readme`, whether the list is edited in place),
    `surveyor adopt`'s."""
    values = {"title": json.dumps(title, ensure_ascii=False), "taxonomy": json.dumps(taxonomy)}
    if adopted is None:
        return _CONFIG_TEMPLATE.format(
            origin="", files=_FILES_HINT, backend_note="", export='readme = "README.md"\n', **values
        )
    rel, readme, in_place = adopted
    where = "the list itself" if in_place else "output/README.md, to compare before copying it over"
    export = _ADOPTED_EXPORT.format(where=where, adopted=json.dumps(rel), readme=json.dumps(readme))
    return _CONFIG_TEMPLATE.format(
        origin=f" adopted from {rel}",
        files="",
        backend_note='   # "openai" with SURVEYOR_API_KEY set; the list\'s own papers are the examples',
        export=export,
        **values,
    )


def override_llm(config: Config, flags: dict[str, Any]) -> None:
    """Command-line values over the [llm] settings (a None value: not given); a bad one names its flag."""
    given = {k: v for k, v in flags.items() if v is not None}
    if not given:
        return
    try:
        config.llm = LLMConfig.model_validate({**config.llm.model_dump(), **given})
    except ValidationError as exc:
        err = exc.errors()[0]
        flag = str(err["loc"][0]).replace("_", "-")
        raise ConfigError(f"--{flag}: {err['msg']}", "fix the value") from None


def tool_config(workspace: Path, backend: str, cache: bool, flags: dict[str, Any]) -> Config:
    """Settings for a tool that may run outside a workspace (`surveyor eval`): the workspace's
    surveyor.toml when there is one < environment < flags; model replies cached in the workspace's
    .surveyor/ unless `cache` is off."""
    config = load_config(workspace) if (workspace / CONFIG_NAME).is_file() else env_config()
    override_llm(config, {**flags, "cache": None if cache else False})
    if backend == "openai" and config.llm.cache and not config.llm.cache_file:
        config.llm.cache_file = str((workspace / ".surveyor" / "cache.sqlite").resolve())
    return config


def flag_query(
    query: str | None, categories: list[str], since: str | None, until: str | None, limit: int | None
) -> ArxivQuery:
    """An arXiv query given on the command line (`surveyor fetch --query ...`), validated."""
    given = {"query": query or "", "categories": categories, "since": since, "until": until}
    try:
        return ArxivQuery.model_validate({**given, "max_results": limit or 2000})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"--{err['loc'][0]}: {err['msg']}", "dates are YYYY-MM-DD") from None
