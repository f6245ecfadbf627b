"""`trayapp status` latency: a fresh CLI process asking the running instance, end to end.

Budget: median <= 60 ms and <= 4x a bare `python -c pass` measured in the same run (the floor any
Python CLI pays). `trayapp restart` is timed too (it waits for the instance to take the request).
`supervisorctl status` and `pm2 jlist` are measured in the same run for comparison.

Usage: python bench/status_latency.py [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PY, ROOT, HeadlessTrayapp, Pm2, Supervisord, median_ms, save  # noqa: E402

BUDGET_MS = 60.0
BUDGET_X_BARE = 4.0
# `sleep`, not a Python sleeper: each `trayapp restart` starts it again, and a Python child's own
# start-up would compete with the timed CLI for the CPU.
SLEEPER = '["sleep", "3600"]'


def timed(argv: list[str], env: dict[str, str] | None, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True)
        times.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise SystemExit(f"{argv} failed: {done.stderr.decode()}")
    return times


def compile_bytecode() -> None:
    """Write trayapp's .pyc files, as `pip install` does: a source checkout run with
    PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module on every command."""
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "trayapp")], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    trayapp_bin = os.path.join(os.path.dirname(PY), "trayapp")
    compile_bytecode()
    with HeadlessTrayapp(f"[programs.assistant]\ncommand = {SLEEPER}\n") as t:
        bare = timed([PY, "-c", "pass"], None, args.runs)
        ours = timed([trayapp_bin, "status"], t.env, args.runs)
        restart = timed([trayapp_bin, "restart"], t.env, args.runs)
    result = {"trayapp_median_ms": median_ms(ours), "restart_median_ms": median_ms(restart),
              "bare_python_median_ms": median_ms(bare), "runs": args.runs, "budget_ms": BUDGET_MS,
              "budget_x_bare": BUDGET_X_BARE}
    result["x_bare"] = round(result["trayapp_median_ms"] / result["bare_python_median_ms"], 1)
    if Supervisord.available():
        with Supervisord(f"{PY} -c 'import time; time.sleep(3600)'") as s:
            theirs = timed([s.bin("supervisorctl"), "-c", str(s.conf), "status"], None, args.runs)
        result["supervisorctl_median_ms"] = median_ms(theirs)
    pm2 = Pm2.bin()
    if pm2 is not None:
        with Pm2(["sleep", "3600"]) as p:
            theirs = timed([pm2, "jlist"], p.env, args.runs)
        result["pm2_jlist_median_ms"] = median_ms(theirs)
    result["within_budget"] = result["trayapp_median_ms"] <= BUDGET_MS and result["x_bare"] <= BUDGET_X_BARE
    path = save("status_latency", result)
    print(f"status latency: trayapp median {result['trayapp_median_ms']} ms = {result['x_bare']}x bare python "
          f"({result['bare_python_median_ms']} ms; budget {BUDGET_MS:g} ms and {BUDGET_X_BARE:g}x); "
          f"restart {result['restart_median_ms']} ms"
          + (f"; supervisorctl median {result['supervisorctl_median_ms']} ms" if "supervisorctl_median_ms" in result else "")
          + (f"; pm2 jlist median {result['pm2_jlist_median_ms']} ms" if "pm2_jlist_median_ms" in result else "")
          + f"  -> {path}")
    sys.exit(0 if result["within_budget"] else 1)


if __name__ == "__main__":
    main()
