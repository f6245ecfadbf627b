"""The CLI's side of a config error: people read the running trayapp's `words`, --json leaves them out."""

from __future__ import annotations

import pytest

from trayapp.cli.control import _english, _frame
from trayapp.cli.reload import _print_problems

ENGLISH = {"error": "config.toml has 1 problem:", "problems": ["ui.language: must be one of auto, en, zh_CN"],
           "fix": "edit the file"}
WORDS = {"error": "config.toml 有 1 个问题：", "problems": ["ui.language：取值必须是 auto、en、zh_CN 之一"],
         "fix": "请修改文件"}


def test_reload_prints_the_instances_words(capsys: pytest.CaptureFixture[str]) -> None:
    _print_problems({"ok": False, **ENGLISH, "words": WORDS})
    printed = capsys.readouterr().err
    assert "config.toml 有 1 个问题：" in printed and "  - ui.language：取值" in printed and "请修改文件" in printed


def test_reload_prints_an_older_instances_english(capsys: pytest.CaptureFixture[str]) -> None:
    _print_problems({"ok": False, **ENGLISH})
    assert "  - ui.language: must be one of auto, en, zh_CN" in capsys.readouterr().err


def test_status_json_leaves_the_words_out_and_the_table_shows_them() -> None:
    report = {"programs": [], "config_error": {"path": "/c.toml", "problems": ENGLISH["problems"], "fix": "edit the file",
                                               "words": WORDS}}
    assert _english(report)["config_error"] == {"path": "/c.toml", "problems": ENGLISH["problems"],
                                                "fix": "edit the file"}
    lines = _frame(report)
    assert "  - ui.language：取值必须是 auto、en、zh_CN 之一" in lines and "ui.language: must" not in "\n".join(lines)
