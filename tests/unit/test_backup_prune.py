"""Retention decisions: scenario tables with fixed times, no files."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from trayapp.backup.prune import Candidate, select

TZ = timezone.utc
START = datetime(2026, 3, 2, 3, 0, tzinfo=TZ)  # a Monday


def daily_backups(days: int, per_day: int = 1, verified: set[int] = frozenset()) -> list[Candidate]:
    out = []
    for d in range(days):
        for k in range(per_day):
            when = START + timedelta(days=d, hours=k)
            index = d * per_day + k
            out.append(Candidate(f"b{index:03d}", when.timestamp(), index in verified))
    return out


def kept(decisions: list) -> list[str]:
    return sorted(d.candidate.name for d in decisions if d.keep)


def test_defaults_keep_seven_days_and_four_weeks() -> None:
    backups = daily_backups(60)
    decisions = select(backups, keep_last=0, keep_daily=7, keep_weekly=4, tz=TZ)
    names = kept(decisions)
    assert names[-7:] == [f"b{i:03d}" for i in range(53, 60)]  # the last seven days
    weekly = [d.candidate.name for d in decisions if "weekly" in d.reasons]
    # Sundays (the newest of each ISO week) and the last day: two of them are daily ones too
    assert weekly == ["b059", "b055", "b048", "b041"]
    assert names == ["b041", "b048"] + [f"b{i:03d}" for i in range(53, 60)]
    assert len(decisions) == 60


def test_keep_last_counts_backups_not_days() -> None:
    backups = daily_backups(2, per_day=5)
    decisions = select(backups, keep_last=3, keep_daily=0, keep_weekly=0, tz=TZ)
    assert kept(decisions) == ["b007", "b008", "b009"]


def test_daily_keeps_the_newest_of_each_day() -> None:
    backups = daily_backups(3, per_day=3)
    decisions = select(backups, keep_last=0, keep_daily=2, keep_weekly=0, tz=TZ)
    assert kept(decisions) == ["b005", "b008"]


def test_days_without_backups_do_not_use_up_daily_slots() -> None:
    old = daily_backups(3)
    late = [Candidate("late", (START + timedelta(days=40)).timestamp())]
    decisions = select(old + late, keep_last=0, keep_daily=3, keep_weekly=0, tz=TZ)
    assert kept(decisions) == ["b001", "b002", "late"]


def test_the_only_verified_backup_is_never_deleted() -> None:
    backups = daily_backups(20, verified={2})
    decisions = select(backups, keep_last=2, keep_daily=2, keep_weekly=0, tz=TZ)
    assert "b002" in kept(decisions)
    assert next(d for d in decisions if d.candidate.name == "b002").reasons == ("only verified",)


def test_no_extra_keep_when_a_kept_backup_is_verified() -> None:
    backups = daily_backups(10, verified={1, 9})
    decisions = select(backups, keep_last=1, keep_daily=0, keep_weekly=0, tz=TZ)
    assert kept(decisions) == ["b009"]


def test_nothing_is_kept_when_everything_is_zero_and_nothing_verified() -> None:
    decisions = select(daily_backups(3), keep_last=0, keep_daily=0, keep_weekly=0, tz=TZ)
    assert kept(decisions) == []
