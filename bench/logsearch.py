"""Log search budget: a rare string in a 1 GB log in at most 2 s, with the dashboard's own search.

Builds a 1 GB nanobot-shaped log once (kept in a temp folder between runs unless --fresh): loguru
lines on stderr, "🐈 Starting…" at every start, and the needle once near the start of the file, so
a newest-first search reads the whole gigabyte. Times `trayapp.logs.search.search` (median of 5)
and, in the same run, `grep -c -i` on the same file.

    .venv/bin/python bench/logsearch.py [--size-mb 1024] [--fresh] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import save  # noqa: E402
from trayapp.logs import search  # noqa: E402
from trayapp.logs.pages import log_files  # noqa: E402

BUDGET_S = 2.0
NEEDLE_LINE = "🐈 Starting… request 5be0c9d7-31ee-4b8e handled by the gateway"
QUERY = "🐈 STARTING… REQUEST 5BE0C9D7-31EE-4B8E"  # differently cased: the search is case-insensitive
RUNS = 5


def nanobot_block(start: int) -> bytes:
    """About 1 MB of lines as nanobot writes them through trayapp's capture."""
    lines = []
    for i in range(start, start + 8_000):
        stamp = f"2026-11-30T14:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}+01:00"
        if i % 2_000 == 0:
            text = "🐈 Starting nanobot gateway on port 18790…"
        elif i % 97 == 0:
            text = f"2026-11-30 14:02:03.120 | WARNING  | nanobot.channels.telegram:poll:88 - retry {i % 5} after timeout"
        else:
            text = (f"2026-11-30 14:02:03.120 | INFO     | nanobot.agent.loop:_process:{i % 400} - "
                    f"Processing message from telegram:{i % 9000} ({i % 300} chars)")
        lines.append(f"{stamp} stderr {text}\n")
    return "".join(lines).encode("utf-8")


def make_log(path: Path, size: int) -> None:
    if path.exists() and path.stat().st_size >= size:
        return
    path.parent.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path.parent, 0o700)
    block = nanobot_block(0)
    with open(path, "wb") as f:
        f.write(nanobot_block(10_000)[:50_000].rsplit(b"\n", 1)[0] + b"\n")
        f.write(f"2026-11-30T13:59:59.000+01:00 stderr {NEEDLE_LINE}\n".encode("utf-8"))
        written = 50_000
        while written < size:
            f.write(block)
            written += len(block)
    os.chmod(path, 0o600)


def time_search(path: Path) -> tuple[list[float], search.Found]:
    runs: list[float] = []
    found = None
    for _ in range(RUNS):
        started = time.perf_counter()
        files = log_files(path, path.parent)
        found = search.search(files, search.matcher(QUERY, False), limit=200, deadline=60.0)
        runs.append(time.perf_counter() - started)
    assert found is not None
    return runs, found


def time_once(path: Path, query: str, is_regex: bool) -> float:
    """One search the slow ways (a regular expression; a needle bytes cannot fold), for the record."""
    started = time.perf_counter()
    search.search(log_files(path, path.parent), search.matcher(query, is_regex), limit=200, deadline=60.0)
    return round(time.perf_counter() - started, 2)


def time_grep(path: Path) -> tuple[list[float], str]:
    runs: list[float] = []
    out = ""
    for _ in range(3):
        started = time.perf_counter()
        done = subprocess.run(["grep", "-c", "-i", QUERY, str(path)], capture_output=True, text=True)
        runs.append(time.perf_counter() - started)
        out = done.stdout.strip()
    return runs, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--fresh", action="store_true", help="rewrite the big log")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    path = Path(tempfile.gettempdir()) / "trayapp-bench-logsearch" / "nanobot.log"
    if args.fresh and path.exists():
        path.unlink()
    make_log(path, args.size_mb * 1_000_000)
    runs, found = time_search(path)
    grep_runs, grep_count = time_grep(path)
    regex_s = time_once(path, r"5BE0C9D7-\d+EE", True)
    fold_s = time_once(path, "ẞẞ", False)  # folds to "ssss": found nowhere, so read whole
    median = statistics.median(runs)
    data: dict[str, Any] = {
        "size_bytes": path.stat().st_size,
        "query": QUERY,
        "search_median_s": round(median, 3),
        "search_runs_s": [round(r, 3) for r in runs],
        "matches": len(found.rows),
        "found_the_needle": [row.text for row in found.rows] == [NEEDLE_LINE],
        "scanned_bytes": found.scanned_bytes,
        "grep_median_s": round(statistics.median(grep_runs), 3),
        "grep_count": grep_count,
        "regex_s": regex_s,
        "unfoldable_needle_s": fold_s,
        "budget_s": BUDGET_S,
        "within_budget": median <= BUDGET_S and found.done,
    }
    save("logsearch", data)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(f"Searched a {data['size_bytes'] / 1e9:.2f} GB log for a rare string next to 🐈 in "
              f"{data['search_median_s']} s (median of {RUNS}; runs {', '.join(map(str, data['search_runs_s']))} s); "
              f"budget {BUDGET_S} s: {'met' if data['within_budget'] else 'MISSED'}.")
        print(f"It found {data['matches']} line(s), {'the right one' if data['found_the_needle'] else 'NOT the needle'}, "
              f"after reading {data['scanned_bytes'] / 1e9:.2f} GB.")
        print(f"grep -c -i on the same file took {data['grep_median_s']} s (median of 3) and counted {grep_count}.")
        print(f"The slow ways, once each: a regular expression took {regex_s} s; a needle bytes cannot fold "
              f"(\"ẞẞ\", decoded and casefolded whole) took {fold_s} s.")
    return 0 if data["within_budget"] and data["found_the_needle"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
