"""The supervisor thread: one inbox, one step, every program's state machine.

Thread contract: `submit()`, `statuses()` and `status()` may be called from any thread and never
block. `step()` runs only on the supervisor thread (or directly in tests).

Dependencies (`depends_on`): a program that needs others waits, STOPPED with the reason shown, until
every condition is met (deps.py decides); past `depends_timeout` it is on hold, still waiting, never
crash-looping. Quitting stops dependents before what they depend on. A reload adds, removes and
replaces programs through messages, so only this thread ever changes `programs`.

No exception stops supervision: whatever one program's handling raises becomes that program's
fault (`Supervised.fault`: shown, journaled, its child kept), and the others carry on.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from trayapp.config import ProgramConfig
from trayapp.i18n import N_
from trayapp.supervisor import deps
from trayapp.supervisor.changes import AddProgram, ProgramChange, RemoveProgram, ReplaceProgram, UpdateProgram
from trayapp.supervisor.messages import (Degraded, DiskMeasured, Exited, HealthChecked, Message, OwnUi, Quit, Ready,
                                         Restart, Start, Stop)
from trayapp.message import Message as Reason
from trayapp.supervisor.program import Context, stopped_by
from trayapp.supervisor.state import moved
from trayapp.supervisor.supervised import Supervised
from trayapp.status import Mode, State, Status

log = logging.getLogger(__name__)


@dataclass
class _Wait:
    """A program waiting for its dependencies: on hold (and said so once) after `until`."""

    until: float
    by_user: bool
    held: bool = False


@dataclass(frozen=True)
class _Retiring:
    """A program being stopped by a reload; then `successor` (None: nothing) takes its place."""

    successor: Supervised | None
    start: bool


class Supervisor:
    """Owns the programs; everything that changes them arrives as a message."""

    # Upper bound on a wait with nothing scheduled; exits and commands wake the loop at once.
    IDLE_WAIT = 3600.0

    def __init__(self, programs: Iterable[Supervised], ctx: Context) -> None:
        self.programs: dict[str, Supervised] = {p.cfg.name: p for p in programs}
        self.ctx = ctx
        self._inbox: queue.SimpleQueue[Message | ProgramChange] = queue.SimpleQueue()
        self._wakeup = threading.Event()
        self._quitting = False
        self._leave_running = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._latest = {name: p.status for name, p in self.programs.items()}
        self._waiting: dict[str, _Wait] = {}
        self._bound: dict[str, dict[str, float | None]] = {}  # dependent -> its dependencies' started_at
        self._retiring: dict[str, _Retiring] = {}
        self._stop_later: set[str] = set()  # quitting: stopped once their dependents are down

    # -- any thread -------------------------------------------------------------------------

    def submit(self, message: Message | ProgramChange) -> None:
        """Queue a command or report. Never blocks."""
        self._inbox.put(message)
        self._wakeup.set()

    def statuses(self) -> list[Status]:
        with self._lock:
            return list(self._latest.values())

    def status(self, program: str) -> Status | None:
        with self._lock:
            return self._latest.get(program)

    def remember(self, status: Status) -> None:
        """Called by the publish hook so readers on other threads see the latest snapshot."""
        with self._lock:
            self._latest[status.program] = status

    @property
    def finished(self) -> threading.Event:
        """Set once a Quit has stopped every program and the loop has ended."""
        return self._done

    # -- supervisor thread ------------------------------------------------------------------

    def step(self) -> float | None:
        """Handle every queued message, advance every program once; return the next deadline."""
        while True:
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                break
            self._handle(message, self.ctx.clock.monotonic())
        now = self.ctx.clock.monotonic()
        deadlines = [self._step_one(p, now) for p in list(self.programs.values())]
        deadlines += [self._step_one(p, now) for p in self._after_step(now)]
        deadlines += [w.until for w in self._waiting.values() if not w.held]
        return min((d for d in deadlines if d is not None), default=None)

    def _after_step(self, now: float) -> list[Supervised]:
        """What follows from the programs' new states: swaps, ordered stops, dependents. Returns
        the programs started or stopped here, to be stepped once more."""
        touched = self._settle_retiring(now) + self._stop_in_order(now)
        touched += self._unbind(now)
        return touched + self._release(now)

    # After a program's step fails, look at it again this soon (not in an hour, not in a spin).
    RETRY_AFTER_FAULT = 5.0

    def _step_one(self, program: Supervised, now: float) -> float | None:
        try:
            return program.step(now)
        except Exception as exc:
            self._fault(program, now, exc, "advancing its timers")
            return now + self.RETRY_AFTER_FAULT

    def _handle(self, message: Message | ProgramChange, now: float) -> None:
        match message:
            case Exited(program=name):
                self._each(name, N_("handling its exit"), lambda p: p.exited(message, now))
            case HealthChecked(program=name):
                self._each(name, N_("handling a health check"), lambda p: p.health_checked(message, now))
            case Ready(program=name):
                self._each(name, N_("handling its ready line"), lambda p: p.ready(message, now))
            case Degraded(program=name):
                self._each(name, N_("handling what its output said"), lambda p: p.degraded(message, now))
            case OwnUi(program=name):
                self._each(name, "noting its own web UI", lambda p: p.own_ui(message, now))
            case DiskMeasured(program=name):
                self._each(name, N_("checking its disk use"), lambda p: p.disk_measured(message, now))
            case Start() | Restart() if self._quitting:
                log.info("supervisor: quitting, so %s is ignored", type(message).__name__.lower())
            case Start(program=name, by_user=by_user):
                self._each(name, N_("starting it"), lambda p: self._start(p, now, by_user))
            case Stop(program=name, by=by):
                self._each(name, N_("stopping it"), lambda p: self._stop(p, now, by))
            case Restart(program=name):
                self._each(name, N_("restarting it"), lambda p: self._restart(p, now))
            case Quit(stop_programs=stop_programs):
                self._quitting = True
                self._leave_running = not stop_programs
                self._waiting.clear()
                self._each(None, N_("quitting"), lambda p: p.cancel_pending_start())
                if stop_programs:
                    self._stop_later = set(self.programs)
            case AddProgram() | ReplaceProgram() | UpdateProgram() | RemoveProgram():
                self._reload(message, now)

    def _each(self, name: str | None, during: str, action: Callable[[Supervised], None]) -> None:
        targets = self.programs.values() if name is None else [self.programs[name]] if name in self.programs else []
        for program in targets:
            try:
                action(program)
            except Exception as exc:
                self._fault(program, self.ctx.clock.monotonic(), exc, during)

    def _fault(self, program: Supervised, now: float, error: Exception, during: str) -> None:
        """One program's bug must not stop the others from being looked after."""
        log.exception("supervisor: %s failed while %s; the others carry on", program.cfg.name, during,
                      exc_info=error)
        try:
            program.fault(now, error, during)
        except Exception:
            log.exception("supervisor: recording the failure of %s failed too", program.cfg.name)

    # -- dependencies -----------------------------------------------------------------------

    def _graph(self) -> dict[str, dict[str, str]]:
        return {name: dict(p.cfg.depends_on) for name, p in self.programs.items()}

    def _current(self) -> dict[str, Status]:
        return {name: p.status for name, p in self.programs.items()}

    def _start(self, program: Supervised, now: float, by_user: bool) -> None:
        """A program with dependencies waits for them (from STOPPED); any other starts at once."""
        if program.cfg.depends_on and program.status.state is State.STOPPED:
            self._waiting[program.cfg.name] = _Wait(now + program.cfg.depends_timeout, by_user)
            self._release(now)
        else:
            program.start(now, by_user)

    def _restart(self, program: Supervised, now: float) -> None:
        """Restart of a stopped program is a start: it waits for its dependencies like one."""
        if program.status.state is State.STOPPED:
            self._start(program, now, by_user=True)
        else:
            program.restart(now)

    def _stop(self, program: Supervised, now: float, by: str) -> None:
        if self._waiting.pop(program.cfg.name, None) is not None:
            self._show(program, stopped_by(by))
        program.stop(now, by)

    def _release(self, now: float) -> list[Supervised]:
        """Start every waiting program whose conditions are met; say what holds back the others."""
        started = []
        for name, wait in list(self._waiting.items()):
            program = self.programs.get(name)
            if program is None or program.status.state is not State.STOPPED:
                if program is None or program.status.state is not State.STOPPING:
                    del self._waiting[name]  # gone, or started another way
                continue
            found = deps.blocker(program.cfg.depends_on, self._current())
            if found is None:
                del self._waiting[name]
                self._each(name, N_("starting it"), lambda p: p.start(now, wait.by_user))
                self._bind(program)
                started.append(program)
            else:
                self._wait_more(program, wait, found, now)
        return started

    def _wait_more(self, program: Supervised, wait: _Wait, found: deps.Blocker, now: float) -> None:
        if (found.gave_up or now >= wait.until) and not wait.held:
            wait.held = True
            reason = deps.timed_out(found, program.cfg.depends_timeout)
            self.ctx.journal.record("held", program.cfg.name, dependency=found.name, reason=reason)
        elif not wait.held:
            reason = found.reason
        else:
            reason = deps.timed_out(found, program.cfg.depends_timeout)
        self._show(program, reason)

    def _bind(self, program: Supervised) -> None:
        self._bound[program.cfg.name] = {d: s.started_at for d in program.cfg.depends_on
                                         if (s := self._status_of(d)) is not None}

    def _status_of(self, name: str) -> Status | None:
        program = self.programs.get(name)
        return program.status if program is not None else None

    def _unbind(self, now: float) -> list[Supervised]:
        """A dependency restarted or went down: with restart_with_dependencies the dependent stops
        and waits to start after it; a dependent about to retry a crash waits for it too."""
        stopped, current = [], self._current()
        for name, program in list(self.programs.items()):
            if not program.cfg.depends_on or name in self._waiting or self._quitting:
                continue
            gone = self._dependency_gone(program, current)
            if gone is not None:
                self.ctx.journal.record("depends", name, dependency=gone)
                self._stop(program, now, "dependency")
                self._waiting[name] = _Wait(now + program.cfg.depends_timeout, by_user=False)
                stopped.append(program)
        return stopped

    def _dependency_gone(self, program: Supervised, current: dict[str, Status]) -> str | None:
        state, name = program.status.state, program.cfg.name
        if state is State.BACKOFF:
            found = deps.blocker(program.cfg.depends_on, current)
            return found.name if found is not None else None
        if not program.cfg.restart_with_dependencies or not program.status.is_up \
                or program.status.mode not in (Mode.MANAGED, Mode.ADOPTED):
            return None
        if name not in self._bound:
            self._bind(program)
        return deps.restarted(program.cfg.depends_on, self._bound[name], current)

    def _stop_in_order(self, now: float) -> list[Supervised]:
        """Quitting: stop each program once nothing still up depends on it (reverse start order)."""
        ready = [n for n in self._stop_later if deps.may_stop(n, self._graph(), self._current())]
        for name in ready:
            self._stop_later.discard(name)
            self._each(name, N_("stopping it"), lambda p: p.stop(now, "quit"))
        return [self.programs[n] for n in ready if n in self.programs]

    def _show(self, program: Supervised, reason: Reason) -> None:
        """A reason on a program that is not running (waiting, held): published like any change."""
        old = program.status
        new = moved(old, old.state, self.ctx.clock.time(), reason=reason)
        if new != old:
            program.status = new
            self.ctx.publish(old, new)

    # -- reload -----------------------------------------------------------------------------

    def _reload(self, message: ProgramChange, now: float) -> None:
        match message:
            case AddProgram(program=program):
                self._adopt_new(program, now, program.cfg.autostart)
            case ReplaceProgram(program=program):
                self._retire(program.cfg.name, program, now)
            case RemoveProgram(name=name):
                self._retire(name, None, now)
            case UpdateProgram(cfg=cfg):
                self._each(cfg.name, N_("updating its settings"), lambda p: self._update(p, cfg))

    def _update(self, program: Supervised, cfg: ProgramConfig) -> None:
        program.cfg = cfg  # health and limits are read from cfg at the next probe and sample
        old = program.status
        if old.display_name != cfg.display_name:
            program.status = moved(old, old.state, self.ctx.clock.time(), display_name=cfg.display_name)
            self.ctx.publish(old, program.status)

    def _retire(self, name: str, successor: Supervised | None, now: float) -> None:
        old = self.programs.get(name)
        if old is None:
            if successor is not None:
                self._adopt_new(successor, now, successor.cfg.autostart)
            return
        waiting = self._waiting.pop(name, None) is not None
        self._retiring[name] = _Retiring(successor, waiting or old.status.state is not State.STOPPED)
        if old.status.mode is not Mode.ATTACHED:  # its owner keeps an attached one; we only stop watching
            self._each(name, N_("stopping it"), lambda p: p.stop(now, "reload"))

    def _settle_retiring(self, now: float) -> list[Supervised]:
        """Once a retiring program is down, forget it and put its successor in its place."""
        swapped = []
        for name, retiring in list(self._retiring.items()):
            old = self.programs.get(name)
            if old is not None and old.status.mode is not Mode.ATTACHED and old.status.state is not State.STOPPED:
                continue
            del self._retiring[name]
            self.programs.pop(name, None)
            self._bound.pop(name, None)
            with self._lock:
                self._latest.pop(name, None)
            if retiring.successor is not None:
                self._adopt_new(retiring.successor, now, retiring.start)
                swapped.append(retiring.successor)
            else:
                self.ctx.forget(name)
        return swapped

    def _adopt_new(self, program: Supervised, now: float, start: bool) -> None:
        self.programs[program.cfg.name] = program
        self.ctx.publish(None, program.status)
        if start and not self._quitting:
            self._each(program.cfg.name, N_("starting it"), lambda p: self._start(p, now, by_user=False))

    def all_down(self) -> bool:
        return all(p.status.state in (State.STOPPED, State.GIVEN_UP, State.BACKOFF)
                   or p.status.mode.value in ("external", "attached") for p in self.programs.values())

    def run(self) -> None:
        """Thread body: wait for the next deadline or message, then step. No logic here."""
        try:
            while True:
                try:
                    deadline = self.step()
                except Exception:
                    log.exception("supervisor step failed; carrying on")
                    deadline = None
                if self._quitting and (self._leave_running or self.all_down()):
                    return
                timeout = self.IDLE_WAIT
                if deadline is not None:
                    timeout = max(0.0, min(timeout, deadline - self.ctx.clock.monotonic()))
                self._wakeup.wait(timeout)
                self._wakeup.clear()
        finally:
            self._done.set()

    def start_thread(self) -> None:
        self._thread = threading.Thread(target=self.run, name="supervisor", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)
