"""Keeps the latest Status per program and applies it to the tray on the GUI thread.

The one door to the GUI thread is the `call_on_main` function given to the constructor
(see tray/mainthread.py). A burst of status changes (a crash loop can publish many a second)
schedules one hop; the hop applies whatever is latest when it runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence

from trayapp.events import ProgramRemoved, StatusChanged
from trayapp.status import Status
from trayapp.tray.view import Extras, TrayView, tray_view

CallOnMain = Callable[[Callable[[], None]], None]


class TrayController:
    """`on_status`, `refresh` and `seed` may be called from any thread; `flush` runs on the GUI thread.

    `apply(view)` changes the real icon (tray/menu.py); it is called only from `flush` and only when
    the view differs from the last one applied, so resource samples that change nothing visible
    cost no redraw.
    """

    def __init__(self, apply: Callable[[TrayView], None], call_on_main: CallOnMain,
                 order: Sequence[str] = (), extras: Callable[[], Extras] = Extras,
                 clock: Callable[[], float] = time.time) -> None:
        self._apply, self._call_on_main = apply, call_on_main
        self._order, self._extras, self._clock = list(order), extras, clock
        self._lock = threading.Lock()
        self._latest: dict[str, Status] = {}
        self._scheduled = False
        self.view: TrayView | None = None  # read by menu callables, on the GUI thread

    def seed(self, statuses: Iterable[Status]) -> None:
        """Start from the supervisor's current snapshots (before any StatusChanged arrives)."""
        with self._lock:
            for status in statuses:
                self._latest.setdefault(status.program, status)
        self.refresh()

    def on_status(self, event: StatusChanged) -> None:
        """Bus handler; any thread. Never blocks: it records the snapshot and maybe schedules one hop."""
        with self._lock:
            self._latest[event.new.program] = event.new
        self.refresh()

    def on_removed(self, event: ProgramRemoved) -> None:
        """Bus handler; any thread. A reload removed the program: it leaves the menu."""
        with self._lock:
            self._latest.pop(event.program, None)
        self.refresh()

    def refresh(self) -> None:
        """Schedule a flush unless one is already pending (time-based text, changed extras)."""
        with self._lock:
            if self._scheduled:
                return
            self._scheduled = True
        self._call_on_main(self.flush)

    def statuses(self) -> list[Status]:
        """The latest snapshots, in config order (unknown programs last, by name)."""
        with self._lock:
            latest = dict(self._latest)
        rank = {name: i for i, name in enumerate(self._order)}
        return sorted(latest.values(), key=lambda s: (rank.get(s.program, len(rank)), s.program))

    def flush(self) -> None:
        """GUI thread only. Applies the latest snapshots; a no-op when nothing visible changed."""
        with self._lock:
            self._scheduled = False  # a status arriving from now on schedules the next hop
        view = tray_view(self.statuses(), self._clock(), self._extras())
        if view == self.view:
            return
        self.view = view
        self._apply(view)
