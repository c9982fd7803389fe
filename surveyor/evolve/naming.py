"""A name for a group of papers that reads as a taxonomy node's name: a noun phrase from their titles.

Input: the group's titles, every title of the library (the background), and the group's keywords
(best first). Output: a phrase of one to three words that several of the group's titles use and
the rest of the library uses less ("Temporal Grounding", "Video Anomaly Detection"), in the case the
titles write it; the best keyword when no phrase is shared. A title's part before a colon is a
method's name ("VideoAgent: ..."), not a topic, and is skipped. Phrases do not start or end with a
stop word or open a title with an -ing form ("Localizing moments ...": a verb); longer phrases rank
higher, one ending in an adjective ("Defeasible and versatile") lower, and a lone adjective takes the
noun the titles most often put after it. Pure.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

MAX_WORDS = 3
SMALL = frozenset("a an and as at by for from in of on or the to via with".split())
# generic words a node name does not start or end with
GENERIC = frozenset(
    "video videos model models method methods approach paper large language llm llms multimodal new "
    "towards toward using based study framework learning efficient effective simple improving".split()
)
ADJECTIVE_ENDINGS = ("ive", "ous", "able", "ible", "ful", "less", "ic", "al", "ary", "ent", "ant")
COMPOUND_ADJECTIVES = (
    "shot",
    "free",
    "form",
    "grained",
    "based",
    "level",
    "aware",
    "scale",
    "visual",
    "modal",
)
NOUNS_LIKE_ADJECTIVES = frozenset(
    "agent agents benchmark dataset assessment alignment segment segments content context event events "
    "environment environments management retrieval proposal rehearsal arrival signal interval tutorial "
    "commentary summary summaries library vocabulary dictionary topic logic music graphic graphics "
    "dynamic dynamics robotic robotics retrieval proposal signal interval tutorial journal manual material "
    "rehearsal arrival survival removal renewal animal terminal hospital capital festival".split()
)
PLAIN_ADJECTIVES = frozenset(
    "long short black white open fine zero high low deep small big good bad fast slow new old real "
    "full few many more most general visual spatial temporal".split()
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'+-]*")


@lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | SMALL | GENERIC


def _topic_part(title: str) -> str:
    head, sep, tail = title.partition(":")
    return tail if sep and len(head.split()) <= 4 and tail.strip() else title


def _phrases(title: str) -> dict[tuple[str, ...], str]:
    """Every candidate phrase of a title (lower-cased words) with its words as written."""
    words = WORD.findall(_topic_part(title))
    stop = _stop()
    out: dict[tuple[str, ...], str] = {}
    for n in range(1, MAX_WORDS + 1):
        for i in range(len(words) - n + 1):
            span = words[i : i + n]
            key = tuple(w.lower() for w in span)
            if key[0] in stop or key[-1] in stop or len(key[-1]) < 3:
                continue
            if key[0].endswith("ing") and (i == 0 or (n == 1 and words[i - 1].lower() in stop)):
                continue  # "Localizing moments ...": a verb; "... video grounding": a topic
            out.setdefault(key, " ".join(span))
    return out


def _adjective(word: str) -> bool:
    if word in PLAIN_ADJECTIVES:
        return True
    if "-" in word:
        return word.rsplit("-", 1)[1].endswith(COMPOUND_ADJECTIVES + ADJECTIVE_ENDINGS)
    return word not in NOUNS_LIKE_ADJECTIVES and word.endswith(ADJECTIVE_ENDINGS)


def _cased(written: str) -> str:
    """Title case, keeping what the title capitalised (acronyms) and small words lower."""
    out = []
    for i, word in enumerate(written.split()):
        if word.lower() in SMALL and i:
            out.append(word.lower())
        elif word.islower():
            out.append(word[:1].upper() + word[1:])
        else:
            out.append(word)
    return " ".join(out)


class Namer:
    """Names groups against one background (its phrases counted once)."""

    def __init__(self, background: Sequence[str]) -> None:
        self.overall: Counter[tuple[str, ...]] = Counter()
        for title in background:
            self.overall.update(_phrases(title).keys())
        self.total = max(1, len(background))

    def name(self, titles: Sequence[str], terms: Sequence[str] = ()) -> str:
        """The name for the group (see the module docstring)."""
        inside: Counter[tuple[str, ...]] = Counter()
        written: dict[tuple[str, ...], Counter[str]] = {}
        for title in titles:
            for key, text in _phrases(title).items():
                inside[key] += 1
                written.setdefault(key, Counter())[text] += 1
        best = self._best(inside, max(1, len(titles)), {w for t in terms[:4] for w in t.lower().split()})
        if best is not None:
            return _cased(written[best].most_common(1)[0][0])
        nouns = [t for t in terms if not (_adjective(t.split()[-1]) or t.split()[-1].endswith("ing"))]
        if nouns or terms:
            return _cased((nouns or list(terms))[0])
        return "Unnamed group"

    def _best(self, inside: Counter[tuple[str, ...]], m: int, terms: set[str]) -> tuple[str, ...] | None:
        best, best_score = None, 0.0
        for key, count in sorted(inside.items()):
            if count < 2:
                continue
            lift = (count / m) / ((self.overall[key] + 1) / (self.total + 1))
            score = count * math.log1p(lift) * (1 + 0.8 * (len(key) - 1))
            score *= 0.3 if _adjective(key[-1]) else 1.0
            score *= 1.25 if terms & set(key) else 1.0
            if score > best_score:
                best, best_score = key, score
        if best is not None and len(best) == 1 and _adjective(best[0]):  # "Temporal" -> "Temporal Grounding"
            longer = [k for k in inside if len(k) > 1 and k[0] == best[0] and not _adjective(k[-1])]
            best = max(longer, key=lambda k: (inside[k], -len(k), k), default=best)
        return best
