"""The dashboard in the instance's language, in a real headless Chromium.

A pseudo-locale run (every message "⟦" + English + "⟧", loaded through TRAYAPP_LOCALE_DIR) reads every
page, the restore preview, error banners and the login page, and fails on any English word outside
the markers: a text of the page or of an API that bypassed the catalog. A zh_CN run checks the
pages say Chinese, with `<html lang="zh-CN">`, no console error and no sideways overflow, and keeps
screenshots at 1024 and 1600 px (light) to be looked at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.browser.conftest import WAIT, Dashboard, config_text, make_data, need_browser
from tests.integration.running import Trayapp
from tests.unit.test_i18n_pseudo import CLOSE, OPEN, unmarked
from trayapp.i18n import LOCALE_DIR

PAGES = ["/", "/charts", "/logs?program=assistant", "/events", "/backups", "/diagnostics", "/config"]
READY = {"charts": "return document.getElementById('chart-memory')._chart !== undefined",
         "logs": "return document.querySelectorAll('#log-lines .line').length > 0",
         "events": "return document.querySelectorAll('#ev-rows tr').length > 0",
         "backups": "return document.querySelectorAll('#bk-rows tr[data-backup]').length > 0",
         "diagnostics": "return document.querySelectorAll('#dx-checks li').length > 0",
         "config": "return document.getElementById('cf-text').textContent !== ''"}
# What programs, files and the system wrote, not trayapp: log lines, the config file, paths and
# names, the doctor's evidence. Everything else on a page is trayapp's own words.
DATA = ("#log-lines .x, #log-results .match, pre, code, .card h2, #log-program option, #chart-program option, "
        "#ev-program option")
# The page's words: what a person reads, then the attributes that are read out or shown on hover.
READ_PAGE = f"""
    const data = [...document.querySelectorAll({DATA!r})];
    data.forEach((node) => {{ node.style.visibility = "hidden"; }});  // innerText leaves out what is not visible
    const text = document.body.innerText;
    data.forEach((node) => {{ node.style.visibility = ""; }});
    const attributes = [...document.querySelectorAll("[title], [placeholder], [aria-label]")]
      .flatMap((node) => ["title", "placeholder", "aria-label"].map((name) => node.getAttribute(name) || ""));
    return [document.title, text, ...attributes].join("\\n");
"""


def write_pseudo_catalog(folder: Path) -> Path:
    """zh_CN/LC_MESSAGES/trayapp.mo in `folder`, every message wrapped in ⟦…⟧."""
    with open(LOCALE_DIR / "trayapp.pot", "rb") as f:
        catalog = read_po(f, locale="en")  # English plural forms: each form stays marked
    for message in catalog:
        if message.id:
            ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
            wrapped = tuple(OPEN + text + CLOSE for text in ids)
            message.string = wrapped if message.pluralizable else wrapped[0]
    target = folder / "zh_CN" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "trayapp.mo", "wb") as f:
        write_mo(f, catalog)
    return folder


def chinese_instance(root: Path, env: dict[str, str]) -> Iterator[Trayapp]:
    need_browser()
    make_data(root / "data")
    config = '[ui]\nlanguage = "zh_CN"\n' + config_text(root / "data", root / "backups").split("[programs.bigbot]")[0]
    t = Trayapp(root / "home", config, env={"LANGUAGE": "", "LANG": "en_US.UTF-8", **env})
    (t.home / "config.toml").chmod(0o600)
    t.start()
    try:
        t.wait_state("running", "assistant", timeout=WAIT)
        done = t.cli("backup", "create")  # the Backups page lists one, and a restore can be previewed
        assert done.returncode == 0, done.stdout + done.stderr
        yield t
    finally:
        if t.proc is not None and t.proc.poll() is None:
            t.terminate(30)


@pytest.fixture(scope="module")
def pseudo_page(driver: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    locale = write_pseudo_catalog(tmp_path_factory.mktemp("pseudo-locale"))
    for instance in chinese_instance(tmp_path_factory.mktemp("pseudo"), {"TRAYAPP_LOCALE_DIR": str(locale)}):
        yield Dashboard(driver, instance)


@pytest.fixture(scope="module")
def chinese_page(driver: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    for instance in chinese_instance(tmp_path_factory.mktemp("zh"), {}):
        yield Dashboard(driver, instance)


def visit(page: Dashboard, path: str) -> str:
    """Opens `path`, waits for its content, and returns the page's section name."""
    page.open(path)
    section = {"/": "overview"}.get(path, path[1:].split("?")[0])
    page.wait_js(f"return !document.getElementById('page-{section}').hidden", f"the {section} page")
    if section in READY:
        page.wait_js(READY[section], f"the {section} page's content", timeout=60)
    return section


# Names a Chinese sentence keeps as they are: software, environment variables, the child's mode in
# its command line, and a config.toml line given as the fix.
TECHNICAL = re.compile(r"\b(?:Python|D-Bus|DBUS_SESSION_BUS_ADDRESS|WAYLAND_DISPLAY|DISPLAY|systemd|LaunchAgent|"
                       r"SQLite|ticker)\b|\[[\w.]+\]\s*\w+\s*=\s*\"[^\"]*\"")


def english_words(page: Dashboard) -> str:
    """The English words of the page outside the catalog's markers, and the text they are in; "" when none."""
    text = page.js(READ_PAGE)
    found = unmarked(TECHNICAL.sub(" ", text))
    return f"{found}\nin:\n{text}" if found else ""


# -- the pseudo-locale -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_every_page_says_only_catalog_words(pseudo_page: Dashboard, path: str) -> None:
    section = visit(pseudo_page, path)
    assert pseudo_page.js("return document.documentElement.lang") == "zh-CN"
    found = english_words(pseudo_page)
    assert not found, f"the {section} page has words that bypassed the catalog: {found}"


def test_a_crash_report_says_only_catalog_words(pseudo_page: Dashboard) -> None:
    visit(pseudo_page, "/")
    psutil.Process(pseudo_page.instance.program("assistant")["pid"]).kill()
    card = ".card[data-program='assistant']"
    pseudo_page.wait_js(f"return document.querySelector(\"{card} .crash\") !== null", "the crash report")
    found = english_words(pseudo_page)
    assert not found, f"the crash report has words that bypassed the catalog: {found}"
    pseudo_page.instance.wait_state("running", "assistant", timeout=WAIT)


def test_the_restore_preview_says_only_catalog_words(pseudo_page: Dashboard) -> None:
    visit(pseudo_page, "/backups")
    pseudo_page.js("document.querySelector('#bk-rows tr[data-backup] button.danger').click()")
    pseudo_page.wait_js("return document.getElementById('restore-dialog').open && "
                        "document.querySelectorAll('#rd-lines li').length > 2", "the dry-run preview", 60)
    dialog = pseudo_page.js("return document.getElementById('restore-dialog').innerText")
    pseudo_page.js("document.getElementById('rd-cancel').click()")
    assert OPEN in dialog and unmarked(dialog.replace(str(pseudo_page.instance.home.parent), "")) == [], dialog


def test_error_banners_say_only_catalog_words(pseudo_page: Dashboard) -> None:
    visit(pseudo_page, "/logs?program=assistant")
    pseudo_page.js("document.getElementById('log-jump').click()")  # no time picked: the page's own error
    pseudo_page.js("api('/api/programs/nobody/start', {}).catch(showError)")  # the server's 404 and its fix
    pseudo_page.wait_js("return document.querySelectorAll('.banner.error').length >= 2", "two error banners")
    banners = pseudo_page.js("return [...document.querySelectorAll('.banner')].map((b) => b.innerText).join('\\n')")
    assert banners.count(OPEN) >= 4 and unmarked(banners) == [], banners
    pseudo_page.js("document.querySelectorAll('.banner.error').forEach((b) => b.remove())")


def test_the_login_page_says_only_catalog_words(pseudo_page: Dashboard) -> None:
    pseudo_page.driver.get(pseudo_page.base + "/login?code=used-or-made-up")
    text = pseudo_page.js("return document.title + '\\n' + document.body.innerText")
    assert text.count(OPEN) >= 3 and unmarked(text) == [], text
    assert pseudo_page.js("return document.documentElement.lang") == "zh-CN"


# -- Chinese -----------------------------------------------------------------------------------------

CHINESE = {"overview": ["概览", "运行中", "磁盘", "通知", "暂停 1 小时"], "charts": ["图表", "内存", "最近 1 小时"],
           "logs": ["日志", "实时跟踪", "正则表达式", "加载更早的内容"], "events": ["事件", "发生了什么", "所有类型"],
           "backups": ["立即备份", "创建时间", "校验"], "diagnostics": ["诊断", "重新检查"],
           "config": ["配置", "重新加载", "文件："]}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_in_chinese_and_fits(chinese_page: Dashboard, path: str) -> None:
    chinese_page.driver.get_log("browser")
    section = visit(chinese_page, path)
    assert chinese_page.js("return document.documentElement.lang") == "zh-CN"
    text = chinese_page.js("return document.body.innerText")
    for width in (1024, 1600):
        chinese_page.screenshot(f"zh-{section}-{width}", width=width)
        chinese_page.driver.set_window_size(width, 900)
        wide = chinese_page.js("return document.documentElement.scrollWidth")
        assert wide <= width, f"the {section} page overflows sideways ({wide} px in a {width} px window)"
    assert chinese_page.console_errors() == []
    missing = [words for words in CHINESE[section] if words not in text]
    assert missing == [], f"the {section} page lacks {missing}:\n{text}"
    found = english_words(chinese_page)
    assert not found, f"English on the {section} page: {found}"


def test_the_restore_preview_and_login_are_in_chinese(chinese_page: Dashboard) -> None:
    visit(chinese_page, "/backups")
    chinese_page.js("document.querySelector('#bk-rows tr[data-backup] button.danger').click()")
    chinese_page.wait_js("return document.getElementById('restore-dialog').open && "
                         "document.querySelectorAll('#rd-lines li').length > 2", "the dry-run preview", 60)
    dialog = chinese_page.js("return document.getElementById('restore-dialog').innerText")
    assert "这只是试运行：没有做任何更改。" in dialog and "输入备份名称以确认恢复" in dialog, dialog
    chinese_page.screenshot("zh-backups-restore-1024", width=1024)
    chinese_page.js("document.getElementById('rd-cancel').click()")
    chinese_page.driver.get(chinese_page.base + "/login?code=used-or-made-up")
    assert chinese_page.driver.title == "trayapp：登录"
    assert "此登录链接已被使用或已过期" in chinese_page.js("return document.body.innerText")
    chinese_page.screenshot("zh-login-1024", width=1024)


def test_a_date_of_another_day_reads_the_chinese_way(chinese_page: Dashboard) -> None:
    visit(chinese_page, "/events")
    label = chinese_page.js("const d = new Date(2026, 10, 29, 14, 2); return clockLabel(d.getTime() / 1000, true)")
    assert re.fullmatch(r"11月29日\s*14:02", label), label
