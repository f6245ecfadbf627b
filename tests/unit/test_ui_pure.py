"""The metrics history the dashboard's charts read (moved with trayapp/ui/metrics.py by its owner)."""

from __future__ import annotations

from trayapp.events import StatusChanged
from trayapp.status import State, Status
from trayapp.ui.metrics import MetricsHistory

NOW = 1_790_000_000.0


def test_metrics_history_keeps_one_hour_of_samples() -> None:
    clock = [NOW - 4000]
    history = MetricsHistory(clock=lambda: clock[0])
    old = None
    for i in range(5):
        new = Status("assistant", "nanobot", State.RUNNING, memory=1000 + i, cpu=float(i))
        history.on_status(StatusChanged(old, new))
        old = new
        clock[0] += 1000
    series = history.handle({})["assistant"]
    assert [s[1] for s in series] == [1001, 1002, 1003, 1004]  # the first is over an hour older
    history.on_status(StatusChanged(new, new))  # no new numbers: no new point
    assert len(history.handle({"program": "assistant"})["assistant"]) == 4
