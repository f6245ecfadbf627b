"""GET /api/events: the journal in sentences, newest first, filtered by program and kind; a full page
gives `before`, an opaque place to ask for the next older page from.

The journal is read from its end (journal_tail): a page stops once it has `limit` matching events
and has looked at SCAN_FOR_FILTERS entries, so the kinds and programs offered for the filters come
from at least the newest 2,000 entries without reading a 5 MB journal whole for every page.
`event_json` is also what the live stream (/events, type `journal`) sends for a new entry.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trayapp.dashboard import dates, journal_tail
from trayapp.dashboard.host import DashboardHost
from trayapp.dashboard.http import HttpError, Request, Response, Router
from trayapp.i18n import N_, _
from trayapp.journal import describe, program_label

MAX_LIMIT = 1000
SCAN_FOR_FILTERS = 2000

ERRORS = frozenset({"crash", "gave_up", "spawn_failed", "fault", "reload_failed", "control_unavailable",
                    "logs_refused", "channel_failed"})
WARNINGS = frozenset({"kill", "limit", "alert", "backoff", "held", "owner_command", "orphan"})
# The kind filter's labels (journal.kinds()); a kind missing here is shown as the journal names it.
KIND_WORDS = {
    "adopt": N_("Adopted"), "alert": N_("Alert"), "attach": N_("Attached"), "backoff": N_("Waiting to restart"),
    "backup": N_("Backup"), "channel_failed": N_("Channel failed"), "config_error": N_("Config error"),
    "control_unavailable": N_("Control channel unavailable"), "crash": N_("Crash"),
    "dashboard_rotated": N_("Dashboard key replaced"), "dashboard_unavailable": N_("Dashboard unavailable"),
    "depends": N_("Waiting for another program"), "disk": N_("Disk space"), "exit": N_("Exit"),
    "external": N_("Run elsewhere"), "fault": N_("Internal fault"), "gave_up": N_("Gave up"),
    "handoff": N_("Handed over"), "health": N_("Health"), "held": N_("Held"), "kill": N_("Killed"),
    "limit": N_("Over a limit"), "logs_refused": N_("Logs refused"), "notice_action": N_("Notification button"),
    "orphan": N_("Leftover process"), "owner_command": N_("Owner's command"), "prune": N_("Old backups removed"),
    "quit": N_("Quit"), "reload": N_("Config reloaded"), "reload_failed": N_("Reload failed"),
    "restart": N_("Restart"), "restore": N_("Restore"), "running": N_("Running"), "spawn_failed": N_("Could not start"),
    "start": N_("Start"), "stop": N_("Stop"), "verify": N_("Verify"),
}


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
        if len(found) < limit and _matches(entry, program, kind) and before.passes(journal_tail.epoch(entry)):
            found.append(event_json(entry, labels, now))
    return {"events": found, "before": before.next(found) if len(found) >= limit else None,
            "kinds": sorted(k for k in kinds if k),
            "kind_words": {k: _(KIND_WORDS[k]) if k in KIND_WORDS else k for k in kinds if k},
            "programs": [{"program": p, "display_name": program_label(p, labels.get(p, ""))} for p in sorted(programs)]}


@dataclass
class Position:
    """Where an older page starts: entries before `ts`, after skipping the first `shown` of the
    entries at exactly `ts` (a kill, exit and crash often share one millisecond, so time alone
    would skip the rest of a burst). Sent as "<ts>:<shown>"; a bare time still works."""

    ts: float | None
    shown: int | None = None  # None: a bare time from an older page, entries strictly before it
    _seen: int = 0

    def passes(self, ts: float | None) -> bool:
        """Whether an entry (newest first, matching the filters) belongs on this page."""
        if self.ts is None:
            return True
        if ts is None or ts > self.ts:
            return False
        if ts == self.ts:
            self._seen += 1
            return self.shown is not None and self._seen > self.shown
        return True

    def next(self, found: list[dict[str, Any]]) -> str | None:
        oldest = found[-1]["ts"] if found else None
        if not isinstance(oldest, float):
            return None  # an entry without a time cannot be paged past
        same = sum(1 for e in found if e["ts"] == oldest)
        return f"{oldest!r}:{same + (self.shown or 0 if oldest == self.ts else 0)}"


def _before(request: Request) -> Position:
    raw = request.arg("before")
    if not raw:
        return Position(None)
    stamp, _colon, shown = raw.partition(":")
    try:
        return Position(float(stamp), int(shown) if shown else None)
    except ValueError:
        raise HttpError(400, _("before must be a time in seconds or a place this page gave out, not {value}").format(
            value=repr(raw[:40])), _("leave it out to see the newest events")) from None


def _matches(entry: Mapping[str, Any], program: str | None, kind: str | None) -> bool:
    if program is not None and entry.get("program") != program:
        return False
    return kind is None or entry.get("event") == kind


def event_json(entry: Mapping[str, Any], names: Mapping[str, str], now: float) -> dict[str, Any]:
    """One journal entry as the events page and the live stream show it."""
    ts = journal_tail.epoch(entry)
    key = entry.get("program") if isinstance(entry.get("program"), str) else None
    return {"ts": ts, "time_words": time_words(ts, now), "kind": str(entry.get("event", "")),
            "program": key, "display_name": program_label(key, names.get(key, "")) if key else None,
            "sentence": describe(entry, names), "severity": severity(entry)}


def time_words(ts: float | None, now: float) -> str:
    """"14:02:03" today, "Nov 29 14:02" on another day (local time, in the active language)."""
    if ts is None:
        return _("at an unknown time")
    when, today = time.localtime(ts), time.localtime(now)
    return dates.time_words(ts, now, seconds=when[:3] == today[:3])


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
