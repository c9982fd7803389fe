"""CSV listings with a header row: title, abstract, arxiv_id/id/url, authors, year, venue, doi, code.

Input: the CSV text (comma, semicolon or tab separated). Output: papers; a row without a title,
abstract or id is skipped with its line.
"""

from __future__ import annotations

import csv
import io

from pydantic import ValidationError

from .base import Parsed, Skip, make_paper
from .jsonl import _fields, _reason

FORMAT = "csv"
ALIASES = {
    "paper": "title",
    "name": "title",
    "summary": "abstract",
    "arxiv": "arxiv_id",
    "link": "url",
    "code_url": "code",
    "github": "code",
    "conference": "venue",
    "published": "date",
}


def parse(text: str, file: str) -> Parsed:
    """Parse a CSV file."""
    out = Parsed(FORMAT)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        return out
    for row in reader:
        line = reader.line_num
        out.read += 1
        obj = {
            ALIASES.get(k.strip().lower(), k.strip().lower()): (v or "").strip()
            for k, v in row.items()
            if k is not None
        }
        if None in row:
            out.skipped.append(Skip(line, f"{len(row[None])} more cells than the header has columns"))  # type: ignore[index]
            continue
        try:
            out.papers.append(make_paper(file, FORMAT, line, **_fields(obj)))
        except (ValidationError, ValueError, TypeError) as exc:
            out.skipped.append(Skip(line, _reason(exc)))
    return out
