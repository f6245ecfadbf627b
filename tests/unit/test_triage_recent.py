"""The output since the last start, bounded by lines and by bytes."""

from __future__ import annotations

from trayapp.triage.recent import MAX_LINE_BYTES, RecentOutput


def test_keeps_the_newest_lines_in_order_up_to_the_line_cap() -> None:
    ring = RecentOutput(max_lines=3)
    for i in range(5):
        ring.add(f"line {i}\n")
    assert ring.lines() == ["line 2", "line 3", "line 4"]


def test_the_byte_cap_drops_the_oldest_lines() -> None:
    ring = RecentOutput(max_lines=100, max_bytes=30)
    for word in ("aaaaaaaaa", "bbbbbbbbb", "ccccccccc", "ddddddddd"):  # 10 bytes each with the newline
        ring.add(word)
    assert ring.lines() == ["bbbbbbbbb", "ccccccccc", "ddddddddd"]


def test_one_huge_line_is_cut_and_does_not_empty_the_ring() -> None:
    ring = RecentOutput(max_lines=100, max_bytes=MAX_LINE_BYTES * 3)
    ring.add("before")
    ring.add("é" * MAX_LINE_BYTES)
    kept = ring.lines()
    assert kept[0] == "before"
    assert len(kept[1].encode()) <= MAX_LINE_BYTES and kept[1].endswith("…")


def test_clear_forgets_the_previous_run() -> None:
    ring = RecentOutput()
    ring.add("old run")
    ring.clear()
    ring.add("new run")
    assert ring.lines() == ["new run"] and len(ring) == 1
