"""The dashboard speaks the instance's language through trayapp's catalog: the APIs' sentences and the
server's pages and errors in zh_CN with the real catalog; the page's own words (index.html, login.html,
app.js) marked, served translated, and listed for the page without drift."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest
from babel.messages.extract import extract

from tests.unit.dashboard_fake import Browser, FakeHost
from tests.unit.test_i18n_pseudo import unmarked
from trayapp import i18n
from trayapp.dashboard import backups_api, charts_api, dates, events_api, page_text
from trayapp.dashboard.http import Request, Router
from trayapp.dashboard.overview_api import extras, program_entry
from trayapp.dashboard.server import STATIC_DIR
from trayapp.metrics import Point
from trayapp.status import Mode, State, Status

NOW = time.mktime((2026, 11, 30, 16, 0, 0, 0, 0, -1))
YESTERDAY = time.mktime((2026, 11, 29, 14, 2, 3, 0, 0, -1))


def no_english(*texts: str) -> list[str]:
    """English words left in Chinese sentences (names, paths, numbers and units are not words)."""
    return [word for text in texts for word in unmarked(text)]


# -- the APIs' sentences in Chinese ------------------------------------------------------------------

def test_the_overview_words_are_chinese(zh: None, host: FakeHost) -> None:
    host.notifier.pause(3600)
    said = extras(host, NOW)
    assert said["disk"][0]["words"] == "/：可用 2 GB，共 8 GB"
    assert said["notifications"]["paused_words"].startswith("通知已暂停，直到 ")
    assert said["backup"]["last_ok_words"] == "还没有备份"
    entry = program_entry(host.statuses()[0], NOW)
    assert entry["cpu_words"] == "3%" and entry["memory_words"] == "52 MB"


def test_the_crash_report_is_chinese_beside_its_english_fields(zh: None, host: FakeHost) -> None:
    from dataclasses import replace

    from trayapp.status import ExitInfo
    from trayapp.triage.report import build

    report = build(["starting", "something odd happened"], ExitInfo(code=3), program="alpha", when=NOW)
    entry = program_entry(replace(host.statuses()[0], last_crash=report), NOW)
    assert entry["last_crash"]["cause"].startswith("The cause is not one trayapp recognises")
    said = entry["crash_words"]
    assert said["cause"] != entry["last_crash"]["cause"] and any("\u4e00" <= ch <= "\u9fff" for ch in said["cause"]), said
    assert no_english(*said.values()) == [], said


def test_a_command_and_the_pause_answer_in_chinese(zh: None, browser: Browser) -> None:
    assert browser.post("/api/programs/alpha/restart").json() == {"message": "已请求 trayapp 重启 Alpha Bot。"}
    assert browser.post("/api/notifications", {"resume": True}).json()["message"] == "通知已开启。"
    refused = browser.post("/api/programs/nobody/stop").json()
    assert refused == {"error": "没有名为 nobody 的程序", "fix": "刷新页面以查看程序"}


def test_the_servers_own_errors_are_chinese(zh: None, browser: Browser) -> None:
    assert browser.call("GET", "/api/nothing-here").json()["error"] == "/api/nothing-here 处没有内容"
    crossed = browser.post("/api/reload", Origin="http://evil.example").json()
    assert crossed["error"] == "此请求来自其他网站，已被拒绝" and no_english(crossed["fix"]) == []
    assert browser.call("GET", "/static/nothing.js").body.decode() == "没有这个文件。"


def test_the_backup_words_and_the_restore_preview_are_chinese(zh: None) -> None:
    from trayapp.backup.restore import TargetPreview
    from trayapp.backup.space import Room

    said = backups_api.summary({"last_ok_at": NOW - 7200, "next_due": NOW + 3 * 3600 + 600,
                                "schedule": "daily 03:00"}, NOW)
    assert said["last_ok_words"] == "上次成功备份：2 小时前"
    assert said["next_due_words"] == "下次备份将在 3 小时 10 分钟后开始"
    assert said["schedule_words"] == "每天 03:00 备份"
    target = backups_api._target_json(TargetPreview("data", "dir", Path("/srv/bot"), True, 48_000_000, 12, 1))
    assert target["words"] == "恢复到 /srv/bot（12 个文件，48 MB，1 个数据库）；现有数据会被移到别处保存，不会删除。"
    room = backups_api._room_json(Room(Path("/srv"), 48_000_000, 10_000_000))
    assert room["words"] == "需要在 /srv 中占用 48 MB，那里可用 10 MB，空间不足：请先清理出一些空间。"


def test_a_restore_preview_names_who_stops_the_assistant_in_chinese(zh: None) -> None:
    class Host:
        def statuses(self) -> list[Status]:
            return [Status("bot", "bot", State.RUNNING, mode=Mode.EXTERNAL)]

    words = backups_api._stop_words(Host(), "bot")["stop_words"]  # type: ignore[arg-type]  # a partial host
    assert words == "bot 不由 trayapp 管理：请在恢复前自行停止它。"


def test_dates_read_the_chinese_way(zh: None) -> None:
    assert dates.time_words(YESTERDAY, NOW) == "11月29日 14:02:03"
    assert events_api.time_words(YESTERDAY, NOW) == "11月29日 14:02"
    assert events_api.time_words(NOW - 60, NOW) == "15:59:00"
    assert events_api.time_words(None, NOW) == "时间未知"


def test_dates_in_english_keep_their_short_month() -> None:
    assert dates.time_words(YESTERDAY, NOW, seconds=False) == "Nov 29 14:02"


def test_the_chart_summary_and_the_event_kinds_are_chinese(zh: None) -> None:
    points = [Point(NOW - 60, 100e6, 5.0, 98e6, 101e6, 45.0), Point(NOW, 105e6, 45.0, 104e6, 105e6, 45.0)]
    assert charts_api.summary(points) == {"memory_words": "当前 105 MB，范围 98 MB–105 MB",
                                          "cpu_words": "当前 45%，峰值 45%"}
    words = {kind: events_api._(label) for kind, label in events_api.KIND_WORDS.items()}
    assert words["crash"] == "崩溃" and words["gave_up"] == "已放弃"
    assert no_english(*words.values()) == []


def test_every_journal_kind_has_a_label_for_the_filter() -> None:
    from trayapp import journal

    assert journal.kinds() <= set(events_api.KIND_WORDS)


def test_a_bad_request_to_a_route_is_refused_in_chinese(zh: None) -> None:
    router = Router()
    events_api.register(router, None)  # type: ignore[arg-type]  # refused before the host is asked
    reply = json.loads(router.dispatch(Request("GET", "/api/events", {"limit": "many"})).body)
    assert reply["error"] == "limit 必须是整数，而不是 'many'"


# -- the pages ---------------------------------------------------------------------------------------

def test_the_page_is_served_in_chinese_with_its_words_for_app_js(zh: None, browser: Browser) -> None:
    page = browser.call("GET", "/logs").body.decode("utf-8")
    assert '<html lang="zh-CN">' in page
    assert "<title data-i18n>trayapp 仪表盘</title>" in page and ">概览</a>" in page
    assert 'placeholder="搜索整个日志（按回车）"' in page and 'aria-label="页面"' in page
    block = re.search(r'<script type="application/json" id="messages">(.*?)</script>', page)
    assert block is not None
    words = json.loads(block.group(1))
    assert words["lang"] == "zh-CN"
    assert words["messages"]["Dismiss"] == "关闭" and words["messages"]["{number}{unit}"] == "{number} {unit}"
    assert words["plurals"]["{n} line found"] == ["找到 {n} 行", "找到 {n} 行"]


def test_the_page_in_english_has_both_plural_forms(browser: Browser) -> None:
    page = browser.call("GET", "/").body.decode("utf-8")
    assert '<html lang="en">' in page and ">Overview</a>" in page
    block = re.search(r'id="messages">(.*?)</script>', page)
    assert block is not None
    assert json.loads(block.group(1))["plurals"]["{n} line found"] == ["{n} line found", "{n} lines found"]


def test_the_login_page_is_chinese(zh: None, browser: Browser) -> None:
    reply = browser.call("GET", "/login?code=made-up", cookie="")
    page = reply.body.decode("utf-8")
    assert reply.status == 403 and '<html lang="zh-CN">' in page
    assert "<title data-i18n>trayapp：登录</title>" in page and "此登录链接已被使用或已过期" in page


def test_marked_texts_and_attributes_are_translated_and_escaped() -> None:
    page = ('<html lang="en"><label data-i18n>Program <select title="Pick one"></select></label>'
            '<p>Left alone</p><b data-i18n> A &amp; B </b><img alt="">')
    said = page_text.translate_html(page, lambda msgid: f"<{msgid}>")
    assert said == ('<html lang="en"><label data-i18n>&lt;Program&gt; <select title="&lt;Pick one&gt;"></select>'
                    '</label><p>Left alone</p><b data-i18n> &lt;A &amp; B&gt; </b><img alt="">')
    assert [m for _line, m in page_text.html_messages(page)] == ["Program", "Pick one", "A & B"]


def test_the_messages_block_cannot_be_closed_by_a_translation() -> None:
    block = page_text.messages_block({"messages": {"x": "</script><script>alert(1)</script>"}})
    assert block.count("</script>") == 1 and "\\u003c/script>" in block


def test_without_the_message_list_the_page_keeps_its_english_words(tmp_path: Path) -> None:
    assert page_text.page_messages(tmp_path) == ([], [])
    (tmp_path / page_text.MESSAGES_FILE).write_text("{broken", encoding="utf-8")
    assert page_text.page_messages(tmp_path) == ([], [])


def test_the_message_list_is_what_app_js_says() -> None:
    """static/messages.json is written by scripts/i18n from app.js; a t() added since fails here."""
    with open(STATIC_DIR / "app.js", "rb") as f:
        found = [m for _line, m, _comments, _context in extract("javascript", f, keywords=page_text.JS_KEYWORDS)]
    singles, plurals = page_text.page_messages(STATIC_DIR)
    assert sorted(set(singles)) == sorted({m for m in found if isinstance(m, str)}), "run scripts/i18n"
    assert sorted(set(plurals)) == sorted({tuple(m) for m in found if isinstance(m, tuple)}), "run scripts/i18n"
    assert len(singles) > 100


def test_html_extraction_reads_the_pages_the_way_babel_will() -> None:
    with open(STATIC_DIR / "index.html", "rb") as f:
        found = list(page_text.extract_html(io.BytesIO(f.read()), {}, [], {}))
    ids = [msgid for _line, _func, msgid, _comments in found]
    assert {"Overview", "Search the whole log (Enter)", "Type the backup's name to restore it:"} <= set(ids)
    assert all(line >= 1 for line, *_ in found)


def test_catalogs_come_from_trayapp_locale_dir_when_it_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The browser tests' pseudo-locale reaches a running instance this way."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale="zh_CN")
    catalog.add("Overview", "⟦Overview⟧")
    (tmp_path / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    with open(tmp_path / "zh_CN" / "LC_MESSAGES" / "trayapp.mo", "wb") as f:
        write_mo(f, catalog)
    monkeypatch.setenv(i18n.LOCALE_DIR_VAR, str(tmp_path))
    try:
        assert i18n.activate("zh_CN") == "zh_CN"
        assert i18n._("Overview") == "⟦Overview⟧"
        monkeypatch.delenv(i18n.LOCALE_DIR_VAR)
        i18n.activate("zh_CN")
        assert i18n._("Overview") == "概览"
    finally:
        i18n.activate("en")


def test_a_log_search_that_cannot_run_says_why_in_chinese(zh: None, host: FakeHost, browser: Browser) -> None:
    log = host.paths.trayapp_log
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("2026-11-30T16:00:00 [stdout] hello\n")
    empty = browser.call("GET", "/api/logs/search?program=trayapp&q=").json()
    assert empty["error"] == "没有要搜索的内容"
    bad = browser.call("GET", "/api/logs/search?program=trayapp&q=%28&regex=1").json()
    assert bad["error"].startswith("正则表达式无效：") and len(bad["error"]) > len("正则表达式无效："), bad
