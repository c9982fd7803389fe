"""The CLI contract: help everywhere; user mistakes exit non-zero with one line and a hint."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import run_cli, write_workspace
from typer.testing import CliRunner

from surveyor.cli import app

runner = CliRunner()


def _all_commands() -> list[list[str]]:
    """Every command path the CLI registers, sub-commands included."""
    import typer.main

    root = typer.main.get_command(app)
    out = []
    for name, cmd in sorted(root.commands.items()):  # type: ignore[attr-defined]
        out.append([name])
        out += [[name, sub] for sub in sorted(getattr(cmd, "commands", {}))]
    return out


COMMANDS = _all_commands()


def test_the_cli_has_the_commands_the_readme_promises() -> None:
    names = {" ".join(c) for c in COMMANDS}
    assert {
        "init",
        "import",
        "classify",
        "export",
        "build",
        "status",
        "graph",
        "eval",
        "label",
        "review",
        "taxonomy convert",
    } <= names


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output and len(result.output.splitlines()) > 3


def test_workspace_commands_take_the_workspace_option() -> None:
    for command in ("import", "classify", "export", "build", "status", "graph", "label", "review"):
        assert "--workspace" in runner.invoke(app, [command, "--help"]).output, command


def assert_user_error(result: subprocess.CompletedProcess[str], *pieces: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ")
    assert len(lines) <= 2 and (len(lines) == 1 or lines[1].startswith("hint: "))
    for piece in pieces:
        assert piece in result.stderr


def test_no_workspace(tmp_path: Path) -> None:
    assert_user_error(run_cli("status", cwd=tmp_path), "no surveyor.toml", "surveyor init")


def test_duplicate_taxonomy_id(tmp_path: Path) -> None:
    tax = "name: T\nnodes:\n  - id: a\n    name: A\n  - id: a\n    name: B\n"
    ws = write_workspace(tmp_path / "ws", taxonomy=tax)
    assert_user_error(
        run_cli("classify", "-w", str(ws), cwd=tmp_path), "taxonomy.yaml:5", "duplicate node id `a`"
    )


def test_yaml_syntax_error(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path / "ws", taxonomy="name: T\nnodes:\n  - id: a\n   name: [\n")
    assert_user_error(run_cli("build", str(ws), cwd=tmp_path), "taxonomy.yaml:", "YAML syntax error")


def test_unknown_config_key(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path / "ws", "[export]\nreadme_path = 'x'\n")
    assert_user_error(run_cli("build", str(ws), cwd=tmp_path), "unknown key `export.readme_path`")


def test_missing_import_file(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path / "ws")
    assert_user_error(run_cli("import", "nope.txt", "-w", str(ws), cwd=tmp_path), "file not found")


def test_unknown_backend_and_export(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path / "ws")
    assert_user_error(
        run_cli("classify", "--backend", "gpt", "-w", str(ws), cwd=tmp_path),
        "unknown classification backend `gpt`",
        "offline",
    )
    assert_user_error(run_cli("export", "pdf", "-w", str(ws), cwd=tmp_path), "unknown export `pdf`")


def test_damaged_data_file_names_file_and_line(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path / "ws")
    (ws / "data").mkdir()
    (ws / "data" / "papers.jsonl").write_text('{"id": "x", "title": "ok"}\n{"id": "y"}\n')
    assert_user_error(run_cli("status", "-w", str(ws), cwd=tmp_path), "papers.jsonl:2")


def test_init_creates_a_working_workspace(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "new"), "--title", "My list"])
    assert result.exit_code == 0, result.output
    ws = tmp_path / "new"
    assert (ws / "taxonomy.yaml").is_file() and ".surveyor/" in (ws / ".gitignore").read_text()
    listing = tmp_path / "ids.txt"
    listing.write_text("2312.02051 TimeChat: A Time-sensitive Multimodal LLM for Long Video Understanding\n")
    assert runner.invoke(app, ["import", str(listing), "-w", str(ws)]).exit_code == 0
    result = runner.invoke(app, ["build", str(ws)])
    assert result.exit_code == 0, result.output
    readme = (ws / "output" / "README.md").read_text()
    assert readme.startswith("# My List [![Awesome]")
    again = runner.invoke(app, ["init", str(ws)])
    assert again.exit_code == 1 and "already exists" in again.output
