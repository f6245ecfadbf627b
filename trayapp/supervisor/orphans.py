"""Processes that are not children of this trayapp: our own leftovers, and other people's copies."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from trayapp.clock import Clock
from trayapp.journal import Journal
from trayapp.supervisor import marks
from trayapp.supervisor.pidfile import ChildRecord, PidFile
from trayapp.supervisor.spawn import ProcessTree, is_alive, mark_of, terminate_tree
from trayapp.status import State, Status

if TYPE_CHECKING:
    from trayapp.supervisor.supervised import Supervised

log = logging.getLogger(__name__)


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
            mark = mark_of(record.pid) if is_alive(record.pid, record.create_time) else None
            pidfile.put(replace(record, left_running=True, run=mark.run if mark else record.run))


def settle_all(pidfile: PidFile, programs: Mapping[str, "Supervised"], clock: Clock, instance: str,
               journal: Journal) -> None:
    """At start: settle every recorded leftover, then stop every process still carrying our
    instance's mark that no record accounts for (a trayapp SIGKILLed before it wrote the record,
    or a descendant that double-forked away). Never fatal."""
    keep: set[str] = set()  # runs left alone or adopted: their marked processes stay
    for record in pidfile.load().values():
        outcome = _settle_one(record, programs.get(record.program), clock)
        journal.record("orphan", record.program, pid=record.pid, action=outcome)
        if outcome in ("gone", "stopped", "left alone"):
            pidfile.remove(record.program, record.pid)
        if outcome in ("adopted", "left alone", "could not stop") and record.run:
            keep.add(record.run)
    try:
        stopped = stop_marked(instance, keep, programs)
    except Exception:  # the record-based check above has done its part; start-up goes on
        log.exception("could not look for leftovers by their environment mark")
        return
    for program, pids, outcome in stopped:
        journal.record("orphan", program or None, pid=pids[0], action=outcome, processes=len(pids))


def _settle_one(record: ChildRecord, program: "Supervised | None", clock: Clock) -> str:
    try:
        return settle(record, program, clock)
    except Exception as exc:  # one leftover that cannot be settled never stops start-up
        log.exception("could not settle leftover pid %s", record.pid)
        return f"could not settle ({exc})"


def stop_marked(instance: str, keep: set[str], programs: Mapping[str, "Supervised"],
                wait: Callable[[float], None] = time.sleep) -> list[tuple[str, list[int], str]]:
    """Stop our marked leftovers run by run: the program's stop signal, its grace, then SIGKILL.
    Returns (program, pids, outcome) for each run found."""
    runs: dict[str, list[marks.Marked]] = {}
    for found in marks.find(instance):
        if found.mark.run not in keep:
            runs.setdefault(found.mark.run, []).append(found)
    return [_stop_run(group, programs.get(group[0].mark.program), wait) for group in runs.values()]


def _stop_run(group: list[marks.Marked], program: "Supervised | None",
              wait: Callable[[float], None]) -> tuple[str, list[int], str]:
    timeout = program.cfg.stop_timeout if program is not None else 10.0
    sig = program.cfg.signal_number if program is not None else 15
    group.sort(key=lambda m: m.create_time)  # the oldest first: the program before its helpers
    for found in group:
        _signal(found, sig)
    steps = max(1, int(timeout / 0.05))
    for _ in range(steps):
        if not any(is_alive(m.pid, m.create_time) for m in group):
            break
        wait(0.05)
    ProcessTree.of(group[0].pid, group[0].create_time, group[0].mark).kill_all()
    gone = not any(is_alive(m.pid, m.create_time) for m in group)
    return group[0].mark.program, [m.pid for m in group], "stopped" if gone else "could not stop"


def _signal(found: marks.Marked, sig: int) -> None:
    import psutil

    with contextlib.suppress(psutil.Error):
        proc = psutil.Process(found.pid)
        if abs(proc.create_time() - found.create_time) < 0.01:
            proc.send_signal(sig)


def listener_pid(host: str, port: int) -> int | None:
    """The pid listening on port, when this user may see it (psutil needs no root for own processes)."""
    import psutil

    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return conn.pid
    return None
