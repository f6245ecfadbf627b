"""When backups last ran, read from the journal. Cheap to import: the running instance needs it
at start, long before (and often without) any backup work."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from trayapp.journal import read


def last_runs(journal_path: Path) -> tuple[float | None, float | None]:
    """(start of the last good backup, start of the last failed one), wall times, from the journal.

    The running instance calls this once at start and then tracks its own results.
    """
    good = bad = None
    for entry in read(journal_path):
        if entry.get("event") != "backup":
            continue
        when = _started(entry)
        if when is None:
            continue
        if entry.get("ok"):
            good = max(good or when, when)
        else:
            bad = max(bad or when, when)
    return good, bad


def _started(entry: dict[str, Any]) -> float | None:
    started = entry.get("started_at")
    if isinstance(started, (int, float)):
        return float(started)
    try:
        return datetime.fromisoformat(str(entry.get("ts"))).timestamp() - float(entry.get("duration") or 0)
    except ValueError:
        return None
