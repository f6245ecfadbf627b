"""A real `trayapp run` and real commands with `[ui] language = "zh_CN"`: the headless lines, the
status table and the history speak Chinese; `--json` and the journal's JSON stay English."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.running import Trayapp, child_command

CONFIG = '[ui]\nlanguage = "zh_CN"\n[programs.assistant]\ndisplay_name = "testbot"\ncommand = {command}\n'


def test_a_chinese_trayapp_from_start_to_history(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", CONFIG.format(command=child_command("sleep")),
                env={"DISPLAY": "", "WAYLAND_DISPLAY": "", "LANG": "en_US.UTF-8", "LANGUAGE": ""})
    trayapps.append(t.start(headless=False))
    t.wait_state("running")
    lines = t.output().splitlines()
    assert lines[0] == "trayapp：以无界面模式运行：没有图形显示（未设置 DISPLAY 和 WAYLAND_DISPLAY）"
    assert any("testbot — " in line and ("运行中" in line or "已运行" in line) for line in lines), lines
    status = t.cli("status")
    assert "程序" in status.stdout and "状态" in status.stdout and "运行中" in status.stdout, status.stdout
    as_json = json.loads(t.cli("status", "--json").stdout)
    assert as_json["programs"][0]["state"] == "running"
    assert t.terminate() == 0
    history = t.cli("history").stdout
    assert "已启动" in history, history
    raw = json.loads(t.cli("history", "--json").stdout)
    assert {"start", "running"} <= {e["event"] for e in raw}
    journal = (tmp_path / "h" / "state" / "journal.jsonl").read_text(encoding="utf-8")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in journal), "the journal's JSON must stay language-neutral"


FAST_LOOP = ('max_restarts = 2\nwindow = "1m"\nstartsecs = "0.5s"\n'
             '[programs.assistant.backoff]\ninitial = "0.1s"\nmultiplier = 2\nmax = "1s"\njitter = 0\n')


def test_a_crash_loop_is_told_in_chinese_and_journaled_in_english(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    """The supervisor's reason for giving up reaches `trayapp status` through the control channel as
    a Message: Chinese in the table's notes, English (and the Message) in `--json` and the journal."""
    t = Trayapp(tmp_path / "h", CONFIG.format(command=child_command("crash", 3)) + FAST_LOOP,
                env={"DISPLAY": "", "WAYLAND_DISPLAY": "", "LANG": "en_US.UTF-8", "LANGUAGE": ""})
    trayapps.append(t.start(headless=False))
    t.wait_state("given_up")
    assert any("testbot — 1 分内崩溃 3 次，已放弃重启（退出码 3）" in line for line in t.output().splitlines()), t.output()
    status = t.cli("status").stdout
    assert "1 分内崩溃 3 次，已放弃重启（退出码 3）；10 分后再试" in status, status
    program = json.loads(t.cli("status", "--json").stdout)["programs"][0]
    assert program["reason"] == "gave up after 3 crashes in 1m (exit 3); trying again in 10m"
    assert program["reason_message"]["message"] == "{reason}; trying again in {wait}"
    gave_up = [e for e in t.journal() if e["event"] == "gave_up"]
    assert [e["reason"] for e in gave_up] == ["gave up after 3 crashes in 1m (exit 3)"]
    assert gave_up[0]["says_gave_up"] is True and gave_up[0]["reason_message"]["values"]["crashes"] == 3
    history = t.cli("history").stdout
    assert "testbot (assistant)：1 分内崩溃 3 次，已放弃重启（退出码 3）；10 分后再试" in history, history
    assert "testbot (assistant)：已崩溃（退出码 3）；1 秒后重启" in history, history
    journal = (tmp_path / "h" / "state" / "journal.jsonl").read_text(encoding="utf-8")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in journal), "the journal's JSON must stay language-neutral"
