"""The status window's memory/CPU chart of the last hour: samples in, canvas coordinates out. Pure."""

from __future__ import annotations

from collections.abc import Sequence

HOUR = 3600.0
Sample = Sequence[float]  # (wall time, rss bytes, cpu percent)


def recent(samples: Sequence[Sample], now: float, span: float = HOUR) -> list[Sample]:
    return [s for s in samples if now - span <= s[0] <= now]


def polyline(samples: Sequence[Sample], column: int, now: float, width: int, height: int,
             span: float = HOUR, top: float | None = None) -> list[float]:
    """Flat [x0, y0, x1, y1, ...] for one column (1 = memory, 2 = cpu), scaled to its maximum.

    x runs from now - span (left) to now (right); y = 0 is the top of the canvas.
    """
    points = [s for s in recent(samples, now, span) if s[column] is not None]
    if not points:
        return []
    peak = top if top is not None else max(s[column] for s in points)
    peak = peak or 1.0
    flat: list[float] = []
    for s in points:
        x = (s[0] - (now - span)) / span * (width - 1)
        y = (height - 1) - min(1.0, s[column] / peak) * (height - 4)
        flat += [round(x, 1), round(y, 1)]
    return flat


def peak(samples: Sequence[Sample], column: int, now: float, span: float = HOUR) -> float | None:
    values = [s[column] for s in recent(samples, now, span) if s[column] is not None]
    return max(values) if values else None
