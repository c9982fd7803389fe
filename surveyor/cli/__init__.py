"""The `surveyor` command: one typer sub-app per command group, each command opening the workspace,
calling one library function and printing its report (text, or JSON with --json).

Input: the command line. Output: the report on stdout, warnings and progress on stderr, the exit
code (see `common`: 0 done, 1 a mistake to fix, 2 a command line that cannot be parsed, 130
interrupted).
"""

from __future__ import annotations

import gc
import logging
from typing import Annotated

import typer

from .. import __version__
from ..errors import SurveyorError
from . import classify, collect, evaluate, publish, run, taxonomy, workspace
from .common import GLOBAL, GlobalOptions, JsonOpt, WorkspaceOpt, err

app = typer.Typer(
    help="Build and maintain literature surveys: collect papers, classify them into your "
    "taxonomy, export an Awesome list.",
    no_args_is_help=True,
    rich_markup_mode=None,  # help strings name TOML sections in brackets: printed as written
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
# Command groups, in the order a survey is made; `batch` and `taxonomy` are sub-commands.
for group in (workspace, collect, classify, publish, run, evaluate):
    app.add_typer(group.app)
app.add_typer(classify.batch_app, name="batch")
app.add_typer(taxonomy.app, name="taxonomy")


class _EchoHandler(logging.Handler):
    """Log records as plain lines on stderr (the stream of the moment, so test runners catch them)."""

    def emit(self, record: logging.LogRecord) -> None:
        err(self.format(record))


def _show_logs() -> None:
    """Warnings from surveyor, and arXiv collection's retries and progress, go to stderr."""
    root = logging.getLogger("surveyor")
    if not any(isinstance(h, _EchoHandler) for h in root.handlers):
        root.addHandler(_EchoHandler())
        root.setLevel(logging.WARNING)
        for name in ("surveyor.sources.arxiv_api", "surveyor.arxiv_fetch"):
            logging.getLogger(name).setLevel(logging.INFO)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"surveyor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Build and maintain literature surveys: collect papers, classify them into your taxonomy,
    export an Awesome list.

    Options before the command apply to it (`surveyor -w DIR status`, as `git -C`); given after
    it too, the command's own win. Exit codes: 0 done (also when nothing was new), 1 a mistake to
    fix (the message says how), 2 a command line that cannot be parsed, 130 interrupted (finished
    work is kept)."""
    GLOBAL.set(GlobalOptions(workspace, as_json))
    _show_logs()


# Objects between two garbage collections of the youngest generation (Python's default is 700). A
# command holds many objects (every paper, a parsed list) and makes many more, few of them in
# cycles: at the default, rescanning them took ~30 % of the CPU of an update of a 5,000-entry list
# (6.6 s -> 4.8 s; `python benchmarks/adopt_5k.py`).
GC_THRESHOLD = 50_000


def main() -> None:
    """Entry point of the `surveyor` script: the clock is set here, once (real unless SURVEYOR_NOW),
    and the garbage collector's pace (`GC_THRESHOLD`)."""
    from .. import clock
    from ..config import env_now

    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])

    try:
        clock.pin(env_now())
    except SurveyorError as exc:
        err(f"error: {exc.message}")
        err(f"hint: {exc.hint}")
        raise SystemExit(1) from None
    try:
        app(prog_name="surveyor")
    finally:
        # Everything still alive is freed by the exit itself: spare the interpreter's last garbage
        # collection its walk over every object (0.1-0.3 s once the openai SDK is loaded).
        gc.freeze()


__all__ = ["app", "main"]
