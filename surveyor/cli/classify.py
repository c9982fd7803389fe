"""Commands that file papers under the taxonomy: classify, label, review, and the `batch` sub-app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import (
    BaseUrlOpt,
    ConcurrencyOpt,
    JsonOpt,
    MaxCostOpt,
    ModelOpt,
    ModeOpt,
    TimeoutOpt,
    WorkspaceOpt,
    command,
    emit,
    open_workspace,
    out,
)
from .progress import progress
from .reports import classify_lines, estimate_line

app = typer.Typer()
batch_app = typer.Typer(
    help="Classify through the OpenAI Batch API (or a compatible runner).", no_args_is_help=True
)


@command(app)
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
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Classify papers that have no current label (human decisions are never changed)."""
    from ..classify.runner import classify_workspace
    from ..config import override_llm

    ws = open_workspace(workspace)
    flags = {"model": model, "base_url": base_url, "concurrency": concurrency, "mode": mode}
    override_llm(ws.config, {**flags, "max_cost": max_cost, "timeout": timeout})
    if batch:
        from ..classify.batch import submit

        said = submit(ws, backend or "openai")
        emit({"submitted": said}, as_json, lambda: [said])
        return
    if dry_run:
        report = classify_workspace(ws, backend, relabel, dry_run=True)
        emit(report, as_json, lambda: [estimate_line(report.estimate, report.backend)])
        return
    if (backend or ws.config.classify.backend) == "openai":
        from ..llm import require_key

        require_key(ws.config.llm)  # a dry run needs none; a real one says so before any work
    with progress("classifying") as tick:
        report = classify_workspace(ws, backend, relabel, tick)
    emit(report, as_json, lambda: classify_lines(report))


@command(app)
def label(
    paper: Annotated[str, typer.Argument(help="Paper id or arXiv id.")],
    nodes: Annotated[list[str] | None, typer.Argument(help="Node ids to file it under.")] = None,
    out_of_scope: Annotated[bool, typer.Option("--out-of-scope", help="Mark it out of scope.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (with --out-of-scope).")] = None,
    by: Annotated[str | None, typer.Option(help="Your name, kept with the decision.")] = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Set a paper's labels by hand; a human decision is never overwritten by a classifier."""
    from ..review import decide

    rec = decide(open_workspace(workspace), paper, nodes or [], out_of_scope, reason, by)
    what = "out of scope" if rec.out_of_scope else ", ".join(lab.node for lab in rec.labels)
    emit(rec, as_json, lambda: [f"{rec.paper}: {what} (human decision)"])


@command(app)
def review(
    limit: Annotated[int, typer.Option(help="Stop after this many papers.")] = 50,
    by: Annotated[str | None, typer.Option(help="Your name, kept with each decision.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Walk the review queue: accept, change, skip, or mark out of scope; each answer is saved at once."""
    from ..review import review_queue
    from .review import ask

    ws = open_workspace(workspace)
    queue = review_queue(ws)
    out(f"{len(queue)} papers to review" + (f" (showing {limit})" if len(queue) > limit else ""))
    shown = queue[:limit]
    saved = 0
    for number, item in enumerate(shown, 1):
        try:
            outcome = ask(ws, item, f"[{number}/{len(shown)}]", by)
        except (EOFError, typer.Abort):
            outcome = "quit"
        if outcome == "quit":
            break
        saved += outcome == "saved"
    out(f"{saved} decisions saved to {ws.rel(ws.decisions_path)}")


@command(batch_app, "status")
def batch_status(as_json: JsonOpt = False, workspace: WorkspaceOpt = None) -> None:
    """Show the batches not yet collected."""
    from ..classify.batch import status as batch_state

    records = batch_state(open_workspace(workspace))
    emit(
        {"batches": records},
        as_json,
        lambda: (
            [
                f"{r.id}: {r.status}, {r.papers} papers, submitted {r.submitted} ({r.model}, {r.mode})"
                for r in records
            ]
            or ["no open batches"]
        ),
    )


@command(batch_app, "collect")
def batch_collect(
    from_file: Annotated[
        Path | None, typer.Option("--from", help="A results JSONL produced elsewhere (e.g. vLLM run_batch).")
    ] = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Store the results of finished batches (validated like direct replies)."""
    from ..classify.batch import collect

    lines = collect(open_workspace(workspace), from_file)
    emit({"collected": lines}, as_json, lambda: lines)
