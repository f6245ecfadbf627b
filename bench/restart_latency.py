"""Restart latency: time from a child's exit to its replacement starting, with zero backoff.

Budget: median under 20 ms. Each child is a bash one-liner that appends $EPOCHREALTIME and exits 1
at once, so consecutive stamps measure exit -> next start (including bash's own start-up, which
only makes the figure worse). supervisord and pm2 (when npm can install it) run the same child in the same run for comparison.

Own share (budget 2 ms): the same child restarted by a bare waitpid + posix_spawn loop gives the
child's own exit-to-start time; a supervisor's median minus that is what the supervisor adds.

Usage: python bench/restart_latency.py [--restarts 60]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import HeadlessTrayapp, Pm2, Supervisord, median_ms, save, wait_for  # noqa: E402

BUDGET_MS = 20.0
OWN_BUDGET_MS = 2.0  # trayapp's own share: its gap minus a bare waitpid + spawn loop's


def gaps(stamps_file: Path, wanted: int, timeout: float = 120) -> list[float]:
    def enough() -> bool:
        return stamps_file.exists() and len(stamps_file.read_text().split()) >= wanted + 1

    wait_for(enough, timeout)
    stamps = [float(s) for s in stamps_file.read_text().split()[: wanted + 1]]
    return [b - a for a, b in zip(stamps, stamps[1:])]


def trayapp_gaps(restarts: int) -> list[float]:
    stamps = Path(tempfile.mkdtemp()) / "stamps"
    config = f"""[programs.assistant]
command = ["bash", "-c", "echo $EPOCHREALTIME >> {stamps}; exit 1"]
startsecs = "0s"
max_restarts = 100000
window = "1s"
[programs.assistant.backoff]
initial = "0s"
"""
    with HeadlessTrayapp(config):
        result = gaps(stamps, restarts)
    shutil.rmtree(stamps.parent, ignore_errors=True)
    return result


def supervisord_gaps(restarts: int) -> list[float]:
    stamps = Path(tempfile.mkdtemp()) / "stamps"
    command = f"bash -c 'echo $EPOCHREALTIME >> {stamps}; sleep 0.2; exit 1'"
    # supervisord needs the child up for startsecs to count it as started; with startsecs=0 and
    # a 0.2 s life it restarts without giving up. The 0.2 s are subtracted below.
    with Supervisord(command, "startsecs=0\nautorestart=true\nstartretries=100000"):
        result = [g - 0.2 for g in gaps(stamps, min(restarts, 15), timeout=90)]
    shutil.rmtree(stamps.parent, ignore_errors=True)
    return result


def pm2_gaps(restarts: int) -> list[float]:
    stamps = Path(tempfile.mkdtemp()) / "stamps"
    with Pm2(["bash", "-c", f"echo $EPOCHREALTIME >> {stamps}; exit 1"]):
        result = gaps(stamps, min(restarts, 30), timeout=90)
    shutil.rmtree(stamps.parent, ignore_errors=True)
    return result


# The least any supervisor can do between an exit and the next start: wait, spawn, nothing else.
BARE = """
import os, sys
argv = sys.argv[2:]
for _ in range(int(sys.argv[1])):
    os.waitpid(os.posix_spawn(argv[0], argv, os.environ), 0)
"""


def bare_gaps(restarts: int) -> list[float]:
    """The same child restarted by a bare waitpid + posix_spawn loop: its gaps are the child's own
    exit and start (bash, the stamp, the exit) with no supervisor work. Subtracted from another
    supervisor's gaps, they leave that supervisor's own share of a restart."""
    stamps = Path(tempfile.mkdtemp()) / "stamps"
    bash = shutil.which("bash") or "/bin/bash"
    subprocess.run([sys.executable, "-c", BARE, str(restarts + 1), bash, "-c", f"echo $EPOCHREALTIME >> {stamps}; exit 1"],
                   check=True)
    result = gaps(stamps, restarts)
    shutil.rmtree(stamps.parent, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=60)
    args = parser.parse_args()
    ours = trayapp_gaps(args.restarts)
    result = {"trayapp_median_ms": median_ms(ours), "trayapp_p90_ms": round(sorted(ours)[int(len(ours) * 0.9)] * 1000, 2),
              "restarts": len(ours), "budget_ms": BUDGET_MS}
    if Supervisord.available():
        theirs = supervisord_gaps(args.restarts)
        result["supervisord_median_ms"] = median_ms(theirs)
    if Pm2.bin():
        result["pm2_median_ms"] = median_ms(pm2_gaps(args.restarts))
    result["bare_median_ms"] = median_ms(bare_gaps(args.restarts))
    for who in ("trayapp", "supervisord", "pm2"):
        if f"{who}_median_ms" in result:
            result[f"{who}_own_ms"] = round(result[f"{who}_median_ms"] - result["bare_median_ms"], 2)
    result["own_budget_ms"] = OWN_BUDGET_MS
    result["within_budget"] = result["trayapp_median_ms"] <= BUDGET_MS and result["trayapp_own_ms"] <= OWN_BUDGET_MS
    path = save("restart_latency", result)
    print(f"restart latency: trayapp median {result['trayapp_median_ms']} ms (p90 {result['trayapp_p90_ms']} ms, "
          f"budget {BUDGET_MS:g} ms)" + (f"; supervisord median {result['supervisord_median_ms']} ms"
                                         if "supervisord_median_ms" in result else "")
          + (f"; pm2 median {result['pm2_median_ms']} ms" if "pm2_median_ms" in result else "")
          + f"; a bare spawn loop {result['bare_median_ms']} ms, so the supervisor's own share is: "
          + ", ".join(f"{who} {result[f'{who}_own_ms']} ms" for who in ("trayapp", "supervisord", "pm2")
                      if f"{who}_own_ms" in result) + f" (budget {OWN_BUDGET_MS:g} ms)  -> {path}")
    sys.exit(0 if result["within_budget"] else 1)


if __name__ == "__main__":
    main()
