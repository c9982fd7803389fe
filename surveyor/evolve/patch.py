"""Applying a taxonomy patch: the patch's proposals made to the taxonomy's YAML, the reverse patch,
where removed nodes' papers go, the human decisions moved with a merge, the machine labels that stay
valid.

Patch file (YAML): `base` (the taxonomy hash it applies to) and `proposals`, each one of
  - `op: add`   — `node` {id, name, description, keywords}, `parent` (null: top level), `members`
  - `op: split` — `node` (an existing id) and `children`: add-proposals under it
  - `op: merge` — `node` (an id to remove) and `into` (the id its papers move to)
with `evidence` for the reviewer, and `swollen` (evidence only). Delete what you reject.

Input: a taxonomy as a YAML dict, a patch dict, labels. Output: `Applied` and the labels to keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..models import Classification


@dataclass
class Applied:
    """The result of applying a patch to a taxonomy (as a YAML-ready dict)."""

    raw: dict[str, Any]
    mapping: dict[str, str]  # removed node id -> where its papers go
    affected_nodes: set[str]  # nodes added, removed or given new children
    members: set[str]  # papers the proposals name
    reverse: dict[str, Any]  # the patch that undoes this one


def _find(nodes: list[dict[str, Any]], node_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    for node in nodes:
        if node["id"] == node_id:
            return nodes, node
        found = _find(node.get("children") or [], node_id)
        if found:
            return found
    return None


def apply_patch(raw: dict[str, Any], patch: dict[str, Any], where: str) -> Applied:
    """Apply a patch to a taxonomy dict; errors name the proposal and say how to fix it."""
    raw = {**raw, "nodes": _copy(raw.get("nodes") or [])}
    mapping: dict[str, str] = {}
    affected: set[str] = set()
    members: set[str] = set()
    undo: list[dict[str, Any]] = []
    for n, prop in enumerate(patch.get("proposals") or [], 1):
        op = prop.get("op")
        if op == "split":
            for child in prop.get("children") or []:
                adds = _apply_add(raw, {**child, "parent": prop["node"]}, f"{where}: proposal {n}")
                affected |= {adds, prop["node"]}
                members |= set(child.get("members") or [])
                undo.append({"op": "merge", "node": adds, "into": prop["node"]})
        elif op == "add":
            adds = _apply_add(raw, prop, f"{where}: proposal {n}")
            affected.add(adds)
            if prop.get("parent"):
                affected.add(prop["parent"])
            members |= set(prop.get("members") or [])
            undo.append({"op": "merge", "node": adds, "into": prop.get("parent")})
        elif op == "merge":
            node_id, into = prop.get("node"), prop.get("into")
            found = _find(raw["nodes"], node_id)
            if not found:
                raise InputError(
                    f"{where}: proposal {n}: no node `{node_id}` to merge", "remove the proposal"
                )
            siblings, node = found
            if node.get("children"):
                raise InputError(
                    f"{where}: proposal {n}: `{node_id}` has children", "merge its children first"
                )
            if into is not None and not _find(raw["nodes"], into):
                raise InputError(f"{where}: proposal {n}: no node `{into}` to merge into", "fix `into`")
            position = siblings.index(node)
            siblings.remove(node)
            parent = _parent_of(raw["nodes"], siblings)
            mapping[node_id] = into or ""
            affected |= {node_id, *([into] if into else [])}
            undo.append(
                {
                    "op": "add",
                    "node": {k: v for k, v in node.items() if k != "children"},
                    "parent": parent,
                    "position": position,
                }
            )
        else:
            raise InputError(f"{where}: proposal {n}: unknown op `{op}`", "use add, split or merge")
    reverse = {"base": None, "proposals": list(reversed(undo))}
    return Applied(raw, mapping, affected, members, reverse)


def _copy(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**n, "children": _copy(n.get("children") or [])} if n.get("children") else dict(n) for n in nodes
    ]


def _parent_of(nodes: list[dict[str, Any]], siblings: list[dict[str, Any]]) -> str | None:
    if siblings is nodes:
        return None
    for node in nodes:
        if node.get("children") is siblings:
            return str(node["id"])
        found = _parent_of(node.get("children") or [], siblings)
        if found:
            return found
    return None


def _apply_add(raw: dict[str, Any], prop: dict[str, Any], where: str) -> str:
    node = dict(prop.get("node") or {})
    node_id = node.get("id")
    if not node_id or not node.get("name"):
        raise InputError(f"{where}: an added node needs an id and a name", "fill node.id and node.name")
    if _find(raw["nodes"], node_id):
        raise InputError(f"{where}: node `{node_id}` exists already", "choose another id")
    node = {k: v for k, v in node.items() if v not in (None, "", [])}
    parent = prop.get("parent")
    if parent is None:
        siblings = raw["nodes"]
    else:
        found = _find(raw["nodes"], parent)
        if not found:
            raise InputError(f"{where}: no parent node `{parent}`", "fix `parent` (null: top level)")
        siblings = found[1].setdefault("children", [])
    position = prop.get("position")
    siblings.insert(position if isinstance(position, int) else len(siblings), node)
    return str(node_id)


def follow(mapping: dict[str, str]) -> dict[str, str]:
    """Removed node -> where its papers end up, through merges into nodes merged later ("": nowhere)."""
    out = {}
    for node in mapping:
        target, seen = mapping[node], {node}
        while target in mapping and target not in seen:
            seen.add(target)
            target = mapping[target]
        out[node] = target
    return out


def move_decisions(
    human: dict[str, Classification], mapping: dict[str, str], where: str
) -> dict[str, Classification]:
    """The human decisions a patch changes, with their labels moved to where merged nodes went. A
    patch that would drop a human label (its node removed with nowhere to go) is refused."""
    lost = sorted(pid for pid, rec in human.items() if any(mapping.get(lab.node) == "" for lab in rec.labels))
    if lost:
        raise InputError(
            f"{where} removes nodes that hold human decisions with nowhere to move them: "
            + ", ".join(lost[:10])
            + (f" and {len(lost) - 10} more" if len(lost) > 10 else ""),
            "give those merges an `into`, or label those papers elsewhere first (`surveyor label`)",
        )
    out = {}
    for pid, rec in human.items():
        if not any(lab.node in mapping for lab in rec.labels):
            continue
        labels: dict[str, Any] = {}
        for lab in rec.labels:
            node = mapping.get(lab.node, lab.node)
            labels.setdefault(node, lab.model_copy(update={"node": node}))
        out[pid] = rec.model_copy(update={"labels": list(labels.values())})
    return out


def carry_labels(
    machine: dict[str, Classification],
    archived: dict[str, Classification],
    applied: Applied,
    old_hash: str,
    new_hash: str,
) -> dict[str, Classification]:
    """The machine labels that stay valid under the new taxonomy (re-stamped with it); the others
    are left out, to be re-classified. Back to a version we hold labels for: those, as they were."""
    touched = applied.affected_nodes | set(applied.mapping)
    keep = {}
    for pid, rec in machine.items():
        if pid in archived:
            keep[pid] = archived[pid]
        elif not (
            pid in applied.members
            or any(lab.node in touched for lab in rec.labels)
            or rec.taxonomy_hash != old_hash
        ):
            keep[pid] = rec.model_copy(update={"taxonomy_hash": new_hash})
    return keep
