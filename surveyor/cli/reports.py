"""Reports several commands print: an import, an enrichment, a classify run, a cost estimate, what a
model was asked.

Input: the library's typed reports. Output: text lines (the caller prints them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..classify.runner import ClassifyReport
    from ..enrich.run import EnrichReport
    from ..evolve import LLMReport
    from ..pipeline import ImportReport


def import_lines(report: ImportReport, verbose: bool) -> list[str]:
    """One line per file, and its skipped records (the first five unless verbose)."""
    lines = [
        f"{report.file} [{report.format}]: read {report.read}, added {report.added}, "
        f"merged {report.merged}, skipped {len(report.skipped)}"
    ]
    lines += [f"  line {skip.line}: {skip.reason}" for skip in report.skipped[: None if verbose else 5]]
    if not verbose and len(report.skipped) > 5:
        lines.append(f"  ... {len(report.skipped) - 5} more (use -v to list them)")
    return lines


def enrich_lines(report: EnrichReport, verbose: bool) -> list[str]:
    """What enriching did: matches, merges, fields filled, requests (each decision when verbose)."""
    if not report.asked:
        return ["enrich: no paper to look up (--all asks again for every one, --refresh skips the cache)"]
    lines = []
    for rec in report.records if verbose else ():
        for m in rec.matches:
            score = f" {m.score:g}" if m.score is not None else ""
            lines.append(f"{rec.paper}: {m.source} {m.work} [{m.rule}{score}] {(m.title or '')[:60]}")
        for m in rec.rejected:
            lines.append(f"{rec.paper}: turned down {m.source} {m.work} ({m.why}) {(m.title or '')[:50]}")
        lines += [f"{rec.paper}: {note}" for note in rec.notes]
    for paper, into in report.merged:
        lines.append(f"{paper} is {into}: merged (undo with `surveyor unmerge {into} {paper}`)")
    filled = ", ".join(f"{field} {n}" for field, n in sorted(report.fields.items())) or "nothing new"
    asked = ", ".join(f"{name} {n}" for name, n in report.requests.items())
    lines.append(
        f"enriched {report.matched} of {report.asked} papers ({report.by_title} by title), "
        f"{report.not_found} not found, {report.partial} partly; filled: {filled}"
    )
    lines.append(
        f"requests: {asked}; {report.cached} answers from the cache; every decision with its score is in "
        "data/enrichments.jsonl (-v prints them; --undo PAPER reverts one)"
    )
    return lines + [f"stopped: {why}" for why in report.stopped]


def classify_lines(report: ClassifyReport) -> list[str]:
    """What a classify run did, its cost and notes."""
    lines = [
        f"classified {report.classified} with {report.backend} ({report.model}): "
        f"{report.out_of_scope} out of scope, {report.failed} failed; "
        f"{report.up_to_date} already current, {report.human} decided by a human"
    ]
    if report.requests or report.cost:
        lines.append(f"{report.requests} requests, ${report.cost:.4f}")
    lines += [f"note: {note}" for note in report.notes]
    if report.no_text:
        lines.append(f"{len(report.no_text)} papers have no title or abstract yet and were not classified")
    return lines


def estimate_line(est: Mapping[str, object] | None, backend: str, lead: str = "dry run") -> str:
    """One line: what a run would send and cost."""
    est = est or {}
    if not est.get("requests"):
        return f"{lead}: {est.get('papers', 0)} papers to classify with {backend}; no requests to pay for"
    priced = "" if est.get("priced", True) else f" (no price for {est.get('model')}: add [llm.prices])"
    sample = f" and a calibration sample of {est['calibration']}" if est.get("calibration") else ""
    return (
        f"{lead}: {est['requests']} requests for {est['papers']} papers{sample} ({est['cached']} cached), "
        f"~{est['prompt_tokens']:,} prompt + ~{est['completion_tokens']:,} completion tokens, "
        f"~${est['cost']:.4f}{priced}; taxonomy prefix ~{est['prefix_tokens']:,} tokens a request"
    )


def llm_lines(report: LLMReport | None) -> list[str]:
    """What a model was asked for a taxonomy proposal, and its cost (nothing offline)."""
    if report is None:
        return []
    return [f"note: {note}" for note in report.notes] + [
        f"{report.model}: {report.requests} requests, ${report.cost:.4f}"
    ]
