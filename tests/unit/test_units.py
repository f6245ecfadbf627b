"""Human durations and sizes, both ways."""

from __future__ import annotations

import pytest

from trayapp.units import (count, format_ago, format_duration, format_size, format_took, format_wait, parse_duration,
                           parse_size)


@pytest.mark.parametrize("text, seconds", [("10s", 10), ("5m", 300), ("1h30m", 5400), ("250ms", 0.25),
                                           ("2.5m", 150), ("1d", 86400), (7, 7.0), ("1h 2m 3s", 3723)])
def test_parse_duration(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "10", "ten seconds", "5 minutes", "-3s", True])
def test_parse_duration_rejects(bad: str | bool) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize("text, size", [("50MB", 50_000_000), ("1.5GB", 1_500_000_000), ("512KiB", 524288),
                                        ("10mb", 10_000_000), (1234, 1234), ("2 GiB", 2 * 2**30)])
def test_parse_size(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("bad", ["lots", "5XB", "-1MB", False])
def test_parse_size_rejects(bad: str | bool) -> None:
    with pytest.raises(ValueError):
        parse_size(bad)


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (0.25, "250ms"), (4, "4s"), (2.5, "2.5s"), (75, "1m 15s"),
                                           (120, "2m"), (8040, "2h 14m"), (90061, "1d 1h")])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("n, text", [(999, "999B"), (52_428_800, "52MB"), (1_500_000_000, "1.5GB"), (2e9, "2GB")])
def test_format_size(n: float, text: str) -> None:
    assert format_size(n) == text


@pytest.mark.parametrize("seconds, text", [(7.642, "8s"), (4.2, "4s"), (0.2, "1s"), (0, "1s"), (75.4, "1m 15s"),
                                           (600, "10m")])
def test_format_wait_says_whole_seconds(seconds: float, text: str) -> None:
    assert format_wait(seconds) == text


@pytest.mark.parametrize("seconds, text", [(0.301, "under a second"), (2.6, "3s"), (59.7, "1m"), (3723.4, "1h 2m")])
def test_format_took_rounds_to_the_second(seconds: float, text: str) -> None:
    assert format_took(seconds) == text


@pytest.mark.parametrize("seconds, text", [(0.301, "just now"), (9.9, "just now"), (45, "45 seconds ago"),
                                           (60, "1 minute ago"), (150, "2 minutes ago"), (7300, "2 hours ago"),
                                           (90000, "1 day ago"), (3 * 86400 + 5, "3 days ago")])
def test_format_ago_in_the_largest_whole_unit(seconds: float, text: str) -> None:
    assert format_ago(seconds) == text


@pytest.mark.parametrize("n, word, many, text", [(1, "database", None, "1 database"), (0, "database", None,
                                                 "0 databases"), (3, "file", None, "3 files"),
                                                 (2, "child", "children", "2 children")])
def test_count_agrees(n: int, word: str, many: str | None, text: str) -> None:
    assert count(n, word, many) == text
