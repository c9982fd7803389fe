"""The built-in offline classifier (v2): zero-shot from the taxonomy's text, supervised from
labelled examples when there are enough, decided top-down through the tree.

Input: a taxonomy, labelled examples (human decisions, imported labels, the taxonomy's
`examples`), papers. Output: per paper, labels (node, confidence, the sentence that supports it)
or `out_of_scope` with a reason; the paper type, method name and benchmarks it evaluates on.

How a paper is placed:
1. Scope: the taxonomy's `scope` keywords must be mentioned `min_mentions` times.
2. Top-level branches: with examples, one-vs-rest models with thresholds tuned by inner CV;
   without, the most similar branch (a branch is as similar as its best-matching node; benchmark
   and dataset papers go to the data branch, other papers to the rest) plus any branch nearly as
   similar.
3. Facets: a paper placed in one facet is placed in its sibling facets too (parallel views).
4. Descent: at each node, the best child (the only one inside a facet; outside, any child nearly
   as good too), scored by the child model's probability plus the zero-shot similarity.
Confidences: with 30 or more labelled papers, raw path scores are mapped to the share of labels
that were right in cross-validation on those papers (isotonic regression), so 0.7 means about
7 in 10 such labels are right. Zero-shot confidences have no data behind them: they rank labels
(a clear winner among siblings scores higher) but are not probabilities.
Deterministic, and a verdict never depends on the other papers being classified.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression

from ..extract.benchmarks import Gazetteer, relations, shipped_entries
from ..extract.papers import paper_type, title_name
from ..models import Label, Paper, Verdict
from ..taxonomy import Node, Taxonomy
from ..text import sentences
from .base import Classifier, Context, Example, register
from .features import TextSpace, Words, is_data_node, node_text, paper_text
from .supervised import MIN_EXAMPLES, Supervised, Targets, split, targets, thresholds

MODEL = "offline-v2"
NEAR_BEST = 0.85  # a further branch or child is taken when it scores this share of the best
ZERO_SHOT_WEIGHT = 0.5  # weight of the zero-shot similarity beside a child model's probability
MIN_SIMILARITY = 0.01  # a paper sharing less with every node fits nowhere
CHUNK = 512
CALIBRATION_MIN = 30  # labelled papers needed before confidences are calibrated on them


class OfflineClassifier:
    """Zero-shot plus supervised, top-down; see the module docstring."""

    backend = "offline"
    model = MODEL
    prompt_hash: str | None = None

    def __init__(self, taxonomy: Taxonomy, examples: Sequence[Example] = (), calibrate: bool = True) -> None:
        self.taxonomy = taxonomy
        usable = [e for e in examples if e.labels and e.paper.has_text]
        words = Words(remember=True)  # the examples' words are found once for every space fitted here
        self.space = TextSpace(taxonomy, [e.paper for e in usable], MIN_EXAMPLES, words)
        self.gazetteer = Gazetteer(shipped_entries())
        scope = taxonomy.scope
        self.scope_re = _scope_regex(scope.keywords) if scope and scope.keywords else None
        self.min_mentions = scope.min_mentions if scope else 0
        self.leaf_vectors = self.space.vectors([node_text(n) for n in taxonomy.iter_nodes()])
        index = self.space.index
        self.descendants = [
            (index[n.id], [index[d] for d in _descendants(n)]) for n in taxonomy.iter_nodes() if n.children
        ]
        self.supervised: Supervised | None = None
        self.calibrator: IsotonicRegression | None = None
        if len(usable) >= MIN_EXAMPLES:
            vectors = self.space.vectors([paper_text(e.paper) for e in usable])
            goals = targets(taxonomy, usable)
            cuts = thresholds(vectors, goals)
            self.supervised = Supervised(taxonomy, vectors, goals, cuts)
            if calibrate and len(usable) >= CALIBRATION_MIN:
                self.calibrator = self._calibration(usable, goals, cuts, words)
        words.forget()

    def _calibration(
        self, examples: list[Example], goals: Targets, cuts: dict[str, float], words: Words
    ) -> IsotonicRegression | None:
        """Map raw confidences to the share of labels that were right, from cross-validated
        predictions on the examples: per fold, a text space and models trained on the other folds
        (the thresholds are the full models'); a label in a facet the example is not in is not
        counted."""
        raw: list[float] = []
        right: list[bool] = []
        texts = [paper_text(e.paper) for e in examples]
        facet_of = {n.id: self.taxonomy.facet_of(n.id) for n in self.taxonomy.iter_nodes()}
        for train, test in split(goals):
            space = TextSpace(self.taxonomy, [examples[i].paper for i in train], MIN_EXAMPLES, words)
            model = Supervised(
                self.taxonomy, space.vectors([texts[i] for i in train]), goals.subset(train), cuts
            )
            X = space.vectors([texts[i] for i in test])
            sims = self._similarities(X, space)
            top, local = model.top_scores(X), model.all_child_scores(X)
            for row, i in enumerate(test):
                example = examples[i]
                if self._scope_reason(example.paper) or float(sims[row].max(initial=0.0)) < MIN_SIMILARITY:
                    continue  # out of scope: no labels
                truth = set(example.labels)
                facets = {facet_of[t] for t in truth}
                placed = self._placements(
                    sims[row],
                    {nid: (float(p[row]), cut) for nid, (p, cut) in top.items()},
                    {k: {c: float(p[row]) for c, p in v.items()} for k, v in local.items()},
                    None,
                )
                for node, confidence in placed.items():
                    if facet_of[node] is None or facet_of[node] in facets:
                        raw.append(confidence)
                        right.append(node in truth)
        if len(set(right)) < 2:
            return None
        return IsotonicRegression(y_min=0.01, y_max=0.99, out_of_bounds="clip").fit(raw, right)

    def _similarities(self, X: Any, space: TextSpace | None = None) -> np.ndarray:
        """Similarity to each node; a branch scores at least as high as its best-matching descendant,
        so one strong leaf lifts a branch whose pooled text is diluted by unrelated siblings."""
        sims = (space or self.space).similarities(X)
        for j, below in self.descendants:
            sims[:, j] = np.maximum(sims[:, j], sims[:, below].max(axis=1))
        return sims

    def classify(self, papers: Sequence[Paper]) -> Iterator[tuple[str, Verdict]]:
        """Classify papers in vectorised chunks, yielding each verdict."""
        for start in range(0, len(papers), CHUNK):
            chunk = papers[start : start + CHUNK]
            X = self.space.vectors([paper_text(p) for p in chunk])
            sims = self._similarities(X)
            top = self.supervised.top_scores(X) if self.supervised else {}
            local = {}
            if self.supervised:
                for node in self.taxonomy.iter_nodes():
                    if node.children:
                        local[node.id] = self.supervised.child_scores(node.id, X)
            quotes = [_candidates(p) for p in chunk]
            quote_scores = (
                self.space.vectors([q for qs in quotes for q in qs]) @ self.leaf_vectors.T
            ).toarray()
            offset = 0
            for i, paper in enumerate(chunk):
                rows = quote_scores[offset : offset + len(quotes[i])]
                offset += len(quotes[i])
                evidence = Evidence(quotes[i], rows, self.space.index)
                yield (
                    paper.id,
                    self._verdict(
                        paper,
                        sims[i],
                        {k: (v[0][i], v[1]) for k, v in top.items()},
                        {k: {c: p[i] for c, p in v.items()} for k, v in local.items() if v},
                        evidence,
                    ),
                )

    def _verdict(
        self,
        paper: Paper,
        sims: np.ndarray,
        top: dict[str, tuple[float, float]],
        local: dict[str, dict[str, float]],
        evidence: Evidence,
    ) -> Verdict:
        kind = paper_type(paper.title, paper.abstract)
        name = title_name(paper.title)
        own = [name] if name and kind in ("benchmark", "dataset") else []
        evaluated, _ = relations(paper.title, paper.abstract, kind, own, self.gazetteer)
        common: dict[str, Any] = {
            "paper_type": kind,
            "method": name if kind == "method" else None,
            "introduces": own,
            "evaluates_on": [m.name for m in evaluated],
        }
        reason = self._scope_reason(paper)
        if reason is None and float(sims.max(initial=0.0)) < MIN_SIMILARITY:
            reason = "shares no words with any node of the taxonomy"
        if reason:
            return Verdict(out_of_scope=True, reason=reason, **common)
        placed = self._placements(sims, top, local, kind)
        if self.calibrator is not None and placed:
            calibrated = self.calibrator.predict(list(placed.values()))
            placed = {n: float(c) for n, c in zip(placed, calibrated, strict=True)}
        labels = [
            Label(node=n, confidence=round(min(c, 0.99), 3), evidence=evidence.best(n))
            for n, c in sorted(placed.items(), key=lambda x: (-x[1], x[0]))
        ]
        return Verdict(labels=labels, **common)

    def _placements(
        self,
        sims: np.ndarray,
        top: dict[str, tuple[float, float]],
        local: dict[str, dict[str, float]],
        kind: str | None,
    ) -> dict[str, float]:
        """Each node the paper is placed in, with its raw confidence (the product of the choices
        on the path down); `kind`, the paper's type, is needed only without top-level models."""
        sim = {nid: float(sims[j]) for nid, j in self.space.index.items()}
        placed: dict[str, float] = {}
        for branch, confidence in self._branches(sim, top, kind):
            for leaf, conf in self._descend(branch, confidence, sim, local):
                placed[leaf] = max(conf, placed.get(leaf, 0.0))
        return placed

    def _branches(
        self, sim: dict[str, float], top: dict[str, tuple[float, float]], kind: str | None
    ) -> list[tuple[str, float]]:
        tops = self.taxonomy.nodes
        if top:
            chosen = [(t.id, p) for t in tops if (p := top[t.id][0]) >= top[t.id][1]]
            if not chosen:
                best = max(tops, key=lambda t: (top[t.id][0] - top[t.id][1], t.id))
                chosen = [(best.id, top[best.id][0])]
        else:
            data = [t for t in tops if is_data_node(t)]
            rest = [t for t in tops if not is_data_node(t)]
            pool = (data if kind in ("benchmark", "dataset") else rest) or tops
            chosen = _near_best([(t.id, sim[t.id]) for t in pool], multi=True)
        facets = {t.id for t in tops if t.facet}
        if facets & {c for c, _ in chosen}:
            have = {c for c, _ in chosen}
            chosen += [(f, top[f][0] if top else _share(sim, f, facets)) for f in sorted(facets - have)]
        return chosen

    def _descend(
        self, node_id: str, confidence: float, sim: dict[str, float], local: dict[str, dict[str, float]]
    ) -> list[tuple[str, float]]:
        children = self.taxonomy.node(node_id).children
        if not children:
            return [(node_id, confidence)]
        learnt = local.get(node_id)
        weight = ZERO_SHOT_WEIGHT if learnt else 1.0
        scored = [(c.id, (learnt or {}).get(c.id, 0.0) + weight * sim[c.id]) for c in children]
        # Inside a facet a paper takes one label; with child models, the models decide alone (a
        # near-best rule cost 0.04 micro-F1 in 5-fold CV on the dev set).
        single = self.taxonomy.facet_of(node_id) is not None or learnt is not None
        out = []
        for child, conf in _near_best(scored, multi=not single):
            out += self._descend(child, confidence * conf, sim, local)
        return out

    def _scope_reason(self, paper: Paper) -> str | None:
        if self.scope_re is None:
            return None
        hits = len(self.scope_re.findall(paper.abstract or "")) + 2 * len(
            self.scope_re.findall(paper.title or "")
        )
        if hits >= self.min_mentions:
            return None
        terms = ", ".join(self.taxonomy.scope.keywords[:5]) if self.taxonomy.scope else ""
        return f"mentions the scope keywords ({terms}) {hits} time(s); in scope needs {self.min_mentions}"


def _candidates(paper: Paper) -> list[str]:
    """Sentences an evidence quote may be: the title and each abstract sentence, verbatim."""
    return ([paper.title] if paper.title else []) + sentences(paper.abstract or "")


class Evidence:
    """Picks, for a node, the paper's sentence closest to the node's own words."""

    def __init__(self, quotes: list[str], scores: np.ndarray, index: dict[str, int]) -> None:
        self.quotes = quotes
        self.scores = scores  # quotes × nodes
        self.index = index

    def best(self, node_id: str) -> str:
        """The quote for `node_id` ('' when the paper has no text)."""
        if not self.quotes:
            return ""
        return self.quotes[int(np.argmax(self.scores[:, self.index[node_id]]))]


def _descendants(node: Node) -> list[str]:
    return [d for c in node.children for d in (c.id, *_descendants(c))]


def _near_best(scored: list[tuple[str, float]], multi: bool) -> list[tuple[str, float]]:
    """The best (id, score), plus, when `multi`, those within NEAR_BEST of it; each with a confidence
    that is its share of itself plus the strongest competitor."""
    ranked = sorted(scored, key=lambda x: (-x[1], x[0]))
    best = ranked[0][1]
    keep = [ranked[0]] + ([x for x in ranked[1:] if best > 0 and x[1] >= NEAR_BEST * best] if multi else [])
    out = []
    for nid, score in keep:
        rival = max((s for n, s in ranked if n != nid), default=0.0)
        out.append((nid, score / (score + rival) if score + rival > 0 else 1.0))
    return out


def _share(sim: dict[str, float], node: str, group: set[str]) -> float:
    total = sum(sim[g] for g in group)
    return sim[node] / total if total > 0 else 1.0 / len(group)


def _scope_regex(keywords: list[str]) -> re.Pattern[str]:
    words = sorted((re.escape(k.lower()) for k in keywords), key=len, reverse=True)
    return re.compile(rf"(?<![a-z0-9])(?:{'|'.join(words)})(?![a-z0-9])", re.I)


@register("offline")
def _make(taxonomy: Taxonomy, examples: Sequence[Example], ctx: Context) -> Classifier:
    return OfflineClassifier(taxonomy, examples)
