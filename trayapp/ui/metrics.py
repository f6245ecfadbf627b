"""Memory and CPU of the last hour per program, kept by the running instance for the status window.

The running instance subscribes `MetricsHistory.on_status` to StatusChanged and registers
`MetricsHistory.handle` as the control command `metrics`:

    request(paths, "metrics") -> {"assistant": [[wall_ts, rss_bytes, cpu_pct], ...], ...}
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from trayapp.events import StatusChanged

HOUR = 3600.0


class MetricsHistory:
    """Thread-safe: `on_status` runs on the publisher's thread, `handle` on a control thread."""

    def __init__(self, span: float = HOUR, max_points: int = 720,
                 clock: Callable[[], float] = time.time) -> None:
        self._span, self._clock = span, clock
        self._lock = threading.Lock()
        self._series: dict[str, deque[tuple[float, int | None, float | None]]] = {}
        self._max = max_points

    def on_status(self, event: StatusChanged) -> None:
        new = event.new
        if new.memory is None and new.cpu is None:
            return
        old = event.old
        if old is not None and (old.memory, old.cpu) == (new.memory, new.cpu):
            return  # a state change without a new sample
        stamp = self._clock()  # a snapshot with new numbers is published right after sampling
        with self._lock:
            series = self._series.setdefault(new.program, deque(maxlen=self._max))
            if series and stamp <= series[-1][0]:
                stamp = series[-1][0] + 0.001  # keep time moving forwards for the chart
            series.append((stamp, new.memory, new.cpu))
            while series and series[0][0] < stamp - self._span:
                series.popleft()

    def snapshot(self) -> dict[str, list[list[Any]]]:
        with self._lock:
            return {name: [list(s) for s in series] for name, series in self._series.items()}

    def handle(self, request: Mapping[str, Any]) -> dict[str, list[list[Any]]]:
        """Control command `metrics` (optional {"program": name})."""
        data = self.snapshot()
        program = request.get("program")
        return {program: data.get(program, [])} if program else data
