"""A real `trayapp run` and real commands with `[ui] language = "zh_CN"`: the headless lines, the
status table and the history speak Chinese; `--json` and the journal's JSON stay English."""

from __future__ import annotations

import json
import re
import sqlite3
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
    log = (tmp_path / "h" / "logs" / "trayapp.log").read_text(encoding="utf-8")
    assert "testbot (assistant): started (pid" in log, log
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in log), "trayapp.log must stay language-neutral"


# An English sentence: two or more English words in a row, once paths, commands in backticks, names
# and things with digits in them (archive names, sizes) are taken out.
_NOT_WORDS = re.compile(r"`[^`]*`|(?:~|[A-Za-z]:)?[/\\][\w./\\~-]*|\b[\w-]*\d[\w.-]*\b|\b(?:trayapp|SQLite|sha256|B|KB|MB|GB)\b")
_ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,})+\b")


def english_sentences(text: str) -> list[str]:
    return _ENGLISH.findall(_NOT_WORDS.sub(" ", text))


def test_backups_autostart_and_usage_errors_in_chinese(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("keep me")
    db = sqlite3.connect(data / "memory.db")
    db.execute("CREATE TABLE t(x)")
    db.commit()
    db.close()
    config = (CONFIG.format(command=child_command("sleep"))
              + f'data_dirs = ["{data}"]\n[backup]\npaths = ["{tmp_path / "missing"}"]\nverify = true\n')
    t = Trayapp(tmp_path / "h", config, env={"LANG": "en_US.UTF-8", "LANGUAGE": "",
                                             "XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    empty = t.cli("backup", "list")
    assert "还没有备份" in empty.stdout, empty.stdout
    made = t.cli("backup", "create")
    assert made.returncode == 0 and made.stdout.strip().endswith(".tar.gz"), made.stderr
    assert "正在备份" in made.stderr and "不存在" in made.stderr, made.stderr  # progress, and the note
    listed = t.cli("backup", "list")
    assert "名称" in listed.stdout and "大小" in listed.stdout, listed.stdout
    checked = t.cli("backup", "verify", "latest")
    assert checked.returncode == 0 and "1 个数据库" in checked.stdout, checked.stdout
    missing = t.cli("backup", "verify", "n1")
    assert missing.returncode == 1 and "没有名为" in missing.stderr, missing.stderr
    autostart = t.cli("autostart", "status")
    assert autostart.stdout.startswith("trayapp 不会开机自启：没有自启动条目"), autostart.stdout
    usage = t.cli("backup", "restore")
    assert usage.returncode == 2 and "用法：" in usage.stderr and "缺少必需的参数：ARCHIVE" in usage.stderr, usage.stderr
    choice = t.cli("backup", "frobnicate")
    assert choice.returncode == 2 and "无效的选项值" in choice.stderr, choice.stderr
    # argparse's lines name commands and options ("trayapp backup restore", "[--to DIR]"): its sentence
    # is what follows "错误："
    errors = [text.splitlines()[-1].split("错误：", 1)[1] for text in (usage.stderr, choice.stderr)]
    said = [empty.stdout, made.stderr, listed.stdout, checked.stdout, missing.stderr, autostart.stdout, *errors]
    assert [english_sentences(text) for text in said] == [[]] * len(said), said


FAST_LOOP = ('max_restarts = 2\nwindow = "1m"\nstartsecs = "0.5s"\n'
             '[programs.assistant.backoff]\ninitial = "0.1s"\nmultiplier = 2\nmax = "1s"\njitter = 0\n')


def test_a_crash_loop_is_told_in_chinese_and_journaled_in_english(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    """The supervisor's reason for giving up reaches `trayapp status` through the control channel as
    a Message: Chinese in the table's notes, English (and the Message) in `--json` and the journal."""
    t = Trayapp(tmp_path / "h", CONFIG.format(command=child_command("crash", 3)) + FAST_LOOP,
                env={"DISPLAY": "", "WAYLAND_DISPLAY": "", "LANG": "en_US.UTF-8", "LANGUAGE": ""})
    trayapps.append(t.start(headless=False))
    t.wait_state("given_up")
    assert any("testbot — 1 分钟内崩溃 3 次，已放弃重启（退出码 3）" in line for line in t.output().splitlines()), t.output()
    status = t.cli("status").stdout
    assert "1 分钟内崩溃 3 次，已放弃重启（退出码 3）；10 分钟后再试" in status, status
    assert "exit 3" not in status, "the last-exit column is in Chinese too"
    assert "上次崩溃：" in status and "Exited" not in status, "the last crash's headline in Chinese too"
    program = json.loads(t.cli("status", "--json").stdout)["programs"][0]
    assert program["reason"] == "gave up after 3 crashes in 1m (exit 3); trying again in 10m"
    assert program["reason_message"]["message"] == "{reason}; trying again in {wait}"
    gave_up = [e for e in t.journal() if e["event"] == "gave_up"]
    assert [e["reason"] for e in gave_up] == ["gave up after 3 crashes in 1m (exit 3)"]
    assert gave_up[0]["says_gave_up"] is True and gave_up[0]["reason_message"]["values"]["crashes"] == 3
    history = t.cli("history").stdout
    assert "testbot (assistant)：1 分钟内崩溃 3 次，已放弃重启（退出码 3）；10 分钟后再试" in history, history
    assert "testbot (assistant)：已崩溃（退出码 3）；1 秒后重启" in history, history
    journal = (tmp_path / "h" / "state" / "journal.jsonl").read_text(encoding="utf-8")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in journal), "the journal's JSON must stay language-neutral"


def test_no_instance_and_unknown_programs_in_chinese(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    """What a Chinese user is told when trayapp is not running, and when a program name is wrong:
    by the CLI itself, and by the running instance over the control channel."""
    t = Trayapp(tmp_path / "h", CONFIG.format(command=child_command("sleep")),
                env={"LANG": "en_US.UTF-8", "LANGUAGE": ""})
    for verb in ("start", "stop"):
        done = t.cli(verb)
        assert done.returncode == 3 and "trayapp 未运行" in done.stderr and "请用 `trayapp run` 启动它" in done.stderr, \
            done.stderr
        assert english_sentences(done.stderr) == [], done.stderr
    said = [t.cli(*argv).stderr for argv in (["why", "nope"], ["remove", "nope"], ["remove", "assistant"],
                                             ["add", "assistant", "--", "x"])]
    trayapps.append(t.start())
    t.wait_state("running")
    said.append(t.cli("restart", "nope").stderr)
    assert "没有名为 'nope' 的程序；现有程序：assistant" in said[-1], said
    assert all(text and english_sentences(text.replace("'nope'", "")) == [] for text in said), said
    assert t.terminate() == 0
