"""Files shipped with surveyor (taxonomies, prompts): found in the wheel or in a source checkout."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import SurveyorError

_PACKAGE = Path(__file__).resolve().parent


def shipped_dir(kind: str) -> Path:
    """The folder of shipped `kind` files ("taxonomies" or "prompts")."""
    for candidate in (_PACKAGE / "_data" / kind, _PACKAGE.parent / kind):
        if candidate.is_dir():
            return candidate
    raise SurveyorError(f"shipped {kind} not found", "reinstall surveyor: pip install .")


def prompt_template(name: str, override_dir: Path | None = None) -> str:
    """The prompt template `name` from prompts/: the workspace's own copy when it has one (in
    `override_dir`), else the shipped one."""
    own = override_dir / name if override_dir else None
    path = own if own is not None and own.is_file() else shipped_dir("prompts") / name
    return path.read_text(encoding="utf-8")


def instruction(name: str, override_dir: Path | None = None) -> str:
    """A one-paragraph system prompt from prompts/ (the file's final newline is not sent); the
    workspace's own copy in `override_dir` when it has one."""
    return prompt_template(name, override_dir).removesuffix("\n")


def fill(template: str, values: dict[str, str]) -> str:
    """`template` with each `{{name}}` replaced by `values[name]` (unknown names left as written; the
    values are not scanned again, so text in them is never taken for a placeholder)."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values.get(m.group(1), m.group(0)), template)


def render(name: str, values: dict[str, str], override_dir: Path | None = None) -> str:
    """The prompt template `name` filled with `values` (the file's final newline is not sent)."""
    return fill(prompt_template(name, override_dir), values).removesuffix("\n")


def shipped_taxonomies() -> dict[str, Path]:
    """Shipped taxonomy files by name (file stem)."""
    return {p.stem: p for p in sorted(shipped_dir("taxonomies").glob("*.yaml"))}
