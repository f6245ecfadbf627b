"""Linux with a systemd user session: each program in its own transient scope (a cgroup).

A cgroup holds every process the program starts, wherever it re-parents and whatever it does to
its environment or its output, so stopping the scope stops all of them. It is optional (off by
default): `systemd-run --scope` costs a D-Bus round trip on every start, and the subreaper plus
the environment marks already find nearly everything. Without a user manager it is skipped.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")

if sys.platform == "win32":
    KILL = int(signal.SIGTERM)  # never used: there are no scopes on Windows
else:
    KILL = int(signal.SIGKILL)


def available(environ: Mapping[str, str]) -> bool:
    """A systemd user manager answers for this session, and systemd-run exists."""
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    return (sys.platform == "linux" and bool(runtime) and Path(runtime, "systemd", "private").exists()
            and shutil.which("systemd-run", path=environ.get("PATH")) is not None)


def unit_name(program: str, run: str) -> str:
    """A unit name systemd accepts, unique per spawn."""
    return f"trayapp-{re.sub(r'[^A-Za-z0-9_-]', '_', program) or 'program'}-{run}.scope"


def wrap(argv: Sequence[str], unit: str) -> list[str]:
    """systemd-run moves itself into the new scope, then execs argv: the pid stays the same."""
    return ["systemd-run", "--user", "--scope", "--quiet", "--collect", f"--unit={unit}", "--", *argv]


def cgroup_in(text: str, unit: str) -> Path | None:
    """The scope's folder from /proc/PID/cgroup text, once the process is in it (cgroup v2)."""
    for line in text.splitlines():
        if line.startswith("0::") and line.rstrip().endswith("/" + unit):
            return CGROUP_ROOT / line[3:].strip().lstrip("/")
    return None


class Scope:
    """One program's transient scope. Not thread-safe; used by the tree that owns it."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.cgroup: Path | None = None

    def note(self, pid: int) -> None:
        """Learn the scope's cgroup from a live member (done while the root still runs)."""
        if self.cgroup is None:
            with contextlib.suppress(OSError):
                self.cgroup = cgroup_in(Path(f"/proc/{pid}/cgroup").read_text(encoding="utf-8"), self.unit)

    def kill(self) -> None:
        """SIGKILL every process in the scope: by the cgroup when known, else through systemd."""
        if self.cgroup is not None and kill_cgroup(self.cgroup):
            return
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["systemctl", "--user", "kill", "--signal=SIGKILL", self.unit],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=5, check=False)


def kill_cgroup(cgroup: Path) -> bool:
    """cgroup.kill (Linux 5.14+) kills atomically; older kernels: each pid in cgroup.procs."""
    try:
        (cgroup / "cgroup.kill").write_text("1", encoding="ascii")
        return True
    except OSError:
        pass
    try:
        pids = [int(p) for p in (cgroup / "cgroup.procs").read_text(encoding="ascii").split()]
    except (OSError, ValueError):
        return False
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, KILL)
    return True

