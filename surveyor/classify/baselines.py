"""Reference baselines, registered as backends so `surveyor eval` measures them like any other.

- `tfidf-cosine` (zero-shot): TF-IDF (sublinear tf, English stop words) cosine between a paper's
  title + abstract and each node's name + description; the single most similar node.
- `tfidf-logreg` (supervised): the same TF-IDF with one-vs-rest logistic regression over the
  examples' labels; every label with probability >= 0.5, else the most probable one.
Input: taxonomy, examples, papers. Output: verdicts with labels only.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from ..errors import SurveyorError
from ..models import Label, Paper, Verdict
from ..taxonomy import Taxonomy
from .base import Classifier, Context, Example, register


def _text(paper: Paper) -> str:
    return f"{paper.title or ''} {paper.abstract or ''}"


class TfidfCosine:
    """Zero-shot baseline: most similar node by TF-IDF cosine."""

    backend = "tfidf-cosine"
    model = "baseline"
    prompt_hash: str | None = None

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.ids = [n.id for n in taxonomy.iter_nodes()]
        self.node_texts = [f"{n.name} {n.description}" for n in taxonomy.iter_nodes()]

    def classify(self, papers: Sequence[Paper]) -> Iterator[tuple[str, Verdict]]:
        """Top-1 node per paper."""
        vec = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit(
            [_text(p) for p in papers] + self.node_texts
        )
        sims = (vec.transform([_text(p) for p in papers]) @ vec.transform(self.node_texts).T).toarray()
        for paper, row in zip(papers, sims, strict=True):
            best = int(np.argmax(row))
            yield paper.id, Verdict(labels=[Label(node=self.ids[best], confidence=float(row[best]))])


class TfidfLogreg:
    """Supervised baseline: one-vs-rest logistic regression over the examples' labels."""

    backend = "tfidf-logreg"
    model = "baseline"
    prompt_hash: str | None = None

    def __init__(self, examples: Sequence[Example]) -> None:
        self.examples = [e for e in examples if e.labels]
        if not self.examples:
            raise SurveyorError(
                "backend tfidf-logreg learns from labelled papers and there are none",
                "label some papers, or measure it with `surveyor eval --cv K`",
            )
        self.labels = sorted({lab for e in self.examples for lab in e.labels})

    def classify(self, papers: Sequence[Paper]) -> Iterator[tuple[str, Verdict]]:
        """Labels with probability >= 0.5, else the most probable one."""
        vec = TfidfVectorizer(sublinear_tf=True, stop_words="english")
        X = vec.fit_transform([_text(e.paper) for e in self.examples])
        Xt = vec.transform([_text(p) for p in papers])
        probs = np.zeros((len(papers), len(self.labels)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for j, label in enumerate(self.labels):
                y = [label in e.labels for e in self.examples]
                if all(y) or not any(y):
                    probs[:, j] = float(all(y))
                    continue
                probs[:, j] = LogisticRegression(max_iter=1000).fit(X, y).predict_proba(Xt)[:, 1]
        for paper, row in zip(papers, probs, strict=True):
            picked = [j for j in range(len(self.labels)) if row[j] >= 0.5] or [int(np.argmax(row))]
            labels = [Label(node=self.labels[j], confidence=float(row[j])) for j in picked]
            yield paper.id, Verdict(labels=labels)


@register("tfidf-cosine")
def _cosine(taxonomy: Taxonomy, examples: Sequence[Example], ctx: Context) -> Classifier:
    return TfidfCosine(taxonomy)


@register("tfidf-logreg")
def _logreg(taxonomy: Taxonomy, examples: Sequence[Example], ctx: Context) -> Classifier:
    return TfidfLogreg(examples)
