"""The record of children trayapp started, so a restarted trayapp finds its own leftovers.

A process counts as ours only if both its pid and its create time match what we recorded:
pids are reused, create times are not.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from trayapp.atomic import atomic_write


@dataclass(frozen=True)
class ChildRecord:
    program: str
    pid: int
    create_time: float
    argv: tuple[str, ...]
    left_running: bool = False  # the user quit trayapp and chose to leave it running
    run: str = ""  # the spawn's environment mark (marks.RUN_VAR): finds its descendants too


MAX_PID = 2**32 - 1  # beyond any platform's pids: a bigger number is damage, not a process


def _record(raw: object) -> ChildRecord | None:
    """A record only when every field has the right type: a pid we act on must be a real int."""
    if not isinstance(raw, dict):
        return None
    pid, created, argv, program = raw.get("pid"), raw.get("create_time"), raw.get("argv"), raw.get("program")
    if not (isinstance(pid, int) and not isinstance(pid, bool) and 0 < pid <= MAX_PID
            and isinstance(created, (int, float)) and not isinstance(created, bool)
            and isinstance(argv, list) and all(isinstance(a, str) for a in argv) and isinstance(program, str)):
        return None
    run = raw.get("run")
    return ChildRecord(program, pid, float(created), tuple(argv), raw.get("left_running") is True,
                       run if isinstance(run, str) else "")


class PidFile:
    """Thread-safe; every change rewrites the file atomically (it is small)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def load(self) -> dict[str, ChildRecord]:
        """The good records; a damaged one is skipped and never costs the others."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # missing or unreadable: nothing recorded; never a reason to fail start-up
        if not isinstance(data, dict):
            return {}
        records = {name: _record(raw) for name, raw in data.items()}
        return {name: rec for name, rec in records.items() if rec is not None}

    def put(self, record: ChildRecord) -> None:
        with self._lock:
            records = self.load()
            records[record.program] = record
            self._save(records)

    def remove(self, program: str, pid: int | None = None) -> None:
        with self._lock:
            records = self.load()
            if program in records and (pid is None or records[program].pid == pid):
                del records[program]
                self._save(records)

    def _save(self, records: dict[str, ChildRecord]) -> None:
        data = {name: {**asdict(rec), "argv": list(rec.argv)} for name, rec in records.items()}
        try:
            # Rewritten at every start and exit: atomic, but not fsynced, to keep restarts fast.
            atomic_write(self.path, json.dumps(data, indent=1), mode=0o600, durable=False)
        except OSError:
            pass  # a full disk costs us leftover detection, never supervision itself
