"""Supervised part of the offline classifier: learns from labelled examples, per level of the tree.

Input: example papers with node labels, their TF-IDF vectors. Output, for a new paper's vector:
the probability of each top-level node (one-vs-rest, each with a threshold tuned by inner
cross-validation on the examples) and, for each internal node, a distribution over its children
(one multinomial model per parent node, trained on the examples beneath it).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ..taxonomy import Taxonomy
from .base import Example

C = 1.0  # inverse regularisation: chosen by 5-fold CV on the dev set among 0.3, 1, 3, 10
MIN_EXAMPLES = 8  # fewer labelled papers than this: zero-shot only
THRESHOLDS = np.arange(0.1, 0.9, 0.05)


def _model() -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=2000)


def child_on_path(taxonomy: Taxonomy, label: str, parent: str | None) -> str | None:
    """The child of `parent` on the path from the root to `label` (None if not beneath it)."""
    path = taxonomy.ancestors(label)
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


class Supervised:
    """Top-level one-vs-rest models with tuned thresholds, and one child model per parent node."""

    def __init__(self, taxonomy: Taxonomy, examples: Sequence[Example], vectors: sparse.csr_matrix) -> None:
        self.taxonomy = taxonomy
        self.top: dict[str, tuple[LogisticRegression | None, float, float]] = {}
        self.local: dict[str, LogisticRegression | str] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self._fit_top(examples, vectors)
            self._fit_local(examples, vectors)

    def _fit_top(self, examples: Sequence[Example], X: sparse.csr_matrix) -> None:
        for node in self.taxonomy.nodes:
            y = np.array(
                [node.id in {child_on_path(self.taxonomy, lab, None) for lab in e.labels} for e in examples]
            )
            positives = int(y.sum())
            if positives == 0 or positives == len(y):
                self.top[node.id] = (None, float(positives > 0), 0.5)
                continue
            cut = 0.5
            folds = min(3, positives, len(y) - positives)
            if folds >= 2:
                cv = StratifiedKFold(folds, shuffle=True, random_state=0)
                held_out = cross_val_predict(_model(), X, y, cv=cv, method="predict_proba")[:, 1]
                cut = tune_threshold(held_out, y)
            self.top[node.id] = (_model().fit(X, y), 0.0, cut)

    def _fit_local(self, examples: Sequence[Example], X: sparse.csr_matrix) -> None:
        for node in self.taxonomy.iter_nodes():
            if not node.children:
                continue
            rows, targets = [], []
            for i, example in enumerate(examples):
                below = sorted(
                    {c for lab in example.labels if (c := child_on_path(self.taxonomy, lab, node.id))}
                )
                if below:
                    rows.append(i)
                    targets.append(below[0])
            if len(set(targets)) >= 2:
                self.local[node.id] = _model().fit(X[rows], targets)
            elif targets:
                self.local[node.id] = targets[0]

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
