"""When the next scheduled backup is due: fixed wall times, a fixed time zone, no sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from trayapp.backup import schedule
from trayapp.config import parse
from trayapp.errors import ConfigError

TZ = timezone(timedelta(hours=2))


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


@pytest.mark.parametrize("spec, expected", [
    ("daily 03:00", schedule.Schedule(at=datetime(2000, 1, 1, 3, 0).time())),
    ("daily at 21:30", schedule.Schedule(at=datetime(2000, 1, 1, 21, 30).time())),
    ("Daily", schedule.Schedule(at=datetime(2000, 1, 1, 3, 0).time())),
    ("every 6h", schedule.Schedule(interval=6 * 3600)),
    ("every 90m", schedule.Schedule(interval=90 * 60)),
    ("every 1h 30m", schedule.Schedule(interval=90 * 60)),
])
def test_parses_the_two_forms(spec: str, expected: schedule.Schedule) -> None:
    assert schedule.parse(spec) == expected


@pytest.mark.parametrize("spec, words", [
    ("weekly", "not a schedule"),
    ("daily 25:00", "no time of day"),
    ("every 10s", "too often"),
    ("every soon", "not a duration"),
])
def test_rejects_bad_schedules_in_plain_words(spec: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        schedule.parse(spec)


def test_config_names_the_key_of_a_bad_schedule() -> None:
    with pytest.raises(ConfigError) as err:
        parse('[backup]\nschedule = "hourly"\n', environ={"HOME": "/h"})
    assert any(p.startswith("backup.schedule:") for p in err.value.problems)


# (last good run, now, expected due) for "daily 03:00" in UTC+2
DAILY = [
    ("never", "2026-03-10 12:00", "2026-03-10 12:00"),  # never backed up: now
    ("2026-03-10 03:00", "2026-03-10 12:00", "2026-03-11 03:00"),  # done today: tomorrow
    ("2026-03-09 03:00", "2026-03-10 02:59", "2026-03-10 03:00"),  # slot still ahead today
    ("2026-03-09 03:00", "2026-03-10 08:15", "2026-03-10 03:00"),  # slept through 03:00: catch up now
    ("2026-03-01 03:00", "2026-03-10 08:15", "2026-03-10 03:00"),  # off for days: one catch-up, not ten
    ("2026-03-10 07:00", "2026-03-10 08:15", "2026-03-11 03:00"),  # caught up already
]


@pytest.mark.parametrize("last, now, due", DAILY)
def test_daily_due_times(last: str, now: str, due: str) -> None:
    last_wall = None if last == "never" else at(last)
    assert schedule.next_due("daily 03:00", last_wall, at(now), tz=TZ) == at(due)


def test_every_counts_from_the_last_good_backup() -> None:
    assert schedule.next_due("every 6h", at("2026-03-10 01:00"), at("2026-03-10 02:00"), tz=TZ) == at("2026-03-10 07:00")


def test_every_after_sleep_is_due_at_once() -> None:
    now = at("2026-03-11 09:00")
    assert schedule.is_due("every 6h", at("2026-03-10 01:00"), now, tz=TZ)


def test_a_failure_waits_an_hour_before_the_next_try() -> None:
    last_ok, failed = at("2026-03-09 03:00"), at("2026-03-10 03:00")
    due = schedule.next_due("daily 03:00", last_ok, at("2026-03-10 03:10"), last_failure_wall=failed, tz=TZ)
    assert due == failed + schedule.RETRY_AFTER_FAILURE
    assert not schedule.is_due("daily 03:00", last_ok, at("2026-03-10 03:10"), last_failure_wall=failed, tz=TZ)


def test_an_old_failure_does_not_delay_the_schedule() -> None:
    failed, last_ok = at("2026-03-09 03:00"), at("2026-03-09 04:00")
    assert schedule.next_due("every 6h", last_ok, at("2026-03-09 05:00"), last_failure_wall=failed,
                             tz=TZ) == last_ok + 6 * 3600


def test_describe() -> None:
    assert schedule.parse("daily 7:05").describe() == "daily at 07:05"
    assert schedule.parse("every 6h").describe() == "every 6h"
