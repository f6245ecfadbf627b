"""limits.open_files and limits.disk with real programs: the system stops a child that opens files
in a loop at the configured number; a data folder that grows past its budget is told once."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import pytest

from tests.integration.running import Trayapp, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_NOFILE on Windows")]

OPENER = """
import errno, resource, sys, time
held = []
try:
    while True:
        held.append(open(sys.argv[1] + ".probe", "a"))
except OSError as exc:
    count = len(held)
    held.pop().close()  # one descriptor to write the answer with
    with open(sys.argv[1] + ".tmp", "w") as out:
        out.write(f"{count} {exc.errno} {resource.getrlimit(resource.RLIMIT_NPROC)[0]}")
    import os
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)
"""


def test_a_child_that_opens_files_in_a_loop_stops_at_open_files(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    import resource

    script, result = tmp_path / "opener.py", tmp_path / "opened.txt"
    hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    processes = 3000 if hard == resource.RLIM_INFINITY else min(3000, hard)
    script.write_text(OPENER)
    config = (f'[programs.assistant]\ncommand = ["{sys.executable}", "{script}", "{result}"]\n'
              'startsecs = "0.5s"\nstop_timeout = "2s"\n[programs.assistant.limits]\nopen_files = 40\n'
              f'processes = {processes}\n')
    t = Trayapp(tmp_path / "h", config)
    trayapps.append(t.start())
    text = wait_for(lambda: result.exists() and result.read_text(), 30, "the child to run out of files")
    opened, code, nproc = map(int, text.split())
    assert nproc == processes
    assert code == errno.EMFILE
    # 40 descriptors in all: stdin/out/err and the few the interpreter keeps are among them.
    assert 30 <= opened < 40, opened


def test_a_data_folder_that_grows_past_its_disk_budget_is_told_once(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.bin").write_bytes(b"x" * 300_000)
    config = (f'[programs.assistant]\ncommand = ["{sys.executable}", "-c", "import time; time.sleep(600)"]\n'
              f'startsecs = "0.5s"\nstop_timeout = "2s"\ndata_dirs = ["{data}"]\n'
              '[programs.assistant.limits]\ndisk = "1MB"\ndisk_interval = "10s"\n')
    t = Trayapp(tmp_path / "h", config)
    trayapps.append(t.start())
    t.wait_state("running")
    (data / "sub" / "b.bin").write_bytes(b"x" * 1_100_000)  # the program's data grows past its budget
    found = wait_for(lambda: [e for e in t.journal() if e.get("event") == "limit"], 60, "a disk limit entry")
    assert len(found) == 1
    entry = found[0]
    assert entry["kind"] == "disk" and entry["value"] >= 1_400_000 and entry["limit"] == 1_000_000
    # No notification daemon here: the notice goes to trayapp's own log, in words.
    notice = "assistant's data folders are too big"
    wait_for(lambda: notice in t.paths.trayapp_log.read_text(), 20, "the notification")
    said = t.cli("history", "--kind", "limit").stdout
    assert "data folders hold 1.4MB, over their limit of 1MB" in said, said
    assert (data / "a.bin").exists() and (data / "sub" / "b.bin").exists()  # nothing is ever deleted
    assert t.terminate() == 0
    # Later measurements of the same episode say nothing more: tests/unit/test_limits_more.py steps them.
    assert t.paths.trayapp_log.read_text().count(f"notify [limit] {notice}") == 1
    assert len([e for e in t.journal() if e.get("event") == "limit"]) == 1
