"""The Hugging Face daily-papers JSON (the `/api/daily_papers` format): a list of items whose
`paper` holds `id` (the arXiv id), `title`, `summary`, `authors` (with `name`) and `publishedAt`.

Input: the JSON text. Output: papers; an item without an id or title is skipped with its index.
"""

from __future__ import annotations

import json
from typing import Any

from .base import Parsed, Skip, make_paper

FORMAT = "hf-daily"


def parse(text: str, file: str) -> Parsed:
    """Parse a daily-papers JSON dump."""
    out = Parsed(FORMAT)
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        out.skipped.append(Skip(exc.lineno, f"not valid JSON ({exc.msg}); nothing imported"))
        return out
    items = data if isinstance(data, list) else data.get("papers", []) if isinstance(data, dict) else []
    for number, item in enumerate(items, 1):
        out.read += 1
        paper = item.get("paper", item) if isinstance(item, dict) else {}
        title, arxiv_id = paper.get("title") or item.get("title"), paper.get("id")
        if not (title or arxiv_id):
            out.skipped.append(Skip(number, f"item {number} has no paper id or title"))
            continue
        published = str(paper.get("publishedAt") or item.get("publishedAt") or "")[:10] or None
        out.papers.append(
            make_paper(
                file,
                FORMAT,
                number,
                title=title,
                abstract=paper.get("summary") or item.get("summary"),
                arxiv_id=arxiv_id,
                authors=[a.get("name", "") for a in paper.get("authors", []) if isinstance(a, dict)],
                published=published,
                year=int(published[:4]) if published else None,
                links={"project": paper.get("projectPage"), "code": paper.get("githubRepo")},
            )
        )
    return out
