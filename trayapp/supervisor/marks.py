"""Environment marks: every process a program starts carries trayapp's instance id, the program's
name and its spawn's run id, inherited by all its descendants.

The mark finds what a record cannot: descendants that double-forked away from their tree, and the
children of a trayapp that was SIGKILLed before it wrote children.json. psutil reads the
environment of the user's own processes on Linux, macOS and Windows; other users' processes are
never read, so never signalled.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil

INSTANCE_VAR = "TRAYAPP_INSTANCE"
PROGRAM_VAR = "TRAYAPP_PROGRAM"
RUN_VAR = "TRAYAPP_RUN"


@dataclass(frozen=True)
class Mark:
    instance: str
    program: str
    run: str

    @classmethod
    def of(cls, environ: Mapping[str, str]) -> "Mark | None":
        """The mark in a process environment, or None when it carries none."""
        instance, run = environ.get(INSTANCE_VAR, ""), environ.get(RUN_VAR, "")
        return cls(instance, environ.get(PROGRAM_VAR, ""), run) if instance and run else None

    def env(self) -> dict[str, str]:
        return {INSTANCE_VAR: self.instance, PROGRAM_VAR: self.program, RUN_VAR: self.run}


def instance_id(state_dir: Path) -> str:
    """The same for every trayapp using this state folder, so the next one finds its leftovers."""
    return hashlib.sha256(str(Path(state_dir).resolve()).encode("utf-8", "replace")).hexdigest()[:16]


def new_run() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True)
class Marked:
    pid: int
    create_time: float
    mark: Mark


def find(instance: str, run: str | None = None, *, children_only: bool = False) -> list[Marked]:
    """The user's processes marked with `instance` (and `run`, when given); never trayapp itself.

    `children_only`: look only at trayapp's own children and their descendants. Enough where
    trayapp is the subreaper (everything that left its tree re-parented to trayapp), and much
    cheaper than reading every process's environment on each exit."""
    import psutil

    found = []
    for proc in own_children() if children_only else _own_processes():
        with contextlib.suppress(psutil.Error, OSError, ValueError):
            mark = Mark.of(proc.environ())
            if mark is not None and mark.instance == instance and (run is None or mark.run == run):
                found.append(Marked(proc.pid, proc.create_time(), mark))
    return found


def own_children() -> "list[psutil.Process]":
    """trayapp's children and all their descendants."""
    import psutil

    procs = []
    for pid in descendant_pids(os.getpid()):
        with contextlib.suppress(psutil.Error):
            procs.append(psutil.Process(pid))
    return procs


def descendant_pids(root: int) -> list[int]:
    """Linux lists each thread's children in /proc (no scan of every process); elsewhere psutil."""
    import psutil

    if not Path(f"/proc/{root}/task/{root}/children").exists():  # not Linux, or no CONFIG_PROC_CHILDREN
        with contextlib.suppress(psutil.Error):
            return [p.pid for p in psutil.Process(root).children(recursive=True)]
        return []
    found, queue = [], [root]
    while queue:
        kids = _children_of(queue.pop())
        found += kids
        queue += kids
    return found


def _children_of(pid: int) -> list[int]:
    kids = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError):
                kids += [int(k) for k in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return kids


def _own_processes() -> "list[psutil.Process]":
    """Processes of this user, except this one. Others' environments are not ours to read."""
    import psutil

    me = os.getpid()
    procs = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if proc.pid != me and _is_own(proc):
                procs.append(proc)
    return procs


if sys.platform == "win32":
    def _is_own(proc: "psutil.Process") -> bool:
        return True  # Windows refuses another user's environment (AccessDenied): skipped by find()
else:
    def _is_own(proc: "psutil.Process") -> bool:
        return proc.uids().real == os.getuid()
