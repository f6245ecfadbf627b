"""The supervisor thread: one inbox, one step, every program's state machine.

Thread contract: `submit()`, `statuses()` and `status()` may be called from any thread and never
block. `step()` runs only on the supervisor thread (or directly in tests).

No exception stops supervision: whatever one program's handling raises becomes that program's
fault (`Supervised.fault`: shown, journaled, its child kept), and the others carry on.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable

from trayapp.supervisor.messages import Degraded, DiskMeasured, Exited, HealthChecked, Message, Quit, Ready, Restart, Start, Stop
from trayapp.supervisor.program import Context
from trayapp.supervisor.supervised import Supervised
from trayapp.status import State, Status

log = logging.getLogger(__name__)


class Supervisor:
    """Owns the programs; everything that changes them arrives as a message."""

    # Upper bound on a wait with nothing scheduled; exits and commands wake the loop at once.
    IDLE_WAIT = 3600.0

    def __init__(self, programs: Iterable[Supervised], ctx: Context) -> None:
        self.programs: dict[str, Supervised] = {p.cfg.name: p for p in programs}
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

    def _step_one(self, program: Supervised, now: float) -> float | None:
        try:
            return program.step(now)
        except Exception as exc:
            self._fault(program, now, exc, "advancing its timers")
            return now + self.RETRY_AFTER_FAULT

    def _handle(self, message: Message, now: float) -> None:
        match message:
            case Exited(program=name):
                self._each(name, "handling its exit", lambda p: p.exited(message, now))
            case HealthChecked(program=name):
                self._each(name, "handling a health check", lambda p: p.health_checked(message, now))
            case Ready(program=name):
                self._each(name, "handling its ready line", lambda p: p.ready(message, now))
            case Degraded(program=name):
                self._each(name, "handling what its output said", lambda p: p.degraded(message, now))
            case DiskMeasured(program=name):
                self._each(name, "checking its disk use", lambda p: p.disk_measured(message, now))
            case Start() | Restart() if self._quitting:
                log.info("supervisor: quitting, so %s is ignored", type(message).__name__.lower())
            case Start(program=name, by_user=by_user):
                self._each(name, "starting it", lambda p: p.start(now, by_user))
            case Stop(program=name, by=by):
                self._each(name, "stopping it", lambda p: p.stop(now, by))
            case Restart(program=name):
                self._each(name, "restarting it", lambda p: p.restart(now))
            case Quit(stop_programs=stop_programs):
                self._quitting = True
                self._leave_running = not stop_programs
                self._each(None, "quitting", lambda p: p.cancel_pending_start())
                if stop_programs:
                    self._each(None, "stopping it", lambda p: p.stop(now, "quit"))

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
