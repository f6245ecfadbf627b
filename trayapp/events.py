"""A small thread-safe publish/subscribe bus and the events that travel on it."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from trayapp.status import Status

log = logging.getLogger(__name__)
E = TypeVar("E")


@dataclass(frozen=True)
class StatusChanged:
    """A program's status snapshot changed. `old` is None for the first snapshot."""

    old: Status | None
    new: Status


@dataclass(frozen=True)
class Recorded:
    """Something worth remembering happened; it was written to the journal.

    `entry` is the journal line: {"ts": ISO time, "event": kind, "program": name, ...fields}.
    Kinds: start, exit, restart, backoff, gave_up, spawn_failed, stop, health, limit, adopt,
    external, disk, backup, restore, prune, alert.
    """

    entry: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.entry.get("event", ""))

    @property
    def program(self) -> str | None:
        return self.entry.get("program")


@dataclass(frozen=True)
class ProgramRemoved:
    """A reload removed this program: it has stopped and left the status."""

    program: str


@dataclass(frozen=True)
class ExtrasChanged:
    """Something the tray shows beside the programs changed: backup progress, disk level."""

    what: str


class Follower(Protocol):
    """A part that follows the bus as a whole (the notifier, the alert engine): see `EventBus.follow`."""

    def on_recorded(self, event: Recorded) -> None: ...

    def on_status(self, event: StatusChanged) -> None: ...


class EventBus:
    """Synchronous publish/subscribe, safe to use from any thread.

    Handlers run on the publisher's thread and must not block; a handler that raises is logged
    and the others still run. Subscribers that touch the GUI hop to the main thread themselves.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[tuple[type, Callable[[Any], None]]] = []

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call `handler` for every published event that is an instance of `kind`. Returns unsubscribe."""
        with self._lock:
            self._subs.append((kind, handler))
        return functools.partial(self._unsubscribe, kind, handler)

    def follow(self, listener: Follower) -> Callable[[], None]:
        """Subscribe `listener.on_recorded` to Recorded and `listener.on_status` to StatusChanged.
        Returns one function that unsubscribes both."""
        offs = [self.subscribe(Recorded, listener.on_recorded), self.subscribe(StatusChanged, listener.on_status)]

        def unfollow() -> None:
            for off in offs:
                off()

        return unfollow

    def _unsubscribe(self, kind: type, handler: Callable[[Any], None]) -> None:
        with self._lock:
            if (kind, handler) in self._subs:
                self._subs.remove((kind, handler))

    def publish(self, event: object) -> None:
        with self._lock:
            subs = list(self._subs)  # never call out while holding the lock
        for kind, handler in subs:
            if isinstance(event, kind):
                try:
                    handler(event)
                except Exception:
                    log.exception("event handler %r failed on %r", handler, type(event).__name__)
