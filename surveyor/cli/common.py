"""What every command shares: the global options, opening the workspace, error handling and exit
codes, printing a report as text or JSON.

Input: command-line values. Output: lines on stdout (or one JSON document), messages on stderr.
Exit codes: 0 done (also when there was nothing new), 1 a mistake to fix (the message says how),
2 a command line click cannot parse, 130 interrupted (finished work is kept).
"""

from __future__ import annotations

import contextvars
import dataclasses
import enum
import errno
import functools
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, ParamSpec, TypeVar

import typer
from typer.core import TyperCommand

from ..errors import SurveyorError

if TYPE_CHECKING:
    from ..config import Config
    from ..store import Workspace

P = ParamSpec("P")
R = TypeVar("R")

EXIT_ERROR = 1  # a mistake the user can fix: the message and hint say how
EXIT_INTERRUPTED = 130  # Ctrl-C: finished work is saved, the same command resumes

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "-w", "--workspace", help="Workspace folder (holds surveyor.toml); also before the command."
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the report as one JSON document (also before the command).")
]


def err(message: str) -> None:
    """One line on stderr, with no terminal escapes from third-party text."""
    from ..text import strip_controls

    typer.echo(strip_controls(message), err=True)


def out(line: str) -> None:
    """One line of a text report on stdout, with no terminal escapes from third-party text."""
    from ..text import strip_controls

    typer.echo(strip_controls(line))


@dataclasses.dataclass(frozen=True)
class GlobalOptions:
    """The options given before the command (`surveyor -w DIR --json status`)."""

    workspace: Path | None = None
    as_json: bool = False


# Set by the root callback on every invocation, before the command runs.
GLOBAL: contextvars.ContextVar[GlobalOptions] = contextvars.ContextVar("surveyor_global_options")


def workspace_path(given: Path | None) -> Path:
    """The workspace folder: the command's -w, else the one before the command, else the current one."""
    return given or GLOBAL.get(GlobalOptions()).workspace or Path(".")


def wants_json(given: bool) -> bool:
    """Whether to print JSON: the command's --json or the one before the command."""
    return given or GLOBAL.get(GlobalOptions()).as_json


def open_workspace(given: Path | None) -> Workspace:
    """The workspace; a command that must wait for another writer says so on stderr."""
    from ..store import Workspace

    ws = Workspace(workspace_path(given))
    ws.notify = err
    return ws


def jsonable(value: object) -> object:
    """A report as plain JSON data: dataclasses and pydantic models as objects, paths as strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_defaults=True)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)  # type: ignore[type-var]
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value.resolve())
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def emit(report: object, as_json: bool, lines: Callable[[], Iterable[str]]) -> None:
    """Print a report: as one JSON document (--json), else the text lines `lines` gives."""
    if wants_json(as_json):
        typer.echo(json.dumps(jsonable(report), indent=2, sort_keys=True, ensure_ascii=False))
        return
    for line in lines():
        out(line)


def written_lines(written: Iterable[tuple[Path, bool]], quiet_unchanged: bool = False) -> list[str]:
    """`wrote PATH` / `unchanged PATH` for what an export wrote."""
    return [
        f"{'wrote' if changed else 'unchanged'} {path.resolve()}"
        for path, changed in written
        if changed or not quiet_unchanged
    ]


def written_report(written: Iterable[tuple[Path, bool]]) -> dict[str, list[str]]:
    """What an export wrote, as JSON data: the files changed and the files left as they were."""
    pairs = list(written)
    return {
        "written": [str(p.resolve()) for p, changed in pairs if changed],
        "unchanged": [str(p.resolve()) for p, changed in pairs if not changed],
    }


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn surveyor errors into a one-line message plus hint, and Ctrl-C into a resumable stop."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SurveyorError as exc:
            fail(exc)
        except KeyboardInterrupt:
            err("interrupted: finished work is saved; run the same command again to resume")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (OSError, sqlite3.OperationalError) as exc:
            if not _disk_full(exc):
                raise
            name = getattr(exc, "filename", None)
            where = f" writing {name}" if name else ""
            fail(SurveyorError(f"the disk is full{where}", "free some space and run the same command again"))
        except Exception as exc:  # an SDK error that escaped surveyor.llm: a message, not a traceback
            mapped = _sdk_error(exc)
            if mapped is None:
                raise
            fail(mapped)

    return wrapper


def command(
    app: typer.Typer, name: str | None = None, cls: type[TyperCommand] | None = None
) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """Register a command with error handling; the command list shows its docstring's whole first
    paragraph (click would cut it at about 45 characters)."""

    def register(fn: Callable[P, None]) -> Callable[P, None]:
        summary = " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        return app.command(name, cls=cls, short_help=summary)(handle_errors(fn))

    return register


def fail(exc: SurveyorError) -> NoReturn:
    """Print the error and its hint on stderr and stop with exit code 1."""
    err(f"error: {exc.message}")
    if exc.hint:
        err(f"hint: {exc.hint}")
    raise typer.Exit(EXIT_ERROR) from None


def _disk_full(exc: BaseException) -> bool:
    """Whether an error says the disk (or the user's quota) is full."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return "disk is full" in str(exc)  # sqlite3: "database or disk is full"


def _sdk_error(exc: Exception) -> SurveyorError | None:
    """The message and hint for an `openai`/`httpx2` exception (secrets scrubbed); None for others."""
    if not type(exc).__module__.startswith(("openai", "httpx2", "httpcore2")):
        return None
    from ..config import env_config
    from ..llm.errors import from_sdk
    from ..llm.redact import Scrubber

    try:
        key = env_config().llm.api_key
    except Exception:  # an invalid setting elsewhere must not hide the error being reported
        key = None
    return from_sdk(exc, Scrubber([key]))


# The [llm] settings a command may override (None: as configured).
ModelOpt = Annotated[str | None, typer.Option(help="LLM model name (llm.model in surveyor.toml).")]
BaseUrlOpt = Annotated[
    str | None, typer.Option(help="OpenAI-compatible server URL (llm.base_url in surveyor.toml).")
]
ConcurrencyOpt = Annotated[
    int | None, typer.Option(help="Requests in flight (llm.concurrency in surveyor.toml).")
]
ModeOpt = Annotated[
    str | None, typer.Option(help="Structured output: auto, json_schema, json_object, tools or text.")
]
MaxCostOpt = Annotated[float | None, typer.Option(help="Stop cleanly once this many dollars are spent.")]
TimeoutOpt = Annotated[
    float | None, typer.Option(help="Seconds to wait for a reply (llm.timeout in surveyor.toml).")
]
BackendOpt = Annotated[
    str | None,
    typer.Option("--backend", help="offline or openai (default: openai when [classify] backend is openai)."),
]


def llm_backend(config: Config, backend: str | None) -> str:
    """--backend for commands that can use a model: as given, else openai when [classify] uses it."""
    return backend or ("openai" if config.classify.backend == "openai" else "offline")
