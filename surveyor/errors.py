"""Errors surveyor raises for user mistakes; each carries a hint that says how to fix it."""

from __future__ import annotations


class SurveyorError(Exception):
    """A problem the user can fix; the CLI prints it as one line plus a hint, never a traceback."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(SurveyorError):
    """surveyor.toml is missing, malformed or holds an unknown or invalid key."""


class TaxonomyError(SurveyorError):
    """A taxonomy file is malformed: bad YAML, unknown field, duplicate id, empty name."""


class InputError(SurveyorError):
    """An input file cannot be read at all (missing, unknown format, unreadable)."""


class WorkspaceError(SurveyorError):
    """The workspace's data files are missing or damaged."""


def where(path: object, line: int | None = None) -> str:
    """Format a file location as `path:line` (or just `path`)."""
    return f"{path}:{line}" if line else str(path)


def did_you_mean(given: str, choices: list[str], what: str = "one of") -> str:
    """A hint for a mistyped name: the closest choices (rapidfuzz), else the list of all of them."""
    from rapidfuzz import fuzz, process, utils

    found = process.extract(
        given, choices, scorer=fuzz.ratio, processor=utils.default_process, limit=3, score_cutoff=70
    )
    close = [name for name, score, _ in found if score >= found[0][1] - 5]
    if close:
        return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
    return f"{what}: {', '.join(choices)}" if choices else "there is none yet"
