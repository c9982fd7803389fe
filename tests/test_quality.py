"""Classification quality: metrics, `surveyor eval`, taxonomy convert, facets, label and review."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, write_workspace
from typer.testing import CliRunner

from surveyor.classify.offline import OfflineClassifier
from surveyor.classify.runner import classify_workspace
from surveyor.cli import app
from surveyor.errors import SurveyorError, TaxonomyError
from surveyor.evaluate import score
from surveyor.models import Label, Paper
from surveyor.review import decide, review_queue
from surveyor.store import Workspace
from surveyor.taxonomy import Taxonomy, parse_taxonomy
from surveyor.taxonomy_tools import convert

runner = CliRunner()
DEV = ROOT.parent / "shared" / "data"
FACETED = {
    "name": "F",
    "nodes": [
        {
            "id": "how",
            "name": "How it sees",
            "facet": True,
            "children": [
                {"id": "how-text", "name": "As text captions", "description": "captions transcripts tools"},
                {"id": "how-emb", "name": "As embeddings", "description": "visual encoder features tokens"},
            ],
        },
        {
            "id": "train",
            "name": "How it is trained",
            "facet": True,
            "children": [
                {"id": "train-free", "name": "Training-free", "description": "zero-shot without training"},
                {
                    "id": "train-it",
                    "name": "Instruction tuning",
                    "description": "instruction tuning fine-tuning",
                },
            ],
        },
        {
            "id": "data",
            "name": "Datasets and benchmarks",
            "children": [
                {
                    "id": "data-qa",
                    "name": "Question answering",
                    "description": "question answering benchmark",
                },
                {"id": "data-cap", "name": "Captioning", "description": "captioning dataset"},
            ],
        },
    ],
}


def faceted() -> Taxonomy:
    return parse_taxonomy(json.loads(json.dumps(FACETED)), Path("f.yaml"))


def lab(node: str, conf: float = 0.9) -> Label:
    return Label(node=node, confidence=conf)


def test_score_counts_facets_only_where_gold_places_the_paper() -> None:
    tax = faceted()
    gold = {"p1": ["how-emb"], "p2": ["data-qa"], "p3": ["how-text", "train-it"]}
    pred = {
        "p1": [lab("how-emb"), lab("train-it")],  # train-it: gold has no `train` label -> not scored
        "p2": [lab("how-emb", 0.3), lab("data-cap", 0.5)],  # how-emb unscored; data-cap is a false positive
        "p3": [lab("how-emb"), lab("train-it")],
    }
    result = score(tax, gold, pred)
    nodes = result["nodes"]
    assert nodes["how-emb"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "support": 1}
    assert nodes["train-it"]["f1"] == 1.0 and nodes["data-qa"]["recall"] == 0.0
    # tp = how-emb(p1), train-it(p3); fp = data-cap(p2), how-emb(p3); fn = data-qa, how-text
    assert result["micro_f1"] == 0.5
    assert {"gold": "data-qa", "predicted": "data-cap", "count": 1} in result["confusions"]
    top = score(tax, gold, pred, depth=1)
    assert top["nodes"]["how"]["f1"] == 1.0 and top["nodes"]["data"]["f1"] == 1.0
    bands = {b["band"]: b for b in result["calibration"]}
    assert bands["0.4-0.6"]["labels"] == 1 and bands["0.4-0.6"]["accuracy"] == 0.0


def test_facets_give_one_label_in_each_parallel_view() -> None:
    clf = OfflineClassifier(faceted())
    paper = Paper(
        id="x",
        title="Captions as text for instruction tuning",
        abstract="We turn video into captions and transcripts with tools, then use instruction tuning.",
    )
    ((_, verdict),) = clf.classify([paper])
    nodes = [label.node for label in verdict.labels]
    assert sorted(nodes) == ["how-text", "train-it"]
    assert all(label.evidence in paper.text for label in verdict.labels)


def test_convert_dev_layout_with_facets(tmp_path: Path) -> None:
    src = tmp_path / "dev.yaml"
    src.write_text(
        "source:\n  repo: someone/Awesome-X\n  file: README.md\ntaxonomy:\n"
        "- id: '1'\n  name: View one\n  description: d\n  children:\n"
        "  - id: '1.1'\n    name: A\n    leaf: true\n"
        "- id: '2'\n  name: View two\n  children:\n  - id: '2.1'\n    name: B\n    leaf: true\n"
    )
    out = tmp_path / "ours.yaml"
    result = runner.invoke(app, ["taxonomy", "convert", str(src), str(out), "--facet", "1", "--facet", "2"])
    assert result.exit_code == 0, result.output
    tax = parse_taxonomy(__import__("yaml").safe_load(out.read_text()), out)
    assert tax.name == "someone/Awesome-X" and tax.node("1").facet and tax.node("2").facet
    assert tax.facet_of("1.1") == "1" and tax.node("1.1").children == []
    with pytest.raises(TaxonomyError, match="--facet 9"):
        convert(src, ["9"])


def _keyword_gold(tmp_path: Path) -> tuple[Path, Path]:
    """A small gold set from the example's real abstracts, labelled by a rule a learner can find."""
    from surveyor.pipeline import import_paths

    ws = Workspace(write_workspace(tmp_path / "src"))
    import_paths(ws, sorted((ROOT / "examples" / "video-understanding" / "sources").glob("00[24]*")))
    rows = []
    for paper in sorted(ws.load_papers().values(), key=lambda p: p.id):
        text = paper.text.lower()
        node = (
            "app-anomaly"
            if "anomal" in text
            else "data-benchmarks"
            if "benchmark" in (paper.title or "").lower()
            else None
        )
        if node and "video" in text:
            rows.append(
                {
                    "title": paper.title,
                    "abstract": paper.abstract,
                    "arxiv_id": paper.arxiv_id,
                    "labels": [node],
                }
            )
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return gold, ROOT / "taxonomies" / "video-understanding.yaml"


@pytest.mark.slow
def test_eval_zero_shot_and_cv_through_the_cli(tmp_path: Path) -> None:
    gold, tax = _keyword_gold(tmp_path)
    n = len(gold.read_text().splitlines())
    assert n >= 20
    zero = runner.invoke(app, ["eval", str(gold), "--taxonomy", str(tax), "--json"])
    assert zero.exit_code == 0, zero.output
    z = json.loads(zero.output)
    assert z["n_papers"] == n and 0.0 <= z["micro_f1"] <= 1.0 and "app-anomaly" in z["nodes"]
    report = tmp_path / "report.md"
    cv = runner.invoke(
        app,
        ["eval", str(gold), "-t", str(tax), "--cv", "3", "--depth", "1", "--json", "--report", str(report)],
    )
    assert cv.exit_code == 0, cv.output
    c = json.loads(cv.output)
    assert c["cv"] == 3 and c["depth"] == 1
    assert c["micro_f1"] >= 0.8  # the rule is learnable from the other folds
    assert report.read_text().startswith("# Evaluation (offline, depth 1, cv 3)")


def test_eval_rejects_labels_outside_the_taxonomy(tmp_path: Path) -> None:
    gold = tmp_path / "g.jsonl"
    gold.write_text('{"title": "T", "abstract": null, "labels": ["nope"]}\n')
    result = runner.invoke(
        app, ["eval", str(gold), "-t", str(ROOT / "taxonomies" / "video-understanding.yaml")]
    )
    assert result.exit_code == 1 and "g.jsonl:1" in result.output and "`nope`" in result.output


def _library(tmp_path: Path) -> Workspace:
    ws = Workspace(write_workspace(tmp_path / "ws"))
    sports = [
        Paper(
            id=f"s{i}",
            arxiv_id=f"2501.0000{i}",
            title=f"Video model number {i} for stadium clips",
            abstract=f"We analyse stadium video clips of match {i} with a video model.",
        )
        for i in range(9)
    ]
    other = [
        Paper(id=f"o{i}", title=f"Long video memory {i}", abstract=f"A memory for long videos, number {i}.")
        for i in range(9)
    ]
    probe = Paper(
        id="probe", title="A video model for stadium clips", abstract="Stadium video clips, analysed."
    )
    ws.save_papers([*sports, *other, probe])
    return ws


def test_human_labels_win_and_train_the_classifier(tmp_path: Path) -> None:
    ws = _library(tmp_path)
    classify_workspace(ws)
    assert ws.load_labels()["probe"].labels[0].node != "app-sports"  # no word of the node's text
    for i in range(9):
        decide(ws, f"2501.0000{i}v2", ["app-sports"], by="alice")  # found by arXiv id with version
        decide(ws, f"o{i}", ["remember-offline"], by="alice")
    report = classify_workspace(ws, relabel=True)
    assert report.human == 18
    assert ws.load_labels()["probe"].labels[0].node == "app-sports"  # learnt from the human labels
    decisions = ws.load_decisions()
    assert decisions["s0"].model == "alice" and decisions["s0"].labels[0].confidence == 1.0


def test_label_errors_are_clear(tmp_path: Path) -> None:
    ws = _library(tmp_path)
    with pytest.raises(SurveyorError, match="`nope` is not a node") as err:
        decide(ws, "s1", ["nope"])
    assert "watch-fine" in (err.value.hint or "")
    with pytest.raises(SurveyorError, match="no paper `zz`"):
        decide(ws, "zz", ["watch-fine"])
    result = runner.invoke(
        app, ["label", "s1", "-w", str(ws.root), "--out-of-scope", "--reason", "not video"]
    )
    assert result.exit_code == 0 and "out of scope" in result.output
    assert ws.load_decisions()["s1"].reason == "not video"


def test_review_walks_the_queue_and_saves_each_answer(tmp_path: Path) -> None:
    ws = _library(tmp_path)
    (ws.root / "surveyor.toml").write_text(
        (ws.root / "surveyor.toml").read_text() + "[classify]\nreview_below = 1.0\n"
    )
    ws = Workspace(ws.root)
    classify_workspace(ws)
    queue = review_queue(ws)
    assert len(queue) == 19 and all("confidence" in item.why for item in queue)
    first, second, third = (item.paper.id for item in queue[:3])
    # a typo at the node prompt asks again; an empty answer goes back to the choice (tests/
    # test_nothing_lost.py drives the same command in a real terminal)
    answers = "a\no\nnot video\nc\nnot-a-node\n\ns\nq\n"
    result = runner.invoke(app, ["review", "-w", str(ws.root), "--by", "bob"], input=answers)
    assert result.exit_code == 0, result.output
    decisions = ws.load_decisions()
    assert decisions[first].labels and decisions[first].model == "bob"
    assert decisions[second].out_of_scope and decisions[second].reason == "not video"
    assert third not in decisions and "`not-a-node` is not a node" in result.output
    assert "2 decisions saved" in result.output and len(review_queue(ws)) == 17


@pytest.mark.skipif(
    not (DEV / "dev_llms4video.jsonl").is_file(), reason="dev set not beside the repo (../shared/data)"
)
@pytest.mark.slow
def test_dev_set_accuracy_does_not_regress(tmp_path: Path) -> None:
    """Guards the figures in benchmarks/README.md (each a little below what was measured)."""
    tax = tmp_path / "dev.yaml"
    tax.write_text(convert(DEV / "dev_llms4video_taxonomy.yaml", ["1", "2"]))
    from surveyor.evaluate import evaluate

    zero = evaluate(DEV / "dev_llms4video.jsonl", tax, depth=2)
    assert zero["micro_f1"] >= 0.30 and zero["macro_f1"] >= 0.22
    cv = evaluate(DEV / "dev_llms4video.jsonl", tax, depth=2, cv=5)
    assert cv["micro_f1"] >= 0.57


@pytest.mark.skipif(
    not (DEV / "dev_llms4video.jsonl").is_file(), reason="dev set not beside the repo (../shared/data)"
)
@pytest.mark.slow
def test_dev_set_confidences_stay_calibrated(tmp_path: Path) -> None:
    """Guards the calibration figures in benchmarks/README.md (`benchmarks/calibration_dev.py`,
    leaf: Brier 0.253, ECE 0.067): a confidence says how often such a label is right."""
    from surveyor.evaluate import load_gold, predict
    from surveyor.taxonomy import load_taxonomy

    tax = tmp_path / "dev.yaml"
    tax.write_text(convert(DEV / "dev_llms4video_taxonomy.yaml", ["1", "2"]))
    taxonomy = load_taxonomy(tax)
    gold = load_gold(DEV / "dev_llms4video.jsonl", taxonomy)
    predicted, _ = predict(gold, tax, "offline", 5)
    pairs = []
    for g in gold:
        facets = {taxonomy.facet_of(x) for x in g.labels}
        for label in predicted[g.paper.id]:
            if taxonomy.facet_of(label.node) in facets | {None}:
                pairs.append((label.confidence, label.node in g.labels))
    bins: dict[int, list[tuple[float, bool]]] = {}
    for conf, right in pairs:
        bins.setdefault(min(9, int(conf * 10)), []).append((conf, right))
    ece = sum(abs(sum(c for c, _ in b) - sum(r for _, r in b)) for b in bins.values()) / len(pairs)
    brier = sum((c - r) ** 2 for c, r in pairs) / len(pairs)
    assert len(pairs) >= 150 and ece <= 0.09 and brier <= 0.26
