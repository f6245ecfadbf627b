"""What a notification backend is given: a fitted title and body, urgency, and a bubble to replace."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

log = logging.getLogger("trayapp.notify")


class Urgency(enum.IntEnum):
    """The freedesktop urgency levels; other platforms use them only to pick a timeout."""

    LOW = 0
    NORMAL = 1
    CRITICAL = 2


@dataclass(frozen=True)
class Limits:
    """How long a title and body may be on one platform. `utf16`: count UTF-16 units (Windows)."""

    title: int = 100
    body: int = 400
    utf16: bool = False


@dataclass(frozen=True)
class Note:
    """One notification as a backend sends it.

    `replaces` is the handle a backend returned for the earlier bubble of the same situation
    (a freedesktop notification id), or None to open a new bubble. `actions`: buttons as
    (key, label) pairs; `instead`: the sentence that replaces them where there are no buttons.
    """

    title: str
    body: str
    urgency: Urgency = Urgency.NORMAL
    replaces: object | None = None
    icon: str = ""
    actions: tuple[tuple[str, str], ...] = ()
    instead: str = ""

    def without_buttons(self) -> Note:
        """The note for a backend without buttons: the commands to type are said in the body."""
        if not self.actions and not self.instead:
            return self
        body = f"{self.body}\n{self.instead}".strip() if self.instead else self.body
        return replace(self, body=body, actions=(), instead="")


class BackendUnavailable(Exception):
    """A backend cannot deliver on this machine right now (no bus, no daemon, missing module)."""


class NoNotificationService(BackendUnavailable):
    """The session bus answered, but nothing serves notifications on it (no daemon running).

    Every other Linux backend (plyer's notify-send, pystray) would use the same bus and fail
    silently, so the facade goes straight to the log.
    """


class Backend(Protocol):
    """A way to show a notification. `send` runs on the notifier's worker thread and may raise.
    `buttons`: the backend shows `note.actions` itself (and says `note.instead` where it cannot);
    the facade hands every other backend `note.without_buttons()`."""

    name: str
    limits: Limits
    buttons: bool

    def send(self, note: Note) -> object | None:
        """Show `note`; return a handle for replacing it later, or None."""


class ActionRelay:
    """Buttons pressed on notifications, on their way to the app.

    A backend's listener thread calls `pressed(key)`; the app `connect`s one handler, which must
    return at once (it only enqueues). Until a handler is connected no buttons are offered."""

    def __init__(self) -> None:
        self._handler: Callable[[str], None] | None = None

    def connect(self, handler: Callable[[str], None]) -> None:
        self._handler = handler

    @property
    def connected(self) -> bool:
        return self._handler is not None

    def pressed(self, key: str) -> None:
        handler = self._handler
        if handler is None:
            return
        try:
            handler(key)
        except Exception:  # a button must never take the listener down
            log.exception("the notification button %r failed", key)


ELLIPSIS = "…"


def _length(text: str, utf16: bool) -> int:
    return len(text.encode("utf-16-le")) // 2 if utf16 else len(text)


def truncate(text: str, limit: int, utf16: bool = False) -> str:
    """`text` cut to `limit` characters (or UTF-16 units), ending in an ellipsis when cut."""
    if _length(text, utf16) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    while cut and _length(cut + ELLIPSIS, utf16) > limit:
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


def fit(note: Note, limits: Limits) -> Note:
    """The same note with its title and body within `limits`."""
    title = truncate(note.title, limits.title, limits.utf16)
    body = truncate(note.body, limits.body, limits.utf16)
    if title == note.title and body == note.body:
        return note
    return replace(note, title=title, body=body)
