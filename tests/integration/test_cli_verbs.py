"""The verbs add, remove, status --watch, stats and test, run as a user runs them, against a real
running trayapp where they talk to one."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.integration.running import ROOT, Trayapp, child_command, free_port, wait_for

pytestmark = pytest.mark.slow

MINE = """# my assistant, kept as I wrote it
[programs.assistant]
command = {sleeper}  # a stand-in
startsecs = "0.5s"
[programs.assistant.limits]
interval = "0.5s"   # sample often, for stats

# logs: a week
[logs]
keep = 7
"""


def sleeper() -> str:
    return f'["{sys.executable}", "-c", "import time; time.sleep(600)"]'


@pytest.mark.parametrize("verb", ["add", "remove", "stats", "test"])
def test_each_new_verb_has_help(verb: str, tmp_path: Path) -> None:
    done = Trayapp(tmp_path).cli(verb, "--help")
    assert done.returncode == 0 and "usage: trayapp" in done.stdout and len(done.stdout) > 200


def test_add_then_remove_keep_the_users_comments_and_apply_at_next_start(tmp_path: Path) -> None:
    t = Trayapp(tmp_path, MINE.format(sleeper=sleeper()))
    before = t.paths.config_file.read_text()
    done = t.cli("add", "ollama", "--env", "OLLAMA_HOST=127.0.0.1", "--restart", "always",
                 "--health-url", "http://127.0.0.1:11434/", "--", "ollama", "serve", "--verbose")
    assert done.returncode == 0, done.stderr
    assert "the change applies when it next starts" in done.stdout
    text = t.paths.config_file.read_text()
    assert text.startswith(before), "everything the user wrote stays, byte for byte"
    assert '[programs.ollama]\ncommand = ["ollama", "serve", "--verbose"]\nenv = {OLLAMA_HOST = "127.0.0.1"}' in text
    assert t.cli("config", "check").returncode == 0
    done = t.cli("remove", "ollama", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["applied"] == "next_start"
    assert t.paths.config_file.read_text().rstrip("\n") == before.rstrip("\n")


def test_a_bad_addition_changes_nothing(tmp_path: Path) -> None:
    t = Trayapp(tmp_path, MINE.format(sleeper=sleeper()))
    before = t.paths.config_file.read_text()
    done = t.cli("add", "web", "--health-url", "ftp://example.org/", "--", "web")
    assert done.returncode == 2 and "programs.web.health.url: must start with http:// or https://" in done.stderr
    done = t.cli("add", "assistant", "--", "other")
    assert done.returncode == 2 and "already in config.toml" in done.stderr
    done = t.cli("remove", "nosuch")
    assert done.returncode == 2 and "no program named 'nosuch'" in done.stderr
    assert t.paths.config_file.read_text() == before


def test_add_asks_the_running_trayapp_to_reload(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path, MINE.format(sleeper=sleeper()))
    trayapps.append(t.start())
    done = t.cli("add", "second", "--json", "--", sys.executable, "-c", "import time; time.sleep(600)")
    assert done.returncode == 0, done.stderr
    applied = json.loads(done.stdout)["applied"]
    # An instance without the reload command says so; one with it runs the new program.
    assert applied in ("reloaded", "restart")
    if applied == "reloaded":
        t.wait_state("running", "second")
    else:
        human = t.cli("remove", "second")
        assert "restart trayapp to apply it" in human.stdout


def test_status_watch_redraws_in_place_on_a_terminal_until_ctrl_c(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path, MINE.format(sleeper=sleeper()))
    trayapps.append(t.start())
    t.wait_state("running")
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "trayapp", "status", "--watch", "--every", "0.3s"],
                            env=t.env, cwd=ROOT, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 30
        while seen.count(b"trayapp status at") < 3 and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.5)[0]:
                seen += os.read(leader, 65536)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
        while select.select([leader], [], [], 0.2)[0]:
            try:
                seen += os.read(leader, 65536)
            except OSError:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    text = seen.decode(errors="replace")
    assert text.count("trayapp status at") >= 3 and "assistant" in text and "running" in text
    assert "\x1b[?25l" in text and "\x1b[?25h" in text, "cursor hidden while drawing, shown again after"
    frame_height = len(text.split("trayapp status at")[1].split("\x1b[")[0].splitlines())
    assert f"\x1b[{frame_height}A\r\x1b[J" in text, "each frame goes back over the last one"


def test_status_watch_into_a_pipe_prints_plain_frames(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path, MINE.format(sleeper=sleeper()))
    proc = subprocess.Popen([sys.executable, "-m", "trayapp", "status", "--watch", "--every", "0.3s"],
                            env=t.env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(6)]
    proc.send_signal(signal.SIGINT)
    assert proc.wait(20) == 0
    assert sum("trayapp status at" in line for line in lines) == 2 and "\x1b" not in "".join(lines)
    assert "trayapp is not running (start it with `trayapp run`); still watching\n" in lines


GROWER = ('["' + sys.executable + '", "-c", "import time\\nx = []\\nwhile True:\\n    x.append(bytearray(300000))'
          '\\n    time.sleep(0.2)"]')


def test_stats_shows_the_last_hours_samples(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    # The instance keeps a sample when the numbers change: this program grows all the time.
    t = Trayapp(tmp_path, MINE.format(sleeper=GROWER))
    trayapps.append(t.start())
    t.wait_state("running")

    def sampled() -> dict | None:
        data = json.loads(t.cli("stats", "assistant", "--json").stdout)
        return data if data.get("assistant", {}).get("samples", 0) >= 3 else None

    data = wait_for(sampled, 40, "three samples")["assistant"]
    memory = data["memory_bytes"]
    assert 1_000_000 < memory["min"] <= memory["average"] <= memory["max"]
    assert len(data["memory_sparkline"]) >= 3 and set(data["memory_sparkline"]) <= set("▁▂▃▄▅▆▇█")
    human = t.cli("stats").stdout
    assert human.startswith("assistant: ") and "  memory  lowest " in human and "average" in human


def test_stats_without_a_running_trayapp_says_so(tmp_path: Path) -> None:
    done = Trayapp(tmp_path).cli("stats")
    assert done.returncode == 3 and "trayapp is not running" in done.stdout


def served(port: int, extra: str = "") -> str:
    return (f'[programs.web]\ncommand = {child_command("serve", port, "")}\n{extra}'
            f'[programs.web.health]\nurl = "http://127.0.0.1:{port}/"\ninterval = "0.5s"\n')


def test_test_says_a_healthy_program_would_start_and_stops_its_whole_group(tmp_path: Path) -> None:
    port, seconds = free_port(), str(200_000 + os.getpid() % 100_000)
    script = tmp_path / "web.sh"
    script.write_text(f"#!/bin/sh\nsleep {seconds} &\nexec {sys.executable} {ROOT}/tests/integration/child.py "
                      f"serve {port} ''\n")
    script.chmod(0o755)
    t = Trayapp(tmp_path, f'[programs.web]\ncommand = ["{script}"]\n[programs.web.health]\n'
                          f'url = "http://127.0.0.1:{port}/"\ninterval = "0.5s"\n')
    done = t.cli("test", "web", "--for", "30s", timeout=60)
    assert done.returncode == 0, done.stderr
    assert "web: healthy after" in done.stderr and "it would have started" in done.stderr
    leftovers = [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", seconds]]
    assert leftovers == [], "the program's whole process group is stopped"


def test_test_says_a_program_that_exits_would_not_start(tmp_path: Path) -> None:
    t = Trayapp(tmp_path, f'[programs.bad]\ncommand = ["{sys.executable}", "-c", '
                          '"print(\'no key configured\'); raise SystemExit(3)"]\n')
    done = t.cli("test", "bad", "--for", "20s", timeout=60)
    assert done.returncode == 1
    assert "no key configured" in done.stdout
    assert "bad: exited with code 3 after" in done.stderr and "it would not have started" in done.stderr


def test_test_is_refused_while_trayapp_runs_it_or_its_port_answers(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    port = free_port()
    t = Trayapp(tmp_path / "a", served(port))
    trayapps.append(t.start())
    t.wait_state("running", "web")
    done = t.cli("test", "web")
    assert done.returncode == 1 and "web is already running under trayapp" in done.stderr
    other = Trayapp(tmp_path / "b", served(port))  # another home, same port: something answers there
    done = other.cli("test", "web")
    assert done.returncode == 1 and f"something already answers on 127.0.0.1:{port}" in done.stderr
