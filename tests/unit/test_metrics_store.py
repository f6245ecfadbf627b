"""The sample store: two tiers, kept across restarts, bounded on disk, and never broken by a bad file."""

from __future__ import annotations

import stat
from pathlib import Path

from trayapp.events import StatusChanged
from trayapp.metrics import COMPACT_AT, DAY, HOUR, Point, SampleStore, downsample
from trayapp.status import Status

T0 = 1_800_000_000.0  # a whole minute


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def store_at(folder: Path, clock: Clock) -> SampleStore:
    return SampleStore(folder / "samples", clock=clock)


def test_a_published_sample_is_kept_and_a_state_change_without_one_is_not(tmp_path: Path) -> None:
    clock = Clock()
    store = store_at(tmp_path, clock)
    first = Status("bot", "bot", memory=100, cpu=1.0)
    store.on_status(StatusChanged(None, first))
    clock.now += 10
    store.on_status(StatusChanged(first, Status("bot", "bot", memory=100, cpu=1.0, reason="other")))
    assert store.series("bot", HOUR, clock.now) == [Point(T0, 100, 1.0, 100, 100, 1.0)]


def test_samples_faster_than_every_two_seconds_are_thinned_but_count_toward_their_minute(tmp_path: Path) -> None:
    clock = Clock()
    store = store_at(tmp_path, clock)
    for i in range(10):
        store.add("bot", T0 + i * 0.5, 100 + i, 1.0)
    assert [p.ts for p in store.series("bot", HOUR, T0 + 10)] == [T0, T0 + 2, T0 + 4]
    minute = store.series("bot", DAY, T0 + 10)
    assert len(minute) == 1 and minute[0].memory_min == 100 and minute[0].memory_max == 109


def test_the_hour_tier_drops_old_samples_and_the_day_tier_keeps_minutes(tmp_path: Path) -> None:
    store = store_at(tmp_path, Clock())
    for i in range(0, 2 * 3600, 10):
        store.add("bot", T0 + i, 1000 + i, 2.0)
    now = T0 + 2 * 3600
    hour = store.series("bot", HOUR, now)
    assert hour[0].ts >= now - HOUR and len(hour) == 360
    day = store.series("bot", DAY, now)
    assert len(day) == 120 and day[0].ts == T0 and day[0].memory_min == 1000 and day[0].memory_max == 1050


def test_samples_survive_a_restart_of_trayapp(tmp_path: Path) -> None:
    clock = Clock()
    store = store_at(tmp_path, clock)
    for i in range(0, 300, 10):
        store.add("bot", T0 + i, 5000 + i, 3.0)
    store.close()
    clock.now = T0 + 310
    again = store_at(tmp_path, clock)
    assert again.series("bot", HOUR, clock.now) == store.series("bot", HOUR, clock.now)
    assert [p.ts for p in again.series("bot", DAY, clock.now)] == [T0 + 60 * i for i in range(5)]
    mode = stat.S_IMODE((tmp_path / "samples" / "bot.jsonl").stat().st_mode)
    assert mode == 0o600


def test_a_minute_split_by_a_restart_of_trayapp_is_one_point(tmp_path: Path) -> None:
    clock = Clock()
    store = store_at(tmp_path, clock)
    store.add("bot", T0 + 5, 100, 1.0)
    store.close()
    again = store_at(tmp_path, clock)
    again.add("bot", T0 + 40, 300, 3.0)
    again.add("bot", T0 + 70, 300, 3.0)  # closes the minute
    minute = again.series("bot", DAY, T0 + 80)[0]
    assert (minute.memory_min, minute.memory, minute.memory_max) == (100, 200, 300)


def test_nothing_is_written_until_a_flush(tmp_path: Path) -> None:
    store = store_at(tmp_path, Clock())
    store.add("bot", T0, 1, 1.0)
    assert not (tmp_path / "samples" / "bot.jsonl").exists()
    store.flush()
    assert (tmp_path / "samples" / "bot.jsonl").read_text().startswith('["s",')


def test_the_file_stays_under_its_bound_over_simulated_days(tmp_path: Path) -> None:
    clock = Clock()
    store = store_at(tmp_path, clock)
    path = tmp_path / "samples" / "bot.jsonl"
    largest = 0
    for i in range(0, 2 * 86400, 5):
        clock.now = T0 + i
        store.add("bot", clock.now, 123_456_789 + i, 12.34)
        if i % 30 == 0:
            store.flush()
            largest = max(largest, path.stat().st_size)
    assert 200_000 < largest <= COMPACT_AT
    assert len(store.series("bot", DAY, clock.now)) == 1440


def test_a_damaged_or_torn_file_is_read_as_far_as_it_is_good(tmp_path: Path) -> None:
    folder = tmp_path / "samples"
    folder.mkdir(mode=0o700)
    (folder / "bot.jsonl").write_bytes(
        b'["s",%d,100,1.0]\n\x00\xff garbage\n["s","x",1,2]\n["m",%d,2,1,2,3]\n["s",%d,200,2.0]\n["s",%d,30'
        % (T0, T0, T0 + 10, T0 + 20))
    (folder / "bot.jsonl").chmod(0o600)
    store = SampleStore(folder, clock=Clock(T0 + 30))
    assert [p.memory for p in store.series("bot", HOUR, T0 + 30)] == [100, 200]
    store.add("bot", T0 + 40, 300, 3.0)
    store.flush()
    again = SampleStore(folder, clock=Clock(T0 + 50))
    assert [p.memory for p in again.series("bot", HOUR, T0 + 50)] == [100, 200, 300]


def test_a_removed_programs_file_stays_until_it_ages_out(tmp_path: Path) -> None:
    clock = Clock()
    store = store_at(tmp_path, clock)
    store.add("gone", T0, 100, 1.0)
    store.close()
    clock.now = T0 + DAY / 2
    assert store_at(tmp_path, clock).programs() == ["gone"]
    clock.now = T0 + DAY + 120
    assert store_at(tmp_path, clock).programs() == []
    assert not (tmp_path / "samples" / "gone.jsonl").exists()


def test_the_control_command_answers_as_trayapp_stats_expects(tmp_path: Path) -> None:
    clock = Clock(T0 + 20)
    store = store_at(tmp_path, clock)
    store.add("a", T0, 100, 1.0)
    store.add("b", T0 + 10, None, 2.0)
    assert store.handle({}) == {"a": [[T0, 100, 1.0]], "b": [[T0 + 10, None, 2.0]]}
    assert store.handle({"program": "b"}) == {"b": [[T0 + 10, None, 2.0]]}


def test_downsampling_keeps_the_extremes() -> None:
    points = [Point(T0 + i, float(i), 1.0, float(i), float(i), 1.0 + i) for i in range(1440)]
    thin = downsample(points, 720)
    assert len(thin) == 720
    assert thin[0] == Point(T0 + 1, 0.5, 1.0, 0.0, 1.0, 2.0)
    assert max(p.memory_max or 0 for p in thin) == 1439


def test_a_samples_folder_that_is_a_link_is_neither_read_nor_written(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (elsewhere / "bot.jsonl").write_text('["s",%d,1,1]\n' % T0)
    (tmp_path / "samples").symlink_to(elsewhere)
    store = store_at(tmp_path, Clock())
    assert store.programs() == []
    store.add("bot", T0 + 10, 2, 2.0)
    store.flush()  # refused and logged, never raised
    assert (elsewhere / "bot.jsonl").read_text() == '["s",%d,1,1]\n' % T0
