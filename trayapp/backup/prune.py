"""Retention: which backups to keep. `select` is pure; `prune` applies it to a folder.

Rules, applied to the backups newest first (the same meaning as restic's --keep-* options):
- the `keep_last` newest are kept;
- for each of the `keep_daily` most recent days that have a backup, that day's newest is kept;
- for each of the `keep_weekly` most recent ISO weeks that have a backup, that week's newest is kept;
- the newest verified backup is always kept, so the only verified backup is never deleted.
Counting days that *have* backups (not calendar days) means a machine that was off for a month
does not lose its daily backups on the first prune after it comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Hashable


@dataclass(frozen=True)
class Candidate:
    """One backup as retention sees it."""

    name: str
    created: float  # wall time, epoch seconds
    verified: bool = False
    size: int = 0


@dataclass(frozen=True)
class Decision:
    candidate: Candidate
    keep: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)  # why it is kept; empty when deleted


def select(backups: Sequence[Candidate], *, keep_last: int, keep_daily: int, keep_weekly: int,
           tz: tzinfo | None = None) -> list[Decision]:
    """Decide for every backup, newest first. Pure: no clock, no files."""
    ordered = sorted(backups, key=lambda c: (c.created, c.name), reverse=True)
    reasons: dict[str, list[str]] = {c.name: [] for c in ordered}
    for c in ordered[:keep_last]:
        reasons[c.name].append("last")
    _newest_per_period(ordered, keep_daily, lambda d: d.date(), "daily", reasons, tz)
    _newest_per_period(ordered, keep_weekly, lambda d: d.isocalendar()[:2], "weekly", reasons, tz)
    _protect_verified(ordered, reasons)
    return [Decision(c, bool(reasons[c.name]), tuple(reasons[c.name])) for c in ordered]


def _newest_per_period(ordered: Sequence[Candidate], count: int, period: Callable[[datetime], Hashable],
                       label: str, reasons: dict[str, list[str]], tz: tzinfo | None) -> None:
    seen: set[Hashable] = set()
    for c in ordered:
        if len(seen) >= count:
            return
        key = period(datetime.fromtimestamp(c.created, tz))
        if key not in seen:
            seen.add(key)
            reasons[c.name].append(label)


def _protect_verified(ordered: Sequence[Candidate], reasons: dict[str, list[str]]) -> None:
    if any(c.verified and reasons[c.name] for c in ordered):
        return
    newest_verified = next((c for c in ordered if c.verified), None)
    if newest_verified is not None:
        reasons[newest_verified.name].append("only verified")
