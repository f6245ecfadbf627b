"""GET /api/metrics: memory and CPU of one program (or all) over the last hour or day, with the
crashes, restarts, starts and stops of that time marked, from the persisted samples."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from trayapp.dashboard import journal_tail
from trayapp.dashboard.events_api import names
from trayapp.dashboard.host import DashboardHost
from trayapp.dashboard.http import HttpError, Request, Response, Router
from trayapp.i18n import _
from trayapp.journal import describe
from trayapp.metrics import DAY, HOUR, Point, downsample
from trayapp.status import Status
from trayapp.summary import cpu_words, memory_words

MOST_POINTS = 720
SPANS = (int(HOUR), int(DAY))
MARKS = {"crash": "crash", "restart": "restart", "start": "start", "stop": "stop"}


def register(router: Router, host: DashboardHost) -> None:
    router.get("/api/metrics", lambda request: Response.json(metrics(host, request, time.time())))


def metrics(host: DashboardHost, request: Request, now: float) -> dict[str, Any]:
    span = _span(request)
    program = request.arg("program")
    known = set(host.config.programs) | set(host.samples.programs())
    if program and program not in known:
        raise HttpError(404, _("there is no program named {name}").format(name=repr(program)),
                        _("pick one of the programs on the overview"))
    chosen = [program] if program else sorted(known)
    marks = _marks(host, now - span, set(chosen))
    replies = [_one(host, name, span, now, marks.get(name, [])) for name in chosen]
    return replies[0] if program else {"span": span, "programs": replies}


def _span(request: Request) -> int:
    span = request.int_arg("span", SPANS[0], 1, SPANS[-1])
    if span not in SPANS:
        raise HttpError(400, _("span must be {hour} (an hour) or {day} (a day)").format(hour=SPANS[0], day=SPANS[1]),
                        _("use the chart's hour or day button"))
    return span


def _one(host: DashboardHost, program: str, span: int, now: float, marks: list[dict[str, Any]]) -> dict[str, Any]:
    points = _held_to_now(host.samples.series(program, span, now), _status(host, program), now)
    cfg = host.config.programs.get(program)
    return {"program": program, "span": span,
            "points": [[p.ts, _whole(p.memory), _tenth(p.cpu)] for p in downsample(points, MOST_POINTS)],
            "marks": marks, "memory_limit": cfg.limits.memory if cfg is not None else None,
            "summary": summary(points)}


def _status(host: DashboardHost, program: str) -> Status | None:
    return next((s for s in host.statuses() if s.program == program), None)


def _held_to_now(points: list[Point], status: Status | None, now: float) -> list[Point]:
    """A snapshot is published only when a reading changes, so a running program whose numbers
    have stayed the same still reads what its status says: the line goes on to now."""
    if status is None or not status.is_up or (status.memory is None and status.cpu is None):
        return points
    if points and points[-1].ts >= now:
        return points
    m, c = status.memory, status.cpu
    return [*points, Point(now, m, c, m, m, c)]


def summary(points: Sequence[Point]) -> dict[str, str]:
    last = points[-1] if points else None
    lows = [p.memory_min for p in points if p.memory_min is not None]
    highs = [p.memory_max for p in points if p.memory_max is not None]
    peaks = [p.cpu_max for p in points if p.cpu_max is not None]
    return {"memory_words": memory_words(last.memory if last else None, min(lows, default=None),
                                         max(highs, default=None)),
            "cpu_words": cpu_words(last.cpu if last else None, max(peaks, default=None))}


def _marks(host: DashboardHost, since: float, programs: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Crash, restart, start and stop entries since `since`, per program, oldest first."""
    labels = names(host)
    found: dict[str, list[dict[str, Any]]] = {}
    host.journal.flush(timeout=1.0)
    for entry in journal_tail.newest_first(host.journal.path):
        ts = journal_tail.epoch(entry)
        if ts is not None and ts < since:
            break
        if ts is None or entry.get("program") not in programs or entry.get("event") not in MARKS:
            continue
        found.setdefault(str(entry["program"]), []).insert(0, _mark(entry, ts, labels))
    return found


def _mark(entry: Mapping[str, Any], ts: float, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"ts": ts, "kind": MARKS[str(entry.get("event"))], "sentence": describe(entry, labels)}


def _whole(value: float | None) -> int | None:
    return None if value is None else round(value)


def _tenth(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
