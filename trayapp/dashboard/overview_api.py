"""The overview: /api/overview, program commands, the notification pause, /api/config, reload,
and the live event stream (/events, server-sent events fed by the event bus).

Everything a person reads is made here in words (units.py, tray/view.py, journal.describe); times
are also given as epoch seconds for the page's own arithmetic.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from trayapp import __version__
from trayapp.dashboard.backups_api import summary as backup_summary
from trayapp.dashboard.events_api import event_json
from trayapp.dashboard.host import DashboardHost
from trayapp.dashboard.http import EVENT_STREAM, HttpError, Request, Response, Router, Write
from trayapp.errors import ControlError
from trayapp.events import ExtrasChanged, ProgramRemoved, Recorded, StatusChanged
from trayapp.i18n import N_, _
from trayapp.redact import redact
from trayapp.message import words
from trayapp.status import CrashReport, Status
from trayapp.tray.view import program_view, restarts_today
from trayapp.triage.report import render_text
from trayapp.units import format_duration, format_size

QUEUE_SIZE = 512  # events waiting for one page; a page that falls this far behind is dropped
KEEPALIVE = 15.0  # seconds between comment lines, so proxies and browsers keep the stream open
WAKE = 0.5  # seconds: how often a waiting stream looks at the stop event
MAX_CONFIG = 1 << 20  # config.toml shown at most this large (it is a few KB)
MAX_PAUSE = 7 * 86400
ASKED = {  # status.CONTROL_ACTIONS, each in its own sentence
    "start": N_("Asked trayapp to start {name}."), "stop": N_("Asked trayapp to stop {name}."),
    "restart": N_("Asked trayapp to restart {name}.")}


def register(router: Router, host: DashboardHost) -> None:
    router.get("/api/overview", lambda r: Response.json(overview(host, time.time())))
    router.post("/api/programs/{name}/{verb}", lambda r: _command(host, r))
    router.post("/api/notifications", lambda r: _notifications(host, r))
    router.get("/api/config", lambda r: Response.json(config_view(host)))
    router.post("/api/reload", lambda r: _reload(host))
    stream = EventStream(host)
    router.get("/events", stream.respond)  # the server sends here only requests for text/event-stream
    router.get("/api/stream", stream.respond)


# -- the overview ----------------------------------------------------------------------------------

def overview(host: DashboardHost, now: float) -> dict[str, Any]:
    return {"version": __version__, "pid": os.getpid(),
            "programs": [program_entry(s, now) for s in host.statuses()], **extras(host, now)}


def extras(host: DashboardHost, now: float) -> dict[str, Any]:
    """What the page shows beside the programs (the `extras` stream event carries the same)."""
    until, backup = host.notifier.paused_until, host.backups.info()
    return {"notifications": {"paused_until": until, "paused_words": _paused_words(until, now)},
            "backup": {**backup, **backup_summary(backup, now)},
            "disk": [{**volume, "words": _disk_words(volume)} for volume in host.disk.snapshot()],
            "config": {"path": str(host.paths.config_file), "problems": list(host.config_problems)}}


def _disk_words(volume: dict[str, Any]) -> str:
    free, total = volume.get("free"), volume.get("total")
    if not isinstance(free, int) or not isinstance(total, int):
        return _("{path}: free space not known").format(path=volume.get("path"))
    return _("{path}: {free} free of {total}").format(path=volume.get("path"), free=format_size(free),
                                                      total=format_size(total))


def _paused_words(until: float | None, now: float) -> str:
    if until is None or until <= now:
        return ""
    return _("Notifications are paused until {time}").format(time=time.strftime("%H:%M", time.localtime(until)))


def program_entry(status: Status, now: float) -> dict[str, Any]:
    """Status.to_dict() and the words the page shows for it."""
    view = program_view(status, now)
    uptime = status.uptime(now)
    own_ui = status.extra.get("own_ui")
    return {**status.to_dict(),
            "view": {"phrase": view.phrase, "icon_key": str(view.icon_key), "can_start": view.can_start,
                     "can_stop": view.can_stop, "can_restart": view.can_restart,
                     "last_crash": view.last_crash, "cannot_answer": view.cannot_answer},
            "restarts_today": restarts_today(status, now),
            "uptime_words": "" if uptime is None else format_duration(int(uptime)),
            "memory_words": "" if status.memory is None else format_size(status.memory),
            "cpu_words": "" if status.cpu is None else _("{percent}%").format(percent=round(status.cpu)),
            "own_ui": own_ui if isinstance(own_ui, str) and own_ui else None,
            "crash_report_text": "" if status.last_crash is None else render_text(status.last_crash,
                                                                                   status.display_name),
            "crash_words": None if status.last_crash is None else crash_words(status.last_crash),
            # the English health_detail/health_fix beside them stay for scripts
            "health_detail_words": words(status.health_detail), "health_fix_words": words(status.health_fix)}


def crash_words(report: CrashReport) -> dict[str, str]:
    """The crash report's headline, cause and fix as the page shows them: in the user's language
    (`last_crash` beside them keeps the English words, for scripts)."""
    return {"headline": words(report.headline), "cause": words(report.cause), "fix": words(report.fix)}


# -- actions ---------------------------------------------------------------------------------------

def _command(host: DashboardHost, request: Request) -> Response:
    name, verb = request.params["name"], request.params["verb"]
    status = next((s for s in host.statuses() if s.program == name), None)
    if status is None:
        raise HttpError(404, _("there is no program named {name}").format(name=name),
                        _("reload the page to see the programs"))
    if verb not in ASKED:
        raise HttpError(404, _("{verb} is not something trayapp can do to a program").format(verb=verb),
                        _("use start, stop or restart"))
    try:
        host.command(verb, name)
    except ControlError as exc:
        raise HttpError(409, exc.message, exc.fix or "") from None
    return Response.json({"message": _(ASKED[verb]).format(name=status.display_name)})


def _notifications(host: DashboardHost, request: Request) -> Response:
    body = request.body
    if body.get("resume") is True:
        host.notifier.resume()
    else:
        seconds = body.get("pause_seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= MAX_PAUSE:
            raise HttpError(400, _("say how long to pause notifications: pause_seconds between 1 and 604800, "
                                   "or resume: true"))
        host.notifier.pause(float(seconds))
    host.bus.publish(ExtrasChanged("notifications"))
    until = host.notifier.paused_until
    return Response.json({"paused_until": until, "message": _notifications_sentence(until, time.time())})


def _notifications_sentence(until: float | None, now: float) -> str:
    if until is None or until <= now:
        return _("Notifications are on.")
    return _("Notifications are paused until {time}.").format(time=time.strftime("%H:%M", time.localtime(until)))


def config_view(host: DashboardHost) -> dict[str, Any]:
    path = host.paths.config_file
    try:
        with open(path, "rb") as f:
            text = f.read(MAX_CONFIG).decode("utf-8", "replace")
        exists = True
    except FileNotFoundError:
        text, exists = "", False
    except OSError as exc:
        text, exists = _("(the file could not be read: {reason})").format(reason=exc.strerror or exc), True
    return {"path": str(path), "exists": exists, "text": redact(text), "problems": list(host.config_problems)}


def _reload(host: DashboardHost) -> Response:
    result = host.reload()
    host.bus.publish(ExtrasChanged("config"))
    return Response.json(result)


# -- the live stream ---------------------------------------------------------------------------------

def frame(kind: str, data: Any) -> bytes:
    """One server-sent event; JSON has no raw newlines, so `data` is one line."""
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


class EventStream:
    """GET /events: `hello` (the overview), then `status`, `removed`, `journal`, `extras` as they happen."""

    def __init__(self, host: DashboardHost, *, queue_size: int = QUEUE_SIZE, keepalive: float = KEEPALIVE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._host = host
        self._queue_size, self._keepalive, self._clock = queue_size, keepalive, clock

    def respond(self, request: Request) -> Response:
        return Response(200, b"", EVENT_STREAM, stream=self.run)

    def run(self, write: Write, stop: threading.Event) -> None:
        """A request thread, for as long as the page stays."""
        client = _Client(self._queue_size)
        bus = self._host.bus
        offs = [bus.subscribe(kind, client.put) for kind in (StatusChanged, ProgramRemoved, Recorded, ExtrasChanged)]
        try:
            write(frame("hello", overview(self._host, time.time())))
            self._pump(client, write, stop)
        finally:
            for off in offs:
                off()

    def _pump(self, client: _Client, write: Write, stop: threading.Event) -> None:
        last = self._clock()
        while not stop.is_set() and not client.dropped:
            event = client.next(WAKE)
            if event is not None:
                write(self._frame(event))
                last = self._clock()
            elif self._clock() - last >= self._keepalive:
                write(b": still here\n\n")
                last = self._clock()

    def _frame(self, event: object) -> bytes:
        """Made on the stream's thread: the publisher (the supervisor) only queued the event."""
        if isinstance(event, StatusChanged):
            return frame("status", program_entry(event.new, time.time()))
        if isinstance(event, ProgramRemoved):
            return frame("removed", {"program": event.program})
        if isinstance(event, Recorded):
            names = {s.program: s.display_name for s in self._host.statuses()}
            return frame("journal", event_json(event.entry, names, time.time()))
        return frame("extras", extras(self._host, time.time()))


class _Client:
    """One page's queue. The bus's publisher never waits on it: a full queue drops this page.

    `extras` are sent whole, so one waiting is enough: a backup's progress (many a second) costs
    one event per turn of the stream, not one per change."""

    def __init__(self, size: int) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=size)
        self._extras_waiting = threading.Event()
        self.dropped = False

    def put(self, event: object) -> None:
        if isinstance(event, ExtrasChanged):
            if self._extras_waiting.is_set():
                return
            self._extras_waiting.set()
        try:
            self._queue.put_nowait(event)
        except queue.Full:  # the page cannot keep up: it reconnects and starts again from `hello`
            self.dropped = True

    def next(self, timeout: float) -> object | None:
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(event, ExtrasChanged):
            self._extras_waiting.clear()  # before the overview is read: a later change is sent again
        return event
