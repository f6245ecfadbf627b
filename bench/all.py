"""Run every benchmark, one after another, then print the figures as the README's table.

Usage: python bench/all.py [--quick] [--table-only]
  --quick       smaller runs (a smoke test; the README's figures come from a full run)
  --table-only  print the table from bench/results/*.json without running anything

Each benchmark is also a command of its own (see the README). Run this on a quiet machine:
the figures are wall-clock and CPU times.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = sys.executable

RUNS: dict[str, tuple[list[str], list[str]]] = {
    "restart_latency": ([], ["--restarts", "15"]),
    "status_latency": ([], ["--runs", "8"]),
    "soak": ([], ["--quick"]),
    "memory_after_work": ([], ["--size-mb", "30", "--backups", "2"]),
    "idle_footprint": ([], ["--seconds", "10"]),
    "log_throughput": ([], ["--quick"]),
    "tray_footprint": ([], ["--seconds", "10", "--settle", "5"]),
    "backup": ([], ["--size", "100MB"]),
    "dashboard": ([], ["--requests", "20", "--crashes", "3"]),
    "logsearch": ([], ["--size-mb", "200"]),
}


def run(name: str, quick: bool) -> int:
    full, small = RUNS[name]
    argv = [PY, str(ROOT / "bench" / f"{name}.py"), *(small if quick else full)]
    print(f"\n== {name}: {' '.join(argv[1:])}", flush=True)
    return subprocess.run(argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}).returncode


def load(name: str) -> dict:
    try:
        return json.loads((RESULTS / f"{name}.json").read_text())
    except (OSError, ValueError):
        return {}


def rows() -> list[tuple[str, str, str, str]]:
    """(what, budget, trayapp, others) for every result on disk."""
    out = []
    r = load("restart_latency")
    if r:
        others = ", ".join(f"{k.split('_')[0]} {r[k]} ms" for k in ("supervisord_median_ms", "pm2_median_ms") if k in r)
        out.append(("restart latency (exit → new child, median)", f"≤ {r['budget_ms']:g} ms",
                    f"{r['trayapp_median_ms']} ms", others))
        if "trayapp_own_ms" in r:
            others = ", ".join(f"{k.split('_')[0]} {r[k]} ms" for k in ("supervisord_own_ms", "pm2_own_ms") if k in r)
            out.append(("supervisor's own share of a restart (minus a bare spawn loop's "
                        f"{r['bare_median_ms']} ms)", f"≤ {r['own_budget_ms']:g} ms", f"{r['trayapp_own_ms']} ms", others))
    r = load("status_latency")
    if r:
        others = ", ".join(f"{label} {r[k]} ms" for k, label in (("supervisorctl_median_ms", "supervisorctl status"),
                                                                 ("pm2_jlist_median_ms", "pm2 jlist")) if k in r)
        budget = f"≤ {r['budget_ms']:g} ms" + (f" and ≤ {r['budget_x_bare']:g}× bare python" if "budget_x_bare" in r else "")
        ours = f"{r['trayapp_median_ms']} ms" + (f" ({r['x_bare']}× python -c pass, {r['bare_python_median_ms']} ms)"
                                                 if "x_bare" in r else "")
        out.append(("`trayapp status` (new process, median)", budget, ours, others))
        if "restart_median_ms" in r:
            out.append(("`trayapp restart` (new process, median)", f"≤ {r['budget_ms']:g} ms", f"{r['restart_median_ms']} ms", ""))
    r = load("soak")
    if r:
        first, last = r["samples"][0], r["samples"][-1]
        out.append((f"soak: restarts {first['starts']:,} → {last['starts']:,} (RSS / fds growth)",
                    f"< {r['budget']['rss_growth_mib']:g} MiB / {r['budget']['fd_growth']}",
                    f"{r['rss_growth_mib']:+g} MiB / {last['fds'] - first['fds']:+d}; {r['cpu_ms_per_restart']} ms CPU per restart", ""))
    r = load("memory_after_work")
    if r:
        out.append((f"RSS after \"Back up now\" of {r['workspace_mb']} MB, vs idle {r['idle_rss_mib']} MiB",
                    f"≤ +{r['budget_mib']:g} MiB", ", ".join(f"{g:+g}" for g in r["growth_mib"]) + " MiB", ""))
    r = load("idle_footprint")
    if r:
        t = r["trayapp"]
        others = ", ".join(f"{k} {r[k]['rss_mib']} MiB / {r[k]['cpu_percent']}%" for k in ("supervisord", "pm2") if k in r)
        out.append(("idle, headless, one child (RSS / CPU)", f"≤ {r['budget']['rss_mib']:g} MiB / {r['budget']['cpu_percent']}%",
                    f"{t['rss_mib']} MiB / {t['cpu_percent']}%", others))
    r = load("tray_footprint")
    if r:
        out.append(("idle with the tray up (RSS / CPU)", "≤ 60 MiB / 0.3%",
                    f"{r['rss_bytes'] / 2**20:.1f} MiB / {r['cpu_percent']:.3f}% ({r.get('wakeups_per_s', '?')} wake-ups/s)", ""))
    r = load("log_throughput")
    for run_name, label in (("lines_200k", "log capture, child printing 200k lines"),
                            ("python_100mb", "log capture, child printing 1M lines (100 MB)"),
                            ("cat_100mb", "log capture, `cat` of 100 MB")):
        data = r.get("runs", {}).get(run_name) if r else None
        if not data:
            continue
        seen = ", ".join(f"{x:g}" for x in data.get("ratios_seen", []))
        least = r.get("budget")
        wanted = f"≥ {least[run_name]:g}× supervisord" if isinstance(least, dict) else "≥ supervisord"
        out.append((label, wanted, f"{data['trayapp']['mb_per_s']} MB/s",
                    f"supervisord {data['supervisord']['mb_per_s']} MB/s (raw bytes, no timestamps or redaction)"
                    + (f"; trayapp/supervisord in 3 runs: {seen}" if seen else "")))
    junk = load("log_throughput").get("runs", {}).get("no_newline")
    if junk:
        out.append((f"log capture, {junk['megabytes']} MB with no newline (peak RSS)", "bounded",
                    f"{junk['rss_peak_mib']} MiB from {junk['rss_start_mib']}; pieces ≤ {junk['longest_piece']:,} bytes", ""))
    r = load("dashboard")
    if r:
        page = r.get("supervisord_page")
        out.append(("dashboard: GET /api/overview (median)", f"≤ {r['budget']['overview_ms']:g} ms",
                    f"{r['overview']['median_ms']} ms", f"supervisord's status page {page['median_ms']} ms" if page else ""))
        out.append(("dashboard: SIGKILL of the child → the open page's event (median)",
                    f"≤ {r['budget']['crash_to_page_ms']:g} ms", f"{r['crash_to_page']['median_ms']} ms",
                    "supervisord's page does not update by itself" if page else ""))
    r = load("logsearch")
    if r:
        out.append((f"dashboard log search: a rare string next to 🐈 in a {r['size_bytes'] / 1e9:.2f} GB log (median)",
                    "≤ 2 s", f"{r['search_median_s']} s", f"`grep -c -i` {r['grep_median_s']} s"))
    r = load("backup")
    if r:
        out.append((f"backup of {r['workspace_bytes'] / 1e9:g} GB + {r['database_bytes'] / 1e6:g} MB live SQLite",
                    "time ≤ tar czf, RSS ≤ 100 MiB",
                    f"{r['trayapp_seconds']:.1f} s ({r['ratio']}× tar), {r['trayapp_peak_rss'] / 2**20:.0f} MiB",
                    f"tar czf {r['tar_seconds']:.1f} s"))
    return out


def table() -> str:
    lines = ["| measure | budget | trayapp | others, same run |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--table-only", action="store_true")
    args = parser.parse_args()
    failed = [] if args.table_only else [name for name in RUNS if run(name, args.quick) != 0]
    print("\n" + table())
    if failed:
        print(f"\nover budget or failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
