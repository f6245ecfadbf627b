"""Message: a sentence kept as its message and values, English for machines, the user's language for people."""

import gettext
import json
import threading

import pytest

from trayapp import i18n
from trayapp.message import Duration, Message, Size, Wait, words


class Catalog(gettext.NullTranslations):
    """A tiny fake zh_CN catalog: the messages these tests use."""

    TABLE = {"gave up after {crashes} crashes in {window}": "{window}内崩溃 {crashes} 次，已放弃",
             "{n}m": "{n} 分", "{n}s": "{n} 秒", "{number}{unit}": "{number} {unit}",
             "needs {need}, {why}": "需要 {need}，{why}", "the disk is full": "磁盘已满", ", ": "、"}

    def gettext(self, message: str) -> str:
        return self.TABLE.get(message, message)


@pytest.fixture
def chinese():
    i18n.use(Catalog(), i18n.CHINESE)
    yield
    i18n.use(gettext.NullTranslations(), i18n.ENGLISH)


def test_english_for_machines_and_the_active_language_for_people(chinese):
    reason = Message("gave up after {crashes} crashes in {window}", crashes=5, window=Duration(75))
    assert str(reason) == "gave up after 5 crashes in 1m 15s"
    assert reason.words() == "1 分 15 秒内崩溃 5 次，已放弃"
    assert words(reason) == reason.words()
    assert words("a program's own text") == "a program's own text"


def test_nested_messages_and_units_are_translated_too(chinese):
    text = Message("needs {need}, {why}", need=Size(52_428_800), why=Message("the disk is full"))
    assert text.words() == "需要 52 MB，磁盘已满"
    assert str(text) == "needs 52MB, the disk is full"


def test_json_round_trip_keeps_numbers_and_units():
    text = Message("needs {need}, {why}", need=Size(1500), why=Message("wait {w}", w=Wait(7.6)), n=3, f=0.5)
    data = json.loads(json.dumps(text.to_json()))
    assert data["values"]["need"] == {"unit": "size", "value": 1500}
    back = Message.from_json(data)
    assert back == text
    assert str(back) == "needs 1.5KB, wait 8s"


@pytest.mark.parametrize("data", [None, "text", 3, [], {"message": 3}, {"message": "x", "values": []},
                                  {"message": "{a}", "values": {"a": True}},
                                  {"message": "{a}", "values": {"a": {"unit": "lightyears", "value": 1}}},
                                  {"message": "{a}", "values": {"a": {"unit": "size", "value": "big"}}},
                                  {"message": "{a}", "values": {"a": [1, 2]}}])
def test_anything_malformed_reads_back_as_none(data):
    assert Message.from_json(data) is None


def test_a_message_whose_values_do_not_fit_shows_its_text_rather_than_crash():
    edited = Message.from_json({"message": "restarting {program} in {wait}", "values": {"program": "x"}})
    assert edited is not None
    assert edited.words() == "restarting {program} in {wait}"


def test_english_is_per_thread(chinese):
    seen: list[str] = []
    entered, done = threading.Event(), threading.Event()

    def other() -> None:
        entered.wait(10)
        seen.append(i18n._("the disk is full"))
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with i18n.english():
        assert i18n._("the disk is full") == "the disk is full"
        entered.set()
        done.wait(10)
    thread.join()
    assert seen == ["磁盘已满"]
    assert i18n._("the disk is full") == "磁盘已满"


def _nested(depth: int) -> dict[str, object]:
    data: dict[str, object] = {"message": "x", "values": {}}
    for _level in range(depth):
        data = {"message": "{a}", "values": {"a": data}}
    return data


@pytest.mark.parametrize("data", [
    {"message": "{a}", "values": {"a": {"unit": "wait", "value": float("inf")}}},  # 1e999 in the file
    {"message": "{a}", "values": {"a": float("nan")}},
    {"message": "{a.b}", "values": {"a": "x"}},  # attribute lookups
    {"message": "{a[0]}", "values": {"a": 5}},  # indexes
    {"message": "{a!r}", "values": {"a": "x"}},  # conversions
    {"message": "{a:>300000000}", "values": {"a": "x"}},  # a 300 MB string
    {"message": "{", "values": {}},
    {"message": "x" * 5000, "values": {}},
    _nested(450),  # a RecursionError
])
def test_hostile_journal_content_reads_back_as_none(data: object) -> None:
    assert Message.from_json(data) is None


def test_nesting_as_deep_as_trayapp_makes_reads_back() -> None:
    assert Message.from_json(_nested(3)) is not None


def test_words_never_raises_whatever_the_values() -> None:
    assert Message("{n}", n=10**5000).words() == "{n}"  # more digits than int() may print
    assert Message("{a}").words() == "{a}"


def test_history_of_a_hostile_entry_names_its_kind_instead_of_crashing() -> None:
    from trayapp import journal

    hostile = {"event": "gave_up", "program": "assistant", "reason": "x",
               "reason_message": {"message": "{a}", "values": {"a": {"unit": "wait", "value": 1e308 * 10}}}}
    assert journal.describe(hostile).startswith("assistant")
    deep = {"event": "gave_up", "program": "assistant", "reason": "x", "reason_message": _nested(450)}
    assert journal.describe(deep).startswith("assistant")


def test_a_reload_of_many_programs_reads_back_from_the_journal() -> None:
    from trayapp.config.diff import ConfigDiff

    names = tuple(f"bot{i}" for i in range(25))
    said = ConfigDiff(added=names, removed=(), restarted=(), updated=(), sections=()).sentence()
    back = Message.from_json(json.loads(json.dumps(said.to_json())))
    assert back is not None and str(back) == "added " + ", ".join(names)


def _doubling(depth: int, template: str = "{a}{a}") -> dict[str, object]:
    data: dict[str, object] = {"message": "x" * 8, "values": {}}
    for _level in range(depth):
        data = {"message": template, "values": {"a": data}}
    return data


@pytest.mark.parametrize("data", [_doubling(27), _doubling(3, "{a}" * 666), _doubling(4, "{a}" * 20)])
def test_a_short_line_that_would_unfold_into_a_huge_sentence_reads_back_as_none(data: object) -> None:
    assert len(json.dumps(data)) < 8000
    assert Message.from_json(data) is None


def test_a_field_used_twice_is_fine_while_the_sentence_stays_short() -> None:
    back = Message.from_json(_doubling(3))
    assert back is not None and str(back) == "x" * 64


def test_names_are_one_value_joined_in_the_users_language(chinese) -> None:
    from trayapp.message import Names

    said = Message("added {names}", names=Names(("web", "ollama", "db")))
    back = Message.from_json(json.loads(json.dumps(said.to_json())))
    assert back == said and str(back) == "added web, ollama, db"
    assert Message.from_json({"message": "{n}", "values": {"n": {"names": ["a", 3]}}}) is None
    assert back.words() == "added web、ollama、db"


@pytest.mark.parametrize("stamp", [5, None, ["2026"], {"a": 1}])
def test_trayapp_history_lists_a_line_whose_time_is_not_text(stamp: object, tmp_path, monkeypatch, capsys) -> None:
    from trayapp import cli

    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    (tmp_path / "state").mkdir(mode=0o700)
    journal = tmp_path / "state" / "journal.jsonl"
    journal.write_text(json.dumps({"ts": stamp, "event": "start", "program": "web", "pid": 1}) + "\n")
    journal.chmod(0o600)
    assert cli.main(["history"]) == 0
    assert "?  web: started (pid 1)" in capsys.readouterr().out


def test_both_shows_each_reader_their_own_text(chinese) -> None:
    from trayapp.message import Both

    said = Message("{problem} — fix: {fix}", problem=Both("port 80 is taken", "端口 80 已被占用"), fix="x")
    assert said.words() == "端口 80 已被占用 — fix: x"
    assert str(said) == "port 80 is taken — fix: x"
    assert said.to_json()["values"]["problem"] == "port 80 is taken"


def test_english_now_says_which_language_this_thread_speaks() -> None:
    i18n.activate("en")
    assert i18n.english_now()
    i18n.activate("zh_CN")
    try:
        assert not i18n.english_now()
        with i18n.english():
            assert i18n.english_now()
    finally:
        i18n.activate("en")
