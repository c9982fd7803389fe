"""`surveyor eval`: measure a classifier against expert labels."""

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
    command,
    emit,
    err,
    workspace_path,
)
from .progress import progress
from .reports import estimate_line

app = typer.Typer()


@command(app, "eval")
def eval_(
    gold: Annotated[Path, typer.Argument(help="Gold JSONL: title, abstract, labels (node ids).")],
    taxonomy: Annotated[Path, typer.Option("--taxonomy", "-t", help="Taxonomy YAML the labels refer to.")],
    backend: Annotated[str, typer.Option(help="Backend to measure.")] = "offline",
    depth: Annotated[int | None, typer.Option(help="Compare labels cut to depth K (1 = top level).")] = None,
    cv: Annotated[int, typer.Option(help="K folds, each classified with the other folds as examples.")] = 0,
    as_json: JsonOpt = False,
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
        Path | None,
        typer.Option("-w", "--workspace", help="Settings, prompts and reply cache from this workspace."),
    ] = None,
) -> None:
    """Measure a classifier against expert labels (micro/macro-F1, per node, calibration).

    With --backend openai, the llm settings come from the workspace's surveyor.toml, the environment
    and the flags; the cost is estimated before anything is sent; replies are cached."""
    from ..config import tool_config
    from ..evaluate import Setup, estimate, evaluate, report_markdown
    from ..taxonomy import load_taxonomy

    root = workspace_path(workspace)
    flags = {"model": model, "base_url": base_url, "concurrency": concurrency, "mode": mode}
    config = tool_config(root, backend, cache, {**flags, "timeout": timeout, "max_cost": max_cost})
    if backend == "openai" or dry_run:
        est = estimate(gold, taxonomy, backend, cv, Setup(config, root / "prompts"))
        err(estimate_line(est, backend, "dry run" if dry_run else "sending"))
        if dry_run:
            return
    if backend == "openai":
        from ..llm import require_key

        require_key(config.llm)
    with progress("evaluating") as tick:
        result = evaluate(gold, taxonomy, backend, depth, cv, Setup(config, root / "prompts", tick))
    text = report_markdown(result, load_taxonomy(taxonomy))
    if report:
        report.write_text(text)
    emit(result, as_json, lambda: [text.rstrip()])
