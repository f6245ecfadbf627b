"""What a reload asks of the supervisor thread: add, remove, replace or update a program.

Apart from messages.py because they carry programs (Supervised), which themselves speak in messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from trayapp.config import ProgramConfig
from trayapp.supervisor.supervised import Supervised


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


ProgramChange = AddProgram | RemoveProgram | ReplaceProgram | UpdateProgram
