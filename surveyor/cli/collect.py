"""Commands that bring papers in and fix their identity: import, fetch, add, resolve, enrich, unmerge."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from ..errors import InputError
from .common import JsonOpt, WorkspaceOpt, command, emit, open_workspace
from .progress import count_only, progress
from .reports import enrich_lines, import_lines

if TYPE_CHECKING:
    from ..arxiv_fetch import FetchReport
    from ..models import Paper

app = typer.Typer()

FORMAT_HELP = "The listing format (detected when left out): {formats}."


def _formats() -> list[str]:
    """Every format the importer registry reads (`surveyor.sources.ALL_FORMATS`)."""
    from ..sources import ALL_FORMATS

    return list(ALL_FORMATS)


class _ImportCommand(TyperCommand):
    """`import`: the --format help lists the importer registry's formats, read when help is shown
    (loading every reader costs every other command start-up time)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:  # typer's click types (vendored in 0.26+)
        """The help, with the formats listed."""
        for param in self.params:
            if param.name == "format":
                param.help = FORMAT_HELP.format(formats=", ".join(_formats()))  # type: ignore[attr-defined]
        super().format_help(ctx, formatter)


def _complete_format(incomplete: str) -> list[str]:
    return [f for f in _formats() if f.startswith(incomplete)]


@command(app, "import", cls=_ImportCommand)
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Listing files to import.")],
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help=FORMAT_HELP.format(formats="see `surveyor import --help`"),
            autocompletion=_complete_format,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="List every skipped record.")] = False,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Import paper listings into the workspace, merging duplicates.

    A file read with a forced --format that yields no record is an error (exit 1): the format is
    probably wrong."""
    from ..pipeline import import_paths

    ws = open_workspace(workspace)
    reports = import_paths(ws, [p if p.is_absolute() else Path.cwd() / p for p in paths], format)
    emit({"files": reports}, as_json, lambda: [line for r in reports for line in import_lines(r, verbose)])
    empty = [r.file for r in reports if format and r.read == 0]
    if empty:
        raise InputError(
            f"{empty[0]}: no record read as `{format}`",
            "leave out --format to detect it, or choose another (`surveyor import --help` lists them)",
        )


def _fetch_lines(reports: list[FetchReport]) -> list[str]:
    return [
        f"arXiv {r.label!r} ({r.window}): received {r.received}, added {r.added}, merged {r.merged}, "
        f"updated {len(r.updated)}; {r.requests} requests, {r.retries} retries"
        for r in reports
    ]


@command(app)
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
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Fetch papers from the arXiv API: the given query, or every [[sources.arxiv]] query (new ones only)."""
    from ..arxiv_fetch import fetch as run_fetch
    from ..config import flag_query
    from ..errors import SurveyorError

    ws = open_workspace(workspace)
    queries = ws.config.sources.arxiv
    if query or category:
        queries = [flag_query(query, category or [], since, until, max)]
    if not queries:
        raise SurveyorError("no query: pass --query/--category or add [[sources.arxiv]] to surveyor.toml")
    reports = run_fetch(ws, queries)
    emit({"queries": reports}, as_json, lambda: _fetch_lines(reports))


@command(app)
def add(
    ids: Annotated[list[str] | None, typer.Argument(help="arXiv ids or URLs.")] = None,
    from_file: Annotated[Path | None, typer.Option("--from", help="A file of ids, one a line.")] = None,
    refresh: Annotated[
        bool, typer.Option(help="Also re-fetch every arXiv paper already in the workspace.")
    ] = False,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Fetch arXiv metadata for ids (new versions, journal-refs and comments update existing papers)."""
    from ..arxiv_fetch import add as run_add
    from ..arxiv_fetch import read_ids
    from ..errors import SurveyorError

    refs = list(ids or []) + (read_ids(from_file) if from_file else [])
    if not refs and not refresh:
        raise SurveyorError("give arXiv ids, --from FILE, or --refresh")
    r = run_add(open_workspace(workspace), refs, refresh)
    updated = f" ({', '.join(r.updated[:10])})" if r.updated else ""
    emit(
        r,
        as_json,
        lambda: [
            f"arXiv ids: received {r.received}, added {r.added}, merged {r.merged}, "
            f"updated {len(r.updated)}{updated}; {r.requests} requests"
        ],
    )


@command(app)
def resolve(
    limit: Annotated[int | None, typer.Option(help="Resolve at most this many papers.")] = None,
    undo: Annotated[
        str | None, typer.Option(help="Undo the resolution of this paper (old id or arXiv id).")
    ] = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Find arXiv ids for papers listed by title only (exact or close match); every decision is logged."""
    from ..arxiv_fetch import resolve as run_resolve
    from ..arxiv_fetch import unresolve

    ws = open_workspace(workspace)
    if undo:
        _undone(unresolve(ws, undo), "has no arXiv id again", as_json)
        return
    decided = run_resolve(ws, limit=limit)

    def lines() -> list[str]:
        out = []
        for r in decided:
            what = f"{r.arxiv_id} ({r.rule}, {r.score})" if r.arxiv_id else f"not found (best {r.score})"
            out.append(f"{r.paper}: {what}  {r.before.display_title[:60]}")
        found = sum(1 for r in decided if r.arxiv_id)
        return [
            *out,
            f"resolved {found} of {len(decided)}; unresolved papers stay in the list without an arXiv link",
        ]

    emit({"resolutions": decided}, as_json, lines)


@command(app)
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
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Fill in authors, year, venue, DOI, arXiv id and citations from OpenAlex and Semantic Scholar.

    Also the citation count and an open-access link. What a person entered is kept; every match is
    logged (data/enrichments.jsonl) and can be undone."""
    from ..enrich.run import enrich as run_enrich
    from ..enrich.run import undo as run_undo

    ws = open_workspace(workspace)
    if undo:
        _undone(run_undo(ws, undo), "is as it was before enrichment", as_json)
        return
    with progress("enriching") as tick:
        report = run_enrich(ws, papers, every=every, refresh=refresh, progress=count_only(tick))
    emit(report, as_json, lambda: enrich_lines(report, verbose))


@command(app)
def unmerge(
    paper: Annotated[str, typer.Argument(help="The merged paper's id.")],
    absorbed: Annotated[str, typer.Argument(help="The id of the record merged into it by mistake.")],
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Undo a wrong merge: the two become separate papers and are never merged again."""
    from ..merges import unmerge as split

    kept, restored = split(open_workspace(workspace), paper, absorbed)
    result = {"kept": kept, "restored": restored}
    emit(
        result,
        as_json,
        lambda: [
            f"split: {kept.id} ({kept.display_title[:50]}) and {restored.id} ({restored.display_title[:50]})"
        ],
    )


def _undone(paper: Paper, state: str, as_json: bool) -> None:
    """Report a paper put back by `--undo` (`state`: what it is now)."""
    emit({"undone": paper}, as_json, lambda: [f"undone: {paper.id} ({paper.display_title[:60]}) {state}"])
