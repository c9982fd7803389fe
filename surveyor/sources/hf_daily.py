"""The Hugging Face daily-papers JSON (the `/api/daily_papers` format): a list of items whose
`paper` holds `id` (the arXiv id), `title`, `summary`, `authors` (with `name`) and `publishedAt`.

Input: the JSON text. Output: papers; an item without an id or title is skipped with its index.
"""

from __future__ import annotations

import json
from typing import Any

from .base import Parsed, Skip, load_json

FORMAT = "hf-daily"


def parse(text: str, file: str) -> Parsed:
    """Parse a daily-papers JSON dump."""
    out = Parsed(FORMAT)
    try:
        data: Any = load_json(text)
    except json.JSONDecodeError as exc:
        out.skipped.append(Skip(exc.lineno, f"not valid JSON ({exc.msg}); nothing imported"))
        return out
    except ValueError as exc:
        out.skipped.append(Skip(1, f"{exc}; nothing imported"))
        return out
    items = data if isinstance(data, list) else data.get("papers", []) if isinstance(data, dict) else []
    if not isinstance(items, list):
        out.skipped.append(Skip(1, "`papers` is not a list; nothing imported"))
        return out
    for number, item in enumerate(items, 1):
        out.read += 1
        if not isinstance(item, dict):
            out.skipped.append(Skip(number, f"item {number} is not an object"))
            continue
        paper = item.get("paper", item)
        paper = paper if isinstance(paper, dict) else {}
        title, arxiv_id = paper.get("title") or item.get("title"), paper.get("id")
        if not (title or arxiv_id):
            out.skipped.append(Skip(number, f"item {number} has no paper id or title"))
            continue
        authors = paper.get("authors", [])
        if not isinstance(authors, list):
            out.skipped.append(Skip(number, f"item {number}: `authors` is not a list; kept without authors"))
            authors = []
        published = paper.get("publishedAt") or item.get("publishedAt")
        out.add(
            file,
            number,
            title=title,
            abstract=paper.get("summary") or item.get("summary"),
            arxiv_id=arxiv_id if isinstance(arxiv_id, str) else None,
            authors=[a["name"] for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)],
            published=published[:10] if isinstance(published, str) else published,
            links={"project": paper.get("projectPage"), "code": paper.get("githubRepo")},
        )
    return out
