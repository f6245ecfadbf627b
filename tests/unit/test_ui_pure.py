"""The windows' pure parts: field rows, chart coordinates, log line filters."""

from __future__ import annotations

from trayapp.status import ExitInfo, Health, State, Status
from trayapp.ui import chart
from trayapp.ui.fields import rows
from trayapp.ui.logfilter import Line, keep, parse, tags

NOW = 1_790_000_000.0


def fake_parse(raw: str) -> tuple[str, str, str]:
    stamp, stream, text = raw.split(" ", 2)  # the real one is trayapp.logs.read.parse_line
    return stamp, stream, text


def test_rows_name_the_crash_report_not_the_last_stderr_line() -> None:
    from trayapp.status import CrashReport

    crash = CrashReport(program="nanobot", when=NOW - 90, exit="exit 1", cause="The provider rejects the key.",
                        fix="Check the key.", known=True, kind="python traceback",
                        excerpt=("Traceback (most recent call last):", "ValueError: bad token"),
                        headline="ValueError: bad token")
    status = Status("assistant", "nanobot", State.BACKOFF, last_exit=ExitInfo(code=1), last_exit_at=NOW - 90,
                    last_stderr="2026-11-30 | INFO | Stopped websocket channel", last_crash=crash, restarts=4,
                    health=Health.UNHEALTHY, health_detail="HTTP 503", memory=52_000_000, cpu=1.25)
    table = dict(rows(status, NOW))
    assert table["Last exit"] == "exit 1, 1 minute ago"  # an INFO line is never "the last error"
    assert table["Last crash"].splitlines()[:2] == ["1 minute ago, exit 1: ValueError: bad token", "fix: Check the key."]
    assert table["Last crash"].endswith("ValueError: bad token")
    assert table["Restarts"].startswith("4 since trayapp started")
    assert table["Health"] == "unhealthy (HTTP 503)"
    assert (table["Memory"], table["CPU"]) == ("52MB", "1.2%")


def test_chart_spans_the_last_hour_and_drops_older_samples() -> None:
    samples: list[chart.Sample] = [(NOW - 7200, 10, 1.0), (NOW - 3600, 50, 5.0), (NOW, 100, 10.0)]
    line = chart.polyline(samples, 1, NOW, width=301, height=101)
    assert line == [0.0, 51.5, 300.0, 3.0]  # an hour ago at half the peak (left), now at the peak (top right)
    assert chart.peak(samples, 1, NOW) == 100


def test_log_lines_filter_and_highlight() -> None:
    err = parse("2026-11-21T23:59:01.123+01:00 stderr Traceback (most recent call last):\n", fake_parse)
    warn = parse("2026-11-21T23:59:02.000+01:00 stdout WARNING: disk almost full", fake_parse)
    plain = parse("2026-11-21T23:59:03.000+01:00 stdout all good", fake_parse)
    assert (err.stream, err.level, warn.level, plain.level) == ("stderr", "error", "warning", "")
    assert [keep(x, True, False) for x in (err, warn, plain)] == [True, False, False]
    assert [keep(x, False, True) for x in (err, warn, plain)] == [True, True, False]
    assert tags(err) == ("error", "stderr") and tags(plain) == ()


def test_odd_lines_are_shown_as_they_are() -> None:
    def strict(raw: str) -> tuple[str, str, str]:
        raise ValueError("not a trayapp line")

    assert parse("just text\n", strict) == Line("just text", "", "just text")


def test_merged_samples_are_in_time_order_even_when_a_second_has_no_memory_reading() -> None:
    received: list[list[float | None]] = [[NOW - 60, None, 2.0], [NOW - 120, 50, 1.0]]  # JSON lists, as the metrics reply has them
    known = [(NOW - 60, 40.0, 3.0)]  # the same second, measured by the window's own poll
    merged = chart.merge(received, known)
    assert [s[0] for s in merged] == [NOW - 120, NOW - 60, NOW - 60]
    assert chart.peak(merged, 1, NOW) == 50
