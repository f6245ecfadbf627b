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
