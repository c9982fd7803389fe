"""The one place third-party text is made inert for each output language: LaTeX text, BibTeX
values and URLs, Markdown (and the HTML GitHub lets through it), pull-request bodies, Mermaid, DOT
and YAML. Every exporter escapes through these functions.

Input: text from papers, listings, taxonomies and model replies. Output: that text escaped for one
language; URLs that are not plain http(s) come back as None (the caller leaves the link out).

LaTeX text is escaped here rather than with pylatexenc's `unicode_to_latex`: for the characters
titles carry it emits macros the survey's preamble (T1, utf8, no amssymb) cannot typeset
(`\\mathbb{R}` for ℝ, `{\\CYRP}` for Cyrillic, `{\\bfseries ?}` for CJK), where this keeps Latin
text as UTF-8, sets Greek and symbols as math and transliterates the rest (anyascii). BibTeX values
go one step further for the accented Latin letters left: pylatexenc writes each as a braced accent
command (`ø` -> `{\\o}`, `é` -> `{\\'e}`), the form BibTeX sorts, abbreviates and purifies as a letter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from anyascii import anyascii
from pylatexenc.latexencode import unicode_to_latex

from .text import safe_url, strip_controls

# --- LaTeX ----------------------------------------------------------------------------------------------
_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
_TEX_UNICODE = {
    "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"\ldots{}",
    "×": r"$\times$", "→": r"$\rightarrow$", "←": r"$\leftarrow$", "≤": r"$\leq$", "≥": r"$\geq$",
    "±": r"$\pm$", "°": r"$^\circ$", "·": r"$\cdot$", "∑": r"$\sum$", "∞": r"$\infty$",
    "≈": r"$\approx$", "•": r"$\bullet$", "∼": r"$\sim$", "α": r"$\alpha$", "β": r"$\beta$",
    "γ": r"$\gamma$", "δ": r"$\delta$", "ε": r"$\epsilon$", "θ": r"$\theta$", "λ": r"$\lambda$",
    "μ": r"$\mu$", "π": r"$\pi$", "σ": r"$\sigma$", "τ": r"$\tau$", "φ": r"$\phi$", "ω": r"$\omega$",
    "Δ": r"$\Delta$", "Σ": r"$\Sigma$", "²": r"\textsuperscript{2}", "³": r"\textsuperscript{3}",
    "\u00a0": "~",
}  # fmt: skip
_GREEK_CAPITALS = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"}
_GREEK_LATIN = {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I", "Kappa": "K"}
_GREEK_LATIN |= {"Mu": "M", "Nu": "N", "Omicron": "O", "Rho": "P", "Tau": "T", "Chi": "X", "omicron": "o"}


def _greek(char: str) -> str | None:
    """A Greek letter as math (`$\\Psi$`), or the Latin letter it looks like where TeX has no command."""
    m = re.fullmatch(r"GREEK (CAPITAL|SMALL) LETTER (\w+)", unicodedata.name(char, ""))
    if not m:
        return None
    name = m.group(2).capitalize() if m.group(1) == "CAPITAL" else m.group(2).lower()
    if name in _GREEK_LATIN:
        return _GREEK_LATIN[name]
    if m.group(1) == "CAPITAL" and name not in _GREEK_CAPITALS:
        return None
    return f"$\\{'varsigma' if name == 'final' else name}$"


def _tex_char(char: str) -> str:
    if char in _TEX_SPECIALS:
        return _TEX_SPECIALS[char]
    if char in _TEX_UNICODE:
        return _TEX_UNICODE[char]
    if ord(char) < 0x250 and char.isprintable():
        return char  # ASCII and Latin-1/Extended-A: utf8 inputenc with T1 handles these
    if greek := _greek(char):
        return greek
    # Cyrillic, CJK, symbols: transliterated (pdfLaTeX's T1 fonts have no glyphs for them)
    ascii_form = anyascii(char)
    return "".join(_tex_char(c) for c in ascii_form if c.isprintable()) if ascii_form != char else ""


class _CharTable(dict[int, str]):
    """A `str.translate` table that works out each character's replacement once, on first sight, with
    `replace` (which must depend on the character alone). Translating through it writes the same text
    as joining `replace(c)` over the characters, in C: rendering a 5,000-paper survey's references.bib
    went from 0.13 s to 0.055 s."""

    def __init__(self, replace: Callable[[str], str]) -> None:
        super().__init__()
        self.replace = replace

    def __missing__(self, code: int) -> str:
        self[code] = out = self.replace(chr(code))
        return out


_TEX_TABLE = _CharTable(_tex_char)


def tex_escape(text: str) -> str:
    """LaTeX text that typesets as `text` reads: specials escaped, Unicode pdfLaTeX cannot set
    transliterated, whitespace (line breaks included) collapsed to single spaces."""
    text = " ".join(strip_controls(unicodedata.normalize("NFC", text)).split())
    return re.sub(r" {2,}", " ", text.translate(_TEX_TABLE)).strip()


_MATH_SEGMENT = re.compile(r"\$([^$]{1,80})\$")
_MATH_COMMANDS = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi "
    "varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi "
    "Pi Sigma Upsilon Phi Psi Omega circ times cdot cdots ldots dots infty leq geq le ge neq ne pm mp "
    "sim approx equiv propto to rightarrow leftarrow Rightarrow leftrightarrow mapsto prime ell partial "
    "nabla star ast bullet dagger ddagger in notin subset subseteq cup cap forall exists log exp sin cos "
    "max min arg sqrt frac mathrm mathbf mathit mathcal mathsf mathtt".split()
)  # commands pdfLaTeX sets with the survey's preamble (no amssymb): nothing that reads or writes
_MATH_TOKEN = re.compile(r"\\([A-Za-z]+)|\\([,;!:])|([A-Za-z0-9\s+\-=*/()\[\].,:;!'<>|^_{}])")


_MATH_ARITY = {"frac": 2, "sqrt": 1, "mathrm": 1, "mathbf": 1, "mathit": 1, "mathcal": 1, "mathsf": 1}
_MATH_ARITY |= {"mathtt": 1}
_SCRIPT_ARG = r"(?:\{[^{}]*\}|\\[A-Za-z]+|[^{}\\\s])"
_DOUBLE_SCRIPT = re.compile(rf"([\^_])\s*{_SCRIPT_ARG}\s*(?:[\^_]\s*{_SCRIPT_ARG}\s*)?\1")


def safe_math(math: str) -> bool:
    """Whether inline math from a title (what was between `$...$`) may be typeset as it is: only
    letters, digits, plain operators, balanced braces, `^`/`_` with an argument (never doubled), and
    the commands in _MATH_COMMANDS with their arguments in braces. Anything else (a `\\input`, `%`,
    `#`, `&`, `~`, a control word we do not know) makes the caller set the math as escaped text."""
    if not math.strip() or _DOUBLE_SCRIPT.search(math):
        return False
    pos, depth = 0, 0
    while pos < len(math):
        m = _MATH_TOKEN.match(math, pos)
        if not m or (m.group(1) and m.group(1) not in _MATH_COMMANDS):
            return False
        arity = _MATH_ARITY.get(m.group(1) or "", 0)
        if arity and not re.match(rf"(?:\s*\{{[^{{}}]*\}}){{{arity}}}", math[m.end() :]):
            return False
        char = m.group(3) or ""
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0 or depth > 3:
            return False
        if char in ("^", "_") and (not math[m.end() :].strip() or math[m.end() :].lstrip()[0] in "^_}"):
            return False  # a script without its argument
        pos = m.end()
    return depth == 0


def _title_pieces(title: str) -> list[tuple[bool, str]]:
    """(is math, text) pieces of a raw title: `$...$` segments that `safe_math` accepts, and the rest."""
    pieces, last = [], 0
    for m in _MATH_SEGMENT.finditer(title):
        if safe_math(m.group(1)):
            pieces += [(False, title[last : m.start()]), (True, m.group(0))]
            last = m.end()
    pieces.append((False, title[last:]))
    return [(is_math, text) for is_math, text in pieces if text]


def tex_title(title: str) -> str:
    """A title as LaTeX: its inline math kept as math where `safe_math` accepts it (`360$^\\circ$`
    stays a degree sign), every other part read as text (`untex`) and escaped."""
    from .text import untex

    parts = [text if is_math else _spaced(untex(text), tex_escape) for is_math, text in _title_pieces(title)]
    return "".join(parts).strip()


def bib_title(title: str) -> str:
    """A title as a BibTeX value: like `tex_title`, the text parts through `bib_value`."""
    from .text import untex

    parts = [text if is_math else _spaced(untex(text), bib_value) for is_math, text in _title_pieces(title)]
    return "".join(parts).strip()


def _spaced(text: str, escape: Callable[[str], str]) -> str:
    """`escape(text)` keeping one space at each end that had one (the piece sits beside math)."""
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() and text.strip() else ""
    return lead + escape(text) + trail


def tex_label(text: str) -> str:
    """A `\\label`/anchor name: letters, digits, `:.-`; anything else becomes `-`."""
    return re.sub(r"[^A-Za-z0-9:.\-]", "-", text)


# --- BibTeX ---------------------------------------------------------------------------------------------
def bib_value(text: str) -> str:
    """A BibTeX field value (to go between the field's braces): LaTeX-escaped, and with literal braces
    written as `\\textbraceleft{}`/`\\textbraceright{}`, since BibTeX counts `\\{` as a brace (one `}`
    in a title would end the field early and could open a new one)."""
    escaped = tex_escape(text).replace(r"\{", r"\textbraceleft{}").replace(r"\}", r"\textbraceright{}")
    if not escaped.isascii():
        escaped = escaped.translate(_BIB_TABLE)
    assert _balanced(escaped), escaped  # every brace left is one of our own `{}` pairs
    return escaped


def _bib_letter(char: str) -> str:
    """An accented Latin letter as BibTeX's special character `{\\"o}` (pylatexenc); else as it is."""
    if char.isascii() or not char.isalpha():
        return char
    command = unicode_to_latex(char, non_ascii_only=True)
    if command == char or "ensuremath" in command or not command.startswith(("\\", "{\\")):
        return char
    return command if command.startswith("{") else "{" + command + "}"


_BIB_TABLE = _CharTable(_bib_letter)


def bib_name(name: str) -> str:
    """One name for a BibTeX `author` list: escaped as a value, and kept whole in braces when
    BibTeX would misread it (more than one comma, a comma at an end, the word `and`)."""
    value = bib_value(name)
    if value.count(",") > 1 or value.strip().startswith(",") or value.strip().endswith(","):
        return "{" + value + "}"
    return "{" + value + "}" if re.search(r"(^|\s)and(\s|$)", value, re.I) else value


def bib_url(url: str | None) -> str | None:
    """A URL for a BibTeX `url` field (hyperref's `\\url`): http(s) only, percent-encoded, `%` and
    `#` escaped; None when the URL is not acceptable."""
    safe = safe_url(url)
    return safe.replace("%", r"\%").replace("#", r"\#") if safe else None


_NOT_BRACE = re.compile(r"[^{}]+")


def _balanced(text: str) -> bool:
    """Whether every `}` closes an earlier `{` and every `{` is closed: taking out `{}` pairs until
    none is left leaves nothing."""
    braces = _NOT_BRACE.sub("", text)
    while "{}" in braces:
        braces = braces.replace("{}", "")
    return not braces


# --- Markdown and pull-request text ----------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")  # `&lt;` would render as `<`: written as `\&lt;` it reads as typed
_MD_BULLET = re.compile(r"^([+\-])(?=\s|$)")  # at the start of a line: a nested list item
_MD_NUMBER = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")  # ... or a numbered one
_REPEATED = re.compile(r"([!~,·?！～，？])(?=\1)")  # awesome-lint's no-repeat-punctuation set
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=\bwww)(?=\.)", re.I)  # where GitHub would start a link


def md_text(text: str, autolinks: bool = True) -> str:
    """Markdown inline text that renders exactly as written: whitespace collapsed (no line can start
    a heading or a block), specials and HTML escaped, entities kept literal; with `autolinks`, bare
    URLs broken by a zero-width space (GitHub would link them; link text needs no such care)."""
    text = " ".join(strip_controls(text).split())
    if autolinks and ("//" in text or "www" in text.lower()):
        text = _AUTOLINK.sub("\u200b", text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    if "&" in text:
        text = _MD_ENTITY.sub(r"\\&", text)
    if text[:1] in ("+", "-") or text[:1].isdigit():  # (the two substitutions cost more than this test)
        text = _MD_NUMBER.sub(r"\1\\\2", _MD_BULLET.sub(r"\\\1", text))
    return text


def md_escape(text: str) -> str:
    """`md_text`, also changed where awesome-lint would object: no doubled `!!`/`??` (a zero-width
    space between), an unpaired straight double quote written `″`. For text surveyor writes itself
    (headings, descriptions, PR bodies); a paper's title goes through `md_text` as written, and the
    README tells the linter to pass over the list that holds it (`lint_sensitive`)."""
    text = _REPEATED.sub("\\1\u200b", " ".join(strip_controls(text).split()))
    if text.count('"') % 2:
        text = text.replace('"', "″")  # an unpaired quote would read as unbalanced punctuation
    return md_text(text)


_PAIRS = [tuple(pair) for pair in ("“”", "‘’", "『』", "（）", "《》", "「」", "【】")]  # awesome-lint's
_PAIRED = re.compile("[“”‘’『』（）《》「」【】]")


def lint_sensitive(text: str) -> bool:
    """Whether awesome-lint's punctuation rules (no-repeat-punctuation, balanced-punctuation) could
    object to `text` as written: doubled `!!`/`??`/`~~`, an odd number of straight double quotes, or
    curly quotes and CJK brackets that do not pair up (an apostrophe between letters is fine)."""
    if _REPEATED.search(text) or text.count('"') % 2:
        return True
    if not _PAIRED.search(text):  # the common case: no curly quote or bracket at all
        return False
    bare = re.sub(r"(?<=\w)’(?=\w|\s|$)", "", text)
    return any(bare.count(left) != bare.count(right) for left, right in _PAIRS)


def md_url(url: str | None) -> str | None:
    """A link destination: an http(s) URL, percent-encoded so `()`, spaces and `<>` cannot end it;
    None when the URL is not acceptable (`javascript:`, whitespace, no host)."""
    safe = safe_url(url)
    return safe.replace("(", "%28").replace(")", "%29") if safe else None


def md_link(text: str, url: str | None) -> str:
    """`[text](url)` for an acceptable URL, else the (already escaped) text alone."""
    dest = md_url(url)
    return f"[{text}]({dest})" if dest else text


_MENTION = re.compile(r"([@#])(?=[\w\-])|(?<=\bGH)-(?=\d)", re.I)


def pr_text(text: str, limit: int = 300) -> str:
    """Untrusted text for a pull-request body or comment: Markdown-escaped (no HTML, images or
    links), with `@user`/`@org/team` mentions, `#123` references and bare URLs broken by a
    zero-width space so GitHub neither pings, cross-references nor links; cut to `limit` characters."""
    text = " ".join(strip_controls(text).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return _MENTION.sub(lambda m: m.group(0) + "\u200b", md_escape(text))


def pr_code(text: str) -> str:
    """An identifier as inline code in a pull-request body (backticks and line breaks removed)."""
    return "`" + " ".join(strip_controls(text).replace("`", "'").split())[:120] + "`"


# --- Mermaid, DOT, XML ----------------------------------------------------------------------------------
def mermaid_text(text: str) -> str:
    """A Mermaid label's text (to go inside `"..."`): letters, digits and plain punctuation only, so
    no quote, bracket, entity (`#..;` needs the `;`), HTML or fence can end the label or the diagram."""
    clean = re.sub(r"[^\w .,:!?'+\-/*=~@$%&#]", " ", strip_controls(text))
    return " ".join(clean.replace("%%", "%").split()) or "node"


def mermaid_id(text: str) -> str:
    """A Mermaid node id: ASCII letters, digits and `_`."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text) or "_"


def dot_string(text: str) -> str:
    """A double-quoted DOT string (on one line)."""
    clean = re.sub(r"\s", " ", strip_controls(text))
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- YAML ------------------------------------------------------------------------------
_YAML_BREAKS = {"\u0085", "\u2028", "\u2029"}


def yaml_str(value: str) -> str:
    """A YAML double-quoted scalar holding exactly `value` (whatever its quotes, colons or `#`)."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable() and char not in _YAML_BREAKS and not 0xD800 <= ord(char) <= 0xDFFF:
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'
