"""Commands that run every stage: build (from the configured sources) and update (what is new).

`update` exits 0 when there is nothing new: the daily workflow runs it unattended and opens a pull
request only when output/CHANGES.md was written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import JsonOpt, WorkspaceOpt, command, emit, open_workspace, written_lines
from .progress import progress
from .reports import classify_lines, enrich_lines, import_lines

if TYPE_CHECKING:
    from ..update import UpdateReport

app = typer.Typer()


@command(app)
def update(as_json: JsonOpt = False, workspace: WorkspaceOpt = None) -> None:
    """Fetch what is new, classify only the new papers, regenerate, and write output/CHANGES.md."""
    from ..update import update as run_update

    ws = open_workspace(workspace)
    with progress("classifying") as tick:
        report = run_update(ws, tick)
    emit(report, as_json, lambda: _update_lines(report))


def _update_lines(report: UpdateReport) -> list[str]:
    lines = enrich_lines(report.enrich, verbose=False) if report.enrich is not None else []
    lines += classify_lines(report.classify)
    hand = report.hand_edits
    if hand and (hand.placed or hand.moved or hand.removed):
        lines.append(
            f"read back the list: {len(hand.placed)} entries added, {len(hand.moved)} moved and "
            f"{len(hand.removed)} deleted by hand, kept as human decisions"
        )
    for section in hand.unknown_sections if hand else []:
        lines.append(f"note: section `{section}` is not in the taxonomy: its entries stay as they are")
    lines += written_lines(report.exports, quiet_unchanged=True)
    if report.changes:
        lines.append(f"{len(report.new)} new papers; pull-request text in {report.changes.resolve()}")
    else:
        n_changed = sum(1 for _, c in report.exports if c)
        lines.append(f"no new papers; {n_changed} exported files changed")
    return lines


@command(app)
def build(
    directory: Annotated[Path | None, typer.Argument(help="Workspace folder (same as -w).")] = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Run every stage: import the configured sources, classify, export."""
    from ..pipeline import build as run_build

    ws = open_workspace(directory or workspace)
    with progress("classifying") as tick:
        report = run_build(ws, tick)

    def lines() -> list[str]:
        out = [line for imp in report.imports for line in import_lines(imp, verbose=False)]
        out += enrich_lines(report.enrich, verbose=False) if report.enrich is not None else []
        return out + classify_lines(report.classify) + written_lines(report.exports)

    emit(report, as_json, lines)
