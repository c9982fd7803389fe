"""`surveyor init`: a new workspace from a taxonomy (a shipped one by name, or a file).

Input: a folder, a taxonomy name or path, a title. Output: `taxonomy.yaml`, `data/`, a `.gitignore`
for `.surveyor/`, and `surveyor.toml` written last (its presence is what makes the folder a
workspace, so an interrupted init is finished by running it again). Every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

from .config import CONFIG_NAME, config_text
from .errors import SurveyorError, did_you_mean
from .files import atomic_write_bytes, atomic_write_text
from .resources import shipped_taxonomies


def init_workspace(directory: Path, taxonomy: str, title: str) -> Path:
    """Create a workspace in `directory` (made if missing); return the taxonomy file it copied."""
    if (directory / CONFIG_NAME).exists():
        raise SurveyorError(f"{directory / CONFIG_NAME} already exists", "edit it instead")
    shipped = shipped_taxonomies()
    source = shipped.get(taxonomy) or Path(taxonomy)
    if not source.is_file():
        raise SurveyorError(
            f"no taxonomy `{taxonomy}`",
            did_you_mean(taxonomy, list(shipped), "shipped taxonomies") + "; or give a path",
        )
    atomic_write_bytes(directory / "taxonomy.yaml", source.read_bytes())
    (directory / "data").mkdir(parents=True, exist_ok=True)
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        atomic_write_text(gitignore, ".surveyor/\n")
    atomic_write_text(directory / CONFIG_NAME, config_text(title))
    return source
