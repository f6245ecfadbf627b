"""Stopping and starting the assistant around a restore, through the running trayapp.

Restore never signals a process itself: it asks the running instance over the control channel
(`stop`, `start`, `status`), which knows whether it owns the program. When trayapp is not
running, there is nothing to ask and nothing is stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from trayapp.errors import NotRunningError
from trayapp.paths import AppPaths
from trayapp.i18n import N_
from trayapp.message import Duration, Message

if TYPE_CHECKING:
    from trayapp.status import Status

# Modes in which the running trayapp can stop and start the program (itself or via its owner).
CONTROLLABLE = ("managed", "adopted", "attached")
DOWN_STATES = ("stopped", "given_up")


class Instance(Protocol):
    """What restore needs from the running trayapp. Tests pass a fake."""

    def status(self, program: str) -> Mapping[str, Any] | None:
        """The program's Status.to_dict(), or None when trayapp is not running."""

    def stop(self, program: str) -> None: ...

    def start(self, program: str) -> None: ...


class ControlInstance:
    """The real one: `trayapp.control.request`."""

    def __init__(self, paths: AppPaths) -> None:
        self._paths = paths

    def status(self, program: str) -> Mapping[str, Any] | None:
        from trayapp.control import request

        try:
            result = request(self._paths, "status")
        except NotRunningError:
            return None
        programs = (result or {}).get("programs", [])
        return next((p for p in programs if p.get("program") == program), {"program": program, "state": "unknown"})

    def stop(self, program: str) -> None:
        from trayapp.control import request

        request(self._paths, "stop", program=program)

    def start(self, program: str) -> None:
        from trayapp.control import request

        request(self._paths, "start", program=program)


class HostInstance:
    """Inside the running instance (the dashboard's restore): its own statuses and commands, so it
    never asks itself over the control channel."""

    def __init__(self, statuses: Callable[[], Iterable[Status]], command: Callable[[str, str], object]) -> None:
        self._statuses, self._command = statuses, command

    def status(self, program: str) -> Mapping[str, Any] | None:
        found = next((s for s in self._statuses() if s.program == program), None)
        return found.to_dict() if found is not None else {"program": program, "state": "unknown"}

    def stop(self, program: str) -> None:
        self._command("stop", program)

    def start(self, program: str) -> None:
        self._command("start", program)


def wait_for(instance: Instance, program: str, done: Callable[[Mapping[str, Any]], Message | str | None],
             timeout: float, *, clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep, poll: float = 0.5) -> Message | str:
    """Poll the program's status until `done(status)` returns a verdict ("ok" or a failure Message).

    Returns "ok", the failure, or a Message saying it timed out.
    """
    deadline = clock() + timeout
    while True:
        status = instance.status(program)
        if status is None:
            return Message(N_("trayapp stopped running"))
        verdict = done(status)
        if verdict is not None:
            return verdict
        if clock() >= deadline:
            # state and health are the status's own names (running, unhealthy): shown as they are
            return Message(N_("timed out after {timeout} (state {state}, health {health})"), timeout=Duration(timeout),
                           state=str(status.get("state")), health=str(status.get("health")))
        sleep(poll)


def stopped(status: Mapping[str, Any]) -> Message | str | None:
    return "ok" if status.get("state") in DOWN_STATES else None


class Healthy:
    """Verdict after a start request: "ok" once running and healthy (or running with no health
    check), a text once it failed, None while it is still on its way.

    A start request is carried out asynchronously, so the first status may still say "stopped";
    that only counts as a failure after the program was seen starting.
    """

    def __init__(self) -> None:
        self.seen_start = False

    def __call__(self, status: Mapping[str, Any]) -> Message | str | None:
        state, health = status.get("state"), status.get("health")
        if state == "running" and health in ("healthy", "none", None):
            return "ok"
        if state == "given_up" or (state == "stopped" and self.seen_start):
            said = Message.from_json(status.get("reason_message"))  # the supervisor's reason, translatable
            detail = said or str(status.get("reason") or status.get("last_stderr") or state)
            return Message(N_("it did not start: {reason}"), reason=detail)
        self.seen_start = self.seen_start or state not in ("stopped", None)
        return None  # starting, backoff, or running but not yet healthy: keep waiting
