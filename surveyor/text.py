"""Small pure text helpers shared by importers, dedupe, the classifier and exports, and the checks
third-party values pass where they enter (URLs, DOIs, arXiv ids and categories, dates, control
characters).

Input: strings. Output: strings, or None for a value that is not acceptable.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from functools import lru_cache
from urllib.parse import quote, urlsplit

ARXIV_NEW = r"\d{4}\.\d{4,5}"
ARXIV_OLD = r"[a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID_RE = re.compile(rf"(?<![\w.])(?:arxiv:)?({ARXIV_NEW}|{ARXIV_OLD})(?:v(\d+))?(?![\w])", re.I)
ARXIV_URL_RE = re.compile(rf"arxiv\.org/(?:abs|pdf|html)/({ARXIV_NEW}|{ARXIV_OLD})(?:v(\d+))?", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


def parse_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """Return (id without version, version) for an arXiv id or abs/pdf URL in `text`."""
    m = ARXIV_URL_RE.search(text) or ARXIV_ID_RE.fullmatch(text.strip())
    if not m:
        return None
    return m.group(1), int(m.group(2)) if m.group(2) else None


_ALNUM = re.compile(r"[a-z0-9]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lowercase, strip accents and collapse everything but letters and digits to single spaces."""
    text = unicodedata.normalize("NFKD", text)
    if not text.isascii():
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_ALNUM.findall(text.lower()))


@lru_cache(maxsize=65536)
def normalize_title(title: str) -> str:
    """The key two titles share when they name the same paper (case, punctuation, accents);
    remembered, since a command compares the same titles many times (import, list sync)."""
    return fold(title)


def abstract_key(abstract: str) -> str:
    """A short hash of the folded abstract, equal for the same text however it was wrapped."""
    return hashlib.sha1(fold(abstract).encode()).hexdigest()[:16]


def short_hash(text: str, n: int = 10) -> str:
    """A stable short hex digest of `text`."""
    return hashlib.sha1(text.encode()).hexdigest()[:n]


def sentences(text: str) -> list[str]:
    """Split prose into sentences (good enough for evidence quotes)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def clean_space(text: str) -> str:
    """Collapse runs of whitespace into single spaces and strip the ends."""
    return _SPACES.sub(" ", text).strip()


def slug(text: str, max_words: int = 6) -> str:
    """A lowercase hyphenated slug of the first words of `text`."""
    return "-".join(fold(text).split()[:max_words])


_TEX_WRAP = re.compile(
    r"\\(?:textit|textbf|textsc|textsf|texttt|textrm|emph|underline|text|math(?:rm|bf|it|cal|bb|sf|tt))"
    r"\s*\{([^{}]*)\}"
)
_TEX_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "theta": "θ", "lambda": "λ",
    "mu": "μ", "pi": "π", "sigma": "σ", "tau": "τ", "phi": "φ", "omega": "ω", "Delta": "Δ", "Sigma": "Σ",
    "times": "×", "infty": "∞", "rightarrow": "→", "to": "→", "leftarrow": "←", "leq": "≤", "geq": "≥",
    "pm": "±", "cdot": "·", "sim": "∼", "approx": "≈", "dagger": "†", "ddagger": "‡", "circ": "∘",
    "star": "⋆", "ast": "∗",
}  # fmt: skip
_TEX_SYMBOL = re.compile(r"\\(" + "|".join(_TEX_SYMBOLS) + r")(?![A-Za-z])")
_TEX_ESCAPED = re.compile(r"\\([&%$#_{}])")
_INLINE_MATH = re.compile(r"\$([^$]{1,40})\$")


def untex(text: str) -> str:
    """A title as readers see it: arXiv titles carry LaTeX (`\\textit{X}`, `$\\pi$`, `\\&`); keep the
    text and the symbols, drop the markup. Text without backslashes or dollars is returned as is."""
    if "\\" not in text and "$" not in text:
        return text
    previous = None
    while previous != text:
        previous, text = text, _TEX_WRAP.sub(r"\1", text)
    text = _INLINE_MATH.sub(lambda m: _math_text(m.group(1)), text)
    text = _TEX_SYMBOL.sub(lambda m: _TEX_SYMBOLS[m.group(1)], text)
    return _TEX_ESCAPED.sub(r"\1", text)


_SUPERSCRIPTS = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUBSCRIPTS = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_SCRIPT = re.compile(r"([\^_])\s*(?:\{([^{}]*)\}|(\\[A-Za-z]+|[^\s{}\\]))")


def _math_text(math: str) -> str:
    """Inline math as text: `^\\circ` -> °, digits raised or lowered (`^2` -> ², `_{10}` -> ₁₀) where
    Unicode has the characters, symbols by name; braces dropped."""

    def script(m: re.Match[str]) -> str:
        body = m.group(2) if m.group(2) is not None else m.group(3)
        if m.group(1) == "^" and body.strip() in ("\\circ", "{\\circ}"):
            return "°"
        if m.group(1) == "^" and body.startswith("\\") and body[1:] in _TEX_SYMBOLS:
            return _TEX_SYMBOLS[body[1:]]  # a raised dagger or star reads as the symbol
        table = _SUPERSCRIPTS if m.group(1) == "^" else _SUBSCRIPTS
        if body and all(ord(c) in table for c in body):
            return body.translate(table)
        return m.group(0)

    text = _SCRIPT.sub(script, math)
    return text.replace("{", "").replace("}", "").strip()


# --- values from third parties: checked where they enter ------------------------------------------------
# C0/C1 controls but tab and newline, DEL, bidirectional overrides and isolates (they reorder what a
# reader sees), lone surrogates (unencodable: a JSON `"\ud800"` would crash the next write) and
# the noncharacters U+FFFE/U+FFFF.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]"
)
_URL_MAX = 2000
_HOST = re.compile(r"^(?:[\w\-]+(?:\.[\w\-]+)*\.?|\[[0-9A-Fa-f:.]+\])$")
_PLAIN_URL = re.compile(
    r"^https?://[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*(?:[/?#][\w\-.~!$&'()*+,;=:@/%?#\[\]]*)?$", re.A
)
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"  # RFC 3986 reserved and unreserved characters, `%` of existing escapes
_DOI = re.compile(r"^10\.\d{4,9}/[^\s\"{}\\`^|]+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)
_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[A-Za-z]+)*)?$")
_ARXIV_BARE = re.compile(rf"^(?:{ARXIV_NEW}|{ARXIV_OLD})$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ][0-9:.+\-Z]*)?$")


def strip_controls(text: str) -> str:
    """`text` without control characters (tab and newline kept), bidi overrides or lone surrogates."""
    return _CONTROLS.sub("", text)


def safe_url(url: object) -> str | None:
    """The URL if it is an absolute http(s) URL with a plain host and no whitespace or control
    characters (so no `javascript:`, no line breaks into Markdown), else None. Characters a URL may
    not hold as such (braces, backslashes, quotes, `<>`, `^`, `|`, non-ASCII) come back
    percent-encoded, so the result is inert in Markdown, LaTeX and BibTeX once `%` and `#` are."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if _PLAIN_URL.match(url) and len(url) <= _URL_MAX:
        return url  # the common case, already in its final form
    if not url or len(url) > _URL_MAX or any(c.isspace() or not c.isprintable() for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.netloc if port is None else parts.netloc.rsplit(":", 1)[0]
    if parts.scheme.lower() not in ("http", "https") or not _HOST.match(host):
        return None
    rest = url[len(parts.scheme) + 3 + len(parts.netloc) :]
    return f"{parts.scheme.lower()}://{parts.netloc}{quote(rest, safe=_URL_SAFE)}"


def clean_doi(doi: object) -> str | None:
    """A DOI (`10.NNNN/suffix`, a doi.org URL or `doi:` prefix dropped), or None when it is not one."""
    if not isinstance(doi, str):
        return None
    doi = _DOI_PREFIX.sub("", doi.strip())
    return doi if len(doi) <= 300 and _DOI.match(doi) else None


def is_category(text: object) -> bool:
    """Whether `text` reads as an arXiv category (`cs.CV`, `hep-th`, `cond-mat.mes-hall`)."""
    return isinstance(text, str) and len(text) <= 40 and bool(_CATEGORY.match(text))


def is_arxiv_id(text: object) -> bool:
    """Whether `text` is a bare arXiv id without version (`2401.00001`, `hep-th/9901001`)."""
    return isinstance(text, str) and bool(_ARXIV_BARE.match(text))


def clean_date(text: object) -> str | None:
    """An ISO date (`2024`, `2024-05`, `2024-05-17`, a timestamp) that names a real day, else None."""
    if not isinstance(text, str):
        return None
    m = _DATE.match(text.strip())
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        date(year, month, day)
    except ValueError:
        return None
    return text.strip() if 1000 <= year <= 2999 else None
