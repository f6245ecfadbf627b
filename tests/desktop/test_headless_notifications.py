"""The whole running trayapp on a real session bus with a real notification daemon: with no tray
at all (headless), a crash still reaches the user as a notification naming program and exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.desktop.harness import Desktop
from tests.integration.running import Trayapp, child_command

pytestmark = pytest.mark.desktop


@pytest.fixture
def trayapps() -> list[Trayapp]:
    started: list[Trayapp] = []
    yield started
    for t in started:
        if t.proc is not None and t.proc.poll() is None:
            t.terminate(20)


def config(extra: str = "") -> str:
    return f'''[programs.assistant]
display_name = "nanobot"
command = {child_command("crash", 1)}
startsecs = "0.2s"
max_restarts = 3
window = "1m"
[programs.assistant.backoff]
initial = "0.3s"
jitter = 0
{extra}'''


def test_headless_crash_loop_notifies_once_updated_then_gave_up(desktop: Desktop, tmp_path: Path,
                                                                trayapps: list[Trayapp]) -> None:
    since = len(desktop.notifications())
    t = Trayapp(tmp_path / "h", config(), env={**desktop.env, "DISPLAY": ""})
    trayapps.append(t.start())
    t.wait_state("given_up", timeout=30)
    gave_up = desktop.wait_for_notification(lambda n: "gave up" in n.summary, timeout=15, since=since)
    ours = [n for n in desktop.notifications(since) if n.app_name == "trayapp"]
    crash = ours[0]
    assert "nanobot" in crash.summary and "exit 1" in crash.summary, crash
    assert "fatal: giving up with 1" in crash.body, "the last stderr line is in the body"
    assert crash.desktop_entry == "trayapp"
    assert gave_up.urgency == 2 and "nanobot" in gave_up.summary
    # A crash loop is one bubble that is updated: every later call replaces the first one's id.
    assert crash.id and all(n.replaces_id == crash.id for n in ours[1:]), ours
    assert len(ours) <= 4


def test_headless_without_any_notification_daemon_logs_instead(bare_display: Desktop, tmp_path: Path,
                                                                trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", config(), env={**bare_display.env, "DISPLAY": ""})
    trayapps.append(t.start())
    t.wait_state("given_up", timeout=30)
    assert t.proc.poll() is None, "no bus and no daemon must not take trayapp down"
    t.request("status")
    assert t.terminate() == 0
    own_log = t.paths.trayapp_log.read_text()
    assert "notify [gave_up] nanobot is down" in own_log, "with no daemon the notice goes to the log"


def crasher(command: list[str]) -> str:
    items = ", ".join(json.dumps(a) for a in command)  # a TOML basic string is a JSON string
    return f'''[programs.assistant]
display_name = "nanobot"
command = [{items}]
startsecs = "0.2s"
max_restarts = 1
window = "1m"
[programs.assistant.backoff]
initial = "0.3s"
jitter = 0
'''


PYTHON_TRACEBACK = [sys.executable, "-c", "import json\ndef connect(token):\n    raise ValueError('bad token')\n"
                    "print('INFO starting')\nconnect('x')\n"]
NODE_STACK = ["node", "-e", "require('nope-not-installed')"]
EX_CONFIG = [sys.executable, "-c", "import sys; print('INFO reading config'); "
             "print('config.json is missing its providers section', file=sys.stderr); sys.exit(78)"]


@pytest.mark.parametrize("command, said", [
    (PYTHON_TRACEBACK, "ValueError: bad token"),
    (NODE_STACK, "Cannot find module 'nope-not-installed'"),
    (EX_CONFIG, "config.json is missing its providers section"),
], ids=["python-traceback", "node-stack", "exit-78"])
def test_a_crash_notification_carries_the_crash_reports_line(desktop: Desktop, tmp_path: Path,
                                                              trayapps: list[Trayapp], command: list[str],
                                                              said: str) -> None:
    since = len(desktop.notifications())
    t = Trayapp(tmp_path / "h", crasher(command), env={**desktop.env, "DISPLAY": ""})
    trayapps.append(t.start())
    notice = desktop.wait_for_notification(lambda n: n.app_name == "trayapp" and said in n.body,
                                           timeout=30, since=since)
    assert "nanobot" in notice.summary
    why = t.cli("why")
    assert why.returncode == 0 and said in why.stdout and "nanobot crashed" in why.stdout, why.stdout
    crashes = [e for e in t.journal() if e["event"] == "crash"]
    assert crashes and said in crashes[-1]["headline"]
    history = t.cli("history", "--kind", "crash")
    assert said in history.stdout, history.stdout
