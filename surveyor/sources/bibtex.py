"""BibTeX files (bibtexparser): title, authors, year, venue (booktitle/journal), arXiv eprint, DOI,
URL, abstract, read from LaTeX into Unicode with pylatexenc; the entry key is kept so exports can
reuse the author's own keys.

Input: the .bib text. Output: papers; a block that does not parse is skipped with its line.
"""

from __future__ import annotations

import re
import unicodedata

import bibtexparser
from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexwalker import LatexWalkerError

from ..text import clean_space
from .base import Parsed, Skip

FORMAT = "bibtex"
_TEXT = LatexNodes2Text(math_mode="text", strict_latex_spaces=False)
_BARE_PERCENT = re.compile(r"(?<!\\)%")


def delatex(text: str) -> str:
    """Plain Unicode from a BibTeX field (pylatexenc): accents composed (`{\\o}` -> ø, `{\\"o}` -> ö),
    markup dropped (`\\textsc{VidNet}` -> VidNet), escapes and math read (`\\&` -> &, `$\\pi$` -> π)."""
    try:
        plain = _TEXT.latex_to_text(_BARE_PERCENT.sub(r"\\%", text))  # a bare % is no comment here
    except (LatexWalkerError, RecursionError):  # malformed or too deep: the text, braces dropped
        plain = text.replace("{", "").replace("}", "")
    return clean_space(unicodedata.normalize("NFC", plain))


def parse(text: str, file: str) -> Parsed:
    """Parse a BibTeX file."""
    out = Parsed(FORMAT)
    library = bibtexparser.parse_string(text)
    for block in library.failed_blocks:
        out.read += 1
        first = str(block.error).splitlines()[0] if str(block.error) else "syntax error"
        out.skipped.append(Skip((block.start_line or 0) + 1, f"BibTeX block does not parse: {first[:120]}"))
    for entry in library.entries:
        out.read += 1
        f = {k.lower(): delatex(str(v.value)) for k, v in entry.fields_dict.items()}
        eprint = f.get("eprint") if f.get("archiveprefix", "arxiv").lower() == "arxiv" else None
        url = f.get("url") or ""
        if not (f.get("title") or eprint or "arxiv.org" in url):
            out.skipped.append(
                Skip((entry.start_line or 0) + 1, f"entry `{entry.key}` has no title, eprint or arXiv URL")
            )
            continue
        venue = f.get("booktitle") or f.get("journal")
        year = f.get("year", "")
        out.add(
            file,
            (entry.start_line or 0) + 1,
            title=f.get("title"),
            abstract=f.get("abstract"),
            url=url or None,
            arxiv_id=eprint,
            authors=[a.strip() for a in re.split(r"\s+and\s+", f.get("author", "")) if a.strip()],
            year=int(year) if year.isdecimal() and len(year) == 4 else None,
            venue=venue if venue and "arxiv" not in venue.lower() else None,
            doi=f.get("doi"),
            bibkey=entry.key,
            links={"code": f.get("code")} if f.get("code") else None,
        )
    return out
