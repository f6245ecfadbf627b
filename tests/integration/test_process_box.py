"""Every process a program starts stays in its box: double-forked daemons die with the program,
trayapp keeps no pipes or threads for them, and a SIGKILLed trayapp never leads to a duplicate."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.integration.running import Trayapp, child_command, wait_for
from trayapp.supervisor import marks
from trayapp.supervisor.marks import Mark

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the subreaper is Linux's")]

FAST = '[programs.assistant.backoff]\ninitial = "0.1s"\nmultiplier = 2\nmax = "1s"\njitter = 0\n'


def program(command: str) -> str:
    return f'[programs.assistant]\ncommand = {command}\nstartsecs = "0.5s"\nstop_timeout = "2s"\n{FAST}'


def sleeps(seconds: str) -> list[psutil.Process]:
    """The live `sleep SECONDS` processes (a number no other test uses)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.info["cmdline"] == ["sleep", seconds] and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


def zombies_of(pid: int) -> list[psutil.Process]:
    return [c for c in psutil.Process(pid).children() if c.status() == psutil.STATUS_ZOMBIE]


def usage(pid: int) -> tuple[int, int]:
    proc = psutil.Process(pid)
    if sys.platform == "win32":
        return proc.num_handles(), proc.num_threads()
    return proc.num_fds(), proc.num_threads()


def test_double_forked_daemons_die_with_every_restart_and_at_quit(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    seconds = str(100001 + random.randrange(10**6))
    t = Trayapp(tmp_path / "h", program(child_command("daemons", 2, seconds)))
    trayapps.append(t.start())
    assert t.proc is not None
    me = t.proc.pid
    t.wait_state("running")
    wait_for(lambda: len(sleeps(seconds)) == 2, 10, "two daemons")
    assert all(p.ppid() == me for p in sleeps(seconds)), "trayapp is their subreaper"
    before = usage(me)
    for n in range(3):
        old = {p.pid for p in sleeps(seconds)}
        t.request("restart", program="assistant")
        wait_for(lambda: (live := {p.pid for p in sleeps(seconds)}) and not live & old and len(live) == 2,
                 15, f"restart {n + 1}: the old daemons gone, two new ones")
        t.wait_state("running")
    wait_for(lambda: not zombies_of(me), 5, "every killed daemon reaped")
    wait_for(lambda: all(now <= was for now, was in zip(usage(me), before)), 5, "fds and threads flat")
    assert t.terminate() == 0
    wait_for(lambda: not sleeps(seconds), 5, "no daemon left after quit")


def test_a_daemon_that_clears_its_environment_is_found_by_the_pipe_it_holds(tmp_path: Path,
                                                                          trayapps: list[Trayapp]) -> None:
    seconds = str(100001 + random.randrange(10**6))
    t = Trayapp(tmp_path / "h", program(child_command("daemons", 1, seconds, "clean")))
    trayapps.append(t.start())
    t.wait_state("running")
    daemon = wait_for(lambda: sleeps(seconds), 10, "the daemon")[0]
    assert daemon.environ() == {}, "no mark to find it by"
    t.request("stop", program="assistant")
    t.wait_state("stopped")
    wait_for(lambda: not sleeps(seconds), 5, "the unmarked daemon gone with its program")


def test_sigkill_before_the_record_is_written_still_leaves_one_copy(tmp_path: Path,
                                                                    trayapps: list[Trayapp]) -> None:
    home = tmp_path / "h"
    first = Trayapp(home, program(child_command("sleep")))
    first.paths.pid_file.parent.mkdir(parents=True, exist_ok=True)
    first.paths.pid_file.mkdir()  # children.json cannot be written: as if SIGKILL beat the write
    trayapps.append(first.start())
    old = first.wait_state("running")["pid"]
    assert not first.paths.pid_file.is_file()
    first.kill()
    instance = marks.instance_id(first.paths.state_dir)
    assert [m.pid for m in marks.find(instance)] == [old], "the child outlives a SIGKILLed trayapp"
    shutil.rmtree(first.paths.pid_file)
    second = Trayapp(home)
    trayapps.append(second.start())
    new = second.wait_state("running")["pid"]
    wait_for(lambda: [m.pid for m in marks.find(instance)] == [new], 10, "one copy: the leftover stopped")
    orphan = [e for e in second.journal() if e["event"] == "orphan"]
    assert orphan and orphan[-1]["pid"] == old and orphan[-1]["action"] == "stopped"


def test_find_sees_a_marked_process_by_instance_and_by_run() -> None:
    mark = Mark("unit-" + marks.new_run(), "assistant", marks.new_run())
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE,
                             env={**os.environ, **mark.env()})
    try:
        assert [(m.pid, m.mark) for m in marks.find(mark.instance)] == [(child.pid, mark)]
        assert [m.pid for m in marks.find(mark.instance, mark.run)] == [child.pid]
        assert marks.find(mark.instance, "another-run") == []
        assert marks.find("another-instance-" + marks.new_run()) == []
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)


def test_with_the_scope_option_the_program_runs_through_systemd_run(tmp_path: Path) -> None:
    """No user manager here: a stand-in systemd-run that, like the real one in --scope mode, execs
    the command in place. The pid, the output and the mark are the program's own."""
    from trayapp.supervisor.spawn import PopenSpawner

    bin_dir, runtime = tmp_path / "bin", tmp_path / "run"
    (runtime / "systemd").mkdir(parents=True)
    (runtime / "systemd" / "private").touch()
    bin_dir.mkdir()
    fake = bin_dir / "systemd-run"
    fake.write_text('#!/bin/sh\necho "$@" > "$0.args"\nwhile [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "XDG_RUNTIME_DIR": str(runtime),
           marks.PROGRAM_VAR: "assistant"}
    exits: list[int | None] = []
    child = PopenSpawner("scope-test-" + marks.new_run(), use_scope=True).spawn(
        [sys.executable, "-c", "import time; time.sleep(60)"], env=env, cwd=None, log=None, on_exit=exits.append)
    proc = psutil.Process(child.pid)
    wait_for(lambda: proc.cmdline()[:2] == [sys.executable, "-c"], 10, "systemd-run to exec the program in place")
    args = Path(str(fake) + ".args").read_text()
    assert args.startswith("--user --scope") and "--unit=trayapp-assistant-" in args
    assert Mark.of(proc.environ()) is not None
    child.kill_tree()
    wait_for(lambda: exits, 10, "the exit")
    assert exits == [-9]
