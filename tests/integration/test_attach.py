"""Attach mode against real owners: a server the test started itself (url mode), and a fake
`systemctl` / `journalctl` on PATH that record their argv (systemd --user). A real
`trayapp run --headless` watches them; it must never signal a process it did not start."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.integration.running import CHILD, Trayapp, free_port, wait_for

pytestmark = pytest.mark.slow
UNIT = "nanobot-gateway.service"


def serve(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, CHILD, "serve", str(port)], stdin=subprocess.DEVNULL)
    wait_for(lambda: _answers(port), 10, "the test's own server to answer")
    return proc


def _answers(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def entries(t: Trayapp, kind: str) -> list[dict]:
    return [e for e in t.journal() if e.get("event") == kind]


def test_url_owner_is_watched_shown_healthy_and_never_signalled(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    port = free_port()
    server = serve(port)
    try:
        url = f"http://127.0.0.1:{port}/health"
        config = (f'[programs.assistant]\ncommand = ["never-run-by-trayapp"]\nattach = {{ url = "{url}" }}\n'
                  f'[programs.assistant.health]\nurl = "{url}"\ninterval = "0.5s"\nfailures = 2\n')
        t = Trayapp(tmp_path / "h", config)
        trayapps.append(t.start())
        status = wait_for(lambda: (p := t.program())["health"] == "healthy" and p, 15, "healthy")
        assert status["state"] == "running" and status["mode"] == "attached" and status["pid"] == server.pid
        assert status["owner"] == url
        refused = t.cli("stop", "assistant")
        assert refused.returncode != 0 and "trayapp cannot stop it there" in refused.stderr
        assert server.poll() is None and _answers(port)

        server.send_signal(signal.SIGTERM)  # the owner (this test) stops it: trayapp must notice
        server.wait(10)
        t.wait_state("stopped")
        (down,) = entries(t, "exit")
        assert down["expected"] is False and "not answering" in down["text"]

        server = serve(port)  # and back
        wait_for(lambda: t.program()["state"] == "running", 15, "running again")
        assert entries(t, "running")[-1]["after_crash"] is True
        assert t.terminate() == 0
        assert server.poll() is None and _answers(port)  # quitting trayapp leaves it running
    finally:
        server.kill()
        server.wait(10)


FAKE_SYSTEMCTL = r'''#!{python}
"""A fake systemctl --user for one unit: records argv, keeps its state in a JSON file."""
import json, sys
from pathlib import Path
here = Path(__file__).parent
with open(here / "calls.jsonl", "a") as f:
    f.write(json.dumps(["systemctl", *sys.argv[1:]]) + "\n")
state_file = here / "state.json"
state = json.loads(state_file.read_text())
verb = sys.argv[2]
if verb == "show":
    pid = state["pid"] if state["active"] == "active" else 0
    print(f"ActiveState={{state['active']}}\nSubState=running\nMainPID={{pid}}\nResult=success\n"
          f"ExecMainStatus={{state.get('status', 0)}}\nLoadState=loaded")
elif verb in ("start", "restart"):
    state["active"] = "active"
    state_file.write_text(json.dumps(state))
elif verb == "stop":
    state["active"] = "inactive"
    state_file.write_text(json.dumps(state))
'''

FAKE_JOURNALCTL = r'''#!{python}
import json, sys
from pathlib import Path
with open(Path(__file__).parent / "calls.jsonl", "a") as f:
    f.write(json.dumps(["journalctl", *sys.argv[1:]]) + "\n")
print("Jan 01 10:00:00 host nanobot[42]: gateway listening on 127.0.0.1:18790")
print("Jan 01 10:00:01 host nanobot[42]: using api_key=sk-live-0123456789abcdefghijkl")
'''


def fake_tools(folder: Path, main_pid: int) -> Path:
    folder.mkdir()
    for name, text in (("systemctl", FAKE_SYSTEMCTL), ("journalctl", FAKE_JOURNALCTL)):
        (folder / name).write_text(text.format(python=sys.executable))
        (folder / name).chmod(0o755)
    (folder / "state.json").write_text(json.dumps({"active": "active", "pid": main_pid}))
    return folder


def calls(folder: Path) -> list[list[str]]:
    path = folder / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def controls(folder: Path) -> list[list[str]]:
    return [c for c in calls(folder) if c[0] == "systemctl" and c[2] != "show"]


def test_systemd_owner_is_controlled_with_exact_argv_and_state_follows_it(tmp_path: Path,
                                                                         trayapps: list[Trayapp]) -> None:
    service = subprocess.Popen([sys.executable, CHILD, "sleep"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    tools = fake_tools(tmp_path / "bin", service.pid)
    try:
        config = (f'[programs.assistant]\npreset = "nanobot"\nattach = {{ systemd_user = "{UNIT}" }}\n'
                  f'[programs.assistant.health]\ncommand = ["{sys.executable}", "-c", "pass"]\ninterval = "0.5s"\n'
                  '[programs.assistant.limits]\ninterval = "0.5s"\n')
        t = Trayapp(tmp_path / "h", config, env={"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"})
        trayapps.append(t.start())
        status = wait_for(lambda: (p := t.program())["state"] == "running" and p.get("memory") and p, 15,
                          "running with memory from the unit's MainPID")
        assert status["mode"] == "attached" and status["pid"] == service.pid
        assert status["owner"] == f"systemd --user {UNIT}"
        assert ["systemctl", "--user", "show",
                "--property=ActiveState,SubState,MainPID,Result,ExecMainStatus,LoadState", UNIT] in calls(tools)
        assert controls(tools) == []

        assert t.cli("restart", "assistant").returncode == 0
        wait_for(lambda: controls(tools) == [["systemctl", "--user", "restart", UNIT]], 15, "systemctl restart")
        assert t.cli("stop", "assistant").returncode == 0
        t.wait_state("stopped")
        assert controls(tools)[-1] == ["systemctl", "--user", "stop", UNIT]
        assert t.cli("start", "assistant").returncode == 0
        t.wait_state("running")
        assert controls(tools) == [["systemctl", "--user", verb, UNIT] for verb in ("restart", "stop", "start")]

        (tools / "state.json").write_text(json.dumps({"active": "failed", "pid": service.pid, "status": 1}))
        t.wait_state("stopped")
        crash = entries(t, "exit")[-1]
        assert crash["expected"] is False and "failed" in crash["text"]

        logs = t.cli("logs", "assistant", "-n", "7")
        assert logs.returncode == 0 and "gateway listening" in logs.stdout
        assert "sk-live-0123456789" not in logs.stdout and "[REDACTED]" in logs.stdout
        assert ["journalctl", "--user", "-u", UNIT, "-n", "7", "--no-pager", "-o", "short-iso"] in calls(tools)

        assert t.terminate() == 0
        assert controls(tools)[-1] == ["systemctl", "--user", "start", UNIT]  # quitting stopped nothing
        assert service.poll() is None and psutil.Process(service.pid).status() != psutil.STATUS_ZOMBIE
    finally:
        service.kill()
        service.wait(10)
