"""GET /api/events: the journal in sentences, newest first, filtered by program and kind.

The journal is read from its end (journal_tail): a page stops once it has `limit` matching events
and has looked at SCAN_FOR_FILTERS entries, so the kinds and programs offered for the filters come
from at least the newest 2,000 entries without reading a 5 MB journal whole for every page.
`event_json` is also what the live stream (/events, type `journal`) sends for a new entry.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trayapp.dashboard import journal_tail
from trayapp.dashboard.host import DashboardHost
from trayapp.dashboard.http import HttpError, Request, Response, Router
from trayapp.journal import describe, program_label

MAX_LIMIT = 1000
SCAN_FOR_FILTERS = 2000

ERRORS = frozenset({"crash", "gave_up", "spawn_failed", "fault", "reload_failed", "control_unavailable",
                    "logs_refused", "channel_failed"})
WARNINGS = frozenset({"kill", "limit", "alert", "backoff", "held", "owner_command", "orphan"})


def register(router: Router, host: DashboardHost) -> None:
    router.get("/api/events", lambda request: Response.json(events_page(host, request, time.time())))


def names(host: DashboardHost) -> dict[str, str]:
    return {name: p.display_name for name, p in host.config.programs.items()}


def events_page(host: DashboardHost, request: Request, now: float) -> dict[str, Any]:
    program, kind = request.arg("program") or None, request.arg("kind") or None
    limit = request.int_arg("limit", 200, 1, MAX_LIMIT)
    before = _before(request)
    labels = names(host)
    found: list[dict[str, Any]] = []
    kinds: set[str] = set()
    programs: set[str] = set(labels)
    host.journal.flush(timeout=1.0)  # what was recorded a moment ago is on the page too
    for scanned, entry in enumerate(journal_tail.newest_first(host.journal.path)):
        if len(found) >= limit and scanned >= SCAN_FOR_FILTERS:
            break
        kinds.add(str(entry.get("event", "")))
        if isinstance(entry.get("program"), str):
            programs.add(entry["program"])
        if len(found) < limit and _wanted(entry, program, kind, before):
            found.append(event_json(entry, labels, now))
    return {"events": found, "kinds": sorted(k for k in kinds if k),
            "programs": [{"program": p, "display_name": program_label(p, labels.get(p, ""))} for p in sorted(programs)]}


def _before(request: Request) -> float | None:
    raw = request.arg("before")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise HttpError(400, f"before must be a time in seconds, not {raw[:40]!r}",
                        "leave it out to see the newest events") from None


def _wanted(entry: Mapping[str, Any], program: str | None, kind: str | None, before: float | None) -> bool:
    if program is not None and entry.get("program") != program:
        return False
    if kind is not None and entry.get("event") != kind:
        return False
    ts = journal_tail.epoch(entry)
    return before is None or (ts is not None and ts < before)


def event_json(entry: Mapping[str, Any], names: Mapping[str, str], now: float) -> dict[str, Any]:
    """One journal entry as the events page and the live stream show it."""
    ts = journal_tail.epoch(entry)
    key = entry.get("program") if isinstance(entry.get("program"), str) else None
    return {"ts": ts, "time_words": time_words(ts, now), "kind": str(entry.get("event", "")),
            "program": key, "display_name": program_label(key, names.get(key, "")) if key else None,
            "sentence": describe(entry, names), "severity": severity(entry)}


def time_words(ts: float | None, now: float) -> str:
    """"14:02:03" today, "Nov 29 14:02" on another day (local time)."""
    if ts is None:
        return "at an unknown time"
    when, today = datetime.fromtimestamp(ts), datetime.fromtimestamp(now)
    if when.date() == today.date():
        return when.strftime("%H:%M:%S")
    return f"{when.strftime('%b')} {when.day} {when.strftime('%H:%M')}"


def severity(entry: Mapping[str, Any]) -> str:
    """error | warning | info, for the colour of the line."""
    kind = entry.get("event")
    if kind in ERRORS or (kind in ("backup", "prune", "restore") and entry.get("ok") is False):
        return "error"
    if kind == "exit" and entry.get("expected") is False:
        return "error"
    if kind == "health":
        return {"unhealthy": "error", "degraded": "warning"}.get(str(entry.get("status")), "info")
    if kind == "disk":
        return {"critical": "error", "warn": "warning"}.get(str(entry.get("level")), "info")
    return "warning" if kind in WARNINGS else "info"
