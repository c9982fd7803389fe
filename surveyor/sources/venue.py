"""Venue and year from free-text arXiv comments ("Accepted to CVPR 2025", "ICCV2025").

Input: a comment string. Output: a normalised venue name and year, or None when the comment
only says a paper was submitted or is under review.
"""

from __future__ import annotations

import re

# Acronym as written -> canonical name. Longer names first so "ACM MM" wins over "MM".
VENUES: dict[str, str] = {
    "neurips": "NeurIPS",
    "nips": "NeurIPS",
    "cvpr": "CVPR",
    "iccv": "ICCV",
    "eccv": "ECCV",
    "iclr": "ICLR",
    "icml": "ICML",
    "aaai": "AAAI",
    "ijcai": "IJCAI",
    "acl": "ACL",
    "emnlp": "EMNLP",
    "naacl": "NAACL",
    "eacl": "EACL",
    "coling": "COLING",
    "wacv": "WACV",
    "bmvc": "BMVC",
    "accv": "ACCV",
    "icassp": "ICASSP",
    "interspeech": "Interspeech",
    "acm mm": "ACM MM",
    "acmmm": "ACM MM",
    "kdd": "KDD",
    "www": "WWW",
    "sigir": "SIGIR",
    "icra": "ICRA",
    "iros": "IROS",
    "corl": "CoRL",
    "miccai": "MICCAI",
    "midl": "MIDL",
    "3dv": "3DV",
    "icme": "ICME",
    "icip": "ICIP",
    "vcip": "VCIP",
    "icdm": "ICDM",
    "sigspatial": "SIGSPATIAL",
    "tpami": "TPAMI",
    "ijcv": "IJCV",
    "tip": "TIP",
    "tmm": "TMM",
    "tcsvt": "TCSVT",
    "tmlr": "TMLR",
    "jmlr": "JMLR",
    "ieee transactions on image processing": "TIP",
    "ieee transactions on pattern analysis and machine intelligence": "TPAMI",
    "acm computing surveys": "ACM Computing Surveys",
}
_NOT_YET = re.compile(r"\b(submitted|under review|under consideration|in submission)\b", re.I)
_ALT = "|".join(re.escape(k) for k in sorted(VENUES, key=len, reverse=True))
_VENUE_RE = re.compile(rf"(?<![A-Za-z])({_ALT})(?![A-Za-z])\s*'?((?:19|20)?\d{{2}})?", re.I)
_YEAR_RE = re.compile(r"\b(20\d{2})\b")


def venue_from_comment(comment: str | None) -> tuple[str, int | None] | None:
    """The (venue, year) a comment says a paper appeared at, or None."""
    if not comment:
        return None
    for clause in re.split(r"[.;]\s+", comment):
        if _NOT_YET.search(clause):
            continue
        m = _VENUE_RE.search(clause)
        if not m:
            continue
        venue = VENUES[m.group(1).lower()]
        year = _year(m.group(2)) or _year_anywhere(clause)
        if "workshop" in clause.lower():
            venue += " Workshop"
        return venue, year
    return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


def _year_anywhere(text: str) -> int | None:
    m = _YEAR_RE.search(text)
    return int(m.group(1)) if m else None
