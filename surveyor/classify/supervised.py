"""Supervised part of the offline classifier: learns from labelled examples, per level of the tree.

Input: example papers with node labels, their TF-IDF vectors. Output, for a new paper's vector:
the probability of each top-level node (one-vs-rest, each with a decision threshold) and, for each
internal node, a distribution over its children (one multinomial model per parent node, trained on
the examples beneath it). `thresholds` tunes each top-level node's cut-off by stratified
cross-validation on that node; `split` gives the folds the offline classifier calibrates on.
Fitting runs with one BLAS thread.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from ..taxonomy import Taxonomy
from .base import Example

C = 1.0  # inverse regularisation: chosen by 5-fold CV on the dev set among 0.3, 1, 3, 10
MIN_EXAMPLES = 8  # fewer labelled papers than this: zero-shot only
THRESHOLDS = np.arange(0.1, 0.9, 0.05)
FOLDS = 3  # cross-validation folds (thresholds, calibration)
DEFAULT_CUT = 0.5  # a top-level threshold with nothing to tune it on


def _model() -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=2000)


def _child(path: list[str], parent: str | None) -> str | None:
    """The child of `parent` on `path` (a root-to-label path; None if not beneath it)."""
    if parent is None:
        return path[0]
    if parent in path and path.index(parent) + 1 < len(path):
        return path[path.index(parent) + 1]
    return None


def tune_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The probability cut-off that maximises F1 on held-out predictions."""

    def f1(cut: float) -> float:
        predicted = scores >= cut
        tp = float((predicted & truth).sum())
        return 2 * tp / (predicted.sum() + truth.sum()) if tp else 0.0

    return float(max(THRESHOLDS, key=lambda cut: (f1(cut), -abs(cut - 0.5))))


@dataclass
class Targets:
    """What each model learns: per top-level node, whether each example lies beneath it; per
    parent node, the rows of the examples beneath it and the child each one goes to."""

    top: dict[str, np.ndarray]
    local: dict[str, tuple[list[int], list[str]]]

    def subset(self, rows: np.ndarray) -> Targets:
        """The targets of the examples at `rows` (renumbered 0..len(rows)-1)."""
        where = {int(r): i for i, r in enumerate(rows)}
        local = {}
        for nid, (idx, ys) in self.local.items():
            kept = [(where[r], y) for r, y in zip(idx, ys, strict=True) if r in where]
            local[nid] = ([i for i, _ in kept], [y for _, y in kept])
        return Targets({nid: y[rows] for nid, y in self.top.items()}, local)


def targets(taxonomy: Taxonomy, examples: Sequence[Example]) -> Targets:
    """The targets of every model (see `Targets`), from each example's label paths."""
    path_of = {n.id: taxonomy.ancestors(n.id) for n in taxonomy.iter_nodes()}
    paths = [[path_of[lab] for lab in e.labels] for e in examples]
    tops = [{p[0] for p in ps} for ps in paths]
    top = {n.id: np.array([n.id in t for t in tops], dtype=bool) for n in taxonomy.nodes}
    local: dict[str, tuple[list[int], list[str]]] = {}
    for node in taxonomy.iter_nodes():
        if not node.children:
            continue
        rows, ys = [], []
        for i, ps in enumerate(paths):
            below = sorted({c for p in ps if (c := _child(p, node.id))})
            if below:
                rows.append(i)
                ys.append(below[0])
        local[node.id] = (rows, ys)
    return Targets(top, local)


Scores = tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]  # top, per-parent children


class Supervised:
    """Top-level one-vs-rest models with thresholds, and one child model per parent node."""

    def __init__(
        self, taxonomy: Taxonomy, vectors: sparse.csr_matrix, goals: Targets, cuts: dict[str, float]
    ) -> None:
        """Fit every model to `goals` on the examples' `vectors`; `cuts` are the top-level
        thresholds (see `thresholds`)."""
        self.taxonomy = taxonomy
        self.top: dict[str, tuple[LogisticRegression | None, float, float]] = {}
        self.local: dict[str, LogisticRegression | str] = {}
        with warnings.catch_warnings(), threadpool_limits(1, "blas"):
            # One BLAS thread: L-BFGS works on short vectors, where threads only contend (measured:
            # 21 s of CPU instead of 3 s training on 4,900 examples on a loaded 2-core machine).
            warnings.simplefilter("ignore", ConvergenceWarning)
            for nid, y in goals.top.items():
                positives = int(y.sum())
                if positives in (0, len(y)):
                    self.top[nid] = (None, float(positives > 0), DEFAULT_CUT)
                else:
                    self.top[nid] = (_model().fit(vectors, y), 0.0, cuts.get(nid, DEFAULT_CUT))
            for nid, (rows, ys) in goals.local.items():
                if len(set(ys)) >= 2:
                    self.local[nid] = _model().fit(vectors[rows], ys)
                elif ys:
                    self.local[nid] = ys[0]

    def top_scores(self, X: sparse.csr_matrix) -> dict[str, tuple[np.ndarray, float]]:
        """Per top-level node: probabilities for each row, and its decision threshold."""
        out = {}
        for nid, (model, constant, cut) in self.top.items():
            probs = model.predict_proba(X)[:, 1] if model is not None else np.full(X.shape[0], constant)
            out[nid] = (probs, cut)
        return out

    def child_scores(self, node_id: str, X: sparse.csr_matrix) -> dict[str, np.ndarray] | None:
        """Per child of `node_id`: probabilities for each row (None when there is nothing learnt)."""
        model = self.local.get(node_id)
        if model is None:
            return None
        if isinstance(model, str):
            return {
                c.id: np.full(X.shape[0], float(c.id == model)) for c in self.taxonomy.node(node_id).children
            }
        probs = model.predict_proba(X)
        learnt = {cls: probs[:, j] for j, cls in enumerate(model.classes_)}
        return {c.id: learnt.get(c.id, np.zeros(X.shape[0])) for c in self.taxonomy.node(node_id).children}

    def all_child_scores(self, X: sparse.csr_matrix) -> dict[str, dict[str, np.ndarray]]:
        """Every parent node's child probabilities for each row (parents with nothing learnt left out)."""
        out = {}
        for node in self.taxonomy.iter_nodes():
            if node.children and (scores := self.child_scores(node.id, X)) is not None:
                out[node.id] = scores
        return out


def split(goals: Targets) -> list[tuple[np.ndarray, np.ndarray]]:
    """`FOLDS` (train, test) row splits of the examples for cross-validation, stratified by each
    example's rarest top-level node, so a rare branch is held out in every fold."""
    n = len(next(iter(goals.top.values()), []))
    counts = {nid: int(y.sum()) for nid, y in goals.top.items()}
    strata = [
        min((nid for nid, y in goals.top.items() if y[i]), key=lambda k: (counts[k], k), default="")
        for i in range(n)
    ]
    splitter = StratifiedKFold(min(FOLDS, n), shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a stratum smaller than the number of folds
        return list(splitter.split(np.zeros(n), strata))


def thresholds(vectors: sparse.csr_matrix, goals: Targets) -> dict[str, float]:
    """Per top-level node, the cut-off that maximises F1 on probabilities held out by stratified
    cross-validation on that node's own positives (folds: up to 3, at most the positives or
    negatives; a node with fewer than 2 of either keeps `DEFAULT_CUT`)."""
    out = {}
    with warnings.catch_warnings(), threadpool_limits(1, "blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for nid, y in goals.top.items():
            positives = int(y.sum())
            folds = min(FOLDS, positives, len(y) - positives)
            if folds < 2:
                continue
            probs = np.zeros(len(y))
            for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(vectors, y):
                probs[test] = _model().fit(vectors[train], y[train]).predict_proba(vectors[test])[:, 1]
            out[nid] = tune_threshold(probs, y)
    return out
