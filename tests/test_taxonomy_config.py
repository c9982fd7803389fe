"""Taxonomy and surveyor.toml validation: every error names the file, the line and the culprit."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TAXONOMY, write_workspace

from surveyor.config import load_config
from surveyor.errors import ConfigError, TaxonomyError
from surveyor.taxonomy import load_taxonomy

GOOD = """name: T
description: d
nodes:
  - id: a
    name: A
    keywords: [x]
    children:
      - id: a1
        name: A one
  - id: b
    name: B
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tax.yaml"
    path.write_text(text)
    return path


def test_shipped_taxonomy_loads_with_required_shape() -> None:
    tax = load_taxonomy(TAXONOMY)
    tops = [n.id for n in tax.nodes]
    assert tops == ["watch", "remember", "reason", "apps", "data"]
    assert [c.id for c in tax.node("reason").children] == ["reason-text", "reason-visual"]
    assert {
        "app-egocentric",
        "app-sports",
        "app-instructional",
        "app-medical",
        "app-narrative",
    } <= {c.id for c in tax.node("apps").children}
    assert all(n.name and n.description for n in tax.iter_nodes())
    assert tax.ancestors("remember-streaming") == ["remember", "remember-streaming"]
    assert tax.depth("watch-fine") == 2 and tax.parent("watch") is None


def test_hash_is_stable_and_changes_with_content(tmp_path: Path) -> None:
    a = load_taxonomy(write(tmp_path, GOOD))
    assert a.hash == load_taxonomy(write(tmp_path, GOOD)).hash
    assert a.hash != load_taxonomy(write(tmp_path, GOOD.replace("A one", "A 1"))).hash


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        (GOOD.replace("id: b", "id: a1"), ["tax.yaml:10", "duplicate node id `a1`", "line 8"]),
        (GOOD.replace("name: B", "name: ''"), ["tax.yaml:10", "node `b` has an empty `name`"]),
        (
            GOOD.replace("    keywords: [x]", "    colour: red"),
            ["tax.yaml:4", "unknown field `colour`", "node `a`"],
        ),
        (GOOD.replace("  - id: b\n", "  - id: b\n   bad: [\n"), ["tax.yaml:", "YAML syntax error"]),
        (GOOD.replace("id: a1", "id: 1.10"), ["tax.yaml:8", "id 1.1 is not a string"]),
        ("nodes: []\n", ["non-empty list"]),
        (GOOD.replace("name: T\n", "title: T\n"), ["tax.yaml:1", "unknown field `title`"]),
    ],
)
def test_taxonomy_errors_name_file_line_and_node(tmp_path: Path, text: str, pieces: list[str]) -> None:
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(write(tmp_path, text))
    for piece in pieces:
        assert piece in str(err.value)


def test_missing_taxonomy_file(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="taxonomy file not found"):
        load_taxonomy(tmp_path / "nope.yaml")


def test_config_unknown_key_names_key_file_and_line(tmp_path: Path) -> None:
    root = write_workspace(tmp_path, "[classify]\nbackend = 'offline'\nbakend = 'x'\n")
    with pytest.raises(ConfigError) as err:
        load_config(root)
    assert "surveyor.toml:5" in str(err.value)
    assert "unknown key `classify.bakend`" in str(err.value)
    assert err.value.hint and "backend" in err.value.hint


def test_config_unknown_top_level_key(tmp_path: Path) -> None:
    root = write_workspace(tmp_path, "colour = 'red'\n")
    with pytest.raises(ConfigError, match=r"surveyor.toml:3: unknown key `colour`"):
        load_config(root)


def test_config_bad_value_and_bad_toml(tmp_path: Path) -> None:
    root = write_workspace(tmp_path, "[classify]\nmin_confidence = 2\n")
    with pytest.raises(ConfigError, match=r"classify\.min_confidence"):
        load_config(root)
    (root / "surveyor.toml").write_text("title = \n")
    with pytest.raises(ConfigError, match="TOML syntax error"):
        load_config(root)


def test_missing_config_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert "no surveyor.toml" in str(err.value) and "surveyor init" in (err.value.hint or "")


def test_env_overrides_config(tmp_path: Path) -> None:
    root = write_workspace(tmp_path)
    assert load_config(root, env={}).classify.backend == "offline"
    assert load_config(root, env={"SURVEYOR_BACKEND": "other"}).classify.backend == "other"
