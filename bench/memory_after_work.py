"""Memory comes back after work: the running instance's RSS at idle, then after "Back up now" runs.

Budget: after each backup the instance is back within 5 MiB of its idle RSS (least of 20 readings
over a second, taken 2 s after the backup's journal entry). Backups run inside the instance (the
tray's "Back up now" and `control backup`); a restore and a log search run in the command's own
process (`trayapp backup restore`, `trayapp logs`), so the instance never holds their memory.

Usage: python bench/memory_after_work.py [--size-mb 100] [--backups 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PY, ROOT, HeadlessTrayapp, save, wait_for  # noqa: E402

BUDGET_MIB = 5.0
SLEEPER = f'["{PY}", "-c", "import time; time.sleep(3600)"]'


def workspace(folder: Path, size_mb: int) -> None:
    """Half text-like (compresses), half random (does not), in 1 MB files."""
    folder.mkdir(parents=True)
    line = b"the assistant remembers what you told it yesterday and answers with care\n"
    for i in range(size_mb):
        data = os.urandom(1 << 20) if i % 2 else line * ((1 << 20) // len(line))
        (folder / f"f{i:04d}.bin").write_bytes(data)


def settled_rss(proc: psutil.Process) -> int:
    time.sleep(2)
    readings = []
    for _ in range(20):
        readings.append(proc.memory_info().rss)
        time.sleep(0.05)
    return min(readings)


def backups_done(journal: Path) -> int:
    try:
        return sum(1 for line in journal.read_text().splitlines() if json.loads(line).get("event") == "backup")
    except (OSError, ValueError):
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--backups", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from trayapp import control
    from trayapp.paths import AppPaths

    t = HeadlessTrayapp("")
    workspace(t.home / "workspace", args.size_mb)
    (t.home / "config.toml").write_text(f"""[programs.assistant]\ncommand = {SLEEPER}\n
[backup]\npaths = ["{t.home / 'workspace'}"]\ndest = "{t.home / 'backups'}"\n""")
    with t:
        assert t.proc is not None
        proc = psutil.Process(t.proc.pid)
        where = AppPaths.discover(t.env)
        idle = settled_rss(proc)
        after = []
        for n in range(1, args.backups + 1):
            control.request(where, "backup", timeout=10)
            wait_for(lambda: backups_done(where.journal_file) >= n, timeout=600)
            after.append(settled_rss(proc))
    growth = [round((a - idle) / 2**20, 1) for a in after]
    result = {"workspace_mb": args.size_mb, "idle_rss_mib": round(idle / 2**20, 1),
              "after_backup_rss_mib": [round(a / 2**20, 1) for a in after], "growth_mib": growth,
              "budget_mib": BUDGET_MIB, "within_budget": max(growth) <= BUDGET_MIB}
    path = save("memory_after_work", result)
    print(f"memory after work: idle {result['idle_rss_mib']} MiB; after each of {args.backups} backups of "
          f"{args.size_mb} MB: {', '.join(f'{g:+g}' for g in growth)} MiB (budget +{BUDGET_MIB:g} MiB)  -> {path}")
    return 0 if result["within_budget"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
