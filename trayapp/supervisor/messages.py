"""Commands and reports that reach the supervisor thread through its inbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from trayapp.config import ProgramConfig
from trayapp.supervisor.degraded import Verdict
from trayapp.supervisor.health import ProbeResult

if TYPE_CHECKING:
    from trayapp.supervisor.supervised import Supervised


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
class Quit:
    stop_programs: bool = True


@dataclass(frozen=True)
class AddProgram:
    """A reload added this program: supervise it from now on (and start it if autostart)."""

    program: Supervised


@dataclass(frozen=True)
class RemoveProgram:
    """A reload removed this program: stop it, then forget it (it leaves the status too)."""

    name: str


@dataclass(frozen=True)
class ReplaceProgram:
    """A reload changed this program's settings: stop the old one, then run `program` in its place."""

    program: Supervised


@dataclass(frozen=True)
class UpdateProgram:
    """A reload changed only settings a running program takes as they are (health, limits, name)."""

    cfg: ProgramConfig


Message = (Start | Stop | Restart | Exited | HealthChecked | Ready | Degraded | Quit
           | AddProgram | RemoveProgram | ReplaceProgram | UpdateProgram)
