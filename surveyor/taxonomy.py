"""Load and validate a taxonomy YAML file into a `Taxonomy`; errors name the file, line and node.

Input: a YAML file (`name`, `description`, optional `scope`, `nodes` with nested `children`).
Output: a `Taxonomy` with lookups (by id, parent, path, depth) and a stable content hash.
Every YAML file surveyor reads goes through `load_yaml`, whose limits keep a hostile file from
exhausting memory or the stack: at most MAX_ALIASES aliases, MAX_YAML_NODES nodes once aliases are
expanded (an anchor bomb has billions), MAX_YAML_DEPTH levels of nesting; a taxonomy is at most
MAX_DEPTH levels deep.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from .errors import TaxonomyError, where
from .text import strip_controls

LINE = "__line__"
MAX_DEPTH = 10  # levels of a taxonomy (LaTeX has five heading levels, Markdown six)
MAX_ALIASES = 50
MAX_YAML_NODES = 200_000
MAX_YAML_DEPTH = 100
NODE_FIELDS = {"id", "name", "description", "keywords", "examples", "facet", "children"}
TOP_FIELDS = {"name", "description", "scope", "nodes"}
SCOPE_FIELDS = {"keywords", "min_mentions", "description"}


class Node(BaseModel):
    """One category of the taxonomy."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    description: str = ""
    keywords: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    facet: bool = False  # a view of the papers: one label inside it; sibling facets are parallel views
    children: list[Node] = Field(default_factory=list)


class Scope(BaseModel):
    """What makes a paper in scope at all: any keyword, mentioned at least `min_mentions` times."""

    model_config = ConfigDict(extra="forbid")

    keywords: list[str] = Field(default_factory=list)
    min_mentions: int = 2
    description: str = ""


class Taxonomy(BaseModel):
    """A named tree of nodes whose ids are unique across the whole tree."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    scope: Scope | None = None
    nodes: list[Node]
    _by_id: dict[str, Node] = PrivateAttr(default_factory=dict)
    _parent: dict[str, str | None] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context: Any) -> None:
        for node, parent in self._walk(self.nodes, None):
            self._by_id[node.id] = node
            self._parent[node.id] = parent

    @staticmethod
    def _walk(nodes: list[Node], parent: str | None) -> Iterator[tuple[Node, str | None]]:
        for node in nodes:
            yield node, parent
            yield from Taxonomy._walk(node.children, node.id)

    def iter_nodes(self) -> Iterator[Node]:
        """Every node, depth first, in file order."""
        return iter(self._by_id.values())

    def node(self, node_id: str) -> Node:
        """The node with this id (KeyError if none)."""
        return self._by_id[node_id]

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._by_id

    def parent(self, node_id: str) -> str | None:
        """The parent's id, or None for a top-level node."""
        return self._parent[node_id]

    def ancestors(self, node_id: str) -> list[str]:
        """Ids from the top-level node down to and including `node_id`."""
        chain: list[str] = []
        current: str | None = node_id
        while current is not None:
            chain.append(current)
            current = self._parent[current]
        return chain[::-1]

    def depth(self, node_id: str) -> int:
        """1 for top-level nodes, 2 for their children, and so on."""
        return len(self.ancestors(node_id))

    def path_names(self, node_id: str) -> list[str]:
        """The names from the top-level node down to this one."""
        return [self._by_id[n].name for n in self.ancestors(node_id)]

    def facet_of(self, node_id: str) -> str | None:
        """The facet node that `node_id` lies in (itself included), if any."""
        return next((a for a in self.ancestors(node_id) if self._by_id[a].facet), None)

    def children_of(self, node_id: str | None) -> list[Node]:
        """The children of a node; the top-level nodes for None."""
        return self.nodes if node_id is None else self._by_id[node_id].children

    def leaves(self) -> list[Node]:
        """Nodes without children."""
        return [n for n in self._by_id.values() if not n.children]

    @property
    def hash(self) -> str:
        """A short hash of the content; it changes when any field of any node changes."""
        blob = json.dumps(self.model_dump(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with limits on aliases, nesting and the size once aliases are expanded."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        """Count aliases and nesting as the document is composed (before anything is built)."""
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _limit(f"more than {MAX_ALIASES} aliases (*name)", self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _limit(f"nested more than {MAX_YAML_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1

    def get_single_node(self) -> yaml.Node | None:
        """The document's node, refused when aliases expand it past MAX_YAML_NODES nodes."""
        node = super().get_single_node()
        if node is not None and _expanded_size(node) > MAX_YAML_NODES:
            raise _limit(
                f"more than {MAX_YAML_NODES:,} values once its aliases are expanded", node.start_mark
            )
        return node


class YAMLLimitError(yaml.composer.ComposerError):
    """A YAML file over one of the loader's limits (aliases, nesting, expanded size)."""


def _limit(problem: str, mark: yaml.Mark) -> YAMLLimitError:
    return YAMLLimitError(None, None, f"{problem}; surveyor reads no such file", mark)


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes `root` holds with every alias expanded (each shared node counted per use)."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in size:
            continue
        children = _children(node)
        if done or not children:
            size[id(node)] = 1 + sum(size[id(c)] for c in children)
            if size[id(node)] > MAX_YAML_NODES:
                return size[id(node)]
            continue
        stack.append((node, True))
        stack += [(c, False) for c in children if id(c) not in size]
    return size[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: `line N: what is wrong`."""
    mark = getattr(exc, "problem_mark", None)
    problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
    return f"line {mark.line + 1}: {problem}" if mark else problem


def load_yaml(text: str) -> Any:
    """`yaml.safe_load` with the limits above (a yaml.YAMLError names the line when one is hit)."""
    return yaml.load(text, Loader=_LimitedLoader)


class _LineLoader(_LimitedLoader):
    """A YAML loader that records the line of every mapping under the `__line__` key."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = dict(loader.construct_mapping(node, deep=True))  # type: ignore[arg-type]
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_taxonomy(path: Path) -> Taxonomy:
    """Read, check and build the taxonomy at `path`."""
    if not path.is_file():
        raise TaxonomyError(
            f"taxonomy file not found: {path}",
            "check the `taxonomy` path in surveyor.toml (it is relative to the workspace)",
        )
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except UnicodeDecodeError as exc:
        raise TaxonomyError(f"{path}: not UTF-8 text ({exc.reason})", "save it as UTF-8") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        if isinstance(exc, YAMLLimitError):
            hint = f"write values out instead of aliases, and keep the tree at most {MAX_DEPTH} levels deep"
            raise TaxonomyError(f"{where(path, line)}: {problem}", hint) from exc
        raise TaxonomyError(
            f"{where(path, line)}: YAML syntax error: {problem}",
            "fix the indentation or quoting on that line",
        ) from exc
    return parse_taxonomy(raw, path)


def parse_taxonomy(raw: Any, path: Path) -> Taxonomy:
    """Check the loaded YAML structure (with `__line__` marks) and build a `Taxonomy`."""
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{path}: expected a mapping with `name` and `nodes` at the top")
    line = raw.pop(LINE, None)
    _check_fields(raw, TOP_FIELDS, path, line, "the taxonomy")
    if not isinstance(raw.get("nodes"), list) or not raw["nodes"]:
        raise TaxonomyError(f"{where(path, line)}: `nodes` must be a non-empty list")
    if isinstance(raw.get("scope"), dict):
        scope_line = raw["scope"].pop(LINE, None)
        _check_fields(raw["scope"], SCOPE_FIELDS, path, scope_line, "`scope`")
    seen: dict[str, int | None] = {}
    raw["nodes"] = [_check_node(n, path, seen, line) for n in raw["nodes"]]
    for key in ("name", "description"):
        if isinstance(raw.get(key), str):
            raw[key] = strip_controls(raw[key])
    if not str(raw.get("name") or "").strip():
        raise TaxonomyError(f"{where(path, line)}: the taxonomy needs a non-empty `name`")
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise TaxonomyError(f"{path}: {loc}: {err['msg']}") from exc


def _check_fields(d: dict[str, Any], allowed: set[str], path: Path, line: int | None, what: str) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise TaxonomyError(
            f"{where(path, line)}: unknown field `{unknown[0]}` in {what}",
            f"allowed fields: {', '.join(sorted(allowed))}",
        )


def _check_node(
    d: Any, path: Path, seen: dict[str, int | None], parent_line: int | None, depth: int = 1
) -> Any:
    if depth > MAX_DEPTH:
        raise TaxonomyError(
            f"{where(path, parent_line)}: the taxonomy is more than {MAX_DEPTH} levels deep",
            "merge the deepest levels into their parents",
        )
    if not isinstance(d, dict):
        raise TaxonomyError(
            f"{where(path, parent_line)}: each node must be a mapping with `id` and `name`, got {d!r}"
        )
    line = d.pop(LINE, None)
    node_id = d.get("id")
    label = f"node `{node_id}`" if node_id is not None else "a node"
    _check_fields(d, NODE_FIELDS, path, line, label)
    if isinstance(node_id, (float, bool)):
        raise TaxonomyError(f"{where(path, line)}: id {node_id!r} is not a string", "quote it: id: '1.10'")
    if node_id is None or not str(node_id).strip():
        raise TaxonomyError(f"{where(path, line)}: {label} has no `id`", "give every node an id")
    node_id = d["id"] = str(node_id).strip()
    if not node_id.isprintable() or len(node_id) > 200:
        raise TaxonomyError(f"{where(path, line)}: node id {node_id[:60]!r} is not one short line of text")
    if node_id in seen:
        raise TaxonomyError(
            f"{where(path, line)}: duplicate node id `{node_id}` (first at line {seen[node_id]})",
            "node ids must be unique across the whole tree",
        )
    seen[node_id] = line
    if not str(d.get("name") or "").strip():
        raise TaxonomyError(f"{where(path, line)}: node `{node_id}` has an empty `name`")
    for key in ("name", "description"):
        if isinstance(d.get(key), str):
            d[key] = strip_controls(d[key])
    for key in ("keywords", "examples"):
        if key in d and d[key] is not None and not isinstance(d[key], list):
            raise TaxonomyError(f"{where(path, line)}: node `{node_id}`: `{key}` must be a list")
        d[key] = [strip_controls(str(x)) for x in d.get(key) or []]
    children = d.get("children") or []
    if not isinstance(children, list):
        raise TaxonomyError(f"{where(path, line)}: node `{node_id}`: `children` must be a list")
    d["children"] = [_check_node(c, path, seen, line, depth + 1) for c in children]
    return d
