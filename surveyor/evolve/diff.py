"""What changed between two taxonomy versions: nodes added, removed (with where their papers went),
renamed, moved, re-described.

Input: two taxonomies and the mapping of removed node ids. Output: one line per change.
"""

from __future__ import annotations

from ..taxonomy import Taxonomy


def diff(old: Taxonomy, new: Taxonomy, mapping: dict[str, str]) -> list[str]:
    """What changed from `old` to `new`: nodes added, removed (with where their papers went),
    renamed, moved, re-described."""
    before = {n.id: n for n in old.iter_nodes()}
    after = {n.id: n for n in new.iter_nodes()}
    out = []
    for nid in sorted(after.keys() - before.keys()):
        parent = new.parent(nid)
        out.append(f"+ {nid} ({after[nid].name})" + (f" under {parent}" if parent else " at the top level"))
    for nid in sorted(before.keys() - after.keys()):
        target = mapping.get(nid)
        out.append(
            f"- {nid} ({before[nid].name})" + (f" -> {target}" if target else " (papers re-classified)")
        )
    for nid in sorted(before.keys() & after.keys()):
        a, b = before[nid], after[nid]
        if a.name != b.name:
            out.append(f"~ {nid}: renamed {a.name!r} -> {b.name!r}")
        if old.parent(nid) != new.parent(nid):
            out.append(
                f"~ {nid}: moved from {old.parent(nid) or 'top level'} to {new.parent(nid) or 'top level'}"
            )
        if a.description != b.description or a.keywords != b.keywords:
            out.append(f"~ {nid}: description or keywords changed")
    return out
