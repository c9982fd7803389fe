"""Measure a classifier against gold labels: micro/macro-F1, per-node figures, confusions, calibration.

Input: a gold JSONL (`title`, `abstract`, `labels`, optional `arxiv_id`) and a taxonomy. The gold
papers are classified in a scratch workspace through the normal runner, never seeing their own
labels (with `cv`, each fold sees the other folds' labels as human decisions). Output: one dict.
Facets: a prediction inside a facet counts only for papers whose gold labels are in that facet.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import clock
from .classify.runner import Progress, classify_workspace
from .config import Config
from .errors import InputError, where
from .models import Classification, Label, Paper, canonical_id
from .store import Workspace
from .taxonomy import Taxonomy, load_taxonomy

BANDS = [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)]


@dataclass
class GoldPaper:
    """A gold record: the paper and its expert labels."""

    paper: Paper
    labels: list[str]


def load_gold(path: Path, taxonomy: Taxonomy) -> list[GoldPaper]:
    """Read gold JSONL; unknown node ids and records without text are errors naming the line."""
    if not path.is_file():
        raise InputError(f"gold file not found: {path}")
    out: list[GoldPaper] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where(path, number)}: not valid JSON ({exc.msg})") from exc
        labels = [str(x) for x in obj.get("labels") or []]
        unknown = [x for x in labels if x not in taxonomy]
        if unknown:
            raise InputError(
                f"{where(path, number)}: label `{unknown[0]}` is not a node of the taxonomy",
                "convert the taxonomy that matches this gold file",
            )
        title, abstract, arxiv = obj.get("title"), obj.get("abstract"), obj.get("arxiv_id")
        if not (title or abstract):
            raise InputError(f"{where(path, number)}: a gold record needs a title or an abstract")
        pid = canonical_id(arxiv, title, abstract)
        paper = Paper(id=pid, title=title, abstract=abstract, arxiv_id=arxiv)
        out.append(GoldPaper(paper, labels))
    ids = Counter(g.paper.id for g in out)
    return [g for g in out if ids[g.paper.id] == 1] + _dedupe([g for g in out if ids[g.paper.id] > 1])


def _dedupe(repeated: list[GoldPaper]) -> list[GoldPaper]:
    seen: set[str] = set()
    return [g for g in repeated if not (g.paper.id in seen or seen.add(g.paper.id))]  # type: ignore[func-returns-value]


def cut(taxonomy: Taxonomy, node: str, depth: int | None) -> str:
    """The ancestor of `node` at `depth` (1 = top level); the node itself when shallower or None."""
    path = taxonomy.ancestors(node)
    return path[min(depth, len(path)) - 1] if depth else node


def score(
    taxonomy: Taxonomy,
    gold: dict[str, list[str]],
    predicted: dict[str, list[Label]],
    depth: int | None = None,
) -> dict[str, Any]:
    """Micro/macro-F1, per-node figures, confusions and calibration over the gold papers."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    bands = [[0, 0] for _ in BANDS]
    for pid, gold_labels in gold.items():
        truth = {cut(taxonomy, x, depth) for x in gold_labels}
        facets = {taxonomy.facet_of(x) for x in truth} - {None}
        guesses: dict[str, float] = {}
        for lab in predicted.get(pid, []):
            node = cut(taxonomy, lab.node, depth)
            facet = taxonomy.facet_of(node)
            if facet is None or facet in facets:
                guesses[node] = max(lab.confidence, guesses.get(node, 0.0))
        for node, conf in guesses.items():
            hit = node in truth
            (tp if hit else fp)[node] += 1
            band = next(i for i, (lo, hi) in enumerate(BANDS) if lo <= conf < hi)
            bands[band][0] += 1
            bands[band][1] += hit
        for node in truth - set(guesses):
            fn[node] += 1
            for wrong in set(guesses) - truth:
                confusions[(node, wrong)] += 1
    figures = _figures(tp, fp, fn, confusions, bands, len(gold))
    given, wanted = sum(tp.values()) + sum(fp.values()), sum(tp.values()) + sum(fn.values())
    figures.update(
        micro_precision=round(sum(tp.values()) / given, 4) if given else 0.0,
        micro_recall=round(sum(tp.values()) / wanted, 4) if wanted else 0.0,
        labels_per_paper=round(given / len(gold), 3) if gold else 0.0,
        gold_per_paper=round(wanted / len(gold), 3) if gold else 0.0,
    )
    return figures


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _figures(
    tp: Counter[str],
    fp: Counter[str],
    fn: Counter[str],
    confusions: Counter[tuple[str, str]],
    bands: list[list[int]],
    n: int,
) -> dict[str, Any]:
    nodes = {}
    for node in sorted(set(tp) | set(fp) | set(fn)):
        precision = tp[node] / (tp[node] + fp[node]) if tp[node] + fp[node] else 0.0
        recall = tp[node] / (tp[node] + fn[node]) if tp[node] + fn[node] else 0.0
        nodes[node] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(_f1(tp[node], fp[node], fn[node]), 4),
            "support": tp[node] + fn[node],
        }
    supported = [v["f1"] for v in nodes.values() if v["support"] > 0]
    return {
        "n_papers": n,
        "micro_f1": round(_f1(sum(tp.values()), sum(fp.values()), sum(fn.values())), 4),
        "macro_f1": round(sum(supported) / len(supported), 4) if supported else 0.0,
        "nodes": nodes,
        "confusions": [
            {"gold": g, "predicted": p, "count": c}
            for (g, p), c in sorted(confusions.items(), key=lambda x: (-x[1], x[0]))[:10]
        ],
        "calibration": [
            {"band": f"{lo:.1f}-{min(hi, 1.0):.1f}", "labels": k, "accuracy": round(h / k, 4) if k else None}
            for (lo, hi), (k, h) in zip(BANDS, bands, strict=True)
        ],
    }


@dataclass(frozen=True)
class Setup:
    """How the gold papers are classified: the settings (surveyor.toml, env, flags) and the folder
    of prompt overrides."""

    config: Config | None = None
    prompts: Path | None = None
    progress: Progress | None = None  # told papers done / total across every fold, and the spend


def _scratch(
    root: Path, taxonomy_path: Path, backend: str, base: Config | None, prompts: Path | None
) -> Workspace:
    """A workspace for one fold: the taxonomy, the caller's classify and [llm] settings (never written
    to disk: the API key stays in memory), its prompt overrides."""
    root.mkdir(parents=True)
    shutil.copy(taxonomy_path, root / "taxonomy.yaml")
    if prompts is not None and prompts.is_dir():
        shutil.copytree(prompts, root / "prompts")
    base = base or Config()
    config = Config(
        title="eval",
        taxonomy="taxonomy.yaml",
        classify=base.classify.model_copy(update={"backend": backend}),
        llm=base.llm,
    )
    (root / "surveyor.toml").write_text(f'taxonomy = "taxonomy.yaml"\n[classify]\nbackend = "{backend}"\n')
    return Workspace(root, config)


def _fold_workspaces(
    gold: list[GoldPaper], taxonomy_path: Path, backend: str, folds: int, setup: Setup, tmp: Path
) -> Iterator[tuple[Workspace, list[str]]]:
    """Per fold, a scratch workspace holding every gold paper, the other folds' labels as human
    decisions (none when zero-shot), and the ids it must classify."""
    groups = _folds([g.paper.id for g in gold], folds) if folds > 1 else [[g.paper.id for g in gold]]
    by_id = {g.paper.id: g for g in gold}
    for k, test in enumerate(groups):
        ws = _scratch(tmp / f"fold{k}", taxonomy_path, backend, setup.config, setup.prompts)
        ws.save_papers(g.paper for g in gold)
        held_out = set(test)
        train = [pid for pid in by_id if pid not in held_out] if folds > 1 else []
        ws.save_decisions(_human(by_id[pid]) for pid in train)
        yield ws, test


def predict(
    gold: list[GoldPaper], taxonomy_path: Path, backend: str, folds: int = 0, setup: Setup | None = None
) -> tuple[dict[str, list[Label]], dict[str, Any]]:
    """Classify the gold papers in scratch workspaces: zero-shot, or K-fold with the rest as examples.
    Also returns what the runs did (requests, cost, failed papers, notes)."""
    predicted: dict[str, list[Label]] = {}
    runs: dict[str, Any] = {"requests": 0, "cost": 0.0, "failed": 0, "notes": []}
    setup = setup or Setup()
    done = 0
    with tempfile.TemporaryDirectory(prefix="surveyor-eval-") as tmp:
        for ws, test in _fold_workspaces(gold, taxonomy_path, backend, folds, setup, Path(tmp)):
            tick = _fold_progress(setup.progress, done, len(gold))
            report = classify_workspace(ws, progress=tick, command="eval")
            done += len(test)
            runs["requests"] += report.requests
            runs["cost"] += report.cost
            runs["failed"] += report.failed
            runs["notes"] += [n for n in report.notes if n not in runs["notes"]]
            labels = ws.load_labels()
            for pid in test:
                rec = labels.get(pid)
                predicted[pid] = [] if rec is None or rec.out_of_scope else rec.labels
    return predicted, runs


def _fold_progress(progress: Progress | None, offset: int, total: int) -> Progress | None:
    """A fold's progress as a share of the whole evaluation."""
    if progress is None:
        return None
    report = progress
    return lambda done, _total, run: report(offset + done, total, run)


def estimate(
    gold_path: Path, taxonomy_path: Path, backend: str, cv: int = 0, setup: Setup | None = None
) -> dict[str, Any]:
    """What evaluating would send and cost, before sending anything (the folds' dry runs, summed)."""
    gold = load_gold(gold_path, load_taxonomy(taxonomy_path))
    total: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="surveyor-eval-") as tmp:
        for ws, _ in _fold_workspaces(gold, taxonomy_path, backend, cv, setup or Setup(), Path(tmp)):
            fold = classify_workspace(ws, command="eval", dry_run=True).estimate or {}
            for key, value in fold.items():
                summable = isinstance(value, int | float) and not isinstance(value, bool)
                total[key] = total.get(key, 0) + value if summable and key != "prefix_tokens" else value
    return total


def _human(g: GoldPaper) -> Classification:
    return Classification(
        paper=g.paper.id,
        backend="human",
        model="gold",
        taxonomy_hash="-",
        run_id="eval",
        time=clock.stamp(),
        labels=[Label(node=x, confidence=1.0) for x in g.labels],
    )


def _folds(ids: list[str], k: int) -> list[list[str]]:
    order = sorted(ids)
    random.Random(0).shuffle(order)
    return [order[i::k] for i in range(k)]


def evaluate(
    gold_path: Path,
    taxonomy_path: Path,
    backend: str = "offline",
    depth: int | None = None,
    cv: int = 0,
    setup: Setup | None = None,
) -> dict[str, Any]:
    """The whole evaluation: load, classify, score; per facet too."""
    taxonomy = load_taxonomy(taxonomy_path)
    gold = load_gold(gold_path, taxonomy)
    predicted, runs = predict(gold, taxonomy_path, backend, cv, setup)
    truth = {g.paper.id: g.labels for g in gold}
    result = score(taxonomy, truth, predicted, depth)
    result.update(backend=backend, depth=depth or "leaf", cv=cv or None, runs=runs)
    facets = [n for n in taxonomy.iter_nodes() if n.facet]
    result["facets"] = {}
    for facet in facets:
        inside = {pid: [x for x in labs if facet.id in taxonomy.ancestors(x)] for pid, labs in truth.items()}
        inside = {pid: labs for pid, labs in inside.items() if labs}
        preds = {
            pid: [lab for lab in predicted.get(pid, []) if facet.id in taxonomy.ancestors(lab.node)]
            for pid in inside
        }
        figures = score(taxonomy, inside, preds, depth)
        result["facets"][facet.id] = {k: figures[k] for k in ("n_papers", "micro_f1", "macro_f1")}
    return result


def _runs_lines(runs: dict[str, Any] | None) -> list[str]:
    if not runs or not (runs["requests"] or runs["failed"]):
        return []
    lines = [f"- requests: {runs['requests']} (${runs['cost']:.4f}); papers failed: {runs['failed']}"]
    return lines + [f"- note: {note}" for note in runs["notes"]]


def report_markdown(result: dict[str, Any], taxonomy: Taxonomy) -> str:
    """The evaluation as a Markdown report."""
    lines = [
        f"# Evaluation ({result['backend']}, depth {result['depth']}, cv {result['cv'] or 'none'})",
        "",
        f"- papers: {result['n_papers']}",
        f"- micro-F1: {result['micro_f1']:.3f} (precision {result['micro_precision']:.3f}, "
        f"recall {result['micro_recall']:.3f})",
        f"- macro-F1: {result['macro_f1']:.3f}",
        f"- labels a paper: {result['labels_per_paper']:.2f} (the gold: {result['gold_per_paper']:.2f})",
        *_runs_lines(result.get("runs")),
        "",
        "| node | name | precision | recall | F1 | support |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for node, v in result["nodes"].items():
        name = taxonomy.node(node).name if node in taxonomy else node
        lines.append(
            f"| {node} | {name} | {v['precision']:.2f} | {v['recall']:.2f} | {v['f1']:.2f} | {v['support']} |"
        )
    lines += ["", "## Facets", "", "| facet | papers | micro-F1 | macro-F1 |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {f} | {v['n_papers']} | {v['micro_f1']:.3f} | {v['macro_f1']:.3f} |"
        for f, v in result["facets"].items()
    ]
    lines += ["", "## Most frequent confusions", "", "| gold | predicted | count |", "| --- | --- | --- |"]
    lines += [f"| {c['gold']} | {c['predicted']} | {c['count']} |" for c in result["confusions"]]
    lines += ["", "## Calibration", "", "| confidence | labels | accuracy |", "| --- | --- | --- |"]
    for band in result["calibration"]:
        accuracy = "-" if band["accuracy"] is None else f"{band['accuracy']:.2f}"
        lines.append(f"| {band['band']} | {band['labels']} | {accuracy} |")
    return "\n".join(lines) + "\n"
