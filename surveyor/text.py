"""Small pure text helpers shared by importers, dedupe, the classifier and exports."""

from __future__ import annotations

import hashlib
import re
import unicodedata

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


def fold(text: str) -> str:
    """Lowercase, strip accents and collapse everything but letters and digits to single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def normalize_title(title: str) -> str:
    """The key two titles share when they name the same paper (case, punctuation, accents)."""
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
    return re.sub(r"\s+", " ", text).strip()


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
    "pm": "±", "cdot": "·", "sim": "∼", "approx": "≈",
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
    text = _TEX_SYMBOL.sub(lambda m: _TEX_SYMBOLS[m.group(1)], text)
    text = _INLINE_MATH.sub(lambda m: m.group(1).replace("{", "").replace("}", "").strip(), text)
    return _TEX_ESCAPED.sub(r"\1", text)
