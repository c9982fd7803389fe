"""Grouping papers by their words: TF-IDF over title and abstract, k-means, and the terms that
characterise a group against the rest (class-based TF-IDF), which name it offline.

Input: papers. Output: a TF-IDF matrix and its vocabulary, group labels, characteristic terms, names
and fresh node ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..models import Paper
from ..text import slug

_STOP_EXTRA = frozenset(
    "video videos model models method methods approach propose proposed paper large language llm llms "
    "multimodal based new results performance task tasks framework state art existing".split()
)


def _text(paper: Paper) -> str:
    return f"{paper.display_title}. {paper.display_title}. {paper.abstract or ''}"


def vectorize(papers: Sequence[Paper]) -> tuple[Any, list[str]]:
    """Row-normalised TF-IDF (uni- and bigrams) of every paper, and the vocabulary."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    stop = sorted(set(ENGLISH_STOP_WORDS) | _STOP_EXTRA)
    vec = TfidfVectorizer(
        sublinear_tf=True,
        stop_words=stop,
        min_df=2 if len(papers) >= 20 else 1,
        max_df=0.5 if len(papers) >= 20 else 1.0,
        ngram_range=(1, 2),
        dtype=np.float32,
    )
    matrix = vec.fit_transform([_text(p) for p in papers])
    return matrix, list(vec.get_feature_names_out())


def cluster(matrix: Any, k: int, seed: int = 0) -> np.ndarray:
    """k-means labels over the rows (deterministic for a seed)."""
    from sklearn.cluster import KMeans

    k = max(1, min(k, matrix.shape[0]))
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(matrix)


def keywords(matrix: Any, rows: Sequence[int], vocab: list[str], n: int = 8) -> list[str]:
    """Terms that characterise `rows` against the whole matrix (class-based TF-IDF), best first;
    a unigram already inside a chosen bigram is skipped."""
    inside = np.asarray(matrix[list(rows)].mean(axis=0)).ravel()
    overall = np.asarray(matrix.mean(axis=0)).ravel() + 1e-6
    score = inside * np.log1p(inside / overall)
    out: list[str] = []
    for i in np.argsort(-score):
        term = vocab[i]
        if score[i] <= 0 or len(out) >= n:
            break
        if any(term in t.split() for t in out) or any(t in term.split() for t in out if " " not in t):
            continue
        out.append(term)
    return out


def fresh_id(name: str, used: set[str], fallback: str) -> str:
    """A node id from `name` (a slug of its first words) not in `used`, which it joins."""
    base = slug(name, 4) or fallback
    node_id, n = base, 2
    while node_id in used:
        node_id, n = f"{base}-{n}", n + 1
    used.add(node_id)
    return node_id
