"""trayapp supervising real child programs: crashes, stops, leftovers, health, bad input."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.integration.running import ROOT, Trayapp, child_command, free_port, wait_for

pytestmark = pytest.mark.slow


def program(command: str, extra: str = "", name: str = "assistant") -> str:
    return f"[programs.{name}]\ncommand = {command}\nstartsecs = \"0.5s\"\nstop_timeout = \"2s\"\n{extra}\n"


FAST_BACKOFF = '[programs.assistant.backoff]\ninitial = "0.1s"\nmultiplier = 2\nmax = "1s"\njitter = 0\n'


def gone(pid: int) -> bool:
    """Dead: no such process, or a zombie left for init to reap (it runs no code any more)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_crash_loop_ends_given_up_with_one_gave_up_entry(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", program(child_command("crash", 3), 'max_restarts = 3\nwindow = "1m"\n' + FAST_BACKOFF))
    trayapps.append(t.start())
    status = t.wait_state("given_up")
    assert status["reason"].startswith("gave up after 4 crashes in 1m (exit 3)")
    assert status["last_stderr"].endswith("fatal: giving up with 3")
    kinds = [e["event"] for e in t.journal()]
    assert kinds.count("start") == 4 and kinds.count("gave_up") == 1
    assert "assistant — gave up after 4 crashes in 1m (exit 3)" in t.output(), "headless prints the tray's words"
    own_log = t.paths.trayapp_log.read_text()
    assert "assistant: gave up after 4 crashes in 1m (exit 3)" in own_log, "trayapp.log tells the story too"


def test_stop_kills_a_stubborn_tree_with_no_orphans_or_zombies(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    pids_file = tmp_path / "pids.json"
    t = Trayapp(tmp_path / "h", program(child_command("stubborn", 2, pids_file)))
    trayapps.append(t.start())
    pids = wait_for(lambda: pids_file.exists() and json.loads(pids_file.read_text()), what="the child's pids")
    assert len(pids) == 3 and all(psutil.pid_exists(p) for p in pids)
    t.request("stop", program="assistant")
    t.wait_state("stopped", timeout=15)
    wait_for(lambda: all(gone(p) for p in pids), 5, "the whole tree to be gone")
    assert [e for e in t.journal() if e["event"] == "kill"], "SIGTERM was ignored, so SIGKILL must follow"
    me = psutil.Process(t.proc.pid)
    assert not [c for c in me.children(recursive=True) if c.status() == psutil.STATUS_ZOMBIE]


def test_a_grandchild_that_left_the_group_is_killed_too(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    pids_file = tmp_path / "pids.json"
    t = Trayapp(tmp_path / "h", program(child_command("escape", pids_file)))
    trayapps.append(t.start())
    pids = wait_for(lambda: pids_file.exists() and json.loads(pids_file.read_text()), what="pids")
    assert os.getpgid(pids[1]) != os.getpgid(pids[0])
    t.request("stop", program="assistant")
    t.wait_state("stopped")
    wait_for(lambda: all(gone(p) for p in pids), 5, "the escaped grandchild to be gone")


def test_sigterm_stops_children_gracefully_and_exits_zero(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", program(child_command("sleep")))
    trayapps.append(t.start())
    pid = t.wait_state("running")["pid"]
    assert t.terminate() == 0
    assert gone(pid)
    exits = [e for e in t.journal() if e["event"] == "exit"]
    assert exits[-1]["expected"] is True and exits[-1]["code"] == 0


def test_after_sigkill_of_trayapp_the_next_one_replaces_the_leftover(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    home = tmp_path / "h"
    first = Trayapp(home, program(child_command("sleep")))
    trayapps.append(first.start())
    old = first.wait_state("running")["pid"]
    first.kill()
    assert psutil.pid_exists(old), "the child outlives a SIGKILLed trayapp"
    second = Trayapp(home)
    trayapps.append(second.start())
    new = second.wait_state("running")["pid"]
    assert new != old
    wait_for(lambda: gone(old), 5, "the leftover to be stopped")
    orphan = [e for e in second.journal() if e["event"] == "orphan"]
    assert orphan and orphan[-1]["pid"] == old and orphan[-1]["action"] == "stopped"
    assert not gone(new)


def test_quit_leave_running_then_the_next_trayapp_adopts(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    home = tmp_path / "h"
    first = Trayapp(home, program(child_command("ticker")))
    trayapps.append(first.start())
    pid = first.wait_state("running")["pid"]
    assert first.cli("quit", "--leave-running").returncode == 0
    assert first.proc.wait(20) == 0
    log = first.paths.program_log("assistant")
    ticks = log.read_text().count(" stdout tick ")
    # The child keeps writing; its output still reaches the log, and SIGPIPE never kills it.
    wait_for(lambda: log.read_text().count(" stdout tick ") >= ticks + 10, 10, "output after quit")
    assert psutil.pid_exists(pid) and not gone(pid)
    second = Trayapp(home)
    trayapps.append(second.start())
    adopted = second.wait_state("running")
    assert adopted["pid"] == pid and adopted["mode"] == "adopted"
    second.request("stop", program="assistant")
    second.wait_state("stopped")
    wait_for(lambda: gone(pid), 5, "the adopted child to be stopped")


def test_hung_health_endpoint_times_out_without_blocking(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    port = free_port()
    health = (f'[programs.assistant.health]\nurl = "http://127.0.0.1:{port}/health"\ninterval = "1s"\n'
              'timeout = "1s"\nfailures = 2\nstart_grace = "0s"\n')
    t = Trayapp(tmp_path / "h", program(child_command("serve", port, "hang"), health))
    trayapps.append(t.start())
    t.wait_state("running")
    for _ in range(5):
        began = time.monotonic()
        t.request("status")
        assert time.monotonic() - began < 1.0, "status must not wait for a hung health check"
    wait_for(lambda: any(e["event"] == "restart" and e["reason"] == "health" for e in t.journal()), 20,
             "a restart for failing health")
    unhealthy = [e for e in t.journal() if e["event"] == "health" and e["status"] == "unhealthy"]
    assert "did not answer within 1s" in unhealthy[0]["detail"]


def test_healthy_http_endpoint_is_reported_healthy(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    port = free_port()
    health = (f'[programs.assistant.health]\nurl = "http://127.0.0.1:{port}/health"\n'
              'expect = { status = "ok" }\ninterval = "1s"\n')
    t = Trayapp(tmp_path / "h", program(child_command("serve", port), health))
    trayapps.append(t.start())
    wait_for(lambda: t.program()["health"] == "healthy", 15, "healthy")


def test_port_held_by_a_foreign_process_starts_nothing(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    port = free_port()
    foreign = subprocess.Popen([sys.executable, str(ROOT / "tests/integration/child.py"), "serve", str(port)])
    try:
        wait_for(lambda: _port_open(port), 10, "the foreign server")
        health = f'[programs.assistant.health]\nurl = "http://127.0.0.1:{port}/health"\n'
        t = Trayapp(tmp_path / "h", program(child_command("sleep"), health))
        trayapps.append(t.start())
        status = wait_for(lambda: (p := t.program())["mode"] == "external" and p, 10, "external mode")
        assert status["pid"] == foreign.pid
        assert f"already running outside trayapp (pid {foreign.pid})" in status["reason"]
        assert not [e for e in t.journal() if e["event"] == "start"]
        refused = t.cli("restart")
        assert refused.returncode == 1 and "never signals a process it did not start" in refused.stderr
        assert foreign.poll() is None
    finally:
        foreign.terminate()
        foreign.wait(5)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_missing_binary_is_reported_and_not_retried(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", '[programs.assistant]\npreset = "nanobot"\ncommand = ["no-such-assistant-binary"]\n')
    trayapps.append(t.start())
    status = t.wait_state("given_up")
    assert "command not found: no-such-assistant-binary" in status["reason"]
    time.sleep(1.0)
    assert [e["event"] for e in t.journal()].count("spawn_failed") == 1


@pytest.mark.parametrize("bad, first", [
    ('[programs.assistant]\ncomand = ["x"]\nrestart = "sometimes"\n',
     "programs.assistant.comand: unknown key; did you mean 'command'?"),
    ('[programs.assistant]\ncommand = ["x"\nrestart = 1\n', "line 3"),
], ids=["unknown key and bad value", "malformed TOML"])
def test_a_bad_config_runs_in_the_config_error_state_until_it_is_fixed(tmp_path: Path, trayapps: list[Trayapp],
                                                                       bad: str, first: str) -> None:
    """At login nobody reads a terminal: trayapp stays up, says what is wrong, and starts the
    programs once the file is fixed."""
    t = Trayapp(tmp_path / "h", bad)
    trayapps.append(t.start())
    report = json.loads(t.cli("status", "--json").stdout)
    assert report["running"] is True and report["programs"] == []
    broken = report["config_error"]
    assert broken["path"] == str(t.paths.config_file) and first in broken["problems"][0]
    if "comand" in bad:
        assert broken["problems"][1].startswith("programs.assistant.restart: must be one of always, on-failure, never")
    assert first in t.output(), "headless prints the problems"
    assert "config error:" in t.cli("status").stdout
    assert [e for e in t.journal() if e["event"] == "config_error"]
    assert t.cli("config", "check").returncode == 2, "the check still fails on a bad file"
    fixed = t.home / "config.toml.new"
    fixed.write_text(f'[programs.assistant]\ncommand = {child_command("sleep")}\nstartsecs = "0.5s"\n')
    os.replace(fixed, t.home / "config.toml")
    t.wait_state("running", timeout=30)
    assert json.loads(t.cli("status", "--json").stdout)["config_error"] is None


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    t = Trayapp(tmp_path / "h", '[programs.assistant]\ncommand = ["x"\nrestart = 1\n')
    done = t.cli("config", "check")
    assert done.returncode == 2 and "line 3" in done.stderr


def test_second_run_says_already_running(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", program(child_command("sleep")))
    trayapps.append(t.start())
    second = t.cli("run", "--headless", timeout=20)
    assert second.returncode == 1
    assert f"already running (pid {t.proc.pid})" in second.stderr


def test_files_and_control_channel_are_owner_only(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", program(child_command("sleep")))
    trayapps.append(t.start())
    t.wait_state("running")
    for folder in (t.paths.state_dir, t.paths.log_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for f in (t.paths.control_socket, t.paths.control_key, t.paths.journal_file, t.paths.pid_file):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_commands_without_a_running_instance_say_so(tmp_path: Path) -> None:
    t = Trayapp(tmp_path / "h", program(child_command("sleep")))
    for args in (("status",), ("restart",), ("stop", "assistant")):
        done = t.cli(*args)
        assert done.returncode == 3, args
        assert "trayapp is not running" in done.stdout + done.stderr
    assert json.loads(t.cli("status", "--json").stdout) == {"running": False, "programs": []}


def test_child_output_reaches_the_log_with_timestamps(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", program(child_command("crash", 1), "restart = \"never\""))
    trayapps.append(t.start())
    t.wait_state("stopped")
    log = t.paths.program_log("assistant")
    lines = wait_for(lambda: log.exists() and [l for l in log.read_text().splitlines() if "fatal: giving up" in l],
                     5, "the line")
    assert " stderr fatal: giving up with 1" in lines[0]
    assert lines[0][:4].isdigit() and lines[0][10] == "T"
    done = t.cli("logs", "-n", "5")
    assert "fatal: giving up with 1" in done.stdout


def test_after_a_crash_even_a_grandchild_that_left_the_group_is_cleaned_up(tmp_path: Path,
                                                                           trayapps: list[Trayapp]) -> None:
    pids_file = tmp_path / "pids.json"
    t = Trayapp(tmp_path / "h", program(child_command("escape", pids_file), 'restart = "never"'))
    trayapps.append(t.start())
    pids = wait_for(lambda: pids_file.exists() and json.loads(pids_file.read_text()), what="pids")
    wait_for(lambda: t.program()["memory"], 10, "a resource sample (it notes the descendants)")
    os.kill(pids[0], 9)  # a crash: nobody asked it to stop
    t.wait_state("stopped")
    wait_for(lambda: gone(pids[1]), 5, "the escaped grandchild to be cleaned up after the crash")


def test_the_ready_line_makes_it_running_long_before_startsecs(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    config = (f"[programs.assistant]\ncommand = {child_command('sleep')}\nstartsecs = \"120s\"\n"
              'ready_log_line = "^sleeping$"\n')
    t = Trayapp(tmp_path / "h", config)
    trayapps.append(t.start())
    status = t.wait_state("running", timeout=30)
    assert status["pid"] and status["restarts"] == 0
    assert [e["event"] for e in t.journal()][-2:] == ["start", "running"]


def test_a_passing_health_check_makes_it_running_long_before_startsecs(tmp_path: Path,
                                                                       trayapps: list[Trayapp]) -> None:
    port = free_port()
    config = (f"[programs.assistant]\ncommand = {child_command('serve', port)}\nstartsecs = \"120s\"\n"
              f'[programs.assistant.health]\nurl = "http://127.0.0.1:{port}/health"\ninterval = "1s"\n')
    t = Trayapp(tmp_path / "h", config)
    trayapps.append(t.start())
    seen: list[tuple[str, str]] = []

    def healthy() -> bool:
        p = t.program()
        seen.append((p["state"], p["health"]))
        return p["health"] == "healthy"

    wait_for(healthy, 30, "the health check to pass")
    assert seen[-1] == ("running", "healthy"), "healthy is never shown as starting"
    assert ("starting", "healthy") not in seen


def test_restarts_today_survive_a_restart_of_trayapp(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    home = tmp_path / "h"
    crashing = program(child_command("crash", 3), 'max_restarts = 2\nwindow = "1m"\n' + FAST_BACKOFF)
    first = Trayapp(home, crashing)
    trayapps.append(first.start())
    before = first.wait_state("given_up")
    assert before["restarts"] == 2 and sum(n for _, n in before["restart_counts"]) == 2
    assert first.terminate() == 0
    second = Trayapp(home, crashing.replace("startsecs", "autostart = false\nstartsecs"))
    trayapps.append(second.start())
    after = second.program()
    assert after["restarts"] == 0, "since this trayapp started"
    assert sum(n for _, n in after["restart_counts"]) == 2, "the journal still knows today's restarts"
