"""Taxonomy evolution: find the papers the taxonomy fits badly, group them, propose new nodes, splits
of overfull nodes and merges of near-empty ones, as a patch file a person reviews; apply a patch
(re-classifying only the papers it touches, keeping human labels); show what changed between
taxonomy versions; bootstrap a first taxonomy.

  grouping   TF-IDF, k-means, characteristic terms (offline naming)
  suggest    badly fitting papers and the offline proposals (`Proposal`, `patch_dict`)
  refine     the model names, describes and places proposals and sorts papers into them
  patch      a patch applied to the taxonomy's YAML; decisions moved, labels carried over
  diff       what changed between two taxonomy versions
  bootstrap  a first taxonomy from the papers
  workspace  all of the above on a workspace: the files read and written

Input: a workspace. Output: patch files, the taxonomy and its recorded versions. The names below are
the package's public API.
"""

from __future__ import annotations

from .bootstrap import bootstrap
from .diff import diff
from .grouping import cluster, keywords, vectorize
from .patch import Applied, apply_patch, carry_labels, move_decisions
from .refine import LLMReport, assign_messages, llm_refine, name_messages, outline
from .suggest import (
    MAX_PROPOSALS,
    MIN_GROUP,
    SWELL_HISTORY,
    SWELL_Z,
    Proposal,
    Swelling,
    candidates,
    patch_dict,
    suggest,
    swollen,
)
from .workspace import (
    ApplyReport,
    apply_workspace,
    bootstrap_workspace,
    check_backend,
    diff_workspace,
    suggest_workspace,
    write_suggestion,
)

__all__ = [
    "MAX_PROPOSALS",
    "MIN_GROUP",
    "SWELL_HISTORY",
    "SWELL_Z",
    "Applied",
    "ApplyReport",
    "LLMReport",
    "Proposal",
    "Swelling",
    "apply_patch",
    "apply_workspace",
    "assign_messages",
    "bootstrap",
    "bootstrap_workspace",
    "candidates",
    "carry_labels",
    "check_backend",
    "cluster",
    "diff",
    "diff_workspace",
    "keywords",
    "llm_refine",
    "move_decisions",
    "name_messages",
    "outline",
    "patch_dict",
    "suggest",
    "suggest_workspace",
    "swollen",
    "vectorize",
    "write_suggestion",
]
