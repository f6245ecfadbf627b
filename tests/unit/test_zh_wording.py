"""zh_CN sentences where a value is a phrase ("不到一秒", "所有程序") read without a stray space, and a
damaged journal line shows no English word of its own."""

from __future__ import annotations

import pytest

from trayapp import journal
from trayapp.i18n import _
from trayapp.summary import Summary
from trayapp.units import format_took


def test_a_backup_that_took_under_a_second(zh: None) -> None:
    line = journal.describe({"event": "backup", "ok": True, "path": "/b/1.tar.gz", "size": 52_428_800,
                             "duration": 0.3})
    assert line.endswith("，不到一秒完成") and " 不到" not in line, line


def test_an_owner_command_without_its_action(zh: None) -> None:
    line = journal.describe({"event": "owner_command", "program": "web", "error": "boom"})
    assert "control" not in line and "无法通过其管理者控制" in line, line


def test_a_program_that_exited_under_a_second(zh: None) -> None:
    said = _("exited with code {code} after {took}").format(code=1, took=format_took(0.3))
    assert said == "不到一秒后以退出码 1 退出"


@pytest.mark.parametrize("verb", ["start", "stop", "restart"])
def test_a_request_for_all_programs(zh: None, verb: str) -> None:
    from trayapp.cli.control import _REQUESTED

    said = _(_REQUESTED[verb]).format(what=_("all programs"))
    assert said.endswith("：所有程序") and " " not in said, said


def test_stats_over_a_moment(zh: None, capsys: pytest.CaptureFixture[str]) -> None:
    from trayapp.cli.stats import _print

    _print("web", Summary(samples=1, span=0.2, cpu=None, memory=None, cpu_line="", memory_line=""))
    assert capsys.readouterr().out.splitlines()[0] == "web：刚刚采样 1 次"


def test_stats_over_minutes_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    from trayapp.cli.stats import _print

    _print("web", Summary(samples=3, span=300, cpu=None, memory=None, cpu_line="", memory_line=""))
    assert capsys.readouterr().out.splitlines()[0] == "web: 3 samples over the last 5m"


def test_the_doctor_help_names_the_marks_the_report_shows(zh: None) -> None:
    import argparse

    from trayapp.cli import build_parser
    from trayapp.doctor.report import Level, mark

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    help_text = commands.choices["doctor"].description or ""
    marks = [mark(level).strip() for level in Level]
    assert all(m in help_text for m in marks) and "WARN" not in help_text, help_text
