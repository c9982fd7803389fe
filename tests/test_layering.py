"""The package's layers, checked: every module's imports (function-level and `TYPE_CHECKING` ones
included) go to its own layer or one below, none of them in a cycle, and no module is over
MAX_LINES lines.

Layers, lowest first:
  0 base       models, records, config, text, clock, errors, files, locking, resources, escape
  1 store      store, taxonomy, decisions (read and edited through the store)
  2 readers    sources, extract, graph, library, merges, llm (the model client)
  3 stages     classify, export
  4 features   pipeline, update, review, evolve, draft, prose, arxiv_fetch, enrich, listsync, adopt,
               action, evaluate, create
  5 cli        cli, __main__
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "surveyor"
MAX_LINES = 500
LAYERS: list[set[str]] = [
    {
        "surveyor",
        "models",
        "records",
        "config",
        "text",
        "clock",
        "errors",
        "files",
        "locking",
        "resources",
        "escape",
    },
    {"store", "taxonomy", "taxonomy_tools", "taxonomy_check", "decisions"},
    {"sources", "extract", "graph", "library", "merges", "llm"},
    {"classify", "export"},
    {
        "pipeline",
        "update",
        "review",
        "evolve",
        "draft",
        "prose",
        "arxiv_fetch",
        "enrich",
        "listsync",
        "adopt",
        "action",
        "evaluate",
        "create",
    },
    {"cli", "__main__"},
]


def module_name(path: Path) -> str:
    """`surveyor.a.b` for surveyor/a/b.py (a package is its __init__.py)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> set[str]:
    """The surveyor modules `name` imports anywhere in its file (`from . import x` names module x)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "surveyor"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "surveyor":
                continue
            subs = {f"{target}.{a.name}" for a in node.names} & MODULES.keys()
            found |= subs or {target}
            if subs and len(subs) < len(node.names):
                found.add(target)
    return {m for m in found if m in MODULES and m != name}


def layer(name: str) -> int:
    """The layer of a module: that of its top-level name under surveyor."""
    top = name.split(".")[1] if "." in name else name
    for n, members in enumerate(LAYERS):
        if top in members:
            return n
    raise AssertionError(f"{name} is in no layer: add it to LAYERS in {Path(__file__).name}")


GRAPH = nx.DiGraph([(m, dep) for m in MODULES for dep in imports(m)])
GRAPH.add_nodes_from(MODULES)


def test_every_module_is_in_a_layer() -> None:
    for name in MODULES:
        layer(name)


def test_no_import_goes_up_a_layer() -> None:
    wrong = [
        f"{a} (layer {layer(a)}) imports {b} (layer {layer(b)})"
        for a, b in sorted(GRAPH.edges)
        if layer(b) > layer(a) and not (a == "surveyor" or b == "surveyor")
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle() -> None:
    cycles = [c for c in nx.simple_cycles(GRAPH) if not (len(c) == 2 and "surveyor" in c)]
    assert not cycles, "\n".join(" -> ".join([*c, c[0]]) for c in cycles[:10])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]}: {lines} lines (at most {MAX_LINES}): split it by concern"


def test_the_checker_sees_what_it_must() -> None:
    """The parser finds relative, function-level and TYPE_CHECKING imports (else the tests above
    could pass by seeing nothing)."""
    assert "surveyor.store" in imports("surveyor.library")  # from .store import Workspace
    assert "surveyor.graph" in imports("surveyor.export.awesome")  # under TYPE_CHECKING
    assert "surveyor.llm" in imports("surveyor.draft")  # inside a function: from .llm import ask_json
    assert "surveyor.clock" in imports("surveyor.classify.runner")  # from .. import clock
    assert layer("surveyor.cli") > layer("surveyor.pipeline") > layer("surveyor.export.latex")
    assert layer("surveyor.export.latex") > layer("surveyor.library") > layer("surveyor.store")
