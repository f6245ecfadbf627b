"""`trayapp history`: sentences with the programs' display names, and --kind to pick entries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.running import ROOT


def history(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trayapp", "history", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "TRAYAPP_HOME": str(home)})


def planted(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "state").mkdir(parents=True)
    (home / "config.toml").write_text('[programs.assistant]\npreset = "custom"\ndisplay_name = "Helper bot"\n'
                                      'command = ["sleep", "1"]\n')
    entries = [
        {"ts": "2026-11-30T10:00:00", "event": "start", "program": "assistant", "pid": 11},
        {"ts": "2026-11-30T10:00:05", "event": "exit", "program": "assistant", "pid": 11,
         "exit": {"code": 1, "signal": None}, "expected": False, "uptime": 5.4321},
        {"ts": "2026-11-30T10:00:06", "event": "backoff", "program": "assistant", "delay": 7.642},
        {"ts": "2026-11-30T10:00:14", "event": "restart", "program": "assistant", "pid": 12},
        {"ts": "2026-11-30T10:05:00", "event": "quit", "stop_programs": True},
    ]
    (home / "state" / "journal.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    return home


def test_history_speaks_in_sentences_with_the_display_name(tmp_path: Path) -> None:
    done = history(planted(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "Helper bot" in done.stdout and "=" not in done.stdout and "7.642" not in done.stdout
    assert len(done.stdout.strip().splitlines()) == 5


def test_history_kind_picks_entries_and_json_keeps_raw_fields(tmp_path: Path) -> None:
    home = planted(tmp_path)
    done = history(home, "--kind", "restart,exit")
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and len(lines) == 2 and "10:00:05" in lines[0] and "10:00:14" in lines[1]
    raw = json.loads(history(home, "--kind", "backoff", "--json").stdout)
    assert [e["delay"] for e in raw] == [7.642]
    none = history(home, "--kind", "crash")
    assert none.returncode == 0 and none.stdout.strip() == "no crash entries yet"
