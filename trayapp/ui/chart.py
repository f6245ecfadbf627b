"""The status window's memory/CPU chart of the last hour: samples in, canvas coordinates out. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

HOUR = 3600.0
Sample = tuple[float, float | None, float | None]  # (wall time, rss bytes, cpu percent); None: not measured


def merge(received: Iterable[Sequence[float | None]], known: Iterable[Sample]) -> list[Sample]:
    """Samples from the running instance (JSON lists) and those already shown, in time order.

    Sorted by time alone: two samples of one second, one without memory, must not compare None."""
    incoming: list[Sample] = [(float(s[0] or 0.0), s[1], s[2]) for s in received]
    return sorted([*incoming, *known], key=lambda sample: sample[0])


def recent(samples: Sequence[Sample], now: float, span: float = HOUR) -> list[Sample]:
    return [s for s in samples if now - span <= s[0] <= now]


def _points(samples: Sequence[Sample], column: int, now: float, span: float) -> list[tuple[float, float]]:
    """(time, value) of the recent samples measured in `column` (1 = memory, 2 = cpu)."""
    return [(s[0], value) for s in recent(samples, now, span) if (value := s[column]) is not None]


def polyline(samples: Sequence[Sample], column: int, now: float, width: int, height: int,
             span: float = HOUR, top: float | None = None) -> list[float]:
    """Flat [x0, y0, x1, y1, ...] for one column (1 = memory, 2 = cpu), scaled to its maximum.

    x runs from now - span (left) to now (right); y = 0 is the top of the canvas.
    """
    points = _points(samples, column, now, span)
    if not points:
        return []
    peak = top if top is not None else max(value for _, value in points)
    peak = peak or 1.0
    flat: list[float] = []
    for at, value in points:
        x = (at - (now - span)) / span * (width - 1)
        y = (height - 1) - min(1.0, value / peak) * (height - 4)
        flat += [round(x, 1), round(y, 1)]
    return flat


def peak(samples: Sequence[Sample], column: int, now: float, span: float = HOUR) -> float | None:
    values = [value for _, value in _points(samples, column, now, span)]
    return max(values) if values else None
