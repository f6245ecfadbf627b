"""Notices beyond the desktop: e-mail, Slack, Feishu/Lark, DingTalk, WeCom, ntfy... through apprise.

Each channel is an apprise URL from `[notifications] channels` (or an alert rule's own `channels`).
Deliveries run on this module's own thread ("trayapp-channels"), one channel at a time, each with a
hard time limit, so a dead mail server delays neither the supervisor nor the desktop bubbles. A
failure is journalled (`channel_failed`, with the URL redacted) and logged; it never raises.
apprise is an optional extra (`trayapp[channels]`) and is imported on first delivery only.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from trayapp.i18n import N_, _
from trayapp.message import Duration, Message
from trayapp.notify.note import Urgency
from trayapp.notify.policy import Outgoing
from trayapp.redact import REDACTED, redact_url

log = logging.getLogger("trayapp.notify")
MISSING = N_("the apprise package is not installed; install it with `pip install apprise` (trayapp's extra "
             "`channels`)")


class Recorder(Protocol):
    def record(self, event: str, program: str | None = None, **fields: Any) -> Any: ...


@dataclass(frozen=True)
class Delivery:
    """One notice for one channel."""

    url: str
    kind: str
    title: str
    body: str
    urgency: Urgency


# -> None when delivered, else the reason: our words as a Message, or the service's own (apprise's)
Send = Callable[[Delivery, float], Message | str | None]


class Channels:
    """Chooses which notices go out and sends them. `offer` is called on the notifier's worker thread."""

    def __init__(self, urls: Iterable[str] = (), kinds: Iterable[str] = (), *, timeout: float = 10.0,
                 journal: Recorder | None = None, send: Send | None = None, threaded: bool = True,
                 footer: str = "") -> None:
        self.urls, self.kinds, self.timeout = tuple(urls), frozenset(kinds), timeout
        self._journal, self._send = journal, send or apprise_send
        self._threaded, self._footer = threaded, footer
        self._last_kind: dict[str, str] = {}
        self._inbox: queue.Queue[Delivery | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._busy = 0
        self._idle = threading.Condition()

    def wanted(self, out: Outgoing) -> tuple[str, ...]:
        """The channels `out` goes to: an alert rule's own, else the configured ones for its kind.
        Updates of one situation (the 3rd crash of a loop) go once; the next kind of news goes again."""
        repeat = not out.fresh and self._last_kind.get(out.slot) == out.kind and out.kind != "alert"
        self._last_kind[out.slot] = out.kind
        if out.channels:
            return out.channels
        return () if repeat or out.kind not in self.kinds else self.urls

    def offer(self, out: Outgoing) -> None:
        """Queue `out` for each channel that wants it; never blocks, never raises."""
        body = f"{out.message.body}\n\n{self._footer}".strip() if self._footer else out.message.body
        for url in self.wanted(out):
            self._queue(Delivery(url, out.kind, out.message.title, body, out.urgency))

    def _queue(self, delivery: Delivery) -> None:
        with self._idle:
            self._busy += 1
        if not self._threaded:
            self._deliver(delivery)
            return
        self._inbox.put(delivery)
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="trayapp-channels", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while (delivery := self._inbox.get()) is not None:
            self._deliver(delivery)

    def _deliver(self, delivery: Delivery) -> None:
        error: Message | str | None
        try:
            error = self._send(delivery, self.timeout)
        except Exception as exc:  # a channel must never take the notifier down
            error = f"{type(exc).__name__}: {exc}"
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()
        if error:
            self._failed(delivery, error)

    def _failed(self, delivery: Delivery, error: Message | str) -> None:
        shown = redact_url(delivery.url)
        if isinstance(error, str):  # the service's words may quote the URL
            error = hide_secrets(error, self.urls)
        log.warning("could not send the %s notice to %s: %s", delivery.kind, shown, error)
        if self._journal is not None:
            self._journal.record("channel_failed", channel=shown, kind=delivery.kind, error=error)

    def flush(self, timeout: float) -> bool:
        """Wait until every queued delivery finished or gave up. For tests and shutdown."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self, timeout: float = 2.0) -> None:
        self.flush(timeout)
        self._inbox.put(None)


# -- apprise -------------------------------------------------------------------------------

_NOTIFY_TYPE = {Urgency.LOW: "info", Urgency.NORMAL: "warning", Urgency.CRITICAL: "failure"}


def apprise_send(delivery: Delivery, timeout: float) -> Message | str | None:
    """Deliver through apprise within `timeout` seconds (the call runs in a helper thread that is
    left behind if the service hangs; its own socket timeouts end it soon after)."""
    try:
        import apprise
    except ImportError:
        return Message(MISSING)
    protect_apprise_log(delivery.url)
    plugin = apprise.Apprise.instantiate(delivery.url)
    if plugin is None:
        return Message(N_("apprise does not understand this URL; see apprise's list of services for its form"))
    plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
    outcome: list[Message | str | None] = []
    worker = threading.Thread(target=lambda: outcome.append(_notify(plugin, delivery)),
                              name="trayapp-channel-send", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        return Message(N_("no answer within {wait}"), wait=Duration(timeout))
    return outcome[0]


def _notify(plugin: Any, delivery: Delivery) -> Message | str | None:
    """On the helper thread: apprise's own warnings during the call become the reason."""
    heard = _Heard(threading.get_ident())
    logger = logging.getLogger("apprise")
    logger.addHandler(heard)
    try:
        ok = plugin.notify(body=delivery.body or delivery.title, title=delivery.title,
                           notify_type=_NOTIFY_TYPE[delivery.urgency])
    finally:
        logger.removeHandler(heard)
    if ok:
        return None
    return heard.lines[-1] if heard.lines else Message(N_("the service refused the notice"))


class _Heard(logging.Handler):
    """Keeps the warnings apprise logs on one thread."""

    def __init__(self, thread: int) -> None:
        super().__init__(logging.WARNING)
        self.thread = thread
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(" ".join(record.getMessage().split())[:300])


# -- secrets in apprise's own log ----------------------------------------------------------

def secrets_of(url: str) -> set[str]:
    """The parts of a channel URL that may be secret: user info, path segments, query values.
    apprise logs the service's real endpoint (with the token in it), not the URL itself."""
    _, _, rest = url.partition("://")
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    user, _, host = netloc.rpartition("@")
    parts = [*user.split(":"), *path.split("/"), *(p.partition("=")[2] for p in query.split("&"))]
    if "." not in host:
        parts.append(host)  # slack://TokenA/..., feishu://token: the "host" is the token
    found = {unquote(p) for p in parts if len(p) >= 4}
    return found | {p for p in parts if len(p) >= 4}


def hide_secrets(text: str, urls: Iterable[str]) -> str:
    for secret in sorted({s for url in urls for s in secrets_of(url)}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


class _Hide(logging.Filter):
    """On the "apprise" logger: every record has the channels' secrets replaced before any handler."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg, record.args = hide_secrets(record.getMessage(), self.urls), ()
        except Exception:  # a malformed record: drop it rather than risk a secret or an error
            return False
        return True


_HIDE = _Hide()


# apprise logs the endpoints it posts to; urllib3 (under requests) logs each request line at DEBUG.
_QUOTING_LOGGERS = ("apprise", "urllib3.connectionpool")


def protect_apprise_log(url: str) -> None:
    """Before apprise sees `url`: its secrets never reach trayapp.log through apprise's messages."""
    for name in _QUOTING_LOGGERS:
        logger = logging.getLogger(name)
        if _HIDE not in logger.filters:
            logger.addFilter(_HIDE)
    _HIDE.urls.add(url)


def channel_warnings(urls: Iterable[str]) -> list[str]:
    """What `trayapp config check` says about channels that cannot work: no apprise, or a URL
    apprise does not understand. URLs are named redacted. Imports apprise (a fraction of a second)."""
    urls = list(urls)
    if not urls:
        return []
    try:
        import apprise
    except ImportError:
        return [_(MISSING)]
    for url in urls:
        protect_apprise_log(url)
    return [_("{url}: apprise does not understand this URL; see apprise's list of services").format(url=redact_url(url))
            for url in urls if apprise.Apprise.instantiate(url) is None]
