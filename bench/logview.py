"""Log viewer budget: the last 1,000 lines of a 1 GB log in under 300 ms, never reading it whole.

Writes a 1 GB log in trayapp's line format (once, kept in a temp folder between runs unless
--fresh), then times what the viewer does on opening (`trayapp.ui.logview.load_tail`: read
backwards + parse) and, with a display, inserting the lines into a Tk Text widget. Peak Python
memory during the load shows the file was not read whole.

    .venv/bin/python bench/logview.py [--size-mb 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trayapp.ui.logview import TAIL, load_tail  # noqa: E402

BUDGET_MS = 300.0


def make_log(path: Path, size: int) -> None:
    if path.exists() and path.stat().st_size >= size:
        return
    lines = [f"2026-11-21T23:59:{i % 60:02d}.123+01:00 {'stderr' if i % 7 == 0 else 'stdout'} "
             f"{'error: ' if i % 97 == 0 else ''}request {i} handled in {i % 250} ms by worker {i % 8}\n"
             for i in range(20_000)]
    block = "".join(lines).encode()
    with open(path, "wb") as f:
        written = 0
        while written < size:
            f.write(block)
            written += len(block)


def time_tk(lines: list) -> float | None:
    if not os.environ.get("DISPLAY"):
        return None
    import tkinter as tk

    from trayapp.ui.logfilter import tags

    root = tk.Tk()
    text = tk.Text(root)
    started = time.perf_counter()
    for line in lines:
        text.insert("end", line.raw + "\n", tags(line))
    root.update_idletasks()
    elapsed = (time.perf_counter() - started) * 1000
    root.destroy()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--fresh", action="store_true", help="rewrite the big log")
    args = parser.parse_args()
    path = Path(tempfile.gettempdir()) / "trayapp-bench-logview" / "assistant.log"
    path.parent.mkdir(exist_ok=True)
    if args.fresh and path.exists():
        path.unlink()
    make_log(path, args.size_mb * 1_000_000)
    runs = []
    for _ in range(5):
        tracemalloc.start()
        started = time.perf_counter()
        lines = load_tail(path, TAIL)
        runs.append((time.perf_counter() - started) * 1000)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    insert_ms = time_tk(lines)
    total = min(runs) + (insert_ms or 0.0)
    result = {"file_bytes": path.stat().st_size, "lines": len(lines), "load_ms": sorted(runs),
              "tk_insert_ms": insert_ms, "total_ms": round(total, 1), "peak_python_bytes": peak,
              "budget_ms": BUDGET_MS, "within_budget": total < BUDGET_MS and len(lines) == TAIL}
    out = ROOT / "bench" / "results" / "logview.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"last {len(lines)} lines of a {path.stat().st_size / 1e9:.2f} GB log: load {min(runs):.1f} ms"
          + (f" + Tk insert {insert_ms:.1f} ms" if insert_ms is not None else " (no display: Tk not timed)")
          + f", peak Python memory {peak / 1e6:.1f} MB -> "
          + ("within" if result["within_budget"] else "OVER") + f" the {BUDGET_MS:.0f} ms budget; wrote "
          + str(out.relative_to(ROOT)))
    return 0 if result["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
