"""Files shipped with surveyor (taxonomies, prompts): found in the wheel or in a source checkout."""

from __future__ import annotations

from pathlib import Path

from .errors import SurveyorError

_PACKAGE = Path(__file__).resolve().parent


def shipped_dir(kind: str) -> Path:
    """The folder of shipped `kind` files ("taxonomies" or "prompts")."""
    for candidate in (_PACKAGE / "_data" / kind, _PACKAGE.parent / kind):
        if candidate.is_dir():
            return candidate
    raise SurveyorError(f"shipped {kind} not found", "reinstall surveyor: pip install .")


def shipped_taxonomies() -> dict[str, Path]:
    """Shipped taxonomy files by name (file stem)."""
    return {p.stem: p for p in sorted(shipped_dir("taxonomies").glob("*.yaml"))}
