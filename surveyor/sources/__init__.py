"""Importers: read a listing file, detect its format, parse it into papers.

Input: a path (and optionally a format name and snapshot filters). Output: `Parsed` with papers and
skipped records. Detection reads only the first 64 KB, so a multi-gigabyte snapshot is streamed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError, did_you_mean
from . import abstracts, awesome_md, bibtex, csvfile, daily_readme, hf_daily, hf_listing, ids, jsonl, snapshot
from .base import Parsed, Skip
from .snapshot import Filters

Parser = Callable[[str, str], Parsed]
FORMATS: dict[str, Parser] = {
    daily_readme.FORMAT: daily_readme.parse,
    awesome_md.FORMAT: awesome_md.parse,
    hf_listing.FORMAT: hf_listing.parse,
    hf_daily.FORMAT: hf_daily.parse,
    abstracts.FORMAT: abstracts.parse,
    jsonl.FORMAT: jsonl.parse,
    csvfile.FORMAT: csvfile.parse,
    bibtex.FORMAT: bibtex.parse,
    ids.FORMAT: ids.parse,
}
STREAMED = {snapshot.FORMAT}
ALL_FORMATS = sorted([*FORMATS, *STREAMED])


def detect_format(path: Path, head: str) -> str:
    """Guess a listing's format from its name and its first 64 KB."""
    suffix = path.suffix.lower()
    start = head.lstrip()[:1]
    if suffix == ".bib" or re.match(r"\s*@\w+\s*\{", head):
        return bibtex.FORMAT
    if suffix in (".csv", ".tsv"):
        return csvfile.FORMAT
    if suffix in (".jsonl", ".ndjson"):
        return jsonl.FORMAT
    if start == "[" or (start == "{" and '"paper"' in head[:2000] and "\n{" not in head.strip()[:2000]):
        return hf_daily.FORMAT
    if start == "{" and '"submitter"' in head[:3000] and '"versions"' in head[:5000]:
        return snapshot.FORMAT
    if suffix in (".jsonl", ".ndjson") or start == "{":
        return jsonl.FORMAT
    if "| **Title** |" in head or (
        "\n## " in head and "](https://arxiv.org/abs/" in head and "<details>" in head
    ):
        return daily_readme.FORMAT
    lines = [ln for ln in head.splitlines() if ln.strip()]
    if lines and sum(ln.lower().startswith("abstract:") for ln in lines) >= 0.8 * len(lines):
        return abstracts.FORMAT
    if ids.looks_like(head):
        return ids.FORMAT
    if re.search(r"^#{1,6} ", head, re.M) and re.search(r"^\s*([-*+] .*\]\(|\|.*\]\()", head, re.M):
        return awesome_md.FORMAT
    return hf_listing.FORMAT


def _head(path: Path) -> str:
    with path.open("rb") as fh:
        return fh.read(65536).decode("utf-8", errors="replace")


def read_text(path: Path) -> tuple[str, list[Skip]]:
    """The file's text; bytes that are not UTF-8 are replaced and reported by line."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        bad = [n for n, ln in enumerate(text.splitlines(), 1) if "\ufffd" in ln]
        notes = [Skip(n, "bytes that are not UTF-8 were replaced with U+FFFD") for n in bad[:20]]
        return text, notes


def parse_file(path: Path, display: str, fmt: str | None = None, filters: Filters | None = None) -> Parsed:
    """Read and parse one listing; `display` is the path recorded in each paper's sources."""
    if not path.is_file():
        raise InputError(f"file not found: {path}", "check the path (relative to the workspace)")
    if fmt is not None and fmt not in FORMATS and fmt not in STREAMED:
        raise InputError(f"unknown format `{fmt}` for {path}", did_you_mean(fmt, ALL_FORMATS, "formats"))
    try:
        fmt = fmt or detect_format(path, _head(path))
        if fmt in STREAMED:
            return snapshot.parse_path(path, display, filters or Filters())
        text, notes = read_text(path)
        parsed = FORMATS[fmt](text, display)
    except OSError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror or exc}", "check the file and its permissions"
        ) from exc
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        # a reader's last line of defence: the file is not imported, nothing already imported is touched
        raise InputError(
            f"{path}: the {fmt} reader cannot read this file ({type(exc).__name__}: {str(exc)[:120]})",
            f"check that it is a {fmt} listing, or name its format with --format",
        ) from exc
    parsed.skipped = notes + parsed.skipped
    return parsed
