"""Is this record the paper? Title matching with the care of dedupe: a wrong match is worse than none.

Input: a paper and the records a service found for it (by title, or by an id it holds). Output: a
`Decision`: the record accepted with its rule and score, or none, with the best candidate and why it
was turned down. Pure functions, no I/O.

A record found by title is accepted when its normalised title scores at least TITLE_ALONE against
the paper's (rapidfuzz ratio), or at least TITLE_BACKED when the year or an author agrees too, or
when one title is the other without its subtitle and the year or an author agrees. Whatever the
score, it is turned down when: the ids disagree; the names or numbers in the titles differ (VideoChat
vs VideoChat2, LLaVA vs LLaVA++, Video-XL vs Video-XL-2); the years are more than one apart; both
list authors and none is shared; it is not a paper (paratext, erratum); the user undid it before;
or two different papers fit about as well (ambiguous). A record found by an id the paper already
holds is turned down only when its title shares too little with the paper's (a mistyped id).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from anyascii import anyascii
from rapidfuzz import fuzz

from ..export.awesome import paper_year
from ..models import Paper
from ..sources.dedupe import title_conflict
from ..text import fold, normalize_title, untex
from .records import NOT_PAPERS, Found

TITLE_ALONE = 95.0  # rapidfuzz ratio of normalised titles that needs no other evidence
TITLE_BACKED = 88.0  # ... when the year or an author agrees as well
ID_TITLE_MIN = 50.0  # token-set ratio below which a record found by id names another paper
AMBIGUOUS_GAP = 3.0  # two different papers scoring this close: no match
SUBTITLE_WORDS = 4  # a main title standing for the whole needs this many words


@dataclass(frozen=True)
class Decision:
    """What matching decided: the accepted record (or None), its rule and score, and the best
    candidate turned down with the reason (for the log)."""

    found: Found | None
    rule: str  # id, title, fuzzy-title, subtitle; not-found, rejected
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


def _backed(paper: Paper, found: Found) -> bool:
    """Whether the year or an author agrees (conflicts were ruled out before)."""
    mine = paper_year(paper)
    year = bool(mine and found.year)
    authors = bool(surnames(paper.authors) & surnames(found.authors))
    return year or authors


def judge(paper: Paper, found: Found) -> tuple[float, str | None, str]:
    """(title score, the rule that accepts `found` or None, why) for a record found by title."""
    why = conflict(paper, found)
    score = round(fuzz.ratio(title_key(paper.title), title_key(found.title)), 1)
    if why:
        return score, None, why
    names = name_part(paper.title or ""), name_part(found.title or "")
    if title_conflict(paper.title or "", found.title or "") or (all(names) and names[0] != names[1]):
        return score, None, "the titles name different papers (names or numbers differ)"
    if score >= TITLE_ALONE:
        return score, "title", f"title {score:g}"
    if score >= TITLE_BACKED and _backed(paper, found):
        return score, "fuzzy-title", f"title {score:g} with year or author agreeing"
    if _subtitle(paper.title or "", found.title or "") and _backed(paper, found):
        return score, "subtitle", "one title is the other without its subtitle; year or author agrees"
    return score, None, f"title {score:g} below {TITLE_ALONE:g} (or {TITLE_BACKED:g} with year/author)"


def _subtitle(a: str, b: str) -> bool:
    ka, kb = title_key(a), title_key(b)
    for whole, other in ((a, kb), (b, ka)):
        main = title_key(re.split(r":|\s[-–—]\s", untex(whole), maxsplit=1)[0])
        if main != title_key(whole) and main == other and len(main.split()) >= SUBTITLE_WORDS:
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
