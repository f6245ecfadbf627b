"""Keeps the latest Status per program and applies it to the tray on the GUI thread.

The one door to the GUI thread is the `call_on_main` function given to the constructor
(see tray/mainthread.py). A burst of status changes (a crash loop can publish many a second)
schedules one hop; the hop applies whatever is latest when it runs.

Each change to the real icon costs the panel work: with appindicator a new menu is sent over D-Bus
and rebuilt, and while that happens a right-click does nothing (a backup's progress line did it 13
times a second). So the icon, tooltip and menu are each touched only when what they show changed,
and at most once per MIN_INTERVAL; a change inside that second is applied at its end (a trailing
update, never a dropped one).
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from trayapp.events import ProgramRemoved, StatusChanged
from trayapp.status import Status
from trayapp.tray.view import Extras, TrayView, tray_view

CallOnMain = Callable[[Callable[[], None]], None]
CallLater = Callable[[float, Callable[[], None]], None]
MIN_INTERVAL = 1.0  # seconds between two changes of the real icon


class Part(enum.StrEnum):
    """What of the real icon must change."""

    ICON = "icon"
    TOOLTIP = "tooltip"
    MENU = "menu"


def changed_parts(old: TrayView | None, new: TrayView) -> frozenset[Part]:
    """The parts that look different (the menu compares labels, enabled, checked and submenus)."""
    if old is None:
        return frozenset(Part)
    parts = {Part.ICON: old.icon_key != new.icon_key, Part.TOOLTIP: old.tooltip != new.tooltip,
             Part.MENU: old.menu != new.menu}
    return frozenset(part for part, differs in parts.items() if differs)


def _timer(delay: float, fn: Callable[[], None]) -> None:
    timer = threading.Timer(delay, fn)
    timer.daemon = True
    timer.start()


class TrayController:
    """`on_status`, `refresh` and `seed` may be called from any thread; `flush` runs on the GUI thread.

    `apply(view, parts)` changes those parts of the real icon (tray/menu.py); it is called only from
    `flush`, only when something visible differs from the last view applied (resource samples
    that change nothing visible cost no redraw) and at most once per MIN_INTERVAL (`monotonic`).
    `call_later(delay, fn)` runs `fn` after `delay` seconds on any thread (the trailing update).
    """

    def __init__(self, apply: Callable[[TrayView, frozenset[Part]], None], call_on_main: CallOnMain,
                 order: Sequence[str] = (), extras: Callable[[], Extras] = Extras,
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic,
                 call_later: CallLater = _timer) -> None:
        self._apply, self._call_on_main, self._call_later = apply, call_on_main, call_later
        self._order, self._extras, self._clock, self._monotonic = list(order), extras, clock, monotonic
        self._lock = threading.Lock()
        self._latest: dict[str, Status] = {}
        self._scheduled = self._waiting = False
        self._applied_at: float | None = None
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
        """GUI thread only. Applies the latest snapshots; a no-op when nothing visible changed, and
        deferred to the end of the second when the icon changed less than MIN_INTERVAL ago."""
        with self._lock:
            self._scheduled = False  # a status arriving from now on schedules the next hop
        view = tray_view(self.statuses(), self._clock(), self._extras())
        parts = changed_parts(self.view, view)
        if not parts:
            return
        now = self._monotonic()
        if self._applied_at is not None and now - self._applied_at < MIN_INTERVAL:
            self._retry_in(self._applied_at + MIN_INTERVAL - now)
            return
        self.view, self._applied_at = view, now
        self._apply(view, parts)

    def _retry_in(self, delay: float) -> None:
        """One trailing flush per interval, however many changes arrive meanwhile."""
        with self._lock:
            if self._waiting:
                return
            self._waiting = True
        self._call_later(delay, self._retry)

    def _retry(self) -> None:
        with self._lock:
            self._waiting = False
        self.refresh()
