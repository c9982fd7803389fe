"""The `taxonomy` sub-app: suggest, apply, diff, check, bootstrap, convert."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import BackendOpt, JsonOpt, WorkspaceOpt, command, emit, llm_backend, open_workspace
from .reports import llm_lines

app = typer.Typer(help="Work with taxonomy files.", no_args_is_help=True)

_WHAT = {
    "add": "new node {p.node} ({p.name}) under {parent}",
    "split": "split {p.node} into {children}",
    "merge": "merge {p.node} into {p.into}",
}


@command(app, "suggest")
def taxonomy_suggest(
    out: Annotated[Path, typer.Option("--out", "-o", help="Patch file to write.")] = Path(
        "taxonomy-patch.yaml"
    ),
    max_proposals: Annotated[int, typer.Option("--max", help="At most this many proposals.")] = 5,
    backend: BackendOpt = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Propose new nodes, splits and merges from the papers that fit badly, as a reviewable patch.

    With openai, the model names, describes and places each new node and sorts the papers into them."""
    from ..evolve import write_suggestion

    ws = open_workspace(workspace)
    proposals, patch, llm, path = write_suggestion(ws, out, max_proposals, llm_backend(ws.config, backend))
    swollen: list[dict[str, object]] = list(patch.get("swollen", []))

    def lines() -> list[str]:
        said = llm_lines(llm)
        said += [
            f"{s['node']} took in {s['new_papers']} new papers where its history predicts {s['expected']:g}"
            for s in swollen
        ]
        for p in proposals:
            children = ", ".join(c.node for c in p.children)
            what = _WHAT[p.op].format(p=p, parent=p.parent or "the top level", children=children)
            said.append(f"{what}: {len(p.members)} papers")
        return [*said, f"wrote {path.resolve()} ({len(proposals)} proposals)"]

    report = {"path": path, "proposals": proposals, "swollen": swollen, "llm": llm}
    emit(report, as_json, lines)


@command(app, "apply")
def taxonomy_apply(
    patch: Annotated[Path, typer.Argument(help="The patch file `suggest` wrote (edited or not).")],
    force: Annotated[bool, typer.Option("--force", help="Apply to another taxonomy version.")] = False,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Apply a taxonomy patch: re-classify only the papers it touches; human labels kept."""
    from ..evolve import apply_workspace

    ws = open_workspace(workspace)
    report = apply_workspace(ws, patch if patch.is_absolute() else Path.cwd() / patch, force)

    def lines() -> list[str]:
        again = [f"{patch.name} was applied already; its re-classification is finished now"]
        return [
            *(again if report.again else []),
            *report.changes,
            f"taxonomy {report.old_hash} -> {report.new_hash}: {report.reclassified} papers re-classified, "
            f"{report.kept} machine labels carried over, {report.human_moved} human labels moved with a "
            f"merge; undo with `surveyor taxonomy apply {report.reverse.name}`",
        ]

    emit(report, as_json, lines)


@command(app, "diff")
def taxonomy_diff(
    version: Annotated[
        str | None, typer.Argument(help="An old taxonomy hash (default: before the last patch).")
    ] = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """What changed since an earlier taxonomy version, old ids mapped to new ones."""
    from ..evolve import diff_workspace

    changes = diff_workspace(open_workspace(workspace), version)
    emit({"changes": changes}, as_json, lambda: changes or ["no change"])


@command(app, "check")
def taxonomy_check(
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when anything is found.")] = False,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Before a run: nodes without a description or examples, and nodes whose examples overlap."""
    from ..taxonomy_check import check_workspace

    findings = check_workspace(open_workspace(workspace))

    def lines() -> list[str]:
        last = f"{len(findings)} findings" if findings else "nothing found"
        return [*(f.message for f in findings), last]

    emit({"findings": [f.as_dict() for f in findings]}, as_json, lines)
    if strict and findings:
        raise typer.Exit(1)


@command(app, "bootstrap")
def taxonomy_bootstrap(
    topic: Annotated[str, typer.Option("--topic", help="What the survey is about.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Taxonomy file to write.")] = Path(
        "taxonomy.proposed.yaml"
    ),
    backend: BackendOpt = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Propose a first taxonomy from the library's papers, as a file to edit.

    With openai, the model names and describes each group."""
    from ..evolve import bootstrap_workspace

    ws = open_workspace(workspace)
    path, nodes, llm = bootstrap_workspace(ws, topic, out, llm_backend(ws.config, backend))
    report = {"path": path, "nodes": nodes, "llm": llm}
    emit(report, as_json, lambda: [*llm_lines(llm), f"wrote {path.resolve()}: {nodes} nodes"])


@command(app, "convert")
def taxonomy_convert(
    source: Annotated[Path, typer.Argument(help="A taxonomy in another layout.")],
    output: Annotated[Path, typer.Argument(help="Where to write surveyor's taxonomy YAML.")],
    facet: Annotated[list[str] | None, typer.Option(help="Mark this node as a facet (repeatable).")] = None,
    name: Annotated[str | None, typer.Option(help="Name of the taxonomy.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Convert a taxonomy from another YAML layout (e.g. a node list under `taxonomy:`)."""
    from ..files import atomic_write_text
    from ..taxonomy_tools import convert

    atomic_write_text(output, convert(source, facet or [], name))
    emit({"written": output}, as_json, lambda: [f"wrote {output}"])
