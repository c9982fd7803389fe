"""The command-line conventions: `python -m surveyor`, options before the command, help printed as
written, formats from the importer registry, "did you mean", --json everywhere, exit codes,
completion, and a scripted classifier driven through the real runner."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from conftest import cli_env, write_workspace
from scripted import FAIL, OUT, Script
from typer.testing import CliRunner

from surveyor.cli import app
from surveyor.models import Paper
from surveyor.sources import ALL_FORMATS
from surveyor.store import Workspace

runner = CliRunner()
WIDE = {"COLUMNS": "200"}  # help lines not wrapped, so a phrase can be searched for whole


def _commands() -> dict[str, typer.main.TyperCommand]:
    root = typer.main.get_command(app)
    out: dict[str, typer.main.TyperCommand] = {}
    for name, cmd in root.commands.items():  # type: ignore[attr-defined]
        subs = getattr(cmd, "commands", None)
        if subs:
            out |= {f"{name} {sub}": c for sub, c in subs.items()}
        else:
            out[name] = cmd
    return out


COMMANDS = _commands()
INTERACTIVE = {"review"}  # a conversation on the terminal, not a report


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "surveyor", "--version"], capture_output=True, text=True, env=cli_env()
    )
    assert done.returncode == 0 and done.stdout.startswith("surveyor "), done.stderr
    ws = write_workspace(tmp_path / "ws")
    status = subprocess.run(
        [sys.executable, "-m", "surveyor", "-w", str(ws), "--json", "status"],
        capture_output=True,
        text=True,
        env=cli_env(),
    )
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["papers"] == 0


def test_workspace_and_json_before_or_after_the_command(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path / "ws", taxonomy="name: T\nnodes:\n  - id: a\n    name: A\n")
    before = runner.invoke(app, ["-w", str(ws), "status", "--json"])
    after = runner.invoke(app, ["status", "-w", str(ws), "--json"])
    global_json = runner.invoke(app, ["--workspace", str(ws), "--json", "status"])
    assert before.exit_code == after.exit_code == global_json.exit_code == 0, before.output
    assert json.loads(before.output) == json.loads(after.output) == json.loads(global_json.output)
    # the command's own -w wins over the one before it
    other = runner.invoke(app, ["-w", str(tmp_path / "nowhere"), "status", "-w", str(ws)])
    assert other.exit_code == 0 and f"workspace: {ws}" in other.output


def _help(*command: str) -> str:
    """A command's help with its lines joined (phrases can be searched for whole)."""
    return " ".join(runner.invoke(app, [*command, "--help"], env=WIDE).output.split())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_prints_bracketed_text_as_written(name: str) -> None:
    """No help string loses `[...]` to markup, and each command's summary is whole in the list."""
    cmd = COMMANDS[name]
    shown = _help(*name.split())
    texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
    for text in texts:
        for bracketed in re.findall(r"\[[^\]\s]*\]+", text):
            assert bracketed in shown, f"{name}: {bracketed} missing from its help"
    summary = " ".join((cmd.help or "").split("\n\n")[0].split())
    assert summary in _help(*name.split()[:-1]), f"{name}: summary cut in the command list"


def test_fetch_and_llm_help_keep_their_brackets() -> None:
    assert "every [[sources.arxiv]] query" in _help("fetch")
    assert "LLM model name (llm.model in surveyor.toml)" in _help("classify")
    assert "default: openai when [classify] backend is openai" in _help("taxonomy", "suggest")


def test_import_help_lists_every_registered_format() -> None:
    shown = _help("import")
    for fmt in ALL_FORMATS:
        assert re.search(rf"[ :,]{re.escape(fmt)}[,.]", shown), fmt


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - INTERACTIVE))
def test_every_reporting_command_takes_json(name: str) -> None:
    assert any("--json" in getattr(p, "opts", []) for p in COMMANDS[name].params), name


def test_did_you_mean_for_a_node_and_a_format(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path / "ws")
    listing = tmp_path / "ids.txt"
    listing.write_text("2312.02051 TimeChat: A Time-sensitive Multimodal LLM for Long Video Understanding\n")
    wrong_format = runner.invoke(app, ["import", str(listing), "-f", "jsnol", "-w", str(ws)])
    assert wrong_format.exit_code == 1 and "did you mean `jsonl`?" in wrong_format.output
    assert runner.invoke(app, ["import", str(listing), "-w", str(ws)]).exit_code == 0
    wrong_node = runner.invoke(app, ["label", "2312.02051", "app-anomly", "-w", str(ws)])
    assert wrong_node.exit_code == 1 and "did you mean `app-anomaly`?" in wrong_node.output
    wrong_export = runner.invoke(app, ["export", "awsome", "-w", str(ws)])
    assert wrong_export.exit_code == 1 and "did you mean `awesome`" in wrong_export.output


def test_a_forced_format_that_reads_nothing_is_an_error(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path / "ws")
    listing = tmp_path / "ids.txt"
    listing.write_text("2312.02051 TimeChat: A Time-sensitive Multimodal LLM for Long Video Understanding\n")
    forced = runner.invoke(app, ["import", str(listing), "-f", "bibtex", "-w", str(ws)])
    assert forced.exit_code == 1
    assert "read 0" in forced.output and "no record read as `bibtex`" in forced.output
    detected = runner.invoke(app, ["import", str(listing), "--json", "-w", str(ws)])
    assert detected.exit_code == 0
    [report] = json.loads(detected.output)["files"]
    assert report["format"] == "ids" and report["added"] == 1


def test_graph_unknown_benchmark_and_node_exit_1_with_the_closest(built_example: Path) -> None:
    ws = str(built_example)
    known = runner.invoke(app, ["graph", "--json", "-w", ws])
    top = json.loads(known.output)[0]["name"]
    typo = top[:-1] + ("x" if top[-1] != "x" else "y")
    unknown = runner.invoke(app, ["graph", "--benchmark", typo, "-w", ws])
    assert unknown.exit_code == 1 and f"no benchmark `{typo}`" in unknown.output
    assert f"`{top}`" in unknown.output  # did you mean ...
    found = runner.invoke(app, ["graph", "--benchmark", top, "--json", "-w", ws])
    assert found.exit_code == 0 and json.loads(found.output)
    node = runner.invoke(app, ["graph", "--node", "watch-effcient", "-w", ws])
    assert node.exit_code == 1 and "did you mean `watch-efficient`?" in node.output


def test_json_reports_of_a_built_workspace(built_example: Path) -> None:
    ws = str(built_example)
    exported = runner.invoke(app, ["--json", "export", "awesome", "-w", ws])
    assert exported.exit_code == 0, exported.output
    files = json.loads(exported.output)
    assert files["written"] == [] and any(p.endswith("README.md") for p in files["unchanged"])
    classified = runner.invoke(app, ["classify", "--json", "-w", ws])
    report = json.loads(classified.output)
    assert report["classified"] == 0 and report["up_to_date"] > 300
    paper = next(iter(Workspace(built_example).load_papers()))
    labelled = runner.invoke(app, ["label", paper, "watch-fine", "--json", "-w", ws])
    assert json.loads(labelled.output)["labels"][0]["node"] == "watch-fine"


def test_completion_offers_formats_and_exports(tmp_path: Path) -> None:
    env = cli_env(extra={"_SURVEYOR_COMPLETE": "complete_bash", "COMP_WORDS": "surveyor import -f js"})
    done = subprocess.run(
        [sys.executable, "-c", "from surveyor.cli import main; main()"],
        capture_output=True,
        text=True,
        env={**env, "COMP_CWORD": "3"},
    )
    assert done.returncode == 0 and done.stdout.split() == ["jsonl"], done.stderr
    assert "--install-completion" in runner.invoke(app, ["--help"]).output


# --- the scripted classifier through the real runner ---------------------------------------------


def _papers(ws: Workspace) -> None:
    ws.save_papers(
        [
            Paper(id="p1", title="Streaming video memory", abstract="A stream."),
            Paper(id="p2", title="Cooking recipes", abstract="Not about video."),
            Paper(id="p3", title="Anomaly in video", abstract="Anomalies."),
            Paper(id="p4", title="Sports video", abstract="Sports."),
            Paper(id="p5", arxiv_id="2401.00005"),  # no text yet: never sent
        ]
    )


def test_scripted_classifier_through_the_runner(tmp_path: Path, scripted: Script) -> None:
    root = write_workspace(tmp_path / "ws")
    ws = Workspace(root)
    _papers(ws)
    assert runner.invoke(app, ["label", "p4", "app-sports", "-w", str(root)]).exit_code == 0
    scripted.answers = {"p1": "watch-fine", "p2": OUT, "p3": FAIL}
    first = runner.invoke(app, ["classify", "--backend", "scripted", "--json", "-w", str(root)])
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert (report["failed"], report["out_of_scope"], report["human"]) == (1, 1, 1)
    assert report["no_text"] == ["p5"] and scripted.calls == [["p1", "p2", "p3"]]
    labels = Workspace(root).load_labels()
    assert [lab.node for lab in labels["p1"].labels] == ["watch-fine"] and labels["p2"].out_of_scope
    # a second run asks again for the failed paper only; the human decision is never sent
    scripted.answers["p3"] = "app-anomaly"
    again = runner.invoke(app, ["classify", "--backend", "scripted", "-w", str(root)])
    assert again.exit_code == 0 and scripted.calls[1:] == [["p3"]], again.output
    # another model makes every machine label stale
    scripted.model = "script-2"
    runner.invoke(app, ["classify", "--backend", "scripted", "-w", str(root)])
    assert scripted.calls[2:] == [["p1", "p2", "p3"]]
    assert Workspace(root).load_labels()["p3"].model == "script-2"
