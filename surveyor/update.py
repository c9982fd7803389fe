"""`surveyor update`: what is new since the last run, enriched (with `[enrich] auto`), classified,
exported, and described for a pull request.

Input: the workspace (its configured files and arXiv queries). Output: the regenerated exports and
`output/CHANGES.md` — the new papers per section with their confidence, the ones needing review,
and the run's cost — written only when there are new papers, so an update that finds nothing
changes no file. Only papers without a label are classified; the list's own (human) labels are the
examples the classifiers learn from, and are never touched. An adopted list is read back first:
what its maintainer added, moved or deleted by hand since the last run becomes human decisions
(see `listsync.sync`), so no update undoes it. CHANGES.md becomes the body of a pull
request a bot posts: every piece of third-party text in it (titles, section names, the model's
reasons, error messages) goes through `escape.pr_text`, so it cannot ping, link or render.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .classify.runner import ClassifyReport, Progress, classify_workspace
from .enrich.run import EnrichReport, enrich_added
from .escape import md_url, pr_code, pr_text
from .files import atomic_write_text
from .library import load_library, place
from .listsync import SyncReport, sync
from .models import Paper
from .review import review_reason
from .store import Workspace, writes


@dataclass
class UpdateReport:
    """What one update did."""

    new: list[str]
    classify: ClassifyReport
    exports: list[tuple[Path, bool]] = field(default_factory=list)
    changes: Path | None = None
    enrich: EnrichReport | None = None  # with `[enrich] auto`: what enriching the new papers did
    hand_edits: SyncReport | None = None  # what the maintainer changed in an adopted list


def new_papers(before: set[str], papers: dict[str, Paper]) -> list[str]:
    """Ids of papers that are neither in `before` nor merged from a paper that was."""
    return sorted(pid for pid, p in papers.items() if pid not in before and not (set(p.aliases) & before))


def changes_text(ws: Workspace, new: list[str], report: ClassifyReport) -> str:
    """The pull-request body: new papers per section, the ones to review, the cost."""
    lib = load_library(ws)
    papers, labels = lib.papers, lib.labels
    taxonomy = ws.taxonomy
    fresh = {pid: labels[pid] for pid in new if pid in labels}
    placement = place(taxonomy, papers, fresh)
    names = {n.id: pr_text(n.name) for n in taxonomy.iter_nodes()}
    cutoff = ws.config.classify.review_below
    out = [f"## {len(new)} new papers", ""]
    for node in taxonomy.iter_nodes():
        members = [pid for pid in placement.members.get(node.id, []) if placement.home[pid] == node.id]
        if not members:
            continue
        path = " › ".join(names[a] for a in taxonomy.ancestors(node.id))
        out += [f"### {path}", ""]
        for pid in sorted(members):
            rec, paper = fresh[pid], papers[pid]
            conf = max(lab.confidence for lab in rec.labels if lab.node == node.id)
            also = [names[lab.node] for lab in rec.labels if lab.node != node.id and lab.node in names]
            title, url = pr_text(paper.display_title), md_url(paper.url)
            title = f"[{title}]({url})" if url else title
            line = f"- {title} — confidence {conf:.2f}" + (f"; also under {', '.join(also)}" if also else "")
            out.append(line + (" — **needs review**" if review_reason(rec, cutoff) else ""))
        out.append("")
    left_out = [pid for pid in new if pid in fresh and fresh[pid].out_of_scope]
    if left_out:
        out += ["### Left out (out of scope)", ""]
        for pid in left_out:
            out.append(f"- {pr_text(papers[pid].display_title)}: {pr_text(fresh[pid].reason or '')}")
        out.append("")
    unlabelled = [pid for pid in new if pid not in fresh]
    if unlabelled:
        out += ["### Not classified (no title or abstract yet)", ""]
        out += [f"- {pr_text(papers[pid].display_title)}" for pid in unlabelled] + [""]
    review = [(pid, why) for pid in sorted(fresh) if (why := review_reason(fresh[pid], cutoff))]
    out += ["### Needs review", ""]
    out += [
        f"- {pr_code(pid)} {pr_text(papers[pid].display_title)}: {pr_text(why)}" for pid, why in review
    ] or ["None."]
    out += [
        "",
        "To move a paper, edit its line in `data/decisions.jsonl` in this pull request (or run "
        "`surveyor label ID NODE`); the next run applies it and never undoes it.",
        "",
        "### Cost",
        "",
        f"{pr_text(report.backend)} ({pr_text(report.model)}): {report.classified} papers classified, "
        f"{report.requests} requests, ${report.cost:.4f}.",
        "",
    ]
    return "\n".join(out)


@writes("update")
def update(ws: Workspace, progress: Progress | None = None) -> UpdateReport:
    """Import the configured files, fetch the configured queries since their last run, classify
    the new papers, export, and write output/CHANGES.md when anything is new."""
    from .pipeline import export, import_configured

    hand = sync(ws) if ws.config.export.adopted else None  # the maintainer's edits come first
    before = _baseline(ws)
    import_configured(ws)
    if ws.config.sources.arxiv:
        from .arxiv_fetch import fetch

        fetch(ws, ws.config.sources.arxiv)
    enriched = enrich_added(ws, before)
    new = new_papers(before, ws.load_papers())
    report = classify_workspace(ws, progress=progress, command="update")
    result = UpdateReport(new, report, export(ws), enrich=enriched, hand_edits=hand)
    if new:
        atomic_write_text(ws.changes_path, changes_text(ws, new, report))
        result.changes = ws.changes_path
    (ws.state_dir / BASELINE).unlink(missing_ok=True)
    return result


BASELINE = "update-baseline.json"  # in .surveyor/: the ids known when an unfinished update began


def _baseline(ws: Workspace) -> set[str]:
    """The paper ids (and former ids) known before this update; after a killed update, those known
    before it, so the papers it fetched are still new to this one and reach CHANGES.md."""
    path = ws.state_dir / BASELINE
    if path.is_file():
        return set(json.loads(path.read_text(encoding="utf-8")))
    known = ws.load_papers()
    before = set(known) | {alias for p in known.values() for alias in p.aliases}
    atomic_write_text(path, json.dumps(sorted(before)))
    return before
