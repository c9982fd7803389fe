"""An Awesome list as read against the library: the parsed list and the paper of each entry.

Input: a parsed list (`awesome_md.Doc`). Output: `Listing`, filled by `listsync.match`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..models import Paper
from .awesome_md import Doc, Entry


@dataclass
class Listing:
    """The parsed list and the paper id of each entry (by its index in `doc.items`)."""

    doc: Doc
    ids: dict[int, str] = field(default_factory=dict)
    papers: dict[str, Paper] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)  # ids of papers first seen in this list

    def entries_of(self) -> dict[str, list[Entry]]:
        """Each paper's entries, in list order."""
        out: dict[str, list[Entry]] = defaultdict(list)
        for n, pid in self.ids.items():
            out[pid].append(self.doc.items[n])
        return out
