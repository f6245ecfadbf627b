"""The last hour of a program's samples in a few numbers and one line: min / average / max and a
sparkline. Pure: `trayapp stats` prints it, tests feed it lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trayapp.i18n import _

BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Range:
    low: float
    average: float
    high: float


@dataclass(frozen=True)
class Summary:
    samples: int
    span: float  # seconds from the first sample to the last
    cpu: Range | None  # percent of one core
    memory: Range | None  # bytes
    cpu_line: str
    memory_line: str


def summarize(points: Sequence[Sequence[float | int | None]], width: int = 40) -> Summary:
    """`points` are [wall_ts, rss_bytes, cpu_percent] as the `metrics` control command sends them."""
    stamps = [float(p[0]) for p in points if p[0] is not None]
    cpu = [float(p[2]) for p in points if p[2] is not None]
    memory = [float(p[1]) for p in points if p[1] is not None]
    return Summary(len(points), (max(stamps) - min(stamps)) if stamps else 0.0, _range(cpu), _range(memory),
                   sparkline(cpu, width), sparkline(memory, width))


def _range(values: Sequence[float]) -> Range | None:
    return Range(min(values), sum(values) / len(values), max(values)) if values else None


def sparkline(values: Sequence[float], width: int = 40) -> str:
    """At most `width` bars, each the average of its share of the values, scaled from 0 to the highest."""
    if not values:
        return ""
    count = min(width, len(values))
    buckets = [values[i * len(values) // count:(i + 1) * len(values) // count] for i in range(count)]
    means = [sum(b) / len(b) for b in buckets]
    top = max(means)
    if top <= 0:
        return BARS[0] * len(means)
    return "".join(BARS[min(len(BARS) - 1, int(m / top * (len(BARS) - 1) + 0.5))] for m in means)


def memory_words(now: float | None, low: float | None, high: float | None) -> str:
    """"120MB now, 98MB–131MB" for the chart's legend; "" without a sample."""
    from trayapp.units import format_size

    if low is None or high is None:
        return ""
    steady = high - low <= high * 0.01  # within 1 %: a range would only repeat the same size
    spread = "" if steady else _("{low}–{high}").format(low=format_size(low), high=format_size(high))
    if now is None:
        return spread or format_size(low)
    if steady:
        return _("{now} now, steady").format(now=format_size(now))
    return _("{now} now, {spread}").format(now=format_size(now), spread=spread)


def cpu_words(now: float | None, peak: float | None) -> str:
    """"3 % now, peak 41 %"; "" without a sample."""
    if peak is None:
        return ""
    if now is None:
        return _("peak {peak} %").format(peak=f"{peak:.0f}")
    return _("{now} % now, peak {peak} %").format(now=f"{now:.0f}", peak=f"{peak:.0f}")
