"""`trayapp stats` numbers: min / average / max and a sparkline from the instance's samples."""

from __future__ import annotations

import pytest

from trayapp.summary import Range, sparkline, summarize


@pytest.mark.parametrize(("values", "width", "line"), [
    ([], 40, ""),
    ([5.0], 40, "█"),                                   # fewer values than bars: one bar each
    ([0.0, 0.0, 0.0], 40, "▁▁▁"),                       # all idle: flat, not a division by zero
    ([0.0, 50.0, 100.0], 40, "▁▅█"),
    ([10.0, 10.0, 100.0, 100.0], 2, "▂█"),              # more values than bars: each bar is a mean
])
def test_sparkline(values: list[float], width: int, line: str) -> None:
    assert sparkline(values, width) == line


def test_summary_of_samples_with_gaps() -> None:
    points: list[list[float | int | None]] = [[1000.0, 100, 2.0], [1010.0, None, None], [1020.0, 300, 6.0], [1030.0, 200, None]]
    s = summarize(points)
    assert (s.samples, s.span) == (4, 30.0)
    assert s.cpu == Range(2.0, 4.0, 6.0) and s.memory == Range(100, 200, 300)
    assert len(s.cpu_line) == 2 and len(s.memory_line) == 3


def test_no_samples() -> None:
    s = summarize([])
    assert (s.samples, s.cpu, s.memory, s.cpu_line) == (0, None, None, "")


def test_the_chart_legend_says_now_and_the_range_in_words() -> None:
    from trayapp.summary import cpu_words, memory_words

    assert memory_words(120_000_000, 98_000_000, 131_000_000) == "120MB now, 98MB–131MB"
    assert memory_words(None, 98_000_000, 131_000_000) == "98MB–131MB"
    assert memory_words(None, None, None) == ""
    assert memory_words(2_000_000, 2_000_000, 2_000_100) == "2MB now, steady"
    assert cpu_words(3.2, 41.0) == "3 % now, peak 41 %"
    assert cpu_words(None, None) == ""
