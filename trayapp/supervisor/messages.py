"""Commands and reports that reach the supervisor thread through its inbox."""

from __future__ import annotations

from dataclasses import dataclass

from trayapp.supervisor.degraded import Verdict
from trayapp.supervisor.health import ProbeResult


@dataclass(frozen=True)
class Start:
    program: str | None = None  # None: every program
    by_user: bool = True


@dataclass(frozen=True)
class Stop:
    program: str | None = None
    by: str = "user"


@dataclass(frozen=True)
class Restart:
    program: str | None = None


@dataclass(frozen=True)
class Exited:
    program: str
    token: int  # which spawn this was; stale reports are ignored
    returncode: int | None  # None: an adopted process, whose status we cannot collect


@dataclass(frozen=True)
class HealthChecked:
    program: str
    token: int
    result: ProbeResult


@dataclass(frozen=True)
class Ready:
    """The program printed its `ready_log_line` (posted from a log pump thread)."""

    program: str
    token: int


@dataclass(frozen=True)
class Degraded:
    """The program printed a line that means it cannot answer (posted from a log pump thread)."""

    program: str
    token: int
    verdict: Verdict


@dataclass(frozen=True)
class OwnUi:
    """The program announced its own web UI at `url` (posted from a log pump thread)."""

    program: str
    token: int
    url: str


@dataclass(frozen=True)
class DiskMeasured:
    """The total size of the program's data folders (posted by a background job)."""

    program: str
    size: int


@dataclass(frozen=True)
class Quit:
    stop_programs: bool = True


Message = Start | Stop | Restart | Exited | HealthChecked | Ready | Degraded | OwnUi | DiskMeasured | Quit
