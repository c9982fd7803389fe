"""The built-in offline classifier (v0): weighted term and phrase overlap with each node's text.

Input: a taxonomy, optional labelled examples, and papers. Output: per paper, up to three labels
(node, confidence, the sentence that supports it) or `out_of_scope` with a reason; the paper type
and method name from the title. Deterministic: the same paper and taxonomy give the same verdict,
whatever else is in the library.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from ..extract.benchmarks import Gazetteer, relations, shipped_entries
from ..extract.papers import paper_type, title_name
from ..models import Label, Paper, Verdict
from ..taxonomy import Node, Taxonomy
from ..text import sentences
from .base import Classifier, Example, register

MODEL = "offline-v1"
_STOPWORDS = """
a an and are as at be by for from has have in into is it its of on or our that the their this to
we with which these those via using use based new can more than such also both while not over
across between without within how what when where who whose both each other they them propose
proposed present introduce show shows paper work approach method methods model models large
language multimodal llm llms mllm mllms
"""
_STOP = frozenset(_STOPWORDS.split())
NAME_W, KEYWORD_W, DESC_W, PARENT_W, EXAMPLE_W = 3.0, 3.0, 1.0, 1.0, 0.5
PARENT_CONTEXT = 0.5  # share of the parent's score a leaf inherits
SECOND_LABEL_RATIO = 0.8  # a further label needs this share of the best score
MIN_SCORE = 0.02  # below this, nothing fits
MAX_LABELS = 3


def stem(word: str) -> str:
    """A light suffix stripper: plurals and -ing forms meet their stems."""
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Stemmed word tokens (hyphenated words also yield their parts)."""
    out: list[str] = []
    for word in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower()):
        out.append(stem(word))
        if "-" in word:
            out.extend(stem(p) for p in word.split("-") if p)
    return out


def phrase_key(phrase: str) -> str:
    """How a multi-word keyword is matched: its stemmed words joined by spaces."""
    return " ".join(stem(w) for w in re.findall(r"[a-z0-9]+", phrase.lower()))


def count_phrases(words: list[str], phrases: set[str]) -> Counter[str]:
    """How often each multi-word phrase occurs in the word sequence."""
    found: Counter[str] = Counter()
    plain = [w for w in words if "-" not in w]
    for n in {len(p.split()) for p in phrases}:
        for i in range(len(plain) - n + 1):
            gram = " ".join(plain[i : i + n])
            if gram in phrases:
                found[gram] += 1
    return found


class OfflineClassifier:
    """Scores every leaf by weighted overlap with its profile, plus a share of its parent's."""

    backend = "offline"
    model = MODEL
    prompt_hash: str | None = None

    def __init__(self, taxonomy: Taxonomy, examples: Sequence[Example] = ()) -> None:
        self.taxonomy = taxonomy
        self.profiles = {n.id: self._profile(n, examples) for n in taxonomy.iter_nodes()}
        self.phrases = {t for p in self.profiles.values() for t in p if " " in t}
        df = Counter(t for p in self.profiles.values() for t in p)
        total = len(self.profiles)
        self.spec = {t: math.log((total + 1) / (c + 0.5)) for t, c in df.items()}
        self.norms = {
            nid: math.sqrt(sum((w * self.spec[t]) ** 2 for t, w in p.items())) or 1.0
            for nid, p in self.profiles.items()
        }
        self.gazetteer = Gazetteer(shipped_entries())
        scope = taxonomy.scope
        self.scope_terms = {phrase_key(k) for k in scope.keywords} if scope else set()
        self.min_mentions = scope.min_mentions if scope else 0

    def _profile(self, node: Node, examples: Sequence[Example]) -> dict[str, float]:
        weights: defaultdict[str, float] = defaultdict(float)
        for word in tokens(node.name):
            weights[word] += NAME_W
        for keyword in node.keywords:
            key = phrase_key(keyword)
            weights[key] += KEYWORD_W
        for word in tokens(node.description):
            weights[word] += DESC_W
        parent = self.taxonomy.parent(node.id)
        if parent is not None:
            for word in tokens(self.taxonomy.node(parent).name):
                weights[word] += PARENT_W
        mine = [e.paper for e in examples if node.id in e.labels]
        for paper in mine:
            for word, count in Counter(tokens(paper.title or "")).items():
                weights[word] += EXAMPLE_W * count / len(mine)
        return {t: w for t, w in weights.items() if t not in _STOP and len(t) > 1}

    def _paper_vector(self, paper: Paper) -> dict[str, float]:
        counts: defaultdict[str, float] = defaultdict(float)
        for text, weight in ((paper.title or "", 2.0), (paper.abstract or "", 1.0)):
            words = tokens(text)
            for term, n in (Counter(words) + count_phrases(words, self.phrases)).items():
                counts[term] += weight * n
        return {t: 1.0 + math.log(n) for t, n in counts.items() if t not in _STOP}

    def scores(self, paper: Paper) -> dict[str, float]:
        """Cosine-like similarity of the paper to every node, leaves boosted by their parent's."""
        vec = self._paper_vector(paper)
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        raw = {}
        for nid, profile in self.profiles.items():
            dot = sum(vec[t] * w * self.spec[t] ** 2 for t, w in profile.items() if t in vec)
            raw[nid] = dot / (norm * self.norms[nid])
        out = {}
        for nid, value in raw.items():
            parent = self.taxonomy.parent(nid)
            out[nid] = value + (PARENT_CONTEXT * raw[parent] if parent else 0.0)
        return out

    def _scope_reason(self, paper: Paper) -> str | None:
        if not self.scope_terms:
            return None
        words = tokens(paper.abstract or "")
        title = tokens(paper.title or "")
        hits = sum(w in self.scope_terms for w in words) + 2 * sum(w in self.scope_terms for w in title)
        hits += sum(count_phrases(words, self.scope_terms).values())
        if hits >= self.min_mentions:
            return None
        terms = ", ".join(sorted(self.scope_terms)[:5])
        return f"mentions the scope keywords ({terms}) {hits} time(s); in scope needs {self.min_mentions}"

    def evidence(self, paper: Paper, node_id: str) -> str:
        """The title or abstract sentence that shares the most weighted terms with the node."""
        profile = self.profiles[node_id]
        best, best_score = paper.title or "", -1.0
        for sentence in ([paper.title] if paper.title else []) + sentences(paper.abstract or ""):
            words = tokens(sentence)
            found = Counter(words) + count_phrases(words, self.phrases)
            score = sum(profile.get(t, 0.0) * self.spec.get(t, 0.0) for t in found)
            if score > best_score:
                best, best_score = sentence, score
        return best

    def verdict(self, paper: Paper) -> Verdict:
        """Classify one paper."""
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
        if reason:
            return Verdict(out_of_scope=True, reason=reason, **common)
        scores = self.scores(paper)
        leaves = sorted(
            ((s, n.id) for n in self.taxonomy.leaves() if (s := scores[n.id]) >= MIN_SCORE),
            key=lambda x: (-x[0], x[1]),
        )
        if not leaves:
            return Verdict(out_of_scope=True, reason="no node of the taxonomy fits", **common)
        return Verdict(labels=self._pick(paper, leaves), **common)

    def _pick(self, paper: Paper, leaves: list[tuple[float, str]]) -> list[Label]:
        best = leaves[0][0]
        chosen: list[tuple[float, str]] = []
        used_tops: set[str] = set()
        for score, nid in leaves:
            top = self.taxonomy.ancestors(nid)[0]
            if chosen and (score < SECOND_LABEL_RATIO * best or top in used_tops):
                continue
            chosen.append((score, nid))
            used_tops.add(top)
            if len(chosen) == MAX_LABELS:
                break
        runner_up = next((s for s, n in leaves if n != chosen[0][1]), 0.0)
        margin = (best - runner_up) / best if best else 0.0
        labels = []
        for score, nid in chosen:
            confidence = (score / (score + 0.1)) * (0.6 + 0.4 * margin) * (score / best) ** 0.5
            labels.append(
                Label(
                    node=nid,
                    confidence=round(min(confidence, 0.99), 3),
                    evidence=self.evidence(paper, nid),
                )
            )
        return labels

    def classify(self, papers: Sequence[Paper]) -> Iterator[tuple[str, Verdict]]:
        """Classify each paper in turn."""
        for paper in papers:
            yield paper.id, self.verdict(paper)


@register("offline")
def _make(taxonomy: Taxonomy, examples: Sequence[Example]) -> Classifier:
    return OfflineClassifier(taxonomy, examples)
