"""Processes that are not children of this trayapp: our own leftovers, and other people's copies."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from trayapp.clock import Clock
from trayapp.supervisor.pidfile import ChildRecord, PidFile
from trayapp.supervisor.spawn import is_alive, terminate_tree
from trayapp.status import State, Status

if TYPE_CHECKING:
    from trayapp.supervisor.supervised import Supervised


def settle(record: ChildRecord, program: "Supervised | None", clock: Clock) -> str:
    """Deal with a child recorded by an earlier trayapp. Returns what was done, for the journal.

    Left running on purpose (Quit -> leave running): adopt it and watch it by polling.
    Left behind because trayapp died: its output pipes are gone with the old trayapp, so stop it
    (it is provably ours: same pid *and* create time) and let the supervisor start a fresh one.
    """
    if not is_alive(record.pid, record.create_time):
        return "gone"
    if record.left_running and program is not None and program.adoptable and tuple(program.cfg.command) == record.argv:
        program.adopt(record)
        return "adopted"
    if record.left_running and program is not None and not program.adoptable:
        return "left alone"  # an attached program: its service manager runs it, not ours to stop
    stop_timeout = program.cfg.stop_timeout if program is not None else 10.0
    signal_number = program.cfg.signal_number if program is not None else 15
    gone = terminate_tree(record.pid, record.create_time, signal_number, stop_timeout, time.sleep)
    return "stopped" if gone else "could not stop"


def mark_left_running(pidfile: PidFile, statuses: Iterable[Status]) -> None:
    """Record that the user quit trayapp but asked for these programs to keep running."""
    records = pidfile.load()
    for status in statuses:
        record = records.get(status.program)
        if record is not None and status.state in (State.STARTING, State.RUNNING):
            pidfile.put(ChildRecord(record.program, record.pid, record.create_time, record.argv, left_running=True))


def listener_pid(host: str, port: int) -> int | None:
    """The pid listening on port, when this user may see it (psutil needs no root for own processes)."""
    import psutil

    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return conn.pid
    return None
