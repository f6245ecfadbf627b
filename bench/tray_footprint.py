"""Idle footprint of `trayapp run` with the tray up and one idle child.

Starts Xvfb + trayer, a real `trayapp run` (pystray xorg backend unless PYSTRAY_BACKEND says
otherwise) supervising a child that sleeps, waits for it to settle, then measures trayapp's own
process (not the child) over a window: RSS, CPU %, and wake-ups (voluntary context switches per
second, all threads). Budget: < 60 MiB RSS, < 0.3 % CPU.

    .venv/bin/python bench/tray_footprint.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.desktop.tray_rig import Instance, own_desktop  # noqa: E402

RSS_BUDGET, CPU_BUDGET = 60 * 1024 * 1024, 0.3


def wakeups(pid: int) -> dict[str, int]:
    """Voluntary context switches per thread (psutil reports the main thread's only)."""
    counts = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
            name = (task / "comm").read_text().strip()
        except OSError:
            continue
        value = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("voluntary_ctxt"))
        counts[f"{task.name}:{name}"] = value
    return counts


def measure(proc: psutil.Process, seconds: float) -> dict[str, object]:
    cpu0, ctx0, t0 = proc.cpu_times(), wakeups(proc.pid), time.monotonic()
    time.sleep(seconds)
    cpu1, ctx1, t1 = proc.cpu_times(), wakeups(proc.pid), time.monotonic()
    used = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
    per_thread = {k: round((v - ctx0.get(k, 0)) / (t1 - t0), 2) for k, v in ctx1.items()}
    return {"rss_bytes": proc.memory_info().rss, "cpu_percent": 100 * used / (t1 - t0),
            "wakeups_per_s": round(sum(per_thread.values()), 2),
            "wakeups_per_s_by_thread": {k: v for k, v in per_thread.items() if v},
            "threads": proc.num_threads(), "seconds": round(t1 - t0, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measuring window (default 60)")
    parser.add_argument("--settle", type=float, default=15.0, help="wait before measuring (default 15)")
    args = parser.parse_args()
    backend = os.environ.get("PYSTRAY_BACKEND", "xorg")
    with own_desktop() as desk, tempfile.TemporaryDirectory() as home:
        instance = Instance(desk, Path(home) / "home", backend=backend)
        try:
            instance.wait_state("running", timeout=30)
            desk.find_window("testbot", timeout=20)
            time.sleep(args.settle)
            result = measure(psutil.Process(instance.proc.pid), args.seconds)
        finally:
            instance.stop()
    result.update(backend=backend, rss_budget_bytes=RSS_BUDGET, cpu_budget_percent=CPU_BUDGET,
                  within_budget=result["rss_bytes"] < RSS_BUDGET and result["cpu_percent"] < CPU_BUDGET)
    out = ROOT / "bench" / "results" / "tray_footprint.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"trayapp run, tray up ({backend}), one idle child, {result['seconds']}s: "
          f"RSS {result['rss_bytes'] / 2**20:.1f} MiB (budget 60), CPU {result['cpu_percent']:.3f}% (budget 0.3), "
          f"{result['wakeups_per_s']:.2f} wake-ups/s over {result['threads']} threads "
          f"{result['wakeups_per_s_by_thread']} -> "
          f"{'within budget' if result['within_budget'] else 'OVER BUDGET'}; wrote {out.relative_to(ROOT)}")
    return 0 if result["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
