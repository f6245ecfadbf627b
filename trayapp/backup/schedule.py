"""When the next scheduled backup is due: pure functions of a schedule text and wall times.

Two forms are accepted in `[backup] schedule`:

    "daily 03:00"   once a day at that local time ("daily" alone means 03:00)
    "every 6h"      a fixed interval after the last good backup (any duration: "every 90m")

Wall-clock times are used on purpose: a laptop that slept through 03:00 has a monotonic clock that
stood still, but the wall clock moved on, so comparing wall times finds the missed slot and the
backup runs soon after wake ("catch-up"). The caller re-evaluates `next_due` every minute or so
(and after wake) instead of sleeping until one far deadline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from trayapp.units import parse_duration
from trayapp.i18n import _

# After a failed attempt, wait this long before trying again, so a full disk does not turn the
# schedule into a loop of failing backups.
RETRY_AFTER_FAILURE = 3600.0
# The shortest interval accepted by "every": backups more often than this are a mistake.
MIN_INTERVAL = 300.0

_DAILY = re.compile(r"daily(?:\s+(?:at\s+)?(\d{1,2}):(\d{2}))?")
_EVERY = re.compile(r"every\s+(.+)")


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: either `at` (local time of day) or `interval` (seconds) is set."""

    at: time | None = None
    interval: float | None = None

    def describe(self) -> str:
        if self.at is not None:
            return _("daily at {time}").format(time=self.at.strftime("%H:%M"))
        from trayapp.units import format_duration

        return _("every {interval}").format(interval=format_duration(self.interval or 0))


def parse(spec: str) -> Schedule:
    """"daily 03:00" | "daily" | "every 6h" -> Schedule. Raises ValueError naming the accepted forms."""
    text = " ".join(spec.strip().lower().split())
    if match := _DAILY.fullmatch(text):
        return Schedule(at=_time_of_day(match.group(1), match.group(2), spec))
    if match := _EVERY.fullmatch(text):
        seconds = parse_duration(match.group(1).replace(" ", ""))
        if seconds < MIN_INTERVAL:
            raise ValueError(_("{spec} is too often; the shortest interval is every 5m").format(spec=repr(spec)))
        return Schedule(interval=seconds)
    raise ValueError(_("{spec} is not a schedule; write it like \"daily 03:00\" or \"every 6h\"").format(spec=repr(spec)))


def _time_of_day(hours: str | None, minutes: str | None, spec: str) -> time:
    if hours is None:
        return time(3, 0)
    h, m = int(hours), int(minutes or 0)
    if h > 23 or m > 59:
        raise ValueError(_("{spec} names no time of day; use 00:00 to 23:59").format(spec=repr(spec)))
    return time(h, m)


def next_due(spec: str | Schedule, last_run_wall: float | None, now_wall: float,
             *, last_failure_wall: float | None = None, tz: tzinfo | None = None) -> float:
    """The wall time (epoch seconds) when the next backup should start; <= now_wall means "now".

    `last_run_wall` is when the last good backup started (None: never). A slot missed while the
    machine slept is due at once. After a failure newer than the last good run, the next try waits
    RETRY_AFTER_FAILURE. `tz` is for tests; None means the local time zone.
    """
    schedule = parse(spec) if isinstance(spec, str) else spec
    due = _due_after_success(schedule, last_run_wall, now_wall, tz)
    if last_failure_wall is not None and (last_run_wall is None or last_failure_wall > last_run_wall):
        due = max(due, last_failure_wall + RETRY_AFTER_FAILURE)
    return due


def _due_after_success(schedule: Schedule, last: float | None, now: float, tz: tzinfo | None) -> float:
    if last is None:
        return now  # never backed up: the first backup is made soon after the schedule is set
    if schedule.interval is not None:
        return last + schedule.interval
    assert schedule.at is not None
    slot = _latest_slot(schedule.at, now, tz)
    if last < slot:
        return slot  # the latest slot has passed without a backup: catch up now
    return _slot_on(datetime.fromtimestamp(slot, tz).date() + timedelta(days=1), schedule.at, tz)


def _latest_slot(at: time, now: float, tz: tzinfo | None) -> float:
    """The most recent occurrence of `at` that is not after `now`."""
    today = datetime.fromtimestamp(now, tz).date()
    slot = _slot_on(today, at, tz)
    return slot if slot <= now else _slot_on(today - timedelta(days=1), at, tz)


def _slot_on(day: date, at: time, tz: tzinfo | None) -> float:
    moment = datetime.combine(day, at, tzinfo=tz)
    if tz is None:
        moment = moment.astimezone()  # naive -> local time, DST-aware
    return moment.timestamp()


def is_due(spec: str | Schedule, last_run_wall: float | None, now_wall: float,
           *, last_failure_wall: float | None = None, tz: tzinfo | None = None) -> bool:
    """True when a backup should start now."""
    return next_due(spec, last_run_wall, now_wall, last_failure_wall=last_failure_wall, tz=tz) <= now_wall
