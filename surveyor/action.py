"""The GitHub Actions workflow `surveyor init --github-action` writes: on a schedule (and by hand),
run `surveyor update` and open or update one pull request with what changed, its body the run's
CHANGES.md. The API key comes from the repository secret SURVEYOR_API_KEY; without it the run uses
the offline classifier.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

WORKFLOW = ".github/workflows/surveyor-update.yml"


def repo_root(start: Path) -> Path:
    """The git repository the workspace is in (the workflow goes to its .github/), else `start`."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return start
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else start


def workflow_text(workspace: str, cron: str = "17 5 * * *", install: str = "surveyor") -> str:
    """The workflow; `workspace` is the workspace folder relative to the repository root."""
    changes = "output/CHANGES.md" if workspace in ("", ".") else f"{workspace}/output/CHANGES.md"
    return f"""# Keeps this Awesome list current: written by `surveyor init --github-action`; edit freely.
# Daily (and on demand) it runs `surveyor update`, which fetches what is new for the queries in
# surveyor.toml, classifies only the new papers, regenerates the list and writes CHANGES.md; the
# changes go to one pull request (branch surveyor/update), updated on every run until merged.
# Secrets: SURVEYOR_API_KEY for an LLM backend (none: the offline classifier is used).
name: surveyor update

on:
  schedule:
    - cron: "{cron}"
  workflow_dispatch:

permissions:
  contents: write
  pull-requests: write

concurrency:
  group: surveyor-update
  cancel-in-progress: false

jobs:
  update:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    defaults:
      run:
        working-directory: {workspace or "."}
    steps:
      - uses: actions/checkout@v4

      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"

      - name: Install surveyor
        run: python -m pip install "{install}"

      - name: Fetch, classify and regenerate
        env:
          SURVEYOR_API_KEY: ${{{{ secrets.SURVEYOR_API_KEY }}}}
        run: |
          if [ -z "$SURVEYOR_API_KEY" ]; then
            export SURVEYOR_BACKEND=offline
          fi
          surveyor update

      - name: Open or update the pull request
        if: hashFiles('{changes}') != ''
        uses: peter-evans/create-pull-request@v7
        with:
          branch: surveyor/update
          delete-branch: true
          title: "surveyor: new papers"
          commit-message: "surveyor update: new papers"
          body-path: {changes}
          add-paths: |
            {workspace or "."}
"""


def write_workflow(workspace: Path, install: str = "surveyor") -> Path:
    """Write the workflow into the repository holding `workspace`; return its path."""
    root = repo_root(workspace.resolve())
    rel = workspace.resolve().relative_to(root).as_posix() if workspace.resolve() != root else "."
    path = root / WORKFLOW
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow_text(rel, install=install), encoding="utf-8")
    return path
