"""limits.disk: the total size of a program's data folders against its budget.

Measuring walks every file, which can take seconds on a big folder, so it runs as a background
job that posts the total to the supervisor (DiskMeasured); deciding is a pure step. Crossing the
budget is told once per episode (until the folders are back under it). Nothing is ever deleted:
the data is the user's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


def folder_size(roots: Iterable[Path]) -> int:
    """Bytes in every regular file under `roots`. Links are counted as links, never followed (a link
    out of the folder must not make trayapp walk the whole disk); unreadable parts count as 0."""
    total, pending = 0, [str(r) for r in roots]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    total += _size(entry, pending)
        except OSError:
            continue
    return total


def _size(entry: os.DirEntry[str], pending: list[str]) -> int:
    try:
        if entry.is_dir(follow_symlinks=False):
            pending.append(entry.path)
            return 0
        return entry.stat(follow_symlinks=False).st_size if entry.is_file(follow_symlinks=False) else 0
    except OSError:  # it went away while we looked
        return 0


@dataclass(frozen=True)
class DiskBudget:
    """Whether the folders are over their budget now; `observe` says when an episode begins."""

    limit: int
    over: bool = False

    def observe(self, size: int) -> tuple["DiskBudget", bool]:
        """The next budget, and True exactly when this measurement crossed the limit."""
        over = size > self.limit
        return DiskBudget(self.limit, over), over and not self.over
