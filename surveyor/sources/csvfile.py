"""CSV listings with a header row: title, abstract, arxiv_id/id/url, authors, year, venue, doi, code.

Input: the CSV text (comma, semicolon or tab separated). Output: papers; a row without a title,
abstract or id, with a cell over the size limit or one the csv module cannot read, is skipped with
its line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from .base import Parsed, Skip
from .jsonl import _fields

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
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    try:
        if not reader.fieldnames:
            return out
    except csv.Error as exc:
        out.skipped.append(Skip(1, f"the header row cannot be read ({exc}); nothing imported"))
        return out
    for line, row in _rows(reader, out):
        out.read += 1
        if None in row:
            out.skipped.append(Skip(line, f"{len(row[None])} more cells than the header has columns"))  # type: ignore[index]
            continue
        obj = {
            ALIASES.get(k.strip().lower(), k.strip().lower()): (v or "").strip()
            for k, v in row.items()
            if k is not None
        }
        out.add(file, line, **_fields(obj))
    return out


def _rows(reader: csv.DictReader[str], out: Parsed) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows with their line; a row the csv module rejects (a cell over its 128 KB limit) is
    skipped and reading goes on after it."""
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            out.read += 1
            out.skipped.append(Skip(start, f"row cannot be read: {exc}"))
            continue
        yield reader.line_num, row
