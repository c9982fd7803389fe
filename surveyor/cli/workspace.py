"""Commands that create a workspace or say where it stands: init, adopt, status."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import JsonOpt, WorkspaceOpt, command, emit, open_workspace

if TYPE_CHECKING:
    from ..action import WorkflowReport
    from ..sources.dedupe import Merge

app = typer.Typer()


@command(app)
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
    as_json: JsonOpt = False,
) -> None:
    """Create a workspace: surveyor.toml, a taxonomy, data/ and a .gitignore for .surveyor/.

    With --github-action in an existing workspace, only the workflow is written."""
    from ..config import CONFIG_NAME
    from ..create import init_workspace

    lines: list[str] = []
    created = None
    if (directory / CONFIG_NAME).exists() and github_action:
        lines.append(f"the workspace {directory} exists: left as it is")
    else:
        source = init_workspace(directory, taxonomy, title)
        created = {"workspace": directory, "taxonomy": source.name}
        lines.append(f"created workspace in {directory} (taxonomy: {source.name})")
    workflow = None
    if github_action:
        from ..action import write_workflow

        workflow = write_workflow(directory, install, force)
        lines += _workflow_lines(workflow)
    emit({"created": created, "workflow": workflow}, as_json, lambda: lines)


def _workflow_lines(report: WorkflowReport) -> list[str]:
    return [f"wrote {path}" for path in report.written] + [f"kept {path}: {why}" for path, why in report.kept]


@command(app)
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
    as_json: JsonOpt = False,
) -> None:
    """Take over an existing Awesome list as a workspace.

    Its headings become the taxonomy, its entries the papers, each entry's section a human label."""
    from ..adopt import adopt as run_adopt
    from ..adopt import summary

    report = run_adopt(readme, directory, in_place)
    emit(report, as_json, lambda: summary(report))


STATUS_COUNTS = (
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
)


@command(app)
def status(
    as_json: JsonOpt = False,
    duplicates: Annotated[
        bool, typer.Option("--duplicates", help="Explain every merge of duplicates.")
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Show papers, labels, human decisions and the cost of recent runs."""
    from ..pipeline import status as get_status

    ws = open_workspace(workspace)
    if duplicates:
        from ..merges import duplicates as merges_of

        merges = merges_of(ws)
        shown = [m.model_dump(mode="json", exclude={"record", "before"}) for m in merges]
        emit(shown, as_json, lambda: _duplicate_lines(merges))
        return
    info = get_status(ws)

    def lines() -> list[str]:
        out = [
            f"workspace: {info['workspace']}",
            f"taxonomy: {info['taxonomy']['name']} ({info['taxonomy']['hash']})",
        ]
        out += [f"{key.replace('_', ' ')}: {info[key]}" for key in STATUS_COUNTS]
        out += [f"  {node}: {count}" for node, count in info["per_top_level_node"].items()]
        out += [f"note: {note}" for note in info["pending_decisions"]]
        return [
            *out,
            f"runs: {len(info['runs'])} shown, tokens {info['total_tokens']}, cost ${info['total_cost']:.4f}",
        ]

    emit(info, as_json, lines)


def _duplicate_lines(merges: list[Merge]) -> list[str]:
    lines = [f"{len(merges)} merges"]
    for m in merges:
        where = ", ".join(f"{s.file}:{s.line}" if s.line else s.file for s in m.record.sources)
        score = f" {m.score:.0f}" if m.score is not None else ""
        title = m.record.display_title[:70]
        lines.append(f"{m.into} <- {m.absorbed} [{m.rule}{score}] from {where}: {title}")
    if merges:
        lines.append("undo a wrong one with: surveyor unmerge PAPER ABSORBED")
    return lines
