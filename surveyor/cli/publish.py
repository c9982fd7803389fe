"""Commands that write and query what the library says: export, draft, graph."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .common import (
    JsonOpt,
    WorkspaceOpt,
    command,
    emit,
    llm_backend,
    open_workspace,
    written_lines,
    written_report,
)
from .progress import count_only, progress

if TYPE_CHECKING:
    import networkx as nx

    from ..library import Library

app = typer.Typer()


def _complete_export(incomplete: str) -> list[str]:
    from ..pipeline import EXPORTERS

    return [name for name in ("all", *EXPORTERS) if name.startswith(incomplete)]


@command(app, "export")
def export_(
    what: Annotated[
        str,
        typer.Argument(
            help="What to write: awesome, survey, bib, graph or all.", autocompletion=_complete_export
        ),
    ] = "all",
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
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write exports under the workspace's output folder."""
    from ..pipeline import export

    ws = open_workspace(workspace)
    with progress(f"exporting {what}", unit="exports") as tick:
        written = export(ws, what, arxiv=arxiv, to=to or [], force=force, progress=count_only(tick))
    emit(written_report(written), as_json, lambda: written_lines(written))


@command(app)
def draft(
    node: Annotated[str | None, typer.Option("--node", help="Only this node and the nodes below it.")] = None,
    backend: Annotated[
        str | None,
        typer.Option("--backend", help="offline (template) or openai (default: [classify] backend)."),
    ] = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Draft related-work paragraphs per node; every citation and citing sentence is checked."""
    from ..pipeline import draft as run_draft

    ws = open_workspace(workspace)
    report, written = run_draft(ws, node, llm_backend(ws.config, backend))

    def lines() -> list[str]:
        out = written_lines(written)
        out += [f"removed citation {key} from {node_id}: {why}" for node_id, key, why in report.removed]
        out += [f"note: {note}" for note in report.notes]
        cost = f"; {report.requests} requests, ${report.cost:.4f}" if report.requests else ""
        return [
            *out,
            f"drafted {len(report.drafts)} nodes with {report.backend}: {report.citing} citing sentences, "
            f"{report.unsupported} unsupported by their abstracts ({report.unsupported_share:.0%}), "
            f"{len(report.removed)} citations removed{cost}",
        ]

    emit({"report": report, **written_report(written)}, as_json, lines)


@command(app)
def graph(
    top: Annotated[int, typer.Option(help="How many benchmarks to list.")] = 15,
    node: Annotated[str | None, typer.Option(help="Only papers filed under this taxonomy node.")] = None,
    benchmark: Annotated[
        str | None, typer.Option(help="List the methods evaluated on this benchmark.")
    ] = None,
    introduced: Annotated[bool, typer.Option(help="Benchmarks and datasets introduced, per year.")] = False,
    shared: Annotated[bool, typer.Option(help="Methods that share at least two benchmarks.")] = False,
    aliases: Annotated[bool, typer.Option(help="Benchmarks seen under other spellings, and why.")] = False,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Query the method-benchmark graph (default: the benchmarks the most papers are evaluated on).

    An unknown --node or --benchmark is an error (exit 1) that names the closest ones."""
    from .. import graph as g
    from ..errors import InputError, did_you_mean
    from ..library import load_library
    from ..pipeline import workspace_graph

    ws = open_workspace(workspace)
    if node and node not in ws.taxonomy:
        ids = [n.id for n in ws.taxonomy.iter_nodes()]
        raise InputError(f"no taxonomy node `{node}`", did_you_mean(node, ids, "node ids"))
    lib = load_library(ws)
    built = workspace_graph(ws, lib)
    if benchmark:
        found = g.methods_on(built, benchmark)
        if not found and benchmark not in g.benchmark_names(built):
            raise InputError(
                f"no benchmark `{benchmark}` in the graph",
                did_you_mean(benchmark, g.benchmark_names(built), "benchmarks"),
            )
        rows = [{"name": n, "paper": p} for n, p in found]
        lines = [f"{r['name']}  ({r['paper']})" for r in rows] or [f"nothing is evaluated on {benchmark!r}"]
        emit(rows, as_json, lambda: lines)
    elif introduced:
        per_year = g.introduced_per_year(built)
        emit(per_year, as_json, lambda: [f"{y or 'unknown'}: {', '.join(n)}" for y, n in per_year.items()])
    elif shared:
        pairs = [{"a": a, "b": b, "benchmarks": c} for a, b, c in g.shared_benchmarks(built)[:top]]
        emit(pairs, as_json, lambda: [f"{r['a']} & {r['b']}: {', '.join(r['benchmarks'])}" for r in pairs])
    elif aliases:
        merged = [{"name": n, "seen_as": s, "from": src} for n, s, src in g.alias_merges(built)]
        emit(
            merged,
            as_json,
            lambda: [f"{r['name']} <- {', '.join(r['seen_as'])}  [{r['from']}]" for r in merged],
        )
    else:
        _top(built, lib, node, top, as_json)


def _top(built: nx.MultiDiGraph, lib: Library, node: str | None, top: int, as_json: bool) -> None:
    """The benchmarks the most papers are evaluated on (under one node, or all)."""
    from .. import graph as g

    uses = g.top_benchmarks_in(built, node, top) if node else g.top_benchmarks(built, top)

    def lines() -> list[str]:
        out = []
        for use in uses:
            intro = lib.papers.get(use.introduced_by)
            by = f"  (introduced by: {intro.display_title[:60]})" if intro else ""
            out.append(f"{len(use.papers):4d}  {use.name} [{use.kind}]{by}")
        return out or ["no benchmarks found yet: run `surveyor build` first"]

    emit(uses, as_json, lines)
