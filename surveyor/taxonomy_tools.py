"""Taxonomy conversion: other layouts of a category tree into surveyor's taxonomy YAML.

Input: a YAML file holding a node list under `taxonomy`, `nodes` or `categories` (each node with
`id`, `name`, optional `description`, `children`; other keys such as `leaf` are dropped), or a bare
list. Output: surveyor's YAML text, with the nodes named in `facets` marked as facets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import TaxonomyError
from .taxonomy import load_yaml, parse_taxonomy, yaml_problem

KEEP = ("id", "name", "description", "keywords", "examples")


def _node(raw: Any, facets: set[str], path: Path) -> dict[str, Any]:
    if not isinstance(raw, dict) or raw.get("id") in (None, "") or not raw.get("name"):
        raise TaxonomyError(f"{path}: every node needs `id` and `name`, got {str(raw)[:80]!r}")
    given = [k for k in KEEP if raw.get(k) not in (None, "", [])]
    out = {k: str(raw[k]) if k in ("id", "name", "description") else raw[k] for k in given}
    if out["id"] in facets:
        out["facet"] = True
    children = raw.get("children") or []
    if not isinstance(children, list):
        raise TaxonomyError(f"{path}: node `{out['id']}`: `children` must be a list")
    if children:
        out["children"] = [_node(c, facets, path) for c in children]
    return out


def convert(path: Path, facets: list[str], name: str | None = None) -> str:
    """Read a foreign taxonomy file and return surveyor taxonomy YAML (validated)."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: cannot read: {yaml_problem(exc)}", "fix the YAML at that line") from exc
    nodes = (
        raw
        if isinstance(raw, list)
        else next(
            (
                raw[k]
                for k in ("taxonomy", "nodes", "categories")
                if isinstance(raw, dict) and isinstance(raw.get(k), list)
            ),
            None,
        )
    )
    if not nodes:
        raise TaxonomyError(
            f"{path}: no node list found", "expected `taxonomy:`, `nodes:` or a top-level list"
        )
    source = raw.get("source", {}) if isinstance(raw, dict) else {}
    title = name or (isinstance(source, dict) and source.get("repo")) or path.stem
    description = (raw.get("description") if isinstance(raw, dict) else None) or (
        f"Converted from {source.get('repo')} ({source.get('file', '')})."
        if isinstance(source, dict) and source.get("repo")
        else ""
    )
    doc = {
        "name": str(title),
        "description": description,
        "nodes": [_node(n, set(facets), path) for n in nodes],
    }
    taxonomy = parse_taxonomy(yaml.safe_load(yaml.safe_dump(doc)), path)  # validates ids, names, facets
    missing = set(facets) - {n.id for n in taxonomy.iter_nodes()}
    if missing:
        raise TaxonomyError(f"--facet {sorted(missing)[0]}: no such node in {path}")
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
