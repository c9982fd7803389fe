"""Few-shot examples for the LLM: the k labelled papers most similar to the one being classified.

Input: labelled examples. Output: for a paper, up to k examples by TF-IDF cosine (ties by id),
never the paper itself. scikit-learn is loaded only when there are examples (a zero-shot run starts
without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..models import Paper
from .base import Example

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer


def _text(paper: Paper) -> str:
    return f"{paper.title or ''} {paper.abstract or ''}"


class FewShot:
    """Nearest labelled papers by TF-IDF cosine."""

    def __init__(self, examples: Sequence[Example], k: int) -> None:
        self.examples = sorted(examples, key=lambda e: e.paper.id)
        self.k = k
        self.vectorizer: TfidfVectorizer | None = None
        if self.examples and k:
            from sklearn.feature_extraction.text import TfidfVectorizer  # slow to load: only when needed

            self.vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english")
            self.matrix = self.vectorizer.fit_transform([_text(e.paper) for e in self.examples])

    def nearest(self, paper: Paper) -> list[Example]:
        """Up to k examples most like `paper`."""
        if self.vectorizer is None:
            return []
        import numpy as np

        scores = np.asarray((self.matrix @ self.vectorizer.transform([_text(paper)]).T).todense()).ravel()
        order = sorted(range(len(self.examples)), key=lambda i: (-scores[i], self.examples[i].paper.id))
        return [self.examples[i] for i in order if self.examples[i].paper.id != paper.id][: self.k]
