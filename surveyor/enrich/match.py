"""Is this record the paper? Title matching with the care of dedupe: a wrong match is worse than none.

Input: a paper and the records a service found for it (by title, or by an id it holds). Output: a
`Decision`: the record accepted with its rule and score, or none, with the best candidate and why it
was turned down. Pure functions, no I/O.

A record found by title is accepted when its normalised title scores at least TITLE_ALONE against
the paper's (rapidfuzz ratio) and no word of one stands where the other has a different word
(spelling variants aside); or at least TITLE_BACKED with an author in common; or at least
TITLE_BACKED when one title is the other cut short and the year agrees; or when one title is the
other without its subtitle and an author agrees (a year alone does not: "X: A Survey" is another
paper than "X"). Whatever the score, it is turned down when: the ids disagree; the names or numbers
in the titles differ (VideoChat vs VideoChat2, LLaVA vs LLaVA++, Qwen2-VL vs Qwen2.5-VL, 1K vs 10K);
the years are more than one apart; both list authors and none is shared; it is not a paper
(paratext, erratum); the user undid it before; or two different papers fit about as well. A record
found by an id the paper already holds is turned down only when its title shares too little with
the paper's (a mistyped id).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from anyascii import anyascii
from rapidfuzz import fuzz

from ..library import paper_year
from ..models import Paper
from ..sources.dedupe import title_conflict
from ..text import fold, normalize_title, untex
from .records import NOT_PAPERS, Found

TITLE_ALONE = 95.0  # rapidfuzz ratio of normalised titles that needs no other evidence
TITLE_BACKED = 88.0  # ... when the year or an author agrees as well
ID_TITLE_MIN = 50.0  # token-set ratio below which a record found by id names another paper
AMBIGUOUS_GAP = 3.0  # two different papers scoring this close: no match
SUBTITLE_WORDS = 4  # a main title (or a cut-short one) standing for the whole needs this many words
SPELLING = 75.0  # two words this alike are one word spelled two ways


@dataclass(frozen=True)
class Decision:
    """What matching decided: the accepted record (or None), its rule and score, and the best
    candidate turned down with the reason (for the log)."""

    found: Found | None
    rule: str  # id, title, fuzzy-title, truncated, subtitle; not-found, rejected
    score: float | None = None
    candidate: Found | None = None
    why: str = ""


def title_key(title: str | None) -> str:
    """A title compared as words: LaTeX markup read as text, transliterated, folded."""
    return normalize_title(anyascii(untex(title or "")))


def name_part(title: str) -> str:
    """The name a title announces before its colon (`LLaVA++`, `Video-XL-2`), spelled with its
    digits and plus signs but without case, spaces or hyphens; "" when there is none."""
    head, colon, _ = untex(title).partition(":")
    if not colon or not 0 < len(head.split()) <= 4:
        return ""
    return re.sub(r"[^a-z0-9+]", "", anyascii(head).lower())


def surnames(authors: Iterable[str]) -> set[str]:
    """Folded family names (`Last, First` or `First Last`), for telling whether author lists meet."""
    out = set()
    for name in authors:
        family = name.split(",")[0] if "," in name else (name.split() or [""])[-1]
        folded = fold(anyascii(family)).replace(" ", "")
        if len(folded) > 1:
            out.add(folded)
    return out


def conflict(paper: Paper, found: Found) -> str | None:
    """Why `found` cannot be `paper` whatever the titles say, or None."""
    if found.kind and {k.strip().lower() for k in found.kind.split(",")} & NOT_PAPERS:
        return f"not a paper ({found.kind})"
    if paper.arxiv_id and found.arxiv_id and paper.arxiv_id != found.arxiv_id:
        return f"arXiv ids differ ({found.arxiv_id})"
    if paper.doi and found.doi and paper.doi.lower() != found.doi.lower() and not paper.arxiv_id:
        return f"DOIs differ ({found.doi})"
    mine, theirs = paper_year(paper), found.year
    if mine and theirs and abs(mine - theirs) > 1:
        return f"years differ ({theirs})"
    if paper.authors and found.authors and not surnames(paper.authors) & surnames(found.authors):
        return "no author in common"
    return None


def different_names(a: str, b: str) -> bool:
    """Whether two (untexed) titles name different papers: other names before the colon, other
    numbers anywhere (VideoChat vs VideoChat2, Qwen2-VL vs Qwen2.5-VL, 1K vs 10K frames)."""
    names = name_part(a), name_part(b)
    if title_conflict(a, b) or (all(names) and names[0] != names[1]):
        return True
    digits = [{w for w in title_key(t).split() if any(c.isdigit() for c in w)} for t in (a, b)]
    return digits[0] != digits[1]


def swapped_word(a: str, b: str) -> bool:
    """Whether one title has a word where the other has a different one (not a spelling variant:
    "Memory" for "Queries", not "Modelling" for "Modeling")."""
    wa, wb = title_key(a).split(), title_key(b).split()
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if tag == "replace" and fuzz.ratio(" ".join(wa[i1:i2]), " ".join(wb[j1:j2])) < SPELLING:
            return True
    return False


def _truncated(a: str, b: str) -> bool:
    """Whether one title is the other cut short mid-way (not at its subtitle: that is `_subtitle`)."""
    short, long = sorted((a, b), key=lambda t: len(title_key(t)))
    cut = title_key(short)
    whole = title_key(long)
    return len(cut.split()) >= SUBTITLE_WORDS and whole.startswith(cut) and not _subtitle(a, b)


def judge(paper: Paper, found: Found) -> tuple[float, str | None, str]:
    """(title score, the rule that accepts `found` or None, why) for a record found by title."""
    a, b = untex(paper.title or ""), untex(found.title or "")
    score = round(fuzz.ratio(title_key(a), title_key(b)), 1)
    why = conflict(paper, found)
    if why:
        return score, None, why
    if different_names(a, b):
        return score, None, "the titles name different papers (names or numbers differ)"
    authors = bool(surnames(paper.authors) & surnames(found.authors))
    year = bool(paper_year(paper) and found.year)
    if score >= TITLE_ALONE and (authors or not swapped_word(a, b)):
        return score, "title", f"title {score:g}"
    if score >= TITLE_BACKED and authors:
        return score, "fuzzy-title", f"title {score:g}, an author agrees"
    if score >= TITLE_BACKED and year and _truncated(a, b):
        return score, "truncated", f"title {score:g} cut short, the year agrees"
    if authors and _subtitle(a, b):
        return score, "subtitle", "one title is the other without its subtitle; an author agrees"
    return score, None, f"title {score:g}: not enough (a word differs, or no author to confirm it)"


def _subtitle(a: str, b: str) -> bool:
    for whole, other in ((a, b), (b, a)):
        main = title_key(re.split(r":|\s[-–—]\s", whole, maxsplit=1)[0])
        if main != title_key(whole) and main == title_key(other) and len(main.split()) >= SUBTITLE_WORDS:
            return True
    return False


def same_work(a: Found, b: Found) -> bool:
    """Whether two records are likely versions of one paper (same title, a shared author)."""
    if title_key(a.title) != title_key(b.title):
        return False
    return not (a.authors and b.authors) or bool(surnames(a.authors) & surnames(b.authors))


def _preference(found: Found) -> tuple[int, int, int]:
    """Among versions of one paper: the published one, then one with ids, then the most cited."""
    return (bool(found.venue), bool(found.doi or found.arxiv_id), found.citations or 0)


def decide(paper: Paper, candidates: list[Found], refused: frozenset[str] = frozenset()) -> Decision:
    """The record among `candidates` (found by the paper's title) that is the paper, if any."""
    judged = [(judge(paper, c), c) for c in candidates if c.id not in refused]
    if not judged:
        return Decision(None, "not-found", why="no candidate")
    accepted = [(score, rule, why, c) for (score, rule, why), c in judged if rule]
    if not accepted:
        (score, _rule, why), best = max(judged, key=lambda j: j[0][0])
        return Decision(None, "rejected", score, best, why)
    accepted.sort(key=lambda a: (a[0], _preference(a[3])), reverse=True)
    top_score, rule, why, top = accepted[0]
    rivals = [c for s, _r, _w, c in accepted[1:] if top_score - s <= AMBIGUOUS_GAP and not same_work(top, c)]
    if rivals:
        return Decision(None, "rejected", top_score, top, f"ambiguous: {rivals[0].title!r} fits as well")
    versions = [c for s, _r, _w, c in accepted if same_work(top, c)]
    chosen = max(versions, key=_preference)
    return Decision(chosen, rule, top_score, why=why)


def check_id(paper: Paper, found: Found) -> Decision:
    """Accept a record found by an id the paper holds, unless its title is another paper's."""
    if not paper.title or not found.title:
        return Decision(found, "id", None, why="found by id")
    score = round(fuzz.token_set_ratio(title_key(paper.title), title_key(found.title)), 1)
    if score < ID_TITLE_MIN:
        return Decision(
            None, "rejected", score, found, f"found by id, but its title is another paper's ({score:g})"
        )
    return Decision(found, "id", score, why="found by id")
