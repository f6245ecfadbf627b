"""A reload's diff: which programs restart, which are only updated, added, removed (pure)."""

from __future__ import annotations

import pytest

from trayapp import config as config_mod
from trayapp.config.diff import diff

BASE = '''
[programs.ollama]
command = ["ollama", "serve"]
health = { url = "http://127.0.0.1:11434/api/version" }

[programs.assistant]
command = ["nanobot", "gateway"]
depends_on = { ollama = "healthy" }
'''


def parse(text: str) -> config_mod.Config:
    return config_mod.parse(text, environ={"HOME": "/home/u"})


def test_the_same_file_changes_nothing() -> None:
    change = diff(parse(BASE), parse(BASE))
    assert change.empty and str(change.sentence()) == "nothing changed"


def test_a_changed_command_restarts_only_that_program() -> None:
    change = diff(parse(BASE), parse(BASE.replace('"gateway"', '"gateway", "--verbose"')))
    assert (change.restarted, change.updated, change.added, change.removed) == (("assistant",), (), (), ())


@pytest.mark.parametrize("edit", [
    ('"http://127.0.0.1:11434/api/version" }', '"http://127.0.0.1:11434/api/version", interval = "30s" }'),
    ('command = ["ollama", "serve"]', 'command = ["ollama", "serve"]\nlimits = { memory = "2GB" }'),
    ('command = ["ollama", "serve"]', 'command = ["ollama", "serve"]\ndisplay_name = "Ollama"'),
])
def test_health_limits_and_name_apply_in_place(edit: tuple[str, str]) -> None:
    change = diff(parse(BASE), parse(BASE.replace(*edit)))
    assert (change.updated, change.restarted) == (("ollama",), ())


def test_adding_or_removing_a_health_check_restarts() -> None:
    change = diff(parse(BASE), parse(BASE.replace('health = { url = "http://127.0.0.1:11434/api/version" }', "")))
    assert change.restarted == ("ollama",)


def test_added_and_removed_programs_are_named() -> None:
    new = BASE.replace("[programs.ollama]", "[programs.web]\ncommand = [\"web\"]\n\n[programs.ollama]")
    new = new.replace('depends_on = { ollama = "healthy" }', "")
    old = BASE + '\n[programs.old]\ncommand = ["old"]\n'
    change = diff(parse(old), parse(new))
    assert (change.added, change.removed, change.restarted) == (("web",), ("old",), ("assistant",))
    assert str(change.sentence()) == "added web; removed old; restarted assistant"


def test_sections_outside_programs_are_named() -> None:
    change = diff(parse(BASE), parse(BASE + '\n[notifications]\nenabled = false\n[logs]\nkeep = 2\n'))
    assert change.sections == ("logs", "notifications") and not change.restarted
    assert str(change.sentence()) == "logs, notifications settings applied"


def test_the_sentence_reads_in_chinese_and_stays_english_for_the_journal(zh: None) -> None:
    new = BASE.replace("[programs.ollama]", "[programs.web]\ncommand = [\"web\"]\n\n[programs.ollama]")
    new = new.replace('depends_on = { ollama = "healthy" }', "") + '\n[logs]\nkeep = 2\n[backup]\nkeep_last = 3\n'
    sentence = diff(parse(BASE), parse(new)).sentence()
    assert sentence.words() == "已添加 web；已重启 assistant；logs、backup 设置已生效"
    assert str(sentence) == "added web; restarted assistant; logs, backup settings applied"


def test_several_programs_are_listed_in_the_readers_language(zh: None) -> None:
    old = BASE + '\n[programs.a]\ncommand = ["a"]\n[programs.b]\ncommand = ["b"]\n'
    sentence = diff(parse(old), parse(BASE)).sentence()
    assert (sentence.words(), str(sentence)) == ("已移除 a、b", "removed a, b")


def test_nothing_changed_reads_in_chinese(zh: None) -> None:
    assert diff(parse(BASE), parse(BASE)).sentence().words() == "没有变化"


def test_history_says_a_recorded_reload_in_the_readers_language(zh: None) -> None:
    from trayapp import journal

    sentence = diff(parse(BASE), parse(BASE + '\n[logs]\nkeep = 2\n')).sentence()
    entry = {"event": "reload", "changes": str(sentence), "changes_message": sentence.to_json()}
    assert journal.describe(entry) == "配置已重新加载：logs 设置已生效"
    # an older journal kept the English words only: they are shown as they are
    assert journal.describe({"event": "reload", "changes": "logs settings applied"}) == \
        "配置已重新加载：logs settings applied"
