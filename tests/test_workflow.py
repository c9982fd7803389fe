"""The GitHub workflow `surveyor init --github-action` writes: valid YAML whatever the folder is
called, least permissions per job, no persisted credentials, surveyor pinned to the version that
wrote it, a Dependabot file for its actions, never overwritten without --force; actionlint clean
and zizmor clean apart from `unpinned-uses` (the actions are pinned by tag, Dependabot updates them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run_cli
from test_keep_current import actionlint_command

from surveyor import __version__
from surveyor.action import DEPENDABOT, WORKFLOW, workflow_text

ODD_NAMES = ["it's: a survey", 'say "hi" # now', "ünïcode {x} [y] & *z", "-dash", "a\\b"]


def git_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=path, check=True)
    return path


def init_action(repo: Path, folder: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("init", str(repo / folder), "--title", "Awesome Video", "--github-action", *extra)


@pytest.mark.parametrize("folder", ODD_NAMES)
def test_any_folder_name_gives_valid_yaml_with_the_value_intact(tmp_path: Path, folder: str) -> None:
    repo = git_repo(tmp_path / "repo")
    done = init_action(repo, folder)
    assert done.returncode == 0, done.stderr
    flow = yaml.safe_load((repo / WORKFLOW).read_text())
    assert flow["jobs"]["update"]["defaults"]["run"]["working-directory"] == folder
    publish = flow["jobs"]["pull-request"]["steps"][-1]["with"]
    assert publish["add-paths"] == folder and publish["body-path"] == f"{folder}/output/CHANGES.md"


def test_changes_md_follows_the_export_folder(tmp_path: Path) -> None:
    """`[export] dir` moves CHANGES.md: the update writes it there, and the workflow it (re)writes
    looks for it there."""
    from surveyor.store import Workspace

    repo = git_repo(tmp_path / "repo")
    assert init_action(repo, "list").returncode == 0
    config = repo / "list" / "surveyor.toml"
    config.write_text(config.read_text().replace('dir = "output"', 'dir = "site pages"'))
    assert Workspace(repo / "list").changes_path == repo / "list" / "site pages" / "CHANGES.md"
    done = init_action(repo, "list", "--force")
    assert done.returncode == 0, done.stderr
    flow = yaml.safe_load((repo / WORKFLOW).read_text())
    assert flow["jobs"]["pull-request"]["steps"][-1]["with"]["body-path"] == "list/site pages/CHANGES.md"
    collect = next(s for s in flow["jobs"]["update"]["steps"] if s.get("id") == "diff")
    assert "[ -f 'site pages/CHANGES.md' ]" in collect["run"]


def test_least_permissions_no_credentials_pinned_install(tmp_path: Path) -> None:
    flow = yaml.safe_load(workflow_text("lists/video"))
    assert flow["permissions"] == {}
    update, publish = flow["jobs"]["update"], flow["jobs"]["pull-request"]
    assert update["permissions"] == {"contents": "read"}
    assert publish["permissions"] == {"contents": "write", "pull-requests": "write"}
    secrets = [job for job in flow["jobs"].values() if "secrets." in json.dumps(job)]
    assert secrets == [update] and update["environment"] == "surveyor"
    runs = " ".join(step.get("run", "") for step in publish["steps"])
    assert "pip" not in runs and "bin/surveyor" not in runs  # the writing job runs no surveyor code
    for job in flow["jobs"].values():
        checkout = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout"))
        assert checkout["with"]["persist-credentials"] is False
    install = next(s for s in update["steps"] if s["name"] == "Install surveyor")
    assert install["env"]["SURVEYOR_PACKAGE"] == f"surveyor=={__version__}"
    assert "$SURVEYOR_PACKAGE" in install["run"]  # data in the environment, never in the script
    pinned = yaml.safe_load(workflow_text(".", install="git+https://github.com/o/surveyor@0123abc"))
    step = next(s for s in pinned["jobs"]["update"]["steps"] if s["name"] == "Install surveyor")
    assert step["env"]["SURVEYOR_PACKAGE"] == "git+https://github.com/o/surveyor@0123abc"


def test_values_that_would_run_are_refused(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    for folder, why in [("${{ secrets.SURVEYOR_API_KEY }}", "cannot go into a workflow"), ("a,b", "comma")]:
        done = init_action(repo, folder)
        assert done.returncode == 1 and why in done.stderr and "Traceback" not in done.stderr
    done = init_action(repo, "ok", "--install", "surveyor\nrun: curl evil")
    assert done.returncode == 1 and "--install" in done.stderr and not (repo / WORKFLOW).exists()


@pytest.mark.slow
def test_edited_workflow_is_kept_unless_forced_and_dependabot_never_clobbered(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    assert init_action(repo, "list").returncode == 0
    workflow, bot = repo / WORKFLOW, repo / DEPENDABOT
    assert "package-ecosystem: github-actions" in bot.read_text()
    again = init_action(repo, "list")
    assert again.returncode == 0 and "already up to date" in again.stdout
    edited = workflow.read_text().replace('cron: "17 5 * * *"', 'cron: "0 6 * * 1"')
    workflow.write_text(edited)
    bot.write_text("version: 2\nupdates: []\n")
    refused = init_action(repo, "list")
    assert refused.returncode == 1 and "--force" in refused.stderr and workflow.read_text() == edited
    forced = init_action(repo, "list", "--force")
    assert forced.returncode == 0 and workflow.read_text() != edited
    assert bot.read_text() == "version: 2\nupdates: []\n" and "github-actions" in forced.stdout


@pytest.mark.skipif(actionlint_command() is None, reason="actionlint not installed (.ci/run installs it)")
@pytest.mark.slow
def test_actionlint_is_clean_for_an_odd_folder(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    assert init_action(repo, "it's: a survey").returncode == 0
    env = {
        **os.environ,
        "NODE_PATH": os.environ.get("SURVEYOR_NODE_MODULES", str(ROOT / ".ci/node/node_modules")),
    }
    cmd = actionlint_command()
    assert cmd
    done = subprocess.run([*cmd, str(repo / WORKFLOW)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def zizmor(repo: Path, *args: str) -> list[str]:
    done = subprocess.run(
        ["zizmor", "--offline", "--format", "json", *args, str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip(), done.stderr
    return sorted({finding["ident"] for finding in json.loads(done.stdout)})


@pytest.mark.skipif(
    shutil.which("zizmor") is None, reason="zizmor not installed (pip install 'surveyor[test]')"
)
def test_zizmor_finds_nothing_but_tag_pins(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    assert init_action(repo, "lists/it's: a survey").returncode == 0
    assert zizmor(repo) == ["unpinned-uses"]
    # the auditor persona also notes (low confidence) that `gh pr create` could replace the PR action
    assert set(zizmor(repo, "--persona", "auditor")) <= {"unpinned-uses", "superfluous-actions"}
    broken = repo / ".github" / "workflows" / "broken.yml"
    broken.write_text(
        (repo / WORKFLOW).read_text().replace("        with:\n          persist-credentials: false\n", "")
    )
    assert "artipacked" in zizmor(repo)  # the audit is real
