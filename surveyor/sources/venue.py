"""Venues: the year and venue a free-text arXiv comment names ("Accepted to CVPR 2025", "ICCV2025"),
and each known venue's full name and kind (the BibTeX entry type and booktitle/journal follow them).

Input: a comment string, or a venue name as a metadata service writes it. Output: a normalised
venue name (and year), or None when the comment only says a paper was submitted or is under review.
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
    "computer vision and pattern recognition": "CVPR",
    "international conference on computer vision": "ICCV",
    "european conference on computer vision": "ECCV",
    "neural information processing systems": "NeurIPS",
    "international conference on machine learning": "ICML",
    "international conference on learning representations": "ICLR",
    "empirical methods in natural language processing": "EMNLP",
    "north american chapter of the association for computational linguistics": "NAACL",
    "annual meeting of the association for computational linguistics": "ACL",
    "aaai conference on artificial intelligence": "AAAI",
    "international joint conference on artificial intelligence": "IJCAI",
    "winter conference on applications of computer vision": "WACV",
    "british machine vision conference": "BMVC",
    "tacl": "TACL",
}
_NOT_YET = re.compile(r"\b(submitted|under review|under consideration|in submission)\b", re.I)
_ALT = "|".join(re.escape(k) for k in sorted(VENUES, key=len, reverse=True))
_VENUE_RE = re.compile(rf"(?<![A-Za-z])({_ALT})(?![A-Za-z])\s*'?((?:19|20)?\d{{2}}(?!\d))?", re.I)
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


# Canonical name -> (full name for a bibliography, kind). Full names follow the venues' own usage.
FULL_NAMES: dict[str, tuple[str, str]] = {
    "NeurIPS": ("Advances in Neural Information Processing Systems (NeurIPS)", "conference"),
    "CVPR": ("IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)", "conference"),
    "ICCV": ("IEEE/CVF International Conference on Computer Vision (ICCV)", "conference"),
    "ECCV": ("European Conference on Computer Vision (ECCV)", "conference"),
    "ICLR": ("International Conference on Learning Representations (ICLR)", "conference"),
    "ICML": ("International Conference on Machine Learning (ICML)", "conference"),
    "AAAI": ("AAAI Conference on Artificial Intelligence (AAAI)", "conference"),
    "IJCAI": ("International Joint Conference on Artificial Intelligence (IJCAI)", "conference"),
    "ACL": ("Annual Meeting of the Association for Computational Linguistics (ACL)", "conference"),
    "EMNLP": ("Conference on Empirical Methods in Natural Language Processing (EMNLP)", "conference"),
    "NAACL": (
        "Conference of the North American Chapter of the Association for Computational Linguistics (NAACL)",
        "conference",
    ),
    "EACL": (
        "Conference of the European Chapter of the Association for Computational Linguistics (EACL)",
        "conference",
    ),
    "COLING": ("International Conference on Computational Linguistics (COLING)", "conference"),
    "WACV": ("IEEE/CVF Winter Conference on Applications of Computer Vision (WACV)", "conference"),
    "BMVC": ("British Machine Vision Conference (BMVC)", "conference"),
    "ACCV": ("Asian Conference on Computer Vision (ACCV)", "conference"),
    "ICASSP": (
        "IEEE International Conference on Acoustics, Speech and Signal Processing (ICASSP)",
        "conference",
    ),
    "Interspeech": ("Interspeech", "conference"),
    "ACM MM": ("ACM International Conference on Multimedia (ACM MM)", "conference"),
    "KDD": ("ACM SIGKDD Conference on Knowledge Discovery and Data Mining (KDD)", "conference"),
    "WWW": ("ACM Web Conference (WWW)", "conference"),
    "SIGIR": (
        "International ACM SIGIR Conference on Research and Development in Information Retrieval (SIGIR)",
        "conference",
    ),
    "ICRA": ("IEEE International Conference on Robotics and Automation (ICRA)", "conference"),
    "IROS": ("IEEE/RSJ International Conference on Intelligent Robots and Systems (IROS)", "conference"),
    "CoRL": ("Conference on Robot Learning (CoRL)", "conference"),
    "MICCAI": (
        "International Conference on Medical Image Computing and Computer-Assisted Intervention (MICCAI)",
        "conference",
    ),
    "MIDL": ("Medical Imaging with Deep Learning (MIDL)", "conference"),
    "3DV": ("International Conference on 3D Vision (3DV)", "conference"),
    "ICME": ("IEEE International Conference on Multimedia and Expo (ICME)", "conference"),
    "ICIP": ("IEEE International Conference on Image Processing (ICIP)", "conference"),
    "VCIP": (
        "IEEE International Conference on Visual Communications and Image Processing (VCIP)",
        "conference",
    ),
    "ICDM": ("IEEE International Conference on Data Mining (ICDM)", "conference"),
    "SIGSPATIAL": (
        "ACM SIGSPATIAL International Conference on Advances in Geographic Information Systems",
        "conference",
    ),
    "TPAMI": ("IEEE Transactions on Pattern Analysis and Machine Intelligence", "journal"),
    "IJCV": ("International Journal of Computer Vision", "journal"),
    "TIP": ("IEEE Transactions on Image Processing", "journal"),
    "TMM": ("IEEE Transactions on Multimedia", "journal"),
    "TCSVT": ("IEEE Transactions on Circuits and Systems for Video Technology", "journal"),
    "TMLR": ("Transactions on Machine Learning Research", "journal"),
    "JMLR": ("Journal of Machine Learning Research", "journal"),
    "ACM Computing Surveys": ("ACM Computing Surveys", "journal"),
}
# How metadata services name some venues (folded), besides their full names above.
_SERVICE_NAMES: dict[str, str] = {
    "neural information processing systems": "NeurIPS",
    "computer vision and pattern recognition": "CVPR",
    "ieee international conference on computer vision": "ICCV",
    "international conference on computer vision": "ICCV",
    "european conference on computer vision": "ECCV",
    "international conference on learning representations": "ICLR",
    "international conference on machine learning": "ICML",
    "aaai conference on artificial intelligence": "AAAI",
    "annual meeting of the association for computational linguistics": "ACL",
    "conference on empirical methods in natural language processing": "EMNLP",
    "north american chapter of the association for computational linguistics": "NAACL",
    "workshop on applications of computer vision": "WACV",
    "winter conference on applications of computer vision": "WACV",
    "british machine vision conference": "BMVC",
    "acm multimedia": "ACM MM",
    "acm international conference on multimedia": "ACM MM",
    "ieee transactions on pattern analysis and machine intelligence": "TPAMI",
    "international journal of computer vision": "IJCV",
    "ieee transactions on image processing": "TIP",
    "ieee transactions on multimedia": "TMM",
    "ieee transactions on circuits and systems for video technology": "TCSVT",
    "transactions on machine learning research": "TMLR",
    "trans mach learn res": "TMLR",
    "journal of machine learning research": "JMLR",
    "acm computing surveys": "ACM Computing Surveys",
}
_PREPRINT_HOSTS = re.compile(
    r"arxiv|biorxiv|medrxiv|chemrxiv|ssrn|research square|preprints\.org|techrxiv", re.I
)


def _fold(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


_NOISE = re.compile(r"^(?:(?:19|20)\d\d|\d+|\d+(?:st|nd|rd|th)|ieee|cvf|acm|proceedings|of|the)$")


def _core(name: str) -> tuple[str, bool]:
    """A venue name without years, volume numbers, publisher prefixes and a trailing "(ACRONYM)";
    and whether it names a workshop."""
    name = re.sub(r"\s*\([^()]*\)\s*$", "", name)
    words = _fold(name).split()
    workshop = any(w in ("workshop", "workshops") for w in words)
    kept = [w for w in words if w not in ("workshop", "workshops")]
    while kept and _NOISE.match(kept[0]):
        kept.pop(0)
    return " ".join(w for w in kept if not re.fullmatch(r"\d+|(?:19|20)\d\d|ieee|cvf", w)), workshop


_CORES: dict[str, str] = {
    **{_core(full)[0]: canonical for canonical, (full, _kind) in FULL_NAMES.items()},
    **{_core(name)[0]: canonical for name, canonical in _SERVICE_NAMES.items()},
}


def known_venue(name: str) -> str | None:
    """The canonical name (`CVPR`) of a venue as a service or a person writes it ("2024 IEEE/CVF
    Conference on Computer Vision and Pattern Recognition (CVPR)", "Neural Information Processing
    Systems", "cvpr"), with " Workshop" for its workshops; None when surveyor does not know it."""
    if not name or _PREPRINT_HOSTS.search(name):
        return None
    core, workshop = _core(name)
    canonical = VENUES.get(_fold(name)) or _CORES.get(core)
    if canonical is None:
        m = re.search(r"\(([A-Za-z0-9 ]{2,12}?)(W)?\)\s*$", name)  # "... (ICME)", "... (CVPRW)"
        canonical = VENUES.get(_fold(m.group(1))) if m else None
        workshop = workshop or bool(m and m.group(2) and canonical)
    if canonical is None:
        return None
    return canonical + " Workshop" if workshop and canonical in FULL_NAMES else canonical


def is_preprint_venue(name: str) -> bool:
    """Whether a venue name is a preprint server (arXiv, bioRxiv, SSRN...), not a publication."""
    return bool(_PREPRINT_HOSTS.search(name))


def venue_details(venue: str) -> tuple[str, str | None]:
    """(the name a bibliography prints, kind or None) for a venue as stored: known venues get their
    full name (a workshop its main venue's, "Workshops" added), others are printed as they are."""
    workshop = venue.endswith(" Workshop")
    base = venue.removesuffix(" Workshop")
    if base not in FULL_NAMES:
        return venue, None
    full, kind = FULL_NAMES[base]
    if workshop:
        name, _, acronym = full.rpartition(" (")
        return f"{name} Workshops ({acronym.rstrip(')')}W)" if acronym else f"{full} Workshops", "conference"
    return full, kind


def venue_span(text: str) -> tuple[int, int, str, int | None] | None:
    """(start, end, venue, year) of the first venue named in free text — `CVPR 2016`, `` `ICCV 17` ``,
    `the IEEE conference on computer vision and pattern recognition` — written as venues are: a short
    acronym in lower case (`www.`, `a tip`) is not one."""
    for m in _VENUE_RE.finditer(text):
        written = m.group(1)
        if written.islower() and " " not in written:
            continue
        end = m.end() if m.group(2) else m.end(1)  # the spaces after a venue without a year are not its
        return m.start(), end, VENUES[written.lower()], _year(m.group(2))
    return None


def venue_in_text(text: str) -> tuple[str, int | None] | None:
    """(venue, year) named in free text, or None (see `venue_span`)."""
    for clause in re.split(r"[.;]\s+", text):
        if _NOT_YET.search(clause):
            continue
        found = venue_span(clause)
        if found:
            venue = found[2] + (" Workshop" if "workshop" in clause.lower() else "")
            return venue, found[3]
    return None


_CVF = re.compile(r"(?:content[_/]|/papers/)([a-z]+)_?((?:19|20)\d{2})", re.I)
_ACL_NEW = re.compile(r"/((?:19|20)\d{2})\.(findings-)?([a-z]+)", re.I)
_ACL_OLD = re.compile(r"/([A-Z])(\d{2})-\d{4}")
_ACL_LETTERS = {"P": "ACL", "D": "EMNLP", "N": "NAACL", "E": "EACL", "C": "COLING", "Q": "TACL"}


def venue_from_url(url: str) -> tuple[str, int | None] | None:
    """(venue, year) a paper's URL tells: CVF open access, ECVA, ACL Anthology, NeurIPS proceedings."""
    lower = url.lower()
    if "thecvf.com" in lower or "cv-foundation.org" in lower or "ecva.net" in lower:
        m = _CVF.search(url)
        if m and m.group(1).lower() in VENUES:
            return VENUES[m.group(1).lower()], int(m.group(2))
    elif "aclanthology.org" in lower or "aclweb.org" in lower:
        m = _ACL_NEW.search(url)
        if m and m.group(3).lower() in VENUES:
            return VENUES[m.group(3).lower()] + (" Findings" if m.group(2) else ""), int(m.group(1))
        old = _ACL_OLD.search(url)
        if old and old.group(1) in _ACL_LETTERS:
            year = int(old.group(2))
            return _ACL_LETTERS[old.group(1)], year + (2000 if year < 50 else 1900)
    elif "neurips.cc" in lower or "nips.cc" in lower:
        m = re.search(r"/((?:19|20)\d{2})/", url)
        return "NeurIPS", int(m.group(1)) if m else None
    return None
