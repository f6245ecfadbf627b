"""The kernel's own record of out-of-memory kills: the `oom_kill` counter of the memory cgroup that
trayapp (and so its programs) runs in. A SIGKILL while that counter went up is the OOM killer's.

cgroup v2 keeps it in memory.events, v1 in memory.oom_control. Where neither is readable (macOS,
Windows, a container without cgroupfs) there is no record, and the memory figures decide alone.
"""

from __future__ import annotations

from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def oom_kills(proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = CGROUP_ROOT) -> int | None:
    """How many processes the OOM killer has killed in our memory cgroup so far; None: no record."""
    for counters in _counter_files(proc_cgroup, root):
        try:
            text = counters.read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill" and value.strip().isdigit():
                return int(value)
    return None


def _counter_files(proc_cgroup: Path, root: Path) -> list[Path]:
    try:
        lines = proc_cgroup.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        relative = path.lstrip("/")
        if controllers == "":  # cgroup v2 (unified)
            found.append(root / relative / "memory.events")
        elif "memory" in controllers.split(","):
            found.append(root / "memory" / relative / "memory.oom_control")
    return found
