"""Run a classifier over a workspace: choose what needs (re)classifying, persist every verdict as it
arrives, checkpoint, log the run. Backends only see papers; all I/O is here.

Input: a workspace. Output: `data/labels.jsonl` updated, a `Run` appended to `data/runs.jsonl`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .. import clock
from ..library import load_library
from ..models import Classification, Paper, Run
from ..store import Workspace
from ..taxonomy import Taxonomy
from .base import Classifier, Context, Example, make_classifier

Progress = Callable[[int, int, Run], None]


@dataclass
class ClassifyReport:
    """What a classify run did."""

    backend: str
    model: str
    total: int = 0
    classified: int = 0
    failed: int = 0
    out_of_scope: int = 0
    up_to_date: int = 0
    human: int = 0
    no_text: list[str] = field(default_factory=list)
    run_id: str | None = None
    requests: int = 0
    cost: float = 0.0
    notes: list[str] = field(default_factory=list)
    estimate: dict[str, object] | None = None  # --dry-run: what the run would do


def examples_for(
    papers: dict[str, Paper], decisions: dict[str, Classification], taxonomy: Taxonomy
) -> list[Example]:
    """Labelled papers to learn from: human decisions, then the taxonomy's `examples` ids."""
    out = [
        Example(papers[pid], tuple(lab.node for lab in rec.labels if lab.node in taxonomy))
        for pid, rec in sorted(decisions.items())
        if pid in papers and rec.labels
    ]
    for node in taxonomy.iter_nodes():
        out.extend(Example(papers[a], (node.id,)) for a in node.examples if a in papers)
    return out


def is_stale(rec: Classification | None, clf: Classifier, taxonomy: Taxonomy) -> bool:
    """Whether a machine record must be redone: missing, failed, or from another model, taxonomy
    or prompt."""
    return (
        rec is None
        or rec.status == "failed"
        or rec.taxonomy_hash != taxonomy.hash
        or (rec.backend, rec.model) != (clf.backend, clf.model)
        or rec.prompt_hash != clf.prompt_hash
    )


@dataclass
class Plan:
    """What a classify run would work on."""

    clf: Classifier
    taxonomy: Taxonomy
    labels: dict[str, Classification]
    todo: list[Paper]
    report: ClassifyReport


def plan(ws: Workspace, backend: str | None = None, relabel: bool = False) -> Plan:
    """Build the backend and pick the papers without a current machine label (humans' skipped)."""
    taxonomy = ws.taxonomy
    lib = load_library(ws)
    papers, labels, decisions = lib.papers, lib.machine, lib.human
    ctx = Context(ws.config, ws.state_dir, ws.prompts_dir)
    examples = examples_for(papers, decisions, taxonomy)
    clf = make_classifier(backend or ws.config.classify.backend, taxonomy, examples, ctx)
    report = ClassifyReport(clf.backend, clf.model, total=len(papers), notes=ws.pending_notes(lib.pending))
    todo: list[Paper] = []
    for paper in sorted(papers.values(), key=lambda p: p.id):
        if paper.id in decisions:
            report.human += 1
        elif not paper.has_text:
            report.no_text.append(paper.id)
        elif relabel or is_stale(labels.get(paper.id), clf, taxonomy):
            todo.append(paper)
        else:
            report.up_to_date += 1
    return Plan(clf, taxonomy, labels, todo, report)


def classify_workspace(
    ws: Workspace,
    backend: str | None = None,
    relabel: bool = False,
    progress: Progress | None = None,
    command: str = "classify",
    dry_run: bool = False,
) -> ClassifyReport:
    """Classify every paper that has no current label; human decisions are never touched.
    With `dry_run`, only say what would be sent and what it would cost (no lock: it writes nothing).
    Otherwise the workspace's write lock is held: a second run waits, then finds the work done."""
    if dry_run:
        p = plan(ws, backend, relabel)
        estimate = getattr(p.clf, "estimate", None)
        p.report.estimate = (
            estimate(p.todo) if estimate else {"papers": len(p.todo), "requests": 0, "cost": 0.0}
        )
        return p.report
    with ws.lock(command):
        p = plan(ws, backend, relabel)
        _close_dead_runs(ws, p.labels)
        ws.save_labels(p.labels.values())  # folds in the journal an interrupted run left
        if p.todo:
            try:
                run_classifier(ws, p.clf, p.taxonomy, p.todo, p.labels, p.report, progress, command)
            finally:
                p.report.notes += list(getattr(p.clf, "notes", []))
    return p.report


def run_classifier(
    ws: Workspace,
    clf: Classifier,
    taxonomy: Taxonomy,
    todo: list[Paper],
    labels: dict[str, Classification],
    report: ClassifyReport,
    progress: Progress | None,
    command: str,
) -> None:
    """Drive `clf` over `todo`, journal each verdict as it comes, checkpoint, log the run."""
    run = Run(id=clock.run_id(), command=command, backend=clf.backend, model=clf.model, started=clock.stamp())
    report.run_id = run.id
    ws.save_run(run)  # logged up front, so even a killed run leaves a trace
    journal = ws.labels_journal
    try:
        for done, (pid, verdict) in enumerate(clf.classify(todo), 1):
            rec = Classification(
                paper=pid,
                backend=clf.backend,
                model=clf.model,
                taxonomy_hash=taxonomy.hash,
                prompt_hash=clf.prompt_hash,
                run_id=run.id,
                time=clock.stamp(),
                **dict(verdict),
            )
            labels[pid] = rec
            journal.append(rec)
            _count(run, report, rec)
            if done % ws.config.classify.checkpoint_every == 0:
                ws.save_labels(labels.values())  # empties `journal` itself: it goes on from there
            if progress:
                progress(done, len(todo), run)
        run.status = "done"
    except BaseException:
        run.status = "interrupted"
        raise
    finally:
        journal.close()
        ws.save_labels(labels.values())
        _count_overhead(run, report, getattr(clf, "overhead", None) or {})
        run.ended = clock.stamp()
        ws.save_run(run)


def _close_dead_runs(ws: Workspace, labels: dict[str, Classification]) -> None:
    """Runs still marked running were killed: mark them interrupted, with what they finished."""
    for run in ws.load_runs():
        if run.status != "running":
            continue
        done = [r for r in labels.values() if r.run_id == run.id]
        run.status = "interrupted"
        run.papers = len(done)
        run.failed = sum(r.status == "failed" for r in done)
        run.requests = sum(r.requests for r in done)
        run.prompt_tokens = sum(r.prompt_tokens for r in done)
        run.completion_tokens = sum(r.completion_tokens for r in done)
        run.cost = sum(r.cost for r in done)
        ws.save_run(run)


def _count_overhead(run: Run, report: ClassifyReport, extra: dict[str, float]) -> None:
    """Requests a backend sent besides the papers' own (the LLM's calibration sample)."""
    requests, cost = int(extra.get("requests", 0)), float(extra.get("cost", 0.0))
    run.requests += requests
    report.requests += requests
    run.cost += cost
    report.cost += cost


def _count(run: Run, report: ClassifyReport, rec: Classification) -> None:
    run.papers += 1
    run.requests += rec.requests
    report.requests += rec.requests
    report.cost += rec.cost
    run.prompt_tokens += rec.prompt_tokens
    run.completion_tokens += rec.completion_tokens
    run.cost += rec.cost
    report.classified += 1
    if rec.status == "failed":
        run.failed += 1
        report.failed += 1
    elif rec.out_of_scope:
        report.out_of_scope += 1
