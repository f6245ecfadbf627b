"""A real zh_CN `trayapp run` with a failing health check, a crash loop and alert rules: what a person
reads (`trayapp status`, `trayapp history`) says the health check's words in Chinese; what machines and
log readers get (the journal, trayapp.log, `status --json`, an alert command's TRAYAPP_ALERT_DETAIL)
stays English."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tests.integration.running import Trayapp, child_command, free_port, wait_for

_CJK = re.compile(r"[\u4e00-\u9fff]")

CONFIG = """[ui]
language = "zh_CN"

[programs.web]
display_name = "webbot"
command = {sleep}

[programs.web.health]
url = "{url}"
failures = 1
start_grace = "1s"
interval = "0.5s"
timeout = "0.5s"
action = "notify"

[programs.assistant]
display_name = "testbot"
command = {crash}
max_restarts = 2
window = "1m"
startsecs = "0.5s"

[programs.assistant.backoff]
initial = "0.1s"
multiplier = 2
max = "1s"
jitter = 0

[[alerts]]
name = "web down"
when = "health failing for 1s"
program = "web"
action = "command"
command = [{python}, "-c", "import os, sys; open(sys.argv[1], 'w').write(os.environ['TRAYAPP_ALERT_DETAIL'])", "{detail_file}"]

[[alerts]]
name = "web still down"
when = "health failing for 1s"
program = "web"
"""


def cjk(text: str) -> list[str]:
    return _CJK.findall(text)


def test_health_words_are_chinese_for_people_and_english_for_machines(tmp_path: Path,
                                                                      trayapps: list[Trayapp]) -> None:
    url = f"http://127.0.0.1:{free_port()}/health"  # nothing listens there
    detail_file = tmp_path / "alert-detail.txt"
    config = CONFIG.format(sleep=child_command("sleep"), crash=child_command("crash", 3), url=url,
                           python=json.dumps(sys.executable), detail_file=detail_file)
    # No session bus: every notice goes to the log backend, whose line is trayapp.log's.
    t = Trayapp(tmp_path / "h", config, env={"LANG": "en_US.UTF-8", "LANGUAGE": "", "DBUS_SESSION_BUS_ADDRESS": ""})
    trayapps.append(t.start())
    wait_for(lambda: t.program("web")["health"] == "unhealthy", 20, "web's health check to fail")
    t.wait_state("given_up")
    wait_for(detail_file.exists, 20, "the alert command to run")
    english = f"{url} is not answering (connection refused)"

    status = t.cli("status").stdout
    assert f"{url} 没有响应（连接被拒绝）" in status, status
    history = t.cli("history").stdout
    assert f"webbot：健康检查未通过：{url} 没有响应（连接被拒绝）" in history, history

    web = next(p for p in json.loads(t.cli("status", "--json").stdout)["programs"] if p["program"] == "web")
    assert web["health_detail"] == english
    assert web["health_detail_message"]["message"] == "{url} is not answering ({error})"
    health = [e for e in t.journal() if e["event"] == "health" and e.get("status") == "unhealthy"]
    assert health and health[0]["detail"] == english and health[0]["detail_message"]["values"]["url"] == url
    told = detail_file.read_text()
    assert told.startswith("health check failing for ") and told.endswith(f"s: {english}"), told

    assert t.terminate() == 0
    journal = t.paths.journal_file.read_text(encoding="utf-8")
    assert cjk(journal) == [], "the journal's JSON must stay language-neutral"
    log = (tmp_path / "h" / "logs" / "trayapp.log").read_text(encoding="utf-8")
    assert f"notify [health_failing] webbot is not responding — {english}" in log, log
    assert re.search(r"notify \[crash\] testbot (crashed|keeps crashing) \(exit 3\)", log), log
    assert "notification (shown in the log only): testbot is down — gave up restarting — Gave up after 3" in log, log
    assert "notify [alert] webbot: web still down — health check failing for " in log, log
    assert cjk(log) == [], "trayapp.log must stay language-neutral"
