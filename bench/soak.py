"""Soak: a child that exits at once, restarted with zero backoff and no intensity limit, many times.

Budget: between restart 1,000 and restart 10,000, trayapp's RSS grows < 0.5 MiB and its open fds
by 0. CPU time per restart (trayapp's own user + system time, children excluded) is reported.
Each child appends one byte to a counter file before it exits, so the file's size is the number
of starts; the samples are taken when the counter passes each mark: the least RSS and fd count of 20 readings
in half a second, since a restart in flight holds pipes and buffers that are not a leak (a leak
raises the least reading too).

Usage: python bench/soak.py [--quick] [--restarts 10000] [--marks 1000,5000]
  --quick  3,000 restarts (about a minute; the README's full figures use the default)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import HeadlessTrayapp, save  # noqa: E402

RSS_BUDGET_MIB = 0.5
FD_BUDGET = 0
SAMPLES, SAMPLE_GAP = 20, 0.025


def config(counter: Path) -> str:
    return f"""[programs.assistant]
command = ["sh", "-c", "printf x >> '{counter}'; exit 1"]
restart = "always"
startsecs = "0s"
max_restarts = 1000000000
window = "1s"
[programs.assistant.backoff]
initial = "0s"
jitter = 0
"""


def starts(counter: Path) -> int:
    try:
        return counter.stat().st_size
    except FileNotFoundError:
        return 0


def open_handles(proc: psutil.Process) -> int:
    if sys.platform == "win32":
        return proc.num_handles()
    return proc.num_fds()


def sample(proc: psutil.Process, counter: Path, mark: int, timeout: float) -> dict[str, float]:
    """Wait until `mark` starts have happened, then read trayapp's RSS, fds and CPU time."""
    deadline = time.monotonic() + timeout
    while starts(counter) < mark:
        if time.monotonic() > deadline:
            raise SystemExit(f"soak: only {starts(counter)} starts after {timeout:g} s (waiting for {mark})")
        time.sleep(0.02)
    cpu, at, begun = proc.cpu_times(), time.monotonic(), starts(counter)
    rss, fds = [], []
    for _ in range(SAMPLES):  # the least of a few: a spawn's pipes or a compressor's buffers come and go
        rss.append(proc.memory_info().rss)
        fds.append(open_handles(proc))
        time.sleep(SAMPLE_GAP)
    return {"starts": begun, "rss": min(rss), "fds": min(fds), "cpu_s": cpu.user + cpu.system, "at": at}


def soak(restarts: int, marks: list[int], timeout: float) -> dict:
    t = HeadlessTrayapp("")
    counter = t.home / "starts"
    (t.home / "config.toml").write_text(config(counter))
    with t:
        assert t.proc is not None
        proc = psutil.Process(t.proc.pid)
        samples = [sample(proc, counter, mark, timeout) for mark in [*marks, restarts]]
    first, last = samples[0], samples[-1]
    between = last["starts"] - first["starts"]
    return {
        "restarts": restarts,
        "samples": [{"starts": s["starts"], "rss_mib": round(s["rss"] / 2**20, 2), "fds": s["fds"]} for s in samples],
        "rss_growth_mib": round((last["rss"] - first["rss"]) / 2**20, 2),
        "fd_growth": last["fds"] - first["fds"],
        "cpu_ms_per_restart": round((last["cpu_s"] - first["cpu_s"]) / between * 1000, 3),
        "restarts_per_s": round(between / (last["at"] - first["at"]), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--restarts", type=int, default=10_000)
    parser.add_argument("--marks", default="1000", help="where to sample before the end (default 1000)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per mark")
    args = parser.parse_args()
    restarts = 3_000 if args.quick else args.restarts
    result = soak(restarts, [int(m) for m in args.marks.split(",") if m], args.timeout)
    result["budget"] = {"rss_growth_mib": RSS_BUDGET_MIB, "fd_growth": FD_BUDGET}
    result["within_budget"] = result["rss_growth_mib"] < RSS_BUDGET_MIB and result["fd_growth"] <= FD_BUDGET
    path = save("soak", result)
    first, last = result["samples"][0], result["samples"][-1]
    print(f"soak: {first['starts']:,} -> {last['starts']:,} restarts: RSS {first['rss_mib']} -> {last['rss_mib']} MiB "
          f"({result['rss_growth_mib']:+} MiB, budget < {RSS_BUDGET_MIB} MiB), fds {first['fds']} -> {last['fds']}, "
          f"{result['cpu_ms_per_restart']} ms CPU per restart, {result['restarts_per_s']} restarts/s  -> {path}")
    return 0 if result["within_budget"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
