"""Free-space thresholds and crossings with hysteresis (pure logic, fake usage numbers).

The real thing, on a small filesystem that is filled up, is tests/integration/test_diskwatch_real.py.
"""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest

from trayapp.config import DiskConfig
from trayapp.diskwatch import Crossing, DiskWatch, Level, classify, thresholds

GB, MB = 1_000_000_000, 1_000_000
DEFAULT = DiskConfig()
Usage = namedtuple("Usage", "total used free")


@pytest.mark.parametrize("total, warn, critical", [
    (1000 * GB, 100 * GB, 30 * GB),   # big disk: the percentages win
    (100 * GB, 10 * GB, 3 * GB),
    (10 * GB, 2 * GB, 500 * MB),       # small disk: the fixed sizes win
    (1 * GB, 500 * MB, 250 * MB),      # tiny volume: fixed sizes capped at 1/2 and 1/4
])
def test_thresholds_take_the_larger_of_percent_and_size(total: int, warn: float, critical: float) -> None:
    assert thresholds(DEFAULT, total) == (pytest.approx(warn), pytest.approx(critical))


# Scenario: free space (GB of a 100 GB disk) over time, and the level each step should show.
# warn below 10 GB, ok again from 11 GB; critical below 3 GB, warn again from 3.3 GB (110%).
SCENARIO = [
    (50.0, Level.OK),
    (10.5, Level.OK),
    (9.9, Level.WARN),       # crossing down
    (10.5, Level.WARN),      # hovering just above the line: still warn (hysteresis)
    (9.8, Level.WARN),
    (11.0, Level.OK),        # 110% of the threshold: back to ok
    (2.9, Level.CRITICAL),   # straight to critical
    (3.2, Level.CRITICAL),   # within the margin
    (3.4, Level.WARN),       # above 110% of 3 GB
    (2.99, Level.CRITICAL),
    (20.0, Level.OK),
]


def test_classify_follows_the_scenario_with_hysteresis() -> None:
    level = Level.OK
    seen = []
    for free_gb, _ in SCENARIO:
        level = classify(int(free_gb * GB), 100 * GB, level, DEFAULT)
        seen.append(level)
    assert seen == [want for _, want in SCENARIO]


class FakeJournal:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, event: str, program: str | None = None, **fields: Any) -> dict[str, Any]:
        self.entries.append({"event": event, "program": program, **fields})
        return self.entries[-1]


def test_watch_records_one_entry_per_crossing_and_tells_listeners(tmp_path: Path) -> None:
    free = {"value": 50 * GB}
    journal = FakeJournal()
    watch = DiskWatch(DEFAULT, [tmp_path / "logs", tmp_path / "backups"], journal=journal,
                      usage=lambda path: Usage(100 * GB, 100 * GB - free["value"], free["value"]))
    crossings: list[Crossing] = []
    watch.add_listener(crossings.append)
    for free_gb, _ in SCENARIO:
        free["value"] = int(free_gb * GB)
        watch.check()
    levels = [e["level"] for e in journal.entries]
    assert levels == ["warn", "ok", "critical", "warn", "critical", "ok"]
    assert all(e["event"] == "disk" and e["total"] == 100 * GB for e in journal.entries)
    assert [(c.old, c.new) for c in crossings][:2] == [(Level.OK, Level.WARN), (Level.WARN, Level.OK)]
    assert len(watch.snapshot()) == 1  # both folders are on one volume: watched once


def test_is_critical_and_the_refusal_message_for_backups(tmp_path: Path) -> None:
    watch = DiskWatch(DEFAULT, [tmp_path], usage=lambda path: Usage(100 * GB, 99 * GB, 1 * GB))
    assert not watch.is_critical() and watch.refusal() is None  # not checked yet
    assert watch.check() is Level.CRITICAL
    assert watch.is_critical() and watch.is_critical(tmp_path / "backups")
    assert watch.level_of(tmp_path) is Level.CRITICAL
    reason = watch.refusal(tmp_path)
    assert reason is not None and "almost full" in reason and "1GB free" in reason
    assert watch.next_interval() <= 10.0


def test_an_unreadable_volume_is_skipped_and_a_listener_error_does_not_stop_others(tmp_path: Path) -> None:
    def usage(path: str) -> Usage:
        raise PermissionError("denied")

    watch = DiskWatch(DEFAULT, [tmp_path], usage=usage)
    assert watch.check() is Level.OK
    ok = DiskWatch(DEFAULT, [tmp_path], usage=lambda p: Usage(10 * GB, 10 * GB, 0))
    heard: list[Crossing] = []
    ok.add_listener(lambda c: 1 / 0)
    ok.add_listener(heard.append)
    ok.check()
    assert [c.new for c in heard] == [Level.CRITICAL]
