"""The one interface the Supervisor, the app and leftover handling use for a program.

`Program` (managed: trayapp spawns it) and `AttachedProgram` (owned by a service manager) both
satisfy it; nobody asks which one they hold. Every method runs on the supervisor thread (or in
tests); `status` may be read from any thread, since a Status is immutable.
"""

from __future__ import annotations

from typing import Protocol

from trayapp.config import ProgramConfig
from trayapp.status import Status
from trayapp.supervisor.messages import Degraded, DiskMeasured, Exited, HealthChecked, OwnUi, Ready
from trayapp.supervisor.pidfile import ChildRecord


class Supervised(Protocol):
    cfg: ProgramConfig
    status: Status

    # -- commands ----------------------------------------------------------------------------

    def start(self, now: float, by_user: bool = True) -> None: ...

    def stop(self, now: float, by: str = "user") -> None: ...

    def restart(self, now: float, reason: str = "user") -> None: ...

    def cancel_pending_start(self) -> None:
        """Quitting: a stop that was half of a restart stays a stop."""

    # -- reports -----------------------------------------------------------------------------

    def exited(self, msg: Exited, now: float) -> None: ...

    def health_checked(self, msg: HealthChecked, now: float) -> None: ...

    def ready(self, msg: Ready, now: float) -> None:
        """Its ready line appeared."""

    def degraded(self, msg: Degraded, now: float) -> None:
        """Its output said it cannot answer (no provider, a rejected key, quota)."""

    def own_ui(self, msg: OwnUi, now: float) -> None:
        """Its output named its own web UI."""

    def disk_measured(self, msg: DiskMeasured, now: float) -> None:
        """Its data folders were measured (limits.disk)."""

    def step(self, now: float) -> float | None:
        """Advance timers once; return the next monotonic deadline, or None."""

    def fault(self, now: float, error: Exception, during: str) -> None:
        """Handling this program raised `error` (a bug in trayapp): show it in the status and the
        journal, keep any live child, and keep Restart working. Must not raise."""

    # -- leftovers and quitting --------------------------------------------------------------

    @property
    def adoptable(self) -> bool:
        """True when a child of an earlier trayapp, left running on purpose, can be taken over."""

    def adopt(self, record: ChildRecord) -> None:
        """Take over that child (only called when `adoptable`)."""

    def output_fds(self) -> tuple[int, int] | None:
        """Its child's open stdout/stderr pipes, for the log keeper when trayapp quits without it."""
