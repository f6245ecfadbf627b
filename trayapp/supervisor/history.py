"""Restart history kept small: counts per quarter hour for the last day, seeded from the journal.

A program that restarts 100,000 times a day keeps 97 numbers here, not 100,000 timestamps, so
memory and the status reply stay the same size (issue 16). "Restarts today" survives a restart of
trayapp because the counts are rebuilt from the journal at start. Pure: no clock, no files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

# Every time zone's offset is a whole number of quarter hours, so a local midnight is always the
# start of a bucket and "today" is counted exactly.
BUCKET: Final = 900.0
DAY: Final = 86400.0

Counts = tuple[tuple[float, int], ...]


def bucket_of(wall: float) -> float:
    return wall - wall % BUCKET


def trimmed(counts: Counts, wall: float) -> Counts:
    """The buckets that still hold part of the day before `wall`."""
    return tuple((start, n) for start, n in counts if wall - start < DAY + BUCKET)


def counted(counts: Counts, wall: float, n: int = 1) -> Counts:
    """The counts with `n` more restarts at `wall`; at most one pair per bucket, oldest first."""
    merged = dict(trimmed(counts, wall))
    start = bucket_of(wall)
    merged[start] = merged.get(start, 0) + n
    return tuple(sorted(merged.items()))


def is_restart(entry: Mapping[str, Any], program: str) -> bool:
    """The journal entries that stand for one automatic restart (program.py writes them)."""
    if entry.get("program") != program:
        return False
    kind = entry.get("event")
    return kind == "backoff" or (kind == "restart" and entry.get("reason") in ("health", "limit"))


def from_journal(entries: Iterable[Mapping[str, Any]], program: str, wall: float) -> Counts:
    """Counts of the last day's automatic restarts of `program`, rebuilt from journal entries."""
    counts: Counts = ()
    for entry in entries:
        when = _wall_of(entry)
        if when is not None and wall - when < DAY + BUCKET and when <= wall and is_restart(entry, program):
            counts = counted(counts, when)
    return trimmed(counts, wall)


def _wall_of(entry: Mapping[str, Any]) -> float | None:
    try:
        return datetime.fromisoformat(str(entry.get("ts"))).timestamp()
    except (TypeError, ValueError, OverflowError):
        return None  # a line from a damaged journal: skip it, count the rest
