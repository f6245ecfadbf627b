"""The supervisor's reasons in Chinese for people and in English for machines, under the real zh_CN
catalog: policy decisions, a program's give-up, stop, limit and health reasons, the journal round
trip to `trayapp history`, notifications, and Status through the control channel's JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.unit.reason_cases import Collected, collect
from trayapp import i18n, journal
from trayapp.config import parse
from trayapp.message import Message, words
from trayapp.notify import messages
from trayapp.status import ExitInfo, Health, State, Status
from trayapp.supervisor import policy
from trayapp.tray.view import phrase

# What may stay in Latin letters in a Chinese sentence: names, commands, signals, units of code.
_KEPT = re.compile(
    r"`[^`]*`|https?://[\w.:/-]+|\[[\w.]+\]|(?:~|[A-Za-z]:)?[/\\][\w./\\~-]*"
    r"|\b(?:trayapp|nanobot|assistant|models|ollama|anthropic|API|SIGTERM|SIGKILL|pid|PID|CPU|config\.toml|MB|GB|KB|"
    r"OverflowError|EX_CONFIG|cwd|command|systemd|bootout)\b|\b[\w-]*\d[\w.-]*\b"
    r"|--\w+|[\w.@-]+\.service\b")  # a service manager's flags and unit names


def english_left(text: str) -> list[str]:
    """Latin words in `text` that are not names, commands or numbers: untranslated English."""
    return re.findall(r"[A-Za-z]{2,}", _KEPT.sub(" ", text))


def test_the_checker_finds_english() -> None:
    assert english_left("已放弃：nanobot 健康检查未通过（`nanobot onboard`）") == []
    assert english_left("已放弃：crashed (exit 1)") == ["crashed", "exit"]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Collected:
    # Words from outside trayapp (a probe's error) come in the user's language, as the OS gives them.
    return collect(tmp_path_factory.mktemp("reasons"), lambda text: "连接被拒绝")


def program(toml: str = "") -> object:
    return parse('[programs.assistant]\ncommand = ["nanobot"]\nwindow = "2m"\nmax_restarts = 5\n' + toml,
                 environ={}).programs["assistant"]


@pytest.mark.parametrize("code, times, verdict, chinese, english", [
    (1, (), policy.Verdict.RESTART, "已崩溃（退出码 1）", "crashed (exit 1)"),
    (1, (10.0, 20.0, 30.0, 40.0, 50.0), policy.Verdict.GIVE_UP, "2 分钟内崩溃 6 次，已放弃重启（退出码 1）",
     "gave up after 6 crashes in 2m (exit 1)"),
    (78, (), policy.Verdict.GIVE_UP, "已退出（退出码 78）：该退出码表示必须先修正配置",
     "exited (exit 78): this exit code means the configuration must be fixed first"),
])
def test_policy_decisions_in_chinese_and_english(zh: None, code: int, times: tuple[float, ...],
                                                 verdict: policy.Verdict, chinese: str, english: str) -> None:
    decision = policy.decide(program(), ExitInfo(code=code), failures=1, restart_times=times, now=60.0)  # type: ignore[arg-type]
    assert decision.verdict is verdict
    assert decision.reason.words() == chinese
    assert str(decision.reason) == english


def test_a_preset_exit_meaning_is_said_in_chinese(zh: None) -> None:
    openclaw = parse('[programs.assistant]\npreset = "openclaw"\n', environ={}).programs["assistant"]
    decision = policy.decide(openclaw, ExitInfo(code=78), failures=1, restart_times=(), now=0.0)
    assert decision.reason.words() == "已退出（退出码 78）：它的配置缺失或无效；请运行 `openclaw onboard`"
    assert str(decision.reason) == "exited (exit 78): its configuration is missing or invalid; run: openclaw onboard"


def test_every_reason_the_supervisor_gives_is_chinese(zh: None, collected: Collected) -> None:
    said = {words(reason) for reason in collected.reasons()}
    assert len(said) >= 12
    assert [text for text in said if english_left(text)] == []
    assert all(isinstance(reason, Message) for reason in collected.reasons()), "no plain English str"


@pytest.mark.parametrize("english, chinese", [
    ("gave up after 4 crashes in 1m (exit 1); trying again in 10m", "1 分钟内崩溃 4 次，已放弃重启（退出码 1）；10 分钟后再试"),
    ("stopping (SIGTERM, then SIGKILL after 10s)", "正在停止（先发送 SIGTERM，10 秒后发送 SIGKILL）"),
    ("stopped by you", "已由你停止"),
    ("gave up: over its memory limit (200MB, the limit is 100MB); 3 restarts in 1m did not help; trying again in 10m",
     "已放弃：内存占用超出上限（200 MB，上限为 100 MB）；1 分钟内重启 3 次均无效；10 分钟后再试"),
    ("gave up: failing its health check (连接被拒绝); 3 restarts in 1m did not help; trying again in 10m",
     "已放弃：健康检查未通过（连接被拒绝）；1 分钟内重启 3 次均无效；10 分钟后再试"),
])
def test_a_programs_give_up_stop_limit_and_health_reasons(zh: None, collected: Collected, english: str,
                                                          chinese: str) -> None:
    found = [reason for reason in collected.reasons() if str(reason) == english]
    assert found, f"the supervisor no longer says {english!r}"
    assert words(found[0]) == chinese


@pytest.mark.parametrize("english, chinese", [
    ("nanobot is running but has no usable model provider", "没有可用的模型服务商"),
    ("nanobot is running but its model provider (anthropic) has no API key for anthropic/claude-opus-4-5",
     "它的模型服务商（anthropic）没有用于 anthropic/claude-opus-4-5 的 API 密钥"),
    ("the model provider rejects the API key", "模型服务商拒绝了 API 密钥"),
])
def test_running_but_cannot_answer_is_said_in_chinese(zh: None, collected: Collected, english: str,
                                                      chinese: str) -> None:
    """The degraded reasons (nanobot's output, its settings, a provider's refusal) in the tray's
    phrase (without its own "nanobot is running but": the phrase says that), with the fix."""
    from trayapp.tray.view import program_view, tray_view

    found = [s for s in collected.statuses if str(s.health_detail) == english]
    assert found, f"the supervisor no longer says {english!r}"
    status = found[-1]
    view = tray_view([status], status.since_at)
    assert re.fullmatch(f"nanobot — 已运行 \\d+ 秒，但无法回复：{re.escape(chinese)}", view.tooltip), view.tooltip
    assert words(status.health_fix) and english_left(words(status.health_fix)) == []
    fix = program_view(status, status.since_at).cannot_answer
    assert english_left(fix) == [] and fix.startswith("解决办法"), fix


def test_the_tray_shows_the_given_up_reason_in_chinese(zh: None, collected: Collected) -> None:
    given_up = [s for s in collected.statuses if s.state is State.GIVEN_UP]
    shown = [phrase(s, s.since_at) for s in given_up]
    assert any(p == "1 分钟内崩溃 4 次，已放弃重启（退出码 1） · 10 分钟后再试" for p in shown), shown  # said once
    assert [p for p in shown if english_left(p)] == []


def test_journal_round_trip_to_history_in_chinese(zh: None, collected: Collected, tmp_path: Path) -> None:
    """The entries as the running instance wrote them (its thread speaks English for the JSON), read
    back from disk, told in Chinese; the English fields scripts read are unchanged."""
    path = tmp_path / "journal.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in collected.entries), encoding="utf-8")
    path.chmod(0o600)
    entries = journal.read(path)
    told = [e for e in entries if any(key.endswith("_message") for key in e)]
    assert {e["event"] for e in told} >= {"backoff", "gave_up", "kill", "spawn_failed", "held", "fault"}
    lines = [journal.describe(e, {"assistant": "nanobot"}) for e in told]
    assert [line for line in lines if english_left(line)] == []
    loop = next(e for e in entries if e["event"] == "gave_up" and e["says_gave_up"])
    assert loop["reason"] == "gave up after 4 crashes in 1m (exit 1)"
    assert journal.describe(loop) == "assistant：1 分钟内崩溃 4 次，已放弃重启（退出码 1）；10 分钟后再试"


def test_an_older_journal_without_messages_still_reads(zh: None) -> None:
    old = {"event": "gave_up", "program": "assistant", "reason": "gave up after 4 crashes in 1m (exit 1)"}
    assert journal.describe(old) == "assistant：gave up after 4 crashes in 1m (exit 1)"
    old = {"event": "gave_up", "program": "assistant", "reason": "exited (exit 78): bad config"}
    assert journal.describe(old) == "assistant：已放弃重启：exited (exit 78): bad config"


def test_notifications_say_the_reason_in_chinese(zh: None, collected: Collected) -> None:
    gave_up = [e for e in collected.entries if e["event"] == "gave_up"]
    failed = [e for e in collected.entries if e["event"] == "spawn_failed"]
    notes = [messages.gave_up("nanobot", e, None) for e in gave_up] + [messages.spawn_failed("nanobot", e)
                                                                        for e in failed]
    assert len(notes) >= 6
    assert [n.body for n in notes if english_left(n.body)] == []


def test_status_through_json_keeps_english_and_restores_the_message(zh: None, collected: Collected) -> None:
    status = next(s for s in collected.statuses if s.state is State.GIVEN_UP)
    data = json.loads(json.dumps(status.to_dict()))
    assert data["reason"] == "gave up after 4 crashes in 1m (exit 1); trying again in 10m"
    assert data["reason_message"]["message"] == "{reason}; trying again in {wait}"
    back = Status.from_dict(data)
    assert back == status and isinstance(back.reason, Message)
    assert words(back.reason) == "1 分钟内崩溃 4 次，已放弃重启（退出码 1）；10 分钟后再试"


def test_a_plain_reason_from_outside_stays_as_it_came() -> None:
    status = Status("assistant", "nanobot", reason="active (running)")
    data = json.loads(json.dumps(status.to_dict()))
    assert "reason_message" not in data
    assert Status.from_dict(data).reason == "active (running)"


def test_trayapp_status_notes_are_chinese(zh: None, collected: Collected) -> None:
    from trayapp.cli.control import _notes

    for status in collected.statuses:
        if not status.reason and status.health is not Health.DEGRADED:
            continue  # nothing for the notes to say
        notes = _notes(json.loads(json.dumps(status.to_dict())))
        assert notes and english_left(notes[0]) == [], notes


def test_a_crash_report_is_english_in_json_and_chinese_for_people(zh: None) -> None:
    """Built on the supervisor thread, which speaks the user's language: its JSON (journal, --json)
    still says it in English, and `trayapp why` in Chinese."""
    from trayapp.status import CrashReport
    from trayapp.triage.report import build, render_text

    report = build(["step 1"], ExitInfo(code=78), program="nanobot", when=1_780_000_000.0)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["cause"] == "It exited with code 78 (EX_CONFIG): it says its configuration is wrong."
    assert data["exit"] == "exit 78" and data["cause_message"]["message"] == data["cause"]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in json.dumps(data, ensure_ascii=False))
    back = CrashReport.from_dict(data)
    assert back == report
    text = render_text(back, "nanobot")
    assert text.splitlines()[1] == "原因：它以退出码 78（EX_CONFIG）退出：表示它的配置有误。"
    assert [line for line in text.splitlines() if english_left(line) and line != "    step 1"] == []


def test_a_crash_notice_says_the_presets_exit_meaning_in_chinese(zh: None) -> None:
    openclaw = parse('[programs.assistant]\npreset = "openclaw"\n', environ={}).programs["assistant"]
    note = messages.crash("OpenClaw", {"code": 1}, delay=4, meaning=openclaw.info.exit_meanings[1])
    assert note.title == "OpenClaw 崩溃了（退出码 1） — 4 秒后重启"
    assert note.body == "启动失败；常见原因是端口 18789 已被占用"


def test_doctor_marks_are_chinese_and_keep_their_column(zh: None) -> None:
    from trayapp.doctor.report import Level, mark

    marks = [mark(level) for level in (Level.OK, Level.INFO, Level.WARN, Level.FAIL)]
    assert marks == ["正常", "提示", "警告", "问题"]
    i18n.activate("en")
    assert [mark(level) for level in (Level.OK, Level.INFO, Level.WARN, Level.FAIL)] == ["OK  ", "INFO", "WARN", "FAIL"]


def test_the_already_running_notice_says_the_kept_detail_in_chinese(zh: None, tmp_path: Path) -> None:
    from trayapp.journal import Journal

    detail = Message("{name} is already running outside trayapp ({owner}); trayapp watches it but will not start "
                     "a second copy. To control it through its owner, add to config.toml: {lines}",
                     name="nanobot", owner="pid 77", lines="[programs.assistant.attach] pid = 77")
    log = Journal(tmp_path / "journal.jsonl")
    log.record("external", "assistant", pid=77, owner="pid 77", detail=detail)
    log.flush()
    [entry] = journal.read(tmp_path / "journal.jsonl")
    note = messages.external("nanobot", entry)
    assert "已在 trayapp 之外运行" in note.body and english_left(note.body.replace("Nanobot", "")) == [], note.body


def test_help_headings_end_with_the_chinese_colon(zh: None) -> None:
    from trayapp import cli

    text = cli.build_parser().format_help()
    assert "\n选项：\n" in text and "\n命令：\n" in text and "选项:" not in text, text
    assert "\u2063" not in text
    i18n.activate("en")
    english = cli.build_parser().format_help()
    assert "\noptions:\n" in english and "\u2063" not in english
