"""Backup budget: `trayapp backup create` vs `tar czf` on the same files, same machine, same run.

    .venv/bin/python bench/backup.py                 # 1 GB workspace + 200 MB SQLite (the budget)
    .venv/bin/python bench/backup.py --size 100MB    # a quick check (database scaled to 1/5)

Generates a workspace of mixed files (text-like, incompressible, half-compressible, many small
ones) and a SQLite database in WAL mode, starts a writer process committing rows into it, then
times `tar czf` and `trayapp backup create` (each in its own process; peak RSS from wait4) while
the writer keeps committing. Budget: time ratio <= 1.0 and trayapp's peak RSS < 100 MiB.
Writes bench/results/backup.json and deletes the generated data afterwards (unless --keep).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trayapp.units import format_duration, format_size, parse_size  # noqa: E402

RSS_BUDGET = 100 * 1024 * 1024
WORDS = ("the assistant remembers what you told it yesterday and answers with care session memory "
         "workspace agent tool call result message user reply config token model prompt json value "
         "error retry schedule backup restore verify health status running stopped").split()

WRITER = r"""
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1], timeout=60)
db.execute("PRAGMA journal_mode=WAL")
n = 0
payload = os.urandom(300).hex()
while True:
    with db:
        db.execute("INSERT INTO messages(ts, body) VALUES (?, ?)", (time.time(), payload))
    n += 1
    if n % 50 == 0:
        sys.stdout.write(f"{n}\n"); sys.stdout.flush()
    time.sleep(0.005)
"""


def corpus(rng: random.Random, size: int) -> bytes:
    """Text-like bytes: compress about 3-4x with gzip, like notes, JSON and session logs."""
    return " ".join(rng.choices(WORDS, k=size // 6)).encode()[:size]


def generate_workspace(root: Path, total: int, rng: random.Random) -> dict[str, int]:
    text = corpus(rng, 8 << 20)
    counts = {"text": 0, "random": 0, "half": 0, "small": 0}
    budgets = {"text": total * 40 // 100, "random": total * 30 // 100, "half": total * 20 // 100,
               "small": total * 10 // 100}
    for kind, budget in budgets.items():
        folder = root / kind
        folder.mkdir(parents=True)
        written = 0
        while written < budget:
            size = min(budget - written, rng.randint(1 << 10, 16 << 10) if kind == "small"
                       else rng.randint(1 << 20, 24 << 20))
            (folder / f"f{counts[kind]:05d}.dat").write_bytes(_content(kind, size, text, rng))
            written += size
            counts[kind] += 1
    (root / "node_modules").mkdir()
    (root / "node_modules" / "big.js").write_bytes(os.urandom(1 << 20))  # excluded by trayapp only
    return counts


def _content(kind: str, size: int, text: bytes, rng: random.Random) -> bytes:
    if kind in ("text", "small"):
        start = rng.randrange(0, len(text) - min(size, len(text)) + 1)
        chunk = text[start:start + size]
        return (chunk * (size // max(1, len(chunk)) + 1))[:size]
    if kind == "random":
        return os.urandom(size)
    # half-compressible: random bytes squeezed onto 16 symbols (about 2x with gzip)
    return os.urandom(size).translate(bytes((b & 0x0F) + 0x41 for b in range(256)))


def generate_database(path: Path, size: int, rng: random.Random) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE messages(id INTEGER PRIMARY KEY, ts REAL, body TEXT)")
    text = corpus(rng, 4 << 20).decode()
    rows = size // 1100
    with db:
        db.executemany("INSERT INTO messages(ts, body) VALUES (?, ?)",
                       ((time.time(), text[(i * 997) % (len(text) - 1000):][:1000]) for i in range(rows)))
    db.close()


# Peak RSS must be measured from a small launcher: a child forked from this (large) process
# inherits its resident pages into ru_maxrss, which would overstate the child's own memory.
LAUNCH = r"""
import json, os, resource, subprocess, sys, time
start = time.perf_counter()
with open(sys.argv[1], "wb") as err:
    rc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=err).returncode
print(json.dumps({"seconds": time.perf_counter() - start, "rc": rc,
                  "maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))
"""


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """(seconds, peak RSS bytes, exit status) of one child process."""
    with tempfile.NamedTemporaryFile(prefix="trayapp-bench-err-") as err:
        out = subprocess.run([sys.executable, "-S", "-c", LAUNCH, err.name, *argv], env=env,
                             stdout=subprocess.PIPE, check=True).stdout
        stderr = Path(err.name).read_text(errors="replace")[-2000:]
    result = json.loads(out)
    rc = result["rc"]
    if rc not in (0, 1) or (rc and "trayapp" in argv[0]):  # tar says 1 for "file changed as we read it"
        raise SystemExit(f"{argv[0]} failed ({rc}): {stderr}")
    return result["seconds"], result["maxrss"], rc


def run(size: int, db_size: int, workdir: Path, keep: bool) -> dict[str, object]:
    rng = random.Random(20260101)
    base = Path(tempfile.mkdtemp(prefix="trayapp-bench-backup-", dir=workdir))
    try:
        data, out = base / "data", base / "out"
        out.mkdir()
        t0 = time.perf_counter()
        counts = generate_workspace(data / "workspace", size, rng)
        generate_database(data / "state.sqlite", db_size, rng)
        gen_seconds = time.perf_counter() - t0
        print(f"generated {format_size(size)} workspace + {format_size(db_size)} database "
              f"in {format_duration(gen_seconds)}", flush=True)
        return measure(base, data, out, size, db_size, counts)
    finally:
        if keep:
            print(f"kept the data in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


def measure(base: Path, data: Path, out: Path, size: int, db_size: int, counts: dict[str, int]) -> dict[str, object]:
    home = base / "home"
    (home / "trayapp").mkdir(parents=True)
    (home / "trayapp" / "config.toml").write_text(f'[backup]\npaths = ["{data}"]\n')
    env = {**os.environ, "TRAYAPP_HOME": str(home / "trayapp"), "HOME": str(home)}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(data / "state.sqlite")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None
        writer.stdout.readline()  # the writer is committing
        tar_s, tar_rss, tar_rc = timed(["tar", "czf", str(out / "tar.tar.gz"), "-C", str(data), "."])
        ours_s, ours_rss, _ = timed([str(Path(sys.executable).parent / "trayapp"), "backup", "create",
                                     "--no-verify", "--dest", str(out)], env)
    finally:
        writer.terminate()
        writer.wait()
    archive = next(out.glob("trayapp-backup-*.tar.gz"))
    verify_s, verify_rss, verify_rc = timed([str(Path(sys.executable).parent / "trayapp"), "backup", "verify",
                                             str(archive)], env)
    return {
        "workspace_bytes": size, "database_bytes": db_size, "files": counts,
        "tar_seconds": round(tar_s, 3), "tar_peak_rss": tar_rss, "tar_exit": tar_rc,
        "tar_archive_bytes": (out / "tar.tar.gz").stat().st_size,
        "trayapp_seconds": round(ours_s, 3), "trayapp_peak_rss": ours_rss,
        "trayapp_archive_bytes": archive.stat().st_size,
        "ratio": round(ours_s / tar_s, 3),
        "verify_seconds": round(verify_s, 3), "verify_peak_rss": verify_rss, "verify_ok": verify_rc == 0,
        "gzip_level": 6, "writer_under_load": True,
        "budget": {"ratio_max": 1.0, "rss_max": RSS_BUDGET,
                   "ratio_ok": ours_s <= tar_s, "rss_ok": ours_rss < RSS_BUDGET},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1GB", help="workspace size (default 1GB)")
    parser.add_argument("--db-size", default=None, help="database size (default 200MB, or size/5 with --size)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()), help="where to generate data")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "backup.json")
    args = parser.parse_args()
    size = parse_size(args.size)
    db_size = parse_size(args.db_size) if args.db_size else (200_000_000 if args.size == "1GB" else size // 5)
    result = run(size, db_size, args.dir, args.keep)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    ok = result["budget"]["ratio_ok"] and result["budget"]["rss_ok"]  # type: ignore[index]
    print(f"tar czf:        {result['tar_seconds']}s, {format_size(result['tar_archive_bytes'])}, "
          f"peak RSS {format_size(result['tar_peak_rss'])}")
    print(f"trayapp backup: {result['trayapp_seconds']}s, {format_size(result['trayapp_archive_bytes'])}, "
          f"peak RSS {format_size(result['trayapp_peak_rss'])}")
    print(f"ratio {result['ratio']} (budget <= 1.0), verify {result['verify_seconds']}s "
          f"(ok: {result['verify_ok']}) -> {'within budget' if ok else 'OVER BUDGET'}; wrote {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
