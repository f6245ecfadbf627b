"""The Notifier: journal events in, desktop notifications out. Never raises, never blocks.

Callers on any thread only enqueue; one worker thread ("trayapp-notify") runs the pure Policy
and talks to the backends, so a slow or dead D-Bus costs the supervisor nothing. Backends are
tried in order (freedesktop, plyer, log on Linux); a failing one is skipped for a minute.
Every notice is also written to trayapp's log, so a missed bubble can still be found.
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from trayapp.i18n import _, english
from trayapp.atomic import atomic_write
from trayapp.clock import Clock, SystemClock
from trayapp.config import NotifyConfig, ProgramConfig
from trayapp.errors import ControlError
from trayapp.events import EventBus, Recorded, StatusChanged
from trayapp.message import Message as Said
from trayapp.message import words
from trayapp.notify.channels import Channels, Recorder
from trayapp.notify.choose import choose_backends, with_tray_icon
from trayapp.notify.tray_backend import NotifyingIcon
from trayapp.notify.log_backend import LogBackend
from trayapp.notify.messages import Message, one_line
from trayapp.notify.note import ActionRelay, Backend, Limits, NoNotificationService, Note, Urgency, fit
from trayapp.notify.policy import Outgoing, Policy, Settings

log = logging.getLogger("trayapp.notify")

BACKEND_RETRY = 60.0  # seconds a failed backend is skipped before it is tried again


class _Stop:
    """What the inbox holds to stop the worker."""


_STOP = _Stop()
Job = Callable[[float], object]  # runs on the worker with the monotonic now; what it returns is dropped


@dataclass(frozen=True)
class Delivery:
    """A notice that went out: which backend took it and when (wall clock)."""

    kind: str
    slot: str
    title: str
    body: str
    backend: str
    at: float


class Notifier:
    """See the module docstring. Every public method is safe to call from any thread."""

    def __init__(self, config: NotifyConfig | None = None, *, clock: Clock | None = None,
                 backends: list[Backend] | None = None,
                 programs: Mapping[str, ProgramConfig] | None = None,
                 state_file: Path | None = None, settings: Settings | None = None,
                 threaded: bool = True, platform: str = sys.platform, journal: Recorder | None = None,
                 channels: Channels | None = None, actions: ActionRelay | None = None) -> None:
        self.config = config or NotifyConfig()
        self.actions = actions or ActionRelay()
        self.channels = channels or Channels(self.config.channels, self.config.channel_kinds,
                                             timeout=self.config.channel_timeout, journal=journal,
                                             threaded=threaded, footer=_footer())
        self._clock = clock or SystemClock()
        self._platform = platform
        self._backends = _with_log(list(backends) if backends is not None
                                   else choose_backends(platform, actions=self.actions))
        self._policy = Policy(settings or Settings(quiet_after_crash=self.config.quiet_after_crash),
                              names={n: p.display_name for n, p in (programs or {}).items()},
                              meanings={n: p.info.exit_meanings for n, p in (programs or {}).items()})
        self._names = dict(self._policy.names)
        self._state_file = state_file
        self._inbox: queue.Queue[Job | _Stop] = queue.Queue()
        self._handles: dict[tuple[str, str], object] = {}
        self._down_until: dict[str, float] = {}
        self._warned: set[str] = set()
        self.history: deque[Delivery] = deque(maxlen=50)
        self._idle = threading.Condition()
        self._busy = False
        self._threaded = threaded
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._paused_until: float | None = None  # wall clock; read by any thread
        self._restore_pause()

    # -- wiring -----------------------------------------------------------------------------

    def attach(self, bus: EventBus) -> Callable[[], None]:
        """Follow journal entries and status snapshots on `bus`. Returns a function that detaches."""
        return bus.follow(self)

    def on_recorded(self, event: Recorded) -> None:
        """Bus handler (the publisher's thread): queue the entry, return at once."""
        entry = dict(event.entry)
        self._post(lambda now: self._policy.offer(entry, now))

    def on_status(self, event: StatusChanged) -> None:
        """Bus handler: learn display names ("nanobot" rather than "assistant")."""
        program, name = event.new.program, event.new.display_name
        if name and self._names.get(program) != name:
            self._names[program] = name
            self._post(lambda now: self._policy.names.__setitem__(program, name))

    def use_tray_icon(self, icon: NotifyingIcon) -> None:
        """Let the tray's pystray icon show notifications (first choice on macOS and Windows)."""
        self._post(lambda now: self._add_tray_icon(icon))

    def _add_tray_icon(self, icon: NotifyingIcon) -> None:
        self._backends = with_tray_icon(self._backends, icon, self._platform)

    # -- notices not from the journal -------------------------------------------------------

    def notify(self, title: Said | str, body: Said | str = "", *, slot: str = "trayapp", kind: str = "note",
               urgency: Urgency = Urgency.NORMAL, bypass_pause: bool = False,
               channels: tuple[str, ...] = ()) -> None:
        """Show a notice (alert rules, the tray). Same rate limits and pause as journal news.
        A Message title or body is shown in the user's language and logged in English; a str as it is.
        `channels`: an alert rule's own channel URLs, instead of the configured ones."""
        logged = Message(one_line(str(title), 120), str(body))
        message = Message(one_line(words(title), 120), words(body), english=logged)
        self._post(lambda now: self._policy.note(slot, kind, message, now, urgency=urgency,
                                                 bypass_pause=bypass_pause, channels=channels))

    # -- pause ------------------------------------------------------------------------------

    def pause(self, seconds: float) -> float | None:
        """Silence everything but "gave up" for `seconds` (<= 0 resumes). Returns the end (epoch)."""
        if seconds <= 0:
            self.resume()
            return None
        until = self._clock.time() + float(seconds)
        self._set_pause(until)
        return until

    def resume(self) -> None:
        self._set_pause(None)

    @property
    def paused_until(self) -> float | None:
        """When the pause ends (wall clock, epoch seconds), or None when not paused."""
        with self._lock:
            until = self._paused_until
        return until if until is not None and until > self._clock.time() else None

    def handle_pause_command(self, args: Mapping[str, Any]) -> str:
        """Control command `pause_notifications {seconds}` (<= 0 resumes): the sentence the window shows."""
        seconds = args.get("seconds", 3600)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ControlError(f"pause_notifications needs a number of seconds, not {seconds!r}")
        until = self.pause(float(seconds))
        if until is None:
            return _("notifications resumed")
        return _("notifications paused until {time}").format(time=_clock_words(until, self._clock.time()))

    def _set_pause(self, until: float | None) -> None:
        with self._lock:
            self._paused_until = until
        self._post(lambda now: self._apply_pause(until, now, persist=True))

    def _apply_pause(self, until: float | None, now: float, *, persist: bool) -> None:
        if until is None:
            self._policy.resume()
        else:
            self._policy.pause(now + (until - self._clock.time()))
        if persist and self._state_file is not None:
            try:
                atomic_write(self._state_file, json.dumps({"paused_until": until}) + "\n")
            except OSError as exc:
                log.warning("could not save the notification pause to %s: %s", self._state_file, exc)

    def _restore_pause(self) -> None:
        """A pause outlives a restart of trayapp (state file); the config may also set one."""
        candidates = [_load_pause(self._state_file), _parse_time(self.config.paused_until)]
        until = max((c for c in candidates if c is not None), default=None)
        if until is not None and until > self._clock.time():
            self._paused_until = until
            self._apply_pause(until, self._clock.monotonic(), persist=False)

    # -- the worker -------------------------------------------------------------------------

    def _post(self, job: Job) -> None:
        try:
            self._inbox.put(job)
            if self._threaded:
                self._ensure_thread()
        except Exception:  # never let a notification problem reach the caller
            log.exception("could not queue a notification")

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="trayapp-notify", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        """Worker thread body: wait for a job or the next deadline, then step."""
        while True:
            deadline = self._policy.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self._clock.monotonic())
            try:
                job: Job | _Stop | None = self._inbox.get(timeout=timeout)
            except queue.Empty:
                job = None
            if isinstance(job, _Stop):
                self.step()
                return
            self.step(job)

    def step(self, first: Job | None = None) -> None:
        """Run queued jobs, then deliver what is due. The worker's step; tests call it directly."""
        with self._idle:
            self._busy = True
        try:
            jobs: list[Job | _Stop] = [first] if first is not None else []
            while True:
                try:
                    jobs.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            for job in jobs:
                if not isinstance(job, _Stop):
                    self._guard(job)
            for out in self._policy.due(self._clock.monotonic()):
                self._deliver(out)
        finally:
            with self._idle:
                self._busy = False
                self._idle.notify_all()

    def _guard(self, job: Job) -> None:
        try:
            job(self._clock.monotonic())
        except Exception:
            log.exception("notification bookkeeping failed")

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far was delivered (or dropped). For tests and shutdown."""
        end = time.monotonic() + timeout  # a real wait, whatever clock the policy runs on
        with self._idle:
            while not self._quiet():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.05))
        return True

    def _quiet(self) -> bool:
        return not self._busy and self._inbox.empty() and not self._policy.pending_slots()

    def close(self, timeout: float = 2.0) -> None:
        """Deliver what is pending (up to `timeout`), then stop the worker."""
        self.flush(timeout)
        self.channels.close(timeout)
        self._inbox.put(_STOP)
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # -- delivery (worker thread) -----------------------------------------------------------

    def _deliver(self, out: Outgoing) -> None:
        logged = out.message.logged
        log.info("notify [%s] %s — %s", out.kind, logged.title, logged.body.replace("\n", " | "))
        self.channels.offer(out)
        now = self._clock.monotonic()
        log_only = not self.config.enabled
        for backend in self._backends:
            if self._down_until.get(backend.name, 0.0) > now or (log_only and backend.name != "log"):
                continue
            handle = None if out.fresh else self._handles.get((out.slot, backend.name))
            note = _shaped(self._note(out, handle, in_log=backend.name == "log"), backend)
            try:
                result = backend.send(note)
            except NoNotificationService as exc:
                self._failed(backend, exc, now)
                log_only = True  # the others would talk to the same empty bus and fail silently
                continue
            except Exception as exc:
                self._failed(backend, exc, now)
                continue
            self._delivered(out, backend, result)
            return

    def _note(self, out: Outgoing, handle: object | None, *, in_log: bool = False) -> Note:
        """Crash and gave-up notices get buttons (Restart, Show logs, Snooze 1 h) when the app
        listens for them, and always the commands that do the same. `in_log`: the log backend's
        note, whose line is trayapp's log, so English like every other log line."""
        if in_log:
            with english():
                return self._words(out, out.message.logged, handle)
        return self._words(out, out.message, handle)

    def _words(self, out: Outgoing, message: Message, handle: object | None) -> Note:
        note = Note(message.title, message.body, out.urgency, handle)
        if out.kind not in BUTTON_KINDS or not out.program:
            return note
        buttons = buttons_for(out.program) if self.actions.connected else ()
        return replace(note, actions=buttons, instead=commands_for(out.program))

    def _delivered(self, out: Outgoing, backend: Backend, result: object | None) -> None:
        if result is not None:
            self._handles[(out.slot, backend.name)] = result
        self._down_until.pop(backend.name, None)
        self.history.append(Delivery(out.kind, out.slot, out.message.title, out.message.body,
                                     backend.name, self._clock.time()))

    def _failed(self, backend: Backend, exc: Exception, now: float) -> None:
        self._down_until[backend.name] = now + BACKEND_RETRY
        level = logging.DEBUG if backend.name in self._warned else logging.WARNING
        self._warned.add(backend.name)
        log.log(level, "notifications via %s failed (%s); trying the next way", backend.name, exc)


BUTTON_KINDS = ("crash", "gave_up")
SNOOZE = 3600.0  # "Snooze 1 h"


def buttons_for(program: str) -> tuple[tuple[str, str], ...]:
    """The (key, label) buttons of a crash notice; keys are read back by `parse_action`."""
    return ((f"restart:{program}", _("Restart")), (f"logs:{program}", _("Show logs")), ("snooze", _("Snooze 1 h")))


def parse_action(key: str) -> tuple[str, str | None]:
    """"restart:assistant" -> ("restart", "assistant"); "snooze" -> ("snooze", None)."""
    verb, _sep, program = key.partition(":")
    return verb, program or None


def commands_for(program: str) -> str:
    """What a notification without buttons says instead."""
    return _("To restart: trayapp restart {program} · its log: trayapp logs {program}").format(program=program)


def _shaped(note: Note, backend: Backend) -> Note:
    """`note` within the backend's limits; a backend without buttons gets the commands in the body,
    and room is kept for them so that they are never cut off."""
    if backend.buttons or not note.instead:
        return fit(note, backend.limits)
    limits = backend.limits
    room = Limits(limits.title, max(40, limits.body - len(note.instead) - 1), limits.utf16)
    return fit(note, room).without_buttons()


def _footer() -> str:
    """Said under every channel message: which computer it is about."""
    import socket

    return _("— trayapp on {host}").format(host=socket.gethostname())


def _clock_words(at: float, now: float) -> str:
    """"15:42" today, "Tue 3 Dec 15:42" on another day."""
    moment = datetime.fromtimestamp(at)
    same_day = moment.date() == datetime.fromtimestamp(now).date()
    return f"{moment:%H:%M}" if same_day else f"{moment:%a} {moment.day} {moment:%b %H:%M}"  # %-d: not on Windows


def _with_log(backends: list[Backend]) -> list[Backend]:
    """The log is always the last resort, whatever the caller passed."""
    return backends if any(b.name == "log" for b in backends) else [*backends, LogBackend()]


def _load_pause(path: Path | None) -> float | None:
    if path is None:
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("paused_until")
    except (OSError, ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) else None


def _parse_time(text: str | None) -> float | None:
    """An ISO time from config ("2026-05-01T08:00"); naive means local time. Bad text -> None."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        log.warning("notifications.paused_until %r is not an ISO time such as 2026-05-01T08:00", text)
        return None
