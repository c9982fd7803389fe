"""The papers that define each node for the model: a few titles the author filed there.

Input: labelled examples (human decisions, the taxonomy's `examples` ids) and how many per node.
Output: per node id, up to k examples, most typical first. Typical means nearest to the centroid of
the node's papers (TF-IDF over title and abstract), papers filed under one node of that view before
papers filed under several. The choice depends only on the labels, never on the run or the order
the labels came in, so the system prompt built from it stays byte-identical between runs (and
cached by providers) until the labels change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ..taxonomy import Taxonomy
from ..text import clean_space
from .base import Example

TITLE_CHARS = 160  # a longer title is cut (with "…") in the prompt


def _text(ex: Example) -> str:
    return f"{ex.paper.title or ''} {ex.paper.title or ''} {ex.paper.abstract or ''}"


def _typicality(group: list[Example]) -> list[float]:
    """Cosine of each example to the group's centroid (1.0 each for a group of one or two)."""
    if len(group) <= 2:
        return [1.0] * len(group)
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer  # slow to load: only when needed

    try:
        matrix = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(map(_text, group))
    except ValueError:  # nothing but stop words
        return [1.0] * len(group)
    centroid = np.asarray(matrix.mean(axis=0)).ravel()
    norm = float(np.linalg.norm(centroid)) or 1.0
    return [round(float(s), 6) for s in (matrix @ centroid) / norm]


def representatives(examples: Sequence[Example], taxonomy: Taxonomy, k: int) -> dict[str, list[Example]]:
    """Up to `k` typical examples per node (see the module docstring); nodes without any are absent."""
    if k <= 0:
        return {}
    by_node: dict[str, dict[str, Example]] = defaultdict(dict)
    for ex in examples:
        if not (ex.paper.title or "").strip():
            continue
        for node in ex.labels:
            if node in taxonomy:
                by_node[node].setdefault(ex.paper.id, ex)
    out: dict[str, list[Example]] = {}
    for node, members in sorted(by_node.items()):
        group = sorted(members.values(), key=lambda e: e.paper.id)
        view = taxonomy.facet_of(node)
        crowded = [sum(taxonomy.facet_of(x) == view for x in ex.labels if x in taxonomy) > 1 for ex in group]
        scores = _typicality(group)
        order = sorted(range(len(group)), key=lambda i: (crowded[i], -scores[i], group[i].paper.id))
        out[node] = [group[i] for i in order[:k]]
    return out


def title_line(ex: Example) -> str:
    """The example's title as it goes into the prompt: one line, quoted, cut at TITLE_CHARS."""
    title = clean_space(ex.paper.title or "")
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rstrip() + "…"
    return f'"{title}"'
