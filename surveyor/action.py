"""The GitHub Actions workflow `surveyor init --github-action` writes, and the Dependabot file that
keeps its actions current.

Input: the workspace folder (relative to its git repository), what to pip-install. Output:
`.github/workflows/surveyor-update.yml` and, when there is none, `.github/dependabot.yml`.

The workflow runs on a schedule (and by hand) in two jobs with the least each needs: `update` reads
the repository, holds the API key (repository secret SURVEYOR_API_KEY, or the `surveyor`
environment's; without it the offline classifier runs), installs surveyor at the exact version that
wrote the workflow (or what `--install` says) and runs `surveyor update`; `pull-request` holds no
secret and runs no surveyor code, and alone may write: it applies the first job's changes and opens
or updates one pull request whose body is CHANGES.md. Checkouts keep no credentials; every value
that comes from the user is a quoted YAML string; actions are pinned by tag, and Dependabot opens
a pull request when one of them has a new release. A workflow the maintainer edited is never
overwritten without `force`.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .config import CONFIG_NAME, load_config
from .errors import SurveyorError
from .escape import yaml_str
from .files import atomic_write_text

WORKFLOW = ".github/workflows/surveyor-update.yml"
DEPENDABOT = ".github/dependabot.yml"
ENVIRONMENT = "surveyor"


def repo_root(start: Path) -> Path:
    """The git repository the workspace is in (the workflow goes to its .github/), else `start`."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return start
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else start


def default_install() -> str:
    """The requirement that installs this very version of surveyor."""
    return f"surveyor=={__version__}"


def check_value(value: str, what: str, hint: str) -> str:
    """`value` if it can go into the workflow as data: one line, no GitHub expression (`${{`, which
    the runner would evaluate even inside quotes); else a SurveyorError."""
    if not value or not value.isprintable() or "${{" in value or len(value) > 500:
        raise SurveyorError(f"{what} {value[:80]!r} cannot go into a workflow", hint)
    return value


def workflow_text(
    workspace: str, cron: str = "17 5 * * *", install: str | None = None, changes: str = "output/CHANGES.md"
) -> str:
    """The workflow; `workspace` is the workspace folder relative to the repository root, `changes`
    the CHANGES.md an update writes, relative to the workspace (`[export] dir`)."""
    folder = workspace or "."
    check_value(folder, "the workspace path", "use a folder name without line breaks, commas or `${{`")
    if "," in folder:  # create-pull-request splits add-paths at commas
        raise SurveyorError(f"the workspace path {folder!r} holds a comma", "rename the folder")
    package = check_value(install or default_install(), "--install", "give a version, a git URL or a path")
    check_value(changes, "the export folder", "use a folder name without line breaks or `${{`")
    body = changes if folder == "." else f"{folder}/{changes}"
    return _TEMPLATE.format(
        version=__version__,
        cron=yaml_str(cron),
        environment=ENVIRONMENT,
        folder=yaml_str(folder),
        package=yaml_str(package),
        changes=yaml_str(body),
        changes_here=shlex.quote(changes),
    )


_TEMPLATE = """\
# Keeps this Awesome list current: written by `surveyor init --github-action` (surveyor {version});
# edit freely (`surveyor init --github-action` leaves an edited file alone unless given --force).
# Daily (and on demand) the `update` job runs `surveyor update`, which fetches what is new for the
# queries in surveyor.toml, classifies only the new papers, regenerates the list and writes
# CHANGES.md; it may only read the repository. The `pull-request` job, which holds no secret and
# runs no surveyor code, applies those changes to one pull request (branch surveyor/update),
# updated on every run until merged.
# Secrets: SURVEYOR_API_KEY for an LLM backend (none: the offline classifier is used), best kept in
# the `{environment}` environment (Settings > Environments) so only the `update` job can read it.
# Actions are pinned by tag; .github/dependabot.yml opens a pull request when they have a release.
name: surveyor update

on:
  schedule:
    - cron: {cron}
  workflow_dispatch:

permissions: {{}}

concurrency:
  group: surveyor-update
  cancel-in-progress: false

jobs:
  update:
    name: Fetch, classify and regenerate
    runs-on: ubuntu-latest
    timeout-minutes: 60
    environment: {environment}
    permissions:
      contents: read  # check out the list; this job writes nothing to the repository
    outputs:
      changed: ${{{{ steps.diff.outputs.changed }}}}
    defaults:
      run:
        working-directory: {folder}
    steps:
      - name: Check out the list
        uses: actions/checkout@v4
        with:
          persist-credentials: false

      - name: Install surveyor
        env:
          SURVEYOR_PACKAGE: {package}
        run: |
          python3 -m venv "$RUNNER_TEMP/surveyor-venv"
          "$RUNNER_TEMP/surveyor-venv/bin/python" -m pip install --quiet "$SURVEYOR_PACKAGE"

      - name: Fetch, classify and regenerate
        env:
          SURVEYOR_API_KEY: ${{{{ secrets.SURVEYOR_API_KEY }}}}
        run: |
          if [ -z "$SURVEYOR_API_KEY" ]; then
            export SURVEYOR_BACKEND=offline
          fi
          "$RUNNER_TEMP/surveyor-venv/bin/surveyor" update

      - name: Collect the changes
        id: diff
        run: |
          git add --all .
          git diff --cached --binary > "$RUNNER_TEMP/surveyor.patch"
          if [ -s "$RUNNER_TEMP/surveyor.patch" ] && [ -f {changes_here} ]; then
            echo "changed=true" >> "$GITHUB_OUTPUT"
          fi

      - name: Hand the changes to the next job
        if: steps.diff.outputs.changed == 'true'
        uses: actions/upload-artifact@v4
        with:
          name: surveyor-update
          path: ${{{{ runner.temp }}}}/surveyor.patch
          retention-days: 1

  pull-request:
    name: Open or update the pull request
    needs: update
    if: needs.update.outputs.changed == 'true'
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: write  # push the surveyor/update branch
      pull-requests: write  # open or update its pull request
    steps:
      - name: Check out the list
        uses: actions/checkout@v4
        with:
          persist-credentials: false

      - name: Fetch the changes
        uses: actions/download-artifact@v4
        with:
          name: surveyor-update
          path: ${{{{ runner.temp }}}}/surveyor-update

      - name: Apply the changes
        run: git apply "$RUNNER_TEMP/surveyor-update/surveyor.patch"

      - name: Open or update the pull request
        uses: peter-evans/create-pull-request@v7
        with:
          branch: surveyor/update
          delete-branch: true
          title: "surveyor: new papers"
          commit-message: "surveyor update: new papers"
          body-path: {changes}
          add-paths: {folder}
"""

DEPENDABOT_TEXT = """\
# Written by `surveyor init --github-action`: the surveyor workflow pins its actions by tag; this
# opens a pull request when one of them has a new release (after a week, so a bad release is
# usually withdrawn before it reaches you).
version: 2
updates:
  - package-ecosystem: github-actions
    directory: /
    schedule:
      interval: weekly
    cooldown:
      default-days: 7
"""


@dataclass
class WorkflowReport:
    """What `write_workflow` did: files written, files left as they were, and why."""

    written: list[Path] = field(default_factory=list)
    kept: list[tuple[Path, str]] = field(default_factory=list)


def _changes_path(workspace: Path) -> str:
    """Where an update of the workspace writes CHANGES.md, relative to it (`[export] dir`)."""
    if not (workspace / CONFIG_NAME).is_file():
        return "output/CHANGES.md"
    return (Path(load_config(workspace).export.dir) / "CHANGES.md").as_posix()


def write_workflow(
    workspace: Path, install: str | None = None, force: bool = False, root: Path | None = None
) -> WorkflowReport:
    """Write the workflow (and a Dependabot file when the repository has none) into the repository
    holding `workspace`; a workflow that differs from what would be written is kept unless `force`."""
    root = root or repo_root(workspace.resolve())
    rel = workspace.resolve().relative_to(root).as_posix() if workspace.resolve() != root else "."
    text = workflow_text(rel, install=install, changes=_changes_path(workspace))
    report = WorkflowReport()
    path = root / WORKFLOW
    if path.is_file() and path.read_text(encoding="utf-8", errors="replace") != text and not force:
        raise SurveyorError(
            f"{path} exists and differs from the workflow surveyor would write (edited by hand?)",
            "keep it, or pass --force to replace it (your edits are lost; git diff shows them)",
        )
    if atomic_write_text(path, text):
        report.written.append(path)
    else:
        report.kept.append((path, "already up to date"))
    bot = root / DEPENDABOT
    if not bot.exists():
        atomic_write_text(bot, DEPENDABOT_TEXT)
        report.written.append(bot)
    elif "github-actions" not in bot.read_text(encoding="utf-8", errors="replace"):
        report.kept.append((bot, "yours, left as is: add a `github-actions` entry to update the actions"))
    else:
        report.kept.append((bot, "yours, left as is (it already updates github-actions)"))
    return report
