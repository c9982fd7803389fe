"""The `surveyor` command: parse arguments, call one library function, print its report.

User mistakes (`SurveyorError`) become a one-line error and a hint on stderr with exit code 1.
"""

from __future__ import annotations

import errno
import functools
import gc
import json
import logging
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from . import __version__
from .errors import SurveyorError

F = TypeVar("F", bound=Callable[..., Any])
app = typer.Typer(
    help="Build and maintain literature surveys: collect papers, classify them into your "
    "taxonomy, export an Awesome list.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
WorkspaceOpt = Annotated[
    Path, typer.Option("-w", "--workspace", help="Workspace folder (holds surveyor.toml).")
]
# The [llm] settings a command may override (None: as configured).
ModelOpt = Annotated[str | None, typer.Option(help="LLM model name (llm.model in surveyor.toml).")]
BaseUrlOpt = Annotated[
    str | None, typer.Option(help="OpenAI-compatible server URL (llm.base_url in surveyor.toml).")
]
ConcurrencyOpt = Annotated[
    int | None, typer.Option(help="Requests in flight (llm.concurrency in surveyor.toml).")
]
ModeOpt = Annotated[
    str | None, typer.Option(help="Structured output: auto, json_schema, json_object, tools or text.")
]
MaxCostOpt = Annotated[float | None, typer.Option(help="Stop cleanly once this many dollars are spent.")]
TimeoutOpt = Annotated[
    float | None, typer.Option(help="Seconds to wait for a reply (llm.timeout in surveyor.toml).")
]


def _err(message: str) -> None:
    from .text import strip_controls

    typer.echo(strip_controls(message), err=True)  # no terminal escapes from third-party text


def handle_errors(fn: F) -> F:
    """Turn surveyor errors into a one-line message plus hint, and Ctrl-C into a resumable stop."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SurveyorError as exc:
            _err(f"error: {exc.message}")
            if exc.hint:
                _err(f"hint: {exc.hint}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            _err("interrupted: finished work is saved; run the same command again to resume")
            raise typer.Exit(130) from None
        except (OSError, sqlite3.OperationalError) as exc:
            if not _disk_full(exc):
                raise
            name = getattr(exc, "filename", None)
            where = f" writing {name}" if name else ""
            _err(f"error: the disk is full{where}")
            _err("hint: free some space and run the same command again; finished work was saved")
            raise typer.Exit(1) from None
        except Exception as exc:  # an SDK error that escaped surveyor.llm: a message, not a traceback
            mapped = _sdk_error(exc)
            if mapped is None:
                raise
            _err(f"error: {mapped.message}")
            _err(f"hint: {mapped.hint}")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _disk_full(exc: BaseException) -> bool:
    """Whether an error says the disk (or the user's quota) is full."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return "disk is full" in str(exc)  # sqlite3: "database or disk is full"


def _sdk_error(exc: Exception) -> SurveyorError | None:
    """The message and hint for an `openai`/`httpx2` exception (secrets scrubbed); None for others."""
    if not type(exc).__module__.startswith(("openai", "httpx2", "httpcore2")):
        return None
    from .config import env_config
    from .llm.errors import from_sdk
    from .llm.redact import Scrubber

    try:
        key = env_config().llm.api_key
    except Exception:  # an invalid setting elsewhere must not hide the error being reported
        key = None
    return from_sdk(exc, Scrubber([key]))


def _workspace(path: Path) -> Any:
    """The workspace; a command that must wait for another writer says so on stderr."""
    from .store import Workspace

    ws = Workspace(path)
    ws.notify = _err
    return ws


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int, Any], None]]:
    """A progress bar on stderr (when it is a terminal): done/total, rate, ETA, tokens and cost."""
    if not sys.stderr.isatty():  # no bar to draw: rich is not even loaded (start-up time)
        yield lambda done, total, run: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        "[cyan]{task.fields[rate]}",
        TimeRemainingColumn(),
        "[magenta]{task.fields[spend]}",
        transient=True,
        console=Console(stderr=True),
    )
    task = bar.add_task(label, total=None, rate="", spend="")
    start = time.monotonic()

    def update(done: int, total: int, run: Any) -> None:
        rate = done / max(time.monotonic() - start, 1e-6)
        tokens = run.prompt_tokens + run.completion_tokens
        spend = f"{tokens:,} tokens ${run.cost:.4f}" if tokens else ""
        bar.update(task, completed=done, total=total, rate=f"{rate:.1f} papers/s", spend=spend)

    with bar:
        yield update


class _EchoHandler(logging.Handler):
    """Log records as plain lines on stderr (the stream of the moment, so test runners catch them)."""

    def emit(self, record: logging.LogRecord) -> None:
        typer.echo(self.format(record), err=True)


def _show_logs() -> None:
    """Warnings from surveyor, and arXiv collection's retries and progress, go to stderr."""
    root = logging.getLogger("surveyor")
    if not any(isinstance(h, _EchoHandler) for h in root.handlers):
        root.addHandler(_EchoHandler())
        root.setLevel(logging.WARNING)
        for name in ("surveyor.sources.arxiv_api", "surveyor.arxiv_fetch"):
            logging.getLogger(name).setLevel(logging.INFO)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"surveyor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """surveyor: literature surveys from paper listings."""
    _show_logs()


@app.command()
@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")] = Path("."),
    taxonomy: Annotated[
        str, typer.Option(help="A shipped taxonomy name or a path to a taxonomy YAML file.")
    ] = "video-understanding",
    title: Annotated[str, typer.Option(help="Title of the generated list.")] = "Awesome Papers",
    github_action: Annotated[
        bool,
        typer.Option(
            "--github-action",
            help="Also write a GitHub workflow that runs `surveyor update` daily and opens a PR.",
        ),
    ] = False,
    install: Annotated[
        str | None,
        typer.Option(
            help="What the workflow pip-installs (default: this exact version of surveyor; "
            "or a git URL with a commit, a path)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a workflow that differs from what would be written.")
    ] = False,
) -> None:
    """Create a workspace: surveyor.toml, a taxonomy, data/ and a .gitignore for .surveyor/."""
    from .config import CONFIG_NAME
    from .create import init_workspace

    if (directory / CONFIG_NAME).exists() and github_action:
        typer.echo(f"the workspace {directory} exists: left as it is")
        _write_workflow(directory, install, force)
        return
    source = init_workspace(directory, taxonomy, title)
    typer.echo(f"created workspace in {directory} (taxonomy: {source.name})")
    if github_action:
        _write_workflow(directory, install, force)


def _write_workflow(directory: Path, install: str | None, force: bool) -> None:
    from .action import write_workflow

    report = write_workflow(directory, install, force)
    for path in report.written:
        typer.echo(f"wrote {path}")
    for path, why in report.kept:
        typer.echo(f"kept {path}: {why}")


@app.command()
@handle_errors
def adopt(
    readme: Annotated[Path, typer.Argument(help="The Awesome list's README.md (a file or a cloned list's).")],
    directory: Annotated[
        Path | None, typer.Argument(help="Workspace folder to create (default: beside the README).")
    ] = None,
    in_place: Annotated[
        bool,
        typer.Option(
            "--in-place", help="Put surveyor markers in the README; exports then rewrite it in place."
        ),
    ] = False,
) -> None:
    """Take over an existing Awesome list: headings become the taxonomy, entries the papers, each
    entry's section a human label."""
    from .adopt import adopt as run_adopt
    from .adopt import summary

    report = run_adopt(readme, directory, in_place)
    for line in summary(report):
        typer.echo(line)


@app.command("import")
@handle_errors
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Listing files to import.")],
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="daily-readme, hf-listing, abstracts, jsonl or ids (detected when left out).",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="List every skipped record.")] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Import paper listings into the workspace, merging duplicates."""
    from .pipeline import import_paths

    ws = _workspace(workspace)
    for report in import_paths(ws, [p if p.is_absolute() else Path.cwd() / p for p in paths], format):
        _print_import(report, verbose)


def _print_import(report: Any, verbose: bool) -> None:
    from .text import strip_controls

    typer.echo(
        f"{report.file} [{report.format}]: read {report.read}, added {report.added}, "
        f"merged {report.merged}, skipped {len(report.skipped)}"
    )
    for skip in report.skipped if verbose else report.skipped[:5]:
        typer.echo(f"  line {skip.line}: {strip_controls(skip.reason)}")
    if not verbose and len(report.skipped) > 5:
        typer.echo(f"  ... {len(report.skipped) - 5} more (use -v to list them)")


@app.command()
@handle_errors
def fetch(
    query: Annotated[
        str | None, typer.Option(help="arXiv query, e.g. 'abs:\"video understanding\"'.")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option(help="arXiv category (repeatable), e.g. cs.CV.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Submitted on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Submitted on or before YYYY-MM-DD.")] = None,
    max: Annotated[
        int | None, typer.Option("--max", help="At most this many results on a first fetch (later: all new).")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Fetch papers from the arXiv API: the given query, or every [[sources.arxiv]] query (new ones only)."""
    from pydantic import ValidationError

    from .arxiv_fetch import fetch as run_fetch
    from .config import ArxivQuery

    ws = _workspace(workspace)
    queries = ws.config.sources.arxiv
    if query or category:
        try:
            given = {"query": query or "", "categories": category or [], "since": since, "until": until}
            queries = [ArxivQuery.model_validate({**given, "max_results": max or 2000})]
        except ValidationError as exc:
            err = exc.errors()[0]
            raise SurveyorError(f"--{err['loc'][0]}: {err['msg']}", "dates are YYYY-MM-DD") from None
    if not queries:
        raise SurveyorError("no query: pass --query/--category or add [[sources.arxiv]] to surveyor.toml")
    for r in run_fetch(ws, queries):
        typer.echo(
            f"arXiv {r.label!r} ({r.window}): received {r.received}, added {r.added}, merged {r.merged}, "
            f"updated {len(r.updated)}; {r.requests} requests, {r.retries} retries"
        )


@app.command()
@handle_errors
def add(
    ids: Annotated[list[str] | None, typer.Argument(help="arXiv ids or URLs.")] = None,
    from_file: Annotated[Path | None, typer.Option("--from", help="A file of ids, one a line.")] = None,
    refresh: Annotated[
        bool, typer.Option(help="Also re-fetch every arXiv paper already in the workspace.")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Fetch arXiv metadata for ids (new versions, journal-refs and comments update existing papers)."""
    from .arxiv_fetch import add as run_add

    refs = list(ids or [])
    if from_file:
        if not from_file.is_file():
            raise SurveyorError(f"file not found: {from_file}")
        refs += [
            ln.split()[0]
            for ln in from_file.read_text().splitlines()
            if ln.strip() and not ln.startswith("#")
        ]
    if not refs and not refresh:
        raise SurveyorError("give arXiv ids, --from FILE, or --refresh")
    r = run_add(_workspace(workspace), refs, refresh)
    typer.echo(
        f"arXiv ids: received {r.received}, added {r.added}, merged {r.merged}, updated {len(r.updated)}"
        f"{' (' + ', '.join(r.updated[:10]) + ')' if r.updated else ''}; {r.requests} requests"
    )


@app.command()
@handle_errors
def resolve(
    limit: Annotated[int | None, typer.Option(help="Resolve at most this many papers.")] = None,
    undo: Annotated[
        str | None, typer.Option(help="Undo the resolution of this paper (old id or arXiv id).")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Find arXiv ids for papers listed by title only (exact or close match); every decision is logged."""
    from .arxiv_fetch import resolve as run_resolve
    from .arxiv_fetch import unresolve

    ws = _workspace(workspace)
    if undo:
        paper = unresolve(ws, undo)
        typer.echo(f"undone: {paper.id} ({paper.display_title[:60]}) has no arXiv id again")
        return
    decided = run_resolve(ws, limit=limit)
    for r in decided:
        what = f"{r.arxiv_id} ({r.rule}, {r.score})" if r.arxiv_id else f"not found (best {r.score})"
        typer.echo(f"{r.paper}: {what}  {r.before.display_title[:60]}")
    found = sum(1 for r in decided if r.arxiv_id)
    typer.echo(
        f"resolved {found} of {len(decided)}; unresolved papers stay in the list without an arXiv link"
    )


@app.command()
@handle_errors
def enrich(
    papers: Annotated[
        list[str] | None, typer.Argument(help="Paper ids or arXiv ids (default: papers not enriched yet).")
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every paper (answers received before come from the cache).")
    ] = False,
    refresh: Annotated[
        bool, typer.Option(help="Ask the services again rather than the cache (fresh citation counts).")
    ] = False,
    undo: Annotated[
        str | None, typer.Option(help="Put this paper back as it was before enrichment, for good.")
    ] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Print every paper's decision.")] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Fill in authors, year, venue, DOI, arXiv id, citation count and open-access link from OpenAlex
    and Semantic Scholar; what a person entered is kept; every match is logged and can be undone."""
    from .enrich.run import enrich as run_enrich
    from .enrich.run import undo as run_undo

    ws = _workspace(workspace)
    if undo:
        paper = run_undo(ws, undo)
        typer.echo(f"undone: {paper.id} ({paper.display_title[:60]}) is as it was before enrichment")
        return
    with _progress("enriching") as progress:
        report = run_enrich(ws, papers, every=every, refresh=refresh, progress=_count_only(progress))
    _print_enrich(report, verbose)


def _count_only(update: Callable[[int, int, Any], None]) -> Callable[[int, int], None]:
    """A progress callback for work that has no tokens or cost."""
    from types import SimpleNamespace

    nothing = SimpleNamespace(prompt_tokens=0, completion_tokens=0, cost=0.0)
    return lambda done, total: update(done, total, nothing)


def _print_enrich(report: Any, verbose: bool) -> None:
    if not report.asked:
        typer.echo("enrich: no paper to look up (--all asks again for every one, --refresh skips the cache)")
        return
    for rec in report.records if verbose else ():
        for m in rec.matches:
            score = f" {m.score:g}" if m.score is not None else ""
            typer.echo(f"{rec.paper}: {m.source} {m.work} [{m.rule}{score}] {(m.title or '')[:60]}")
        for m in rec.rejected:
            typer.echo(f"{rec.paper}: turned down {m.source} {m.work} ({m.why}) {(m.title or '')[:50]}")
        for note in rec.notes:
            typer.echo(f"{rec.paper}: {note}")
    for paper, into in report.merged:
        typer.echo(f"{paper} is {into}: merged (undo with `surveyor unmerge {into} {paper}`)")
    filled = ", ".join(f"{field} {n}" for field, n in sorted(report.fields.items())) or "nothing new"
    asked = ", ".join(f"{name} {n}" for name, n in report.requests.items())
    typer.echo(
        f"enriched {report.matched} of {report.asked} papers ({report.by_title} by title), "
        f"{report.not_found} not found, {report.partial} partly; filled: {filled}"
    )
    typer.echo(
        f"requests: {asked}; {report.cached} answers from the cache; every decision with its score is in "
        "data/enrichments.jsonl (-v prints them; --undo PAPER reverts one)"
    )
    for why in report.stopped:
        typer.echo(f"stopped: {why}")


@app.command()
@handle_errors
def classify(
    backend: Annotated[
        str | None, typer.Option(help="offline (default) or openai; default from surveyor.toml.")
    ] = None,
    relabel: Annotated[bool, typer.Option(help="Redo machine labels that are current.")] = False,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    concurrency: ConcurrencyOpt = None,
    mode: ModeOpt = None,
    max_cost: MaxCostOpt = None,
    timeout: TimeoutOpt = None,
    dry_run: Annotated[bool, typer.Option(help="Print requests, tokens and cost; send nothing.")] = False,
    batch: Annotated[bool, typer.Option(help="Submit through the OpenAI Batch API instead.")] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Classify papers that have no current label (human decisions are never changed)."""
    from .classify.runner import classify_workspace

    ws = _workspace(workspace)
    _apply_llm_flags(
        ws.config,
        model=model,
        base_url=base_url,
        concurrency=concurrency,
        mode=mode,
        max_cost=max_cost,
        timeout=timeout,
    )
    if batch:
        from .classify.batch import submit

        typer.echo(submit(ws, backend or "openai"))
        return
    if dry_run:
        report = classify_workspace(ws, backend, relabel, dry_run=True)
        typer.echo(_format_estimate(report.estimate, report.backend))
        return
    if (backend or ws.config.classify.backend) == "openai":
        from .llm import require_key

        require_key(ws.config.llm)  # a dry run needs none; a real one says so before any work
    with _progress("classifying") as progress:
        report = classify_workspace(ws, backend, relabel, progress)
    _print_classify(report)


def _apply_llm_flags(config: Any, **flags: Any) -> None:
    """Command-line values over the [llm] settings (None: not given)."""
    from pydantic import ValidationError

    from .config import LLMConfig

    given = {k: v for k, v in flags.items() if v is not None}
    if not given:
        return
    try:
        config.llm = LLMConfig.model_validate({**config.llm.model_dump(), **given})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise SurveyorError(f"--{str(err['loc'][0]).replace('_', '-')}: {err['msg']}") from None


def _format_estimate(est: dict[str, Any] | None, backend: str, lead: str = "dry run") -> str:
    """One line: what a run would send and cost."""
    est = est or {}
    if not est.get("requests"):
        papers = est.get("papers", 0)
        return f"{lead}: {papers} papers to classify with {backend}; no requests to pay for"
    priced = "" if est.get("priced", True) else f" (no price for {est.get('model')}: add [llm.prices])"
    return (
        f"{lead}: {est['requests']} requests for {est['papers']} papers ({est['cached']} cached), "
        f"~{est['prompt_tokens']:,} prompt + ~{est['completion_tokens']:,} completion tokens, "
        f"~${est['cost']:.4f}{priced}; taxonomy prefix ~{est['prefix_tokens']:,} tokens a request"
    )


def _print_classify(report: Any) -> None:
    typer.echo(
        f"classified {report.classified} with {report.backend} ({report.model}): "
        f"{report.out_of_scope} out of scope, {report.failed} failed; "
        f"{report.up_to_date} already current, {report.human} decided by a human"
    )
    if report.requests or report.cost:
        typer.echo(f"{report.requests} requests, ${report.cost:.4f}")
    for note in report.notes:
        typer.echo(f"note: {note}")
    if report.no_text:
        typer.echo(f"{len(report.no_text)} papers have no title or abstract yet and were not classified")


@app.command("export")
@handle_errors
def export_(
    what: Annotated[str, typer.Argument(help="What to write: awesome, survey, bib, graph or all.")] = "all",
    arxiv: Annotated[
        bool,
        typer.Option("--arxiv", help="Compile the survey; ship main.bbl beside main.tex (needs TeX)."),
    ] = False,
    to: Annotated[
        list[str] | None, typer.Option("--to", help="Also convert the survey with pandoc: docx, html, md.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a README that has no surveyor markers.")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Write exports under the workspace's output folder."""
    from .pipeline import EXPORTERS, export

    if what != "all" and what not in EXPORTERS:
        raise SurveyorError(f"unknown export `{what}`", f"choose one of: all, {', '.join(EXPORTERS)}")
    for path, changed in export(_workspace(workspace), what, arxiv=arxiv, to=to or [], force=force):
        typer.echo(f"{'wrote' if changed else 'unchanged'} {path.resolve()}")


def _llm_backend(ws: Any, backend: str | None) -> str:
    """--backend for commands that can use a model: as given, else openai when [classify] uses it."""
    return backend or ("openai" if ws.config.classify.backend == "openai" else "offline")


BackendOpt = Annotated[
    str | None,
    typer.Option("--backend", help="offline or openai (default: openai when [classify] backend is openai)."),
]


def _llm_notes(report: Any) -> None:
    if report is None:
        return
    for note in report.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"{report.model}: {report.requests} requests, ${report.cost:.4f}")


@app.command()
@handle_errors
def draft(
    node: Annotated[str | None, typer.Option("--node", help="Only this node and the nodes below it.")] = None,
    backend: Annotated[
        str | None,
        typer.Option("--backend", help="offline (template) or openai (default: [classify] backend)."),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Draft related-work paragraphs per node; every citation and citing sentence is checked."""
    from .pipeline import draft as run_draft

    ws = _workspace(workspace)
    report, written = run_draft(ws, node, _llm_backend(ws, backend))
    for path, changed in written:
        typer.echo(f"{'wrote' if changed else 'unchanged'} {path.resolve()}")
    for node_id, key, why in report.removed:
        typer.echo(f"removed citation {key} from {node_id}: {why}")
    for note in report.notes:
        typer.echo(f"note: {note}")
    typer.echo(
        f"drafted {len(report.drafts)} nodes with {report.backend}: {report.citing} citing sentences, "
        f"{report.unsupported} unsupported by their abstracts ({report.unsupported_share:.0%}), "
        f"{len(report.removed)} citations removed"
        + (f"; {report.requests} requests, ${report.cost:.4f}" if report.requests else "")
    )


@app.command()
@handle_errors
def update(workspace: WorkspaceOpt = Path(".")) -> None:
    """Fetch what is new, classify only the new papers, regenerate, and write output/CHANGES.md."""
    from .update import update as run_update

    ws = _workspace(workspace)
    with _progress("classifying") as progress:
        report = run_update(ws, progress)
    if report.enrich is not None:
        _print_enrich(report.enrich, verbose=False)
    _print_classify(report.classify)
    hand = report.hand_edits
    if hand and (hand.placed or hand.moved or hand.removed):
        typer.echo(
            f"read back the list: {len(hand.placed)} entries added, {len(hand.moved)} moved and "
            f"{len(hand.removed)} deleted by hand, kept as human decisions"
        )
    for section in hand.unknown_sections if hand else []:
        typer.echo(f"note: section `{section}` is not in the taxonomy: its entries stay as they are")
    for path, changed in report.exports:
        if changed:
            typer.echo(f"wrote {path.resolve()}")
    if report.changes:
        typer.echo(f"{len(report.new)} new papers; pull-request text in {report.changes.resolve()}")
    else:
        n_changed = sum(1 for _, c in report.exports if c)
        typer.echo(f"no new papers; {n_changed} exported files changed")


@app.command()
@handle_errors
def build(
    directory: Annotated[Path | None, typer.Argument(help="Workspace folder (same as -w).")] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Run every stage: import the configured sources, classify, export."""
    from .pipeline import build as run_build

    ws = _workspace(directory or workspace)
    with _progress("classifying") as progress:
        report = run_build(ws, progress)
    for imp in report.imports:
        _print_import(imp, verbose=False)
    if report.enrich is not None:
        _print_enrich(report.enrich, verbose=False)
    _print_classify(report.classify)
    for path, changed in report.exports:
        typer.echo(f"{'wrote' if changed else 'unchanged'} {path.resolve()}")


@app.command()
@handle_errors
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    duplicates: Annotated[
        bool, typer.Option("--duplicates", help="Explain every merge of duplicates.")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Show papers, labels, human decisions and the cost of recent runs."""
    from .pipeline import status as get_status

    if duplicates:
        _print_duplicates(_workspace(workspace), as_json)
        return
    info = get_status(_workspace(workspace))
    if as_json:
        typer.echo(json.dumps(info, indent=2, sort_keys=True))
        return
    typer.echo(f"workspace: {info['workspace']}")
    typer.echo(f"taxonomy: {info['taxonomy']['name']} ({info['taxonomy']['hash']})")
    for key in (
        "papers",
        "with_arxiv_id",
        "without_arxiv_id",
        "without_text",
        "machine_labels",
        "human_decisions",
        "stale_labels",
        "failed",
        "out_of_scope",
        "unclassified",
    ):
        typer.echo(f"{key.replace('_', ' ')}: {info[key]}")
    for node, count in info["per_top_level_node"].items():
        typer.echo(f"  {node}: {count}")
    for note in info["pending_decisions"]:
        typer.echo(f"note: {note}")
    typer.echo(
        f"runs: {len(info['runs'])} shown, tokens {info['total_tokens']}, cost ${info['total_cost']:.4f}"
    )


@app.command()
@handle_errors
def graph(
    top: Annotated[int, typer.Option(help="How many benchmarks to list.")] = 15,
    node: Annotated[str | None, typer.Option(help="Only papers filed under this taxonomy node.")] = None,
    benchmark: Annotated[
        str | None, typer.Option(help="List the methods evaluated on this benchmark.")
    ] = None,
    introduced: Annotated[bool, typer.Option(help="Benchmarks and datasets introduced, per year.")] = False,
    shared: Annotated[bool, typer.Option(help="Methods that share at least two benchmarks.")] = False,
    aliases: Annotated[bool, typer.Option(help="Benchmarks seen under other spellings, and why.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Query the method-benchmark graph (default: the benchmarks the most papers are evaluated on)."""
    from . import graph as g
    from .library import load_library
    from .pipeline import workspace_graph

    ws = _workspace(workspace)
    lib = load_library(ws)
    built = workspace_graph(ws, lib)
    if node and node not in ws.taxonomy:
        raise SurveyorError(f"no taxonomy node `{node}`", "see the ids in the taxonomy file")
    result: Any
    if benchmark:
        result = [{"name": n, "paper": p} for n, p in g.methods_on(built, benchmark)]
        lines = [f"{r['name']}  ({r['paper']})" for r in result] or [f"nothing is evaluated on {benchmark!r}"]
    elif introduced:
        result = g.introduced_per_year(built)
        lines = [f"{year or 'unknown'}: {', '.join(names)}" for year, names in result.items()]
    elif shared:
        result = [{"a": a, "b": b, "benchmarks": c} for a, b, c in g.shared_benchmarks(built)[:top]]
        lines = [f"{r['a']} & {r['b']}: {', '.join(r['benchmarks'])}" for r in result]
    elif aliases:
        result = [{"name": n, "seen_as": s, "from": src} for n, s, src in g.alias_merges(built)]
        lines = [f"{r['name']} <- {', '.join(r['seen_as'])}  [{r['from']}]" for r in result]
    else:
        uses = g.top_benchmarks_in(built, node, top) if node else g.top_benchmarks(built, top)
        result = [u.__dict__ for u in uses]
        lines = []
        for use in uses:
            intro = lib.papers.get(use.introduced_by)
            by = f"  (introduced by: {intro.display_title[:60]})" if intro else ""
            lines.append(f"{len(use.papers):4d}  {use.name} [{use.kind}]{by}")
        lines = lines or ["no benchmarks found yet: run `surveyor build` first"]
    typer.echo(json.dumps(result, indent=2) if as_json else "\n".join(lines))


@app.command("eval")
@handle_errors
def eval_(
    gold: Annotated[Path, typer.Argument(help="Gold JSONL: title, abstract, labels (node ids).")],
    taxonomy: Annotated[Path, typer.Option("--taxonomy", "-t", help="Taxonomy YAML the labels refer to.")],
    backend: Annotated[str, typer.Option(help="Backend to measure.")] = "offline",
    depth: Annotated[int | None, typer.Option(help="Compare labels cut to depth K (1 = top level).")] = None,
    cv: Annotated[int, typer.Option(help="K folds, each classified with the other folds as examples.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write the results as Markdown.")] = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    concurrency: ConcurrencyOpt = None,
    mode: ModeOpt = None,
    max_cost: MaxCostOpt = None,
    timeout: TimeoutOpt = None,
    cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help="Reuse replies cached in the workspace's .surveyor/.")
    ] = True,
    dry_run: Annotated[bool, typer.Option(help="Print requests, tokens and cost; send nothing.")] = False,
    workspace: Annotated[
        Path, typer.Option("-w", "--workspace", help="Settings, prompts and reply cache from this workspace.")
    ] = Path("."),
) -> None:
    """Measure a classifier against expert labels (micro/macro-F1, per node, calibration). With
    --backend openai, the llm settings come from the workspace's surveyor.toml, the environment and
    the flags; the cost is estimated before anything is sent; replies are cached."""
    from .evaluate import Setup, estimate, evaluate, report_markdown
    from .taxonomy import load_taxonomy

    flags: dict[str, Any] = {"model": model, "base_url": base_url, "concurrency": concurrency}
    flags |= {"mode": mode, "timeout": timeout, "max_cost": max_cost}
    setup = Setup(_eval_config(workspace, backend, cache, flags), workspace / "prompts")
    if backend == "openai" or dry_run:
        est = estimate(gold, taxonomy, backend, cv, setup)
        _err(_format_estimate(est, backend, "dry run" if dry_run else "sending"))
        if dry_run:
            return
    if backend == "openai" and setup.config is not None:
        from .llm import require_key

        require_key(setup.config.llm)
    result = evaluate(gold, taxonomy, backend, depth, cv, setup)
    text = report_markdown(result, load_taxonomy(taxonomy))
    if report:
        report.write_text(text)
    typer.echo(json.dumps(result, indent=2, sort_keys=True) if as_json else text.rstrip())


def _eval_config(workspace: Path, backend: str, cache: bool, flags: dict[str, Any]) -> Any:
    """surveyor.toml of the workspace (when there is one) < environment < flags; replies cached in
    the workspace's .surveyor/ unless --no-cache."""
    from .config import CONFIG_NAME, env_config, load_config

    config = load_config(workspace) if (workspace / CONFIG_NAME).is_file() else env_config()
    _apply_llm_flags(config, **flags, cache=None if cache else False)
    if backend == "openai" and config.llm.cache and not config.llm.cache_file:
        config.llm.cache_file = str((workspace / ".surveyor" / "cache.sqlite").resolve())
    return config


@app.command()
@handle_errors
def label(
    paper: Annotated[str, typer.Argument(help="Paper id or arXiv id.")],
    nodes: Annotated[list[str] | None, typer.Argument(help="Node ids to file it under.")] = None,
    out_of_scope: Annotated[bool, typer.Option("--out-of-scope", help="Mark it out of scope.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (with --out-of-scope).")] = None,
    by: Annotated[str | None, typer.Option(help="Your name, kept with the decision.")] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Set a paper's labels by hand; a human decision is never overwritten by a classifier."""
    from .review import decide

    rec = decide(_workspace(workspace), paper, nodes or [], out_of_scope, reason, by)
    what = "out of scope" if rec.out_of_scope else ", ".join(lab.node for lab in rec.labels)
    typer.echo(f"{rec.paper}: {what} (human decision)")


@app.command()
@handle_errors
def review(
    limit: Annotated[int, typer.Option(help="Stop after this many papers.")] = 50,
    by: Annotated[str | None, typer.Option(help="Your name, kept with each decision.")] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Walk the review queue: accept, change, skip, or mark out of scope; each answer is saved at once."""
    from .review import review_queue

    ws = _workspace(workspace)
    queue = review_queue(ws)
    typer.echo(f"{len(queue)} papers to review" + (f" (showing {limit})" if len(queue) > limit else ""))
    shown = queue[:limit]
    saved = 0
    for number, item in enumerate(shown, 1):
        try:
            outcome = _review_one(ws, item, f"[{number}/{len(shown)}]", by)
        except (EOFError, typer.Abort):
            outcome = "quit"
        if outcome == "quit":
            break
        saved += outcome == "saved"
    typer.echo(f"{saved} decisions saved to {ws.rel(ws.decisions_path)}")


def _review_one(ws: Any, item: Any, counter: str, by: str | None) -> str:
    """Show one queued paper and act on the answer: `saved`, `skipped` or `quit`."""
    from .review import accepted_labels, decide, parse_answer
    from .text import strip_controls

    threshold = ws.config.classify.review_below
    names = {n.id: n.name for n in ws.taxonomy.iter_nodes()}
    show = [f"\n{counter} {item.paper.display_title}  [{item.paper.id}]  -- {item.why}"]
    if item.paper.abstract:
        show.append("  " + item.paper.abstract[:400] + ("..." if len(item.paper.abstract) > 400 else ""))
    candidates = [lab.node for lab in item.record.labels]
    for i, lab in enumerate(item.record.labels, 1):
        name = names.get(lab.node, "not in the taxonomy")
        show.append(f"  {i}. {lab.node} ({name}) {lab.confidence:.2f}: {lab.evidence[:120]}")
    typer.echo(strip_controls("\n".join(show)))  # third-party text: no terminal escapes
    take = [lab.node for lab in accepted_labels(item.record, threshold) if lab.node in names]
    if take:
        typer.echo(
            f"  accept files it under: {', '.join(take)} (the top label; others only if >= {threshold:g})"
        )
    while True:
        action = parse_answer(typer.prompt("[a]ccept [c]hange [o]ut of scope [s]kip [q]uit"))
        if action is None:
            typer.echo("type a, c, o, s or q", err=True)
        elif action == "accept" and not take:
            typer.echo("nothing to accept: change or mark out of scope", err=True)
        elif action in ("skip", "quit"):
            return "skipped" if action == "skip" else "quit"
        elif action == "accept":
            decide(ws, item.paper.id, take, by=by)
            return "saved"
        elif action == "out of scope":
            reason = _ask_line("reason it is out of scope")
            decide(ws, item.paper.id, [], out_of_scope=True, reason=reason, by=by)
            return "saved"
        else:
            nodes = _ask_nodes(ws.taxonomy, candidates)
            if nodes:
                decide(ws, item.paper.id, nodes, by=by)
                return "saved"


def _ask_line(question: str) -> str:
    while True:
        answer = typer.prompt(question, default="", show_default=False).strip()
        if answer:
            return answer
        typer.echo("please type a few words", err=True)


def _ask_nodes(taxonomy: Any, candidates: list[str]) -> list[str]:
    """Node ids (or numbers of the candidates shown); `?` lists every node; empty goes back."""
    from .review import parse_nodes

    while True:
        text = typer.prompt(
            "node ids or numbers, space-separated (? lists all, empty goes back)",
            default="",
            show_default=False,
        ).strip()
        if not text:
            return []
        if text == "?":
            for node in taxonomy.iter_nodes():
                typer.echo(f"  {'  ' * (len(taxonomy.ancestors(node.id)) - 1)}{node.id}: {node.name}")
            continue
        nodes, problem = parse_nodes(text, taxonomy, candidates)
        if problem is None:
            return nodes
        typer.echo(f"{problem}; type again", err=True)


batch_app = typer.Typer(
    help="Classify through the OpenAI Batch API (or a compatible runner).", no_args_is_help=True
)
app.add_typer(batch_app, name="batch")


@batch_app.command("status")
@handle_errors
def batch_status(workspace: WorkspaceOpt = Path(".")) -> None:
    """Show the batches not yet collected."""
    from .classify.batch import status as batch_state

    records = batch_state(_workspace(workspace))
    if not records:
        typer.echo("no open batches")
    for r in records:
        typer.echo(f"{r.id}: {r.status}, {r.papers} papers, submitted {r.submitted} ({r.model}, {r.mode})")


@batch_app.command("collect")
@handle_errors
def batch_collect(
    from_file: Annotated[
        Path | None, typer.Option("--from", help="A results JSONL produced elsewhere (e.g. vLLM run_batch).")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Store the results of finished batches (validated like direct replies)."""
    from .classify.batch import collect

    for line in collect(_workspace(workspace), from_file):
        typer.echo(line)


taxonomy_app = typer.Typer(help="Work with taxonomy files.", no_args_is_help=True)
app.add_typer(taxonomy_app, name="taxonomy")


@taxonomy_app.command("suggest")
@handle_errors
def taxonomy_suggest(
    out: Annotated[Path, typer.Option("--out", "-o", help="Patch file to write.")] = Path(
        "taxonomy-patch.yaml"
    ),
    max_proposals: Annotated[int, typer.Option("--max", help="At most this many proposals.")] = 5,
    backend: BackendOpt = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Propose new nodes, splits and merges from the papers that fit badly, as a reviewable patch
    (with openai, the model names, describes and places each new node and sorts the papers into them)."""
    from .evolve import write_suggestion

    ws = _workspace(workspace)
    proposals, patch, report, path = write_suggestion(ws, out, max_proposals, _llm_backend(ws, backend))
    _llm_notes(report)
    for s in patch.get("swollen", []):
        typer.echo(
            f"{s['node']} took in {s['new_papers']} new papers where its history predicts {s['expected']:g}"
        )
    for p in proposals:
        what = {
            "add": f"new node {p.node} ({p.name}) under {p.parent or 'the top level'}",
            "split": f"split {p.node} into {', '.join(c.node for c in p.children)}",
            "merge": f"merge {p.node} into {p.into}",
        }[p.op]
        typer.echo(f"{what}: {len(p.members)} papers")
    typer.echo(f"wrote {path.resolve()} ({len(proposals)} proposals)")


@taxonomy_app.command("apply")
@handle_errors
def taxonomy_apply(
    patch: Annotated[Path, typer.Argument(help="The patch file `suggest` wrote (edited or not).")],
    force: Annotated[bool, typer.Option("--force", help="Apply to another taxonomy version.")] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Apply a taxonomy patch: re-classify only the papers it touches; human labels kept."""
    from .evolve import apply_workspace

    ws = _workspace(workspace)
    report = apply_workspace(ws, patch if patch.is_absolute() else Path.cwd() / patch, force)
    if report.again:
        typer.echo(f"{patch.name} was applied already; its re-classification is finished now")
    for line in report.changes:
        typer.echo(line)
    typer.echo(
        f"taxonomy {report.old_hash} -> {report.new_hash}: {report.reclassified} papers re-classified, "
        f"{report.kept} machine labels carried over, {report.human_moved} human labels moved with a merge; "
        f"undo with `surveyor taxonomy apply {report.reverse.name}`"
    )


@taxonomy_app.command("diff")
@handle_errors
def taxonomy_diff(
    version: Annotated[
        str | None, typer.Argument(help="An old taxonomy hash (default: before the last patch).")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """What changed since an earlier taxonomy version, old ids mapped to new ones."""
    from .evolve import diff_workspace

    for line in diff_workspace(_workspace(workspace), version) or ["no change"]:
        typer.echo(line)


@taxonomy_app.command("bootstrap")
@handle_errors
def taxonomy_bootstrap(
    topic: Annotated[str, typer.Option("--topic", help="What the survey is about.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Taxonomy file to write.")] = Path(
        "taxonomy.proposed.yaml"
    ),
    backend: BackendOpt = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Propose a first taxonomy from the library's papers, as a file to edit (with openai, the model
    names and describes each group)."""
    from .evolve import bootstrap_workspace

    ws = _workspace(workspace)
    path, nodes, report = bootstrap_workspace(ws, topic, out, _llm_backend(ws, backend))
    _llm_notes(report)
    typer.echo(f"wrote {path.resolve()}: {nodes} nodes")


@taxonomy_app.command("convert")
@handle_errors
def taxonomy_convert(
    source: Annotated[Path, typer.Argument(help="A taxonomy in another layout.")],
    output: Annotated[Path, typer.Argument(help="Where to write surveyor's taxonomy YAML.")],
    facet: Annotated[list[str] | None, typer.Option(help="Mark this node as a facet (repeatable).")] = None,
    name: Annotated[str | None, typer.Option(help="Name of the taxonomy.")] = None,
) -> None:
    """Convert a taxonomy from another YAML layout (e.g. a node list under `taxonomy:`)."""
    from .taxonomy_tools import convert

    output.write_text(convert(source, facet or [], name))
    typer.echo(f"wrote {output}")


def _print_duplicates(ws: Any, as_json: bool) -> None:
    from .merges import duplicates

    merges = duplicates(ws)
    if as_json:
        typer.echo(
            json.dumps([m.model_dump(mode="json", exclude={"record", "before"}) for m in merges], indent=2)
        )
        return
    typer.echo(f"{len(merges)} merges")
    for m in merges:
        where = ", ".join(f"{s.file}:{s.line}" if s.line else s.file for s in m.record.sources)
        score = f" {m.score:.0f}" if m.score is not None else ""
        typer.echo(f"{m.into} <- {m.absorbed} [{m.rule}{score}] from {where}: {m.record.display_title[:70]}")
    if merges:
        typer.echo("undo a wrong one with: surveyor unmerge PAPER ABSORBED")


@app.command()
@handle_errors
def unmerge(
    paper: Annotated[str, typer.Argument(help="The merged paper's id.")],
    absorbed: Annotated[str, typer.Argument(help="The id of the record merged into it by mistake.")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Undo a wrong merge: the two become separate papers and are never merged again."""
    from .merges import unmerge as split

    kept, restored = split(_workspace(workspace), paper, absorbed)
    typer.echo(
        f"split: {kept.id} ({kept.display_title[:50]}) and {restored.id} ({restored.display_title[:50]})"
    )


def main() -> None:
    """Entry point of the `surveyor` script: the clock is set here, once (real unless SURVEYOR_NOW)."""
    from . import clock
    from .config import env_now

    try:
        clock.pin(env_now())
    except SurveyorError as exc:
        _err(f"error: {exc.message}")
        _err(f"hint: {exc.hint}")
        raise SystemExit(1) from None
    try:
        app()
    finally:
        # Everything still alive is freed by the exit itself: spare the interpreter's last garbage
        # collection its walk over every object (0.1-0.3 s once the openai SDK is loaded).
        gc.freeze()
