"""A real `trayapp run` with `[ui] language = "zh_CN"`: a broken config.toml and a reload that
changes something are told in Chinese by `trayapp status`, `reload` and `history`, while the
journal's JSON and every `--json` stay English."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.integration.running import Trayapp, child_command

CONFIG = '[ui]\nlanguage = "zh_CN"\n[programs.assistant]\ndisplay_name = "testbot"\ncommand = {command}\n'
ENV = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "LANG": "en_US.UTF-8", "LANGUAGE": ""}
GHOST = "programs.assistant.depends_on: no program named 'ghost'; the programs are: assistant"


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def chinese_json(text: str) -> bool:
    """CJK in JSON text, escaped (as --json prints it) or not."""
    return chinese(json.dumps(json.loads(text), ensure_ascii=False))


def test_a_broken_config_is_told_in_chinese_and_kept_in_english(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", CONFIG.format(command=child_command("sleep")) + 'depends_on = { ghost = "started" }\n',
                env=ENV)
    trayapps.append(t.start())
    status = t.cli("status").stdout
    assert "没有名为 'ghost' 的程序" in status, status
    as_json = t.cli("status", "--json").stdout
    assert not chinese_json(as_json), as_json
    broken = json.loads(as_json)["config_error"]
    assert broken["problems"] == [GHOST] and broken["fix"] == "edit the file, then run `trayapp config check`"
    again = t.cli("reload")
    assert again.returncode == 2 and "没有名为 'ghost' 的程序" in again.stderr and "请修改" in again.stderr, again.stderr
    refused = t.cli("reload", "--json")
    assert refused.returncode == 2 and not chinese_json(refused.stdout), refused.stdout
    assert json.loads(refused.stdout)["problems"] == [GHOST]
    assert t.terminate() == 0
    journal = (tmp_path / "h" / "state" / "journal.jsonl").read_text(encoding="utf-8")
    assert not chinese(journal), journal
    entries = [json.loads(line) for line in journal.splitlines()]
    assert [e["problems"] for e in entries if e["event"] in ("config_error", "reload_failed")] == [[GHOST]] * 3
    assert [e["error"] for e in entries if e["event"] == "config_error"] == [f"{t.paths.config_file} has 1 problem:"]
    assert "config.toml 有问题" in t.cli("history").stdout
    # trayapp.log: the journal's lines and the config notices (no desktop here: they go to the log)
    log = t.paths.trayapp_log.read_text(encoding="utf-8")
    recorded = [line for line in log.splitlines() if " trayapp.app: " in line]
    assert any(GHOST in line for line in recorded), recorded
    notices = [line for line in log.splitlines() if "notify [" in line]
    assert any("config.toml still has a problem" in line and GHOST in line for line in notices), notices
    assert not chinese(log), [line for line in log.splitlines() if chinese(line)]


def rewrite_unseen(path: Path, old: str, new: str) -> None:
    """An edit of the same size with the old modification time put back: the running trayapp's
    watcher (which compares time, size and inode) does not reload by itself, so the `trayapp reload`
    below is the one that applies the change and says what it did."""
    before = path.stat()
    text = path.read_text()
    assert len(old) == len(new) and old in text
    with open(path, "r+") as f:
        f.write(text.replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_what_a_reload_changed_is_said_in_chinese(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", CONFIG.format(command=child_command("sleep")) + "[logs]\nkeep = 2\n", env=ENV)
    trayapps.append(t.start())
    t.wait_state("running")
    rewrite_unseen(t.paths.config_file, 'display_name = "testbot"\n', 'display_name = "testbox"\n')
    rewrite_unseen(t.paths.config_file, "keep = 2\n", "keep = 3\n")
    done = t.cli("reload")
    assert done.stdout.strip() == "已重新加载：已更新 assistant；logs 设置已生效", done.stdout
    history = t.cli("history").stdout
    assert "配置已重新加载：已更新 assistant；logs 设置已生效" in history, history
    again = t.cli("reload", "--json")
    assert json.loads(again.stdout)["changes"] == "nothing changed" and not chinese_json(again.stdout), again.stdout
    [entry] = [e for e in t.journal() if e["event"] == "reload"][:1]
    assert entry["changes"] == "updated assistant; logs settings applied"
    assert entry["changes_message"]["message"] == "{first}; {rest}"
    journal = (tmp_path / "h" / "state" / "journal.jsonl").read_text(encoding="utf-8")
    assert not chinese(journal), journal
