"""Importers: read a listing file, detect its format, parse it into papers.

Input: a path (and optionally a format name). Output: `Parsed` with papers and skipped records.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import InputError
from . import abstracts, daily_readme, hf_listing, ids, jsonl
from .base import Parsed, Skip

Parser = Callable[[str, str], Parsed]
FORMATS: dict[str, Parser] = {
    daily_readme.FORMAT: daily_readme.parse,
    hf_listing.FORMAT: hf_listing.parse,
    abstracts.FORMAT: abstracts.parse,
    jsonl.FORMAT: jsonl.parse,
    ids.FORMAT: ids.parse,
}


def detect_format(path: Path, text: str) -> str:
    """Guess a listing's format from its name and content."""
    head = text[:20000]
    if path.suffix in (".jsonl", ".ndjson") or head.lstrip().startswith("{"):
        return jsonl.FORMAT
    if "| **Title** |" in head or ("\n## " in head and "](https://arxiv.org/abs/" in head):
        return daily_readme.FORMAT
    lines = [ln for ln in head.splitlines() if ln.strip()]
    if lines and sum(ln.lower().startswith("abstract:") for ln in lines) >= 0.8 * len(lines):
        return abstracts.FORMAT
    if ids.looks_like(head):
        return ids.FORMAT
    return hf_listing.FORMAT


def read_text(path: Path) -> tuple[str, list[Skip]]:
    """The file's text; bytes that are not UTF-8 are replaced and reported by line."""
    if not path.is_file():
        raise InputError(f"file not found: {path}", "check the path (relative to the workspace)")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        bad = [n for n, ln in enumerate(text.splitlines(), 1) if "\ufffd" in ln]
        notes = [Skip(n, "bytes that are not UTF-8 were replaced with U+FFFD") for n in bad[:20]]
        return text, notes


def parse_file(path: Path, display: str, fmt: str | None = None) -> Parsed:
    """Read and parse one listing; `display` is the path recorded in each paper's sources."""
    text, notes = read_text(path)
    fmt = fmt or detect_format(path, text)
    if fmt not in FORMATS:
        raise InputError(f"unknown format `{fmt}` for {path}", f"use one of: {', '.join(sorted(FORMATS))}")
    parsed = FORMATS[fmt](text, display)
    parsed.skipped = notes + parsed.skipped
    return parsed
