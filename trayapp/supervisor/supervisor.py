"""The supervisor thread: one inbox, one step, every program's state machine.

Thread contract: `submit()`, `statuses()` and `status()` may be called from any thread and never
block. `step()` runs only on the supervisor thread (or directly in tests).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable

from trayapp.supervisor.messages import Exited, HealthChecked, Message, Quit, Restart, Start, Stop
from trayapp.supervisor.program import Context, Program
from trayapp.status import State, Status

log = logging.getLogger(__name__)


class Supervisor:
    """Owns the programs; everything that changes them arrives as a message."""

    # Upper bound on a wait with nothing scheduled; exits and commands wake the loop at once.
    IDLE_WAIT = 3600.0

    def __init__(self, programs: Iterable[Program], ctx: Context) -> None:
        self.programs = {p.cfg.name: p for p in programs}
        self.ctx = ctx
        self._inbox: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._wakeup = threading.Event()
        self._quitting = False
        self._leave_running = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._latest = {name: p.status for name, p in self.programs.items()}

    # -- any thread -------------------------------------------------------------------------

    def submit(self, message: Message) -> None:
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
        deadlines = [self._step_one(p, now) for p in self.programs.values()]
        return min((d for d in deadlines if d is not None), default=None)

    # After a program's step fails, look at it again this soon (not in an hour, not in a spin).
    RETRY_AFTER_FAULT = 5.0

    def _step_one(self, program: Program, now: float) -> float | None:
        try:
            return program.step(now)
        except Exception:
            log.exception("supervisor: stepping %s failed; the others carry on", program.cfg.name)
            return now + self.RETRY_AFTER_FAULT

    def _handle(self, message: Message, now: float) -> None:
        match message:
            case Exited(program=name):
                self._each(name, lambda p: p.exited(message, now))
            case HealthChecked(program=name):
                self._each(name, lambda p: p.health_checked(message, now))
            case Start() | Restart() if self._quitting:
                log.info("supervisor: quitting, so %s is ignored", type(message).__name__.lower())
            case Start(program=name, by_user=by_user):
                self._each(name, lambda p: p.start(now, by_user))
            case Stop(program=name, by=by):
                self._each(name, lambda p: p.stop(now, by))
            case Restart(program=name):
                self._each(name, lambda p: p.restart(now))
            case Quit(stop_programs=stop_programs):
                self._quitting = True
                self._leave_running = not stop_programs
                self._each(None, lambda p: getattr(p, "cancel_pending_start", lambda: None)())
                if stop_programs:
                    self._each(None, lambda p: p.stop(now, "quit"))

    def _each(self, name: str | None, action: Callable[[Program], None]) -> None:
        targets = self.programs.values() if name is None else [self.programs[name]] if name in self.programs else []
        for program in targets:
            try:
                action(program)
            except Exception:
                # One program's bug must not stop the others from being looked after.
                log.exception("supervisor: handling a message for %s failed", program.cfg.name)

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
