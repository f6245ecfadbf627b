"""Idle footprint: RSS and CPU of trayapp (headless) supervising one idle child, over 30 s.

Budget: under 30 MiB RSS and under 0.2 % CPU. supervisord and pm2's daemon are measured the same way in the same run.
Only the supervisor process is counted, not the child.

Usage: python bench/idle_footprint.py [--seconds 30]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PY, HeadlessTrayapp, Pm2, Supervisord, save  # noqa: E402

RSS_BUDGET_MIB, CPU_BUDGET = 30.0, 0.2
SETTLE = 12.0  # seconds after the instance answers
SLEEPER = f'["{PY}", "-c", "import time; time.sleep(3600)"]'


def measure(pid: int, seconds: float) -> dict[str, float]:
    proc = psutil.Process(pid)
    time.sleep(SETTLE)  # start-up is over (and its memory handed back, app.SETTLED_ROUNDS): the budget is about idling
    before, began = proc.cpu_times(), time.monotonic()
    peak = 0
    while time.monotonic() - began < seconds:
        peak = max(peak, proc.memory_info().rss)
        time.sleep(1)
    after, wall = proc.cpu_times(), time.monotonic() - began
    cpu = max(0.0, (after.user + after.system - before.user - before.system) / wall * 100)
    ctx = proc.num_ctx_switches()
    return {"rss_mib": round(peak / 2**20, 1), "cpu_percent": round(cpu, 3), "threads": proc.num_threads(),
            "voluntary_ctx_switches": ctx.voluntary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    with HeadlessTrayapp(f"[programs.assistant]\ncommand = {SLEEPER}\n") as t:
        ours = measure(t.proc.pid, args.seconds)
    result = {"seconds": args.seconds, "trayapp": ours, "budget": {"rss_mib": RSS_BUDGET_MIB, "cpu_percent": CPU_BUDGET}}
    if Supervisord.available():
        with Supervisord(f"{PY} -c 'import time; time.sleep(3600)'") as s:
            result["supervisord"] = measure(s.proc.pid, args.seconds)
    if Pm2.bin():
        with Pm2([PY, "-c", "import time; time.sleep(3600)"]) as p:
            result["pm2"] = measure(p.daemon_pid(), args.seconds)
    result["within_budget"] = ours["rss_mib"] <= RSS_BUDGET_MIB and ours["cpu_percent"] <= CPU_BUDGET
    path = save("idle_footprint", result)
    line = f"idle footprint: trayapp {ours['rss_mib']} MiB RSS, {ours['cpu_percent']}% CPU"
    if "supervisord" in result:
        line += f"; supervisord {result['supervisord']['rss_mib']} MiB, {result['supervisord']['cpu_percent']}% CPU"
    if "pm2" in result:
        line += f"; pm2 {result['pm2']['rss_mib']} MiB, {result['pm2']['cpu_percent']}% CPU"
    print(f"{line} (budget {RSS_BUDGET_MIB:g} MiB, {CPU_BUDGET}%)  -> {path}")
    sys.exit(0 if result["within_budget"] else 1)


if __name__ == "__main__":
    main()
