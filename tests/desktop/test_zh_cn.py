"""Simplified Chinese on a real desktop (CJK fonts: Debian fonts-noto-cjk, in scripts/setup).

A real `trayapp run` on a real panel (Xvfb + trayer) in a zh_CN session: its tooltip and menu speak
Chinese and the menu's 重启 (Restart) restarts the child. A crash notification in Chinese goes over
the real session bus to dunst and is read back from the bus. Screenshots land in the test's tmp
folder (and $TRAYAPP_SHOTS) to be looked at.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desktop.harness import Desktop, need
from tests.desktop.test_notifications import calls_since, crash_for_real, notifier_for
from tests.desktop.test_tray import _choose_menu_item, _gtk_available, _menu_opens_and_stays
from tests.desktop.tray_rig import Desktop as TrayDesktop
from tests.desktop.tray_rig import Instance, keep_shot, tray_desktop
from trayapp import i18n

pytestmark = [pytest.mark.desktop, pytest.mark.slow, pytest.mark.timeout(180)]
ZH_SESSION = {"LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN:en", "LC_ALL": ""}


@pytest.fixture(scope="module")
def desk() -> Iterator[TrayDesktop]:
    with tray_desktop() as desktop:
        yield desktop


def _title(screen: TrayDesktop, window: int, text: str, timeout: float = 20.0) -> str:
    deadline, name = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        name = _utf8(screen.window_name(window))
        if text in name:
            return name
        time.sleep(0.2)
    raise AssertionError(f"the icon's title never said {text!r}; it says {name!r}")


def _utf8(name: str) -> str:
    """The GTK status icon's title reaches xdotool as UTF-8 bytes read as Latin-1: undo that."""
    try:
        return name.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def test_tray_menu_in_chinese_on_a_real_panel(desk: TrayDesktop, tmp_path: Path) -> None:
    """The session's language (LANG=zh_CN.UTF-8, nothing in config.toml) picks Chinese."""
    need(_gtk_available(), "PyGObject (gi) with Gtk 3 is not installed in this Python")
    instance = Instance(desk, tmp_path / "home", backend="gtk", extra_env=ZH_SESSION)
    try:
        window = desk.find_window("testbot", timeout=20)
        before = instance.wait_state("running")
        # The tray shows a change within a second (tray/controller.py): wait for the running title,
        # 运行中 at first, then 已运行 1 秒, 已运行 2 秒 … (正在启动 before it, while starting).
        title = _title(desk, window, "运行")
        assert title.startswith("testbot — ") and ("运行中" in title or "已运行" in title), title
        shot = tmp_path / "zh-menu.png"
        assert _menu_opens_and_stays(desk, window, shot), "no menu appeared after the right-click"
        keep_shot(shot)
        _choose_menu_item(desk, "Restart")  # the third line of the menu: 重启
        deadline = time.monotonic() + 30
        after = instance.status()
        while after["pid"] in (before["pid"], None) and time.monotonic() < deadline:
            time.sleep(0.5)
            after = instance.status()
        assert after["pid"] != before["pid"], "重启 from the Chinese menu did not restart the child"
    finally:
        instance.stop()


@pytest.fixture
def chinese() -> Iterator[None]:
    assert i18n.activate("zh_CN") == "zh_CN"
    yield
    i18n.activate("en")


def test_a_crash_notification_in_chinese_read_from_the_bus(desktop: Desktop, tmp_path: Path,
                                                            chinese: None) -> None:
    desktop.close_all_notifications()
    mark = len(desktop.notifications())
    notifier, journal = notifier_for(desktop.env, tmp_path)
    assert crash_for_real(journal) == 1
    (call,) = calls_since(desktop, mark, "nanobot")
    time.sleep(0.5)  # let dunst draw it before the screenshot
    shot = keep_shot(desktop.screenshot(tmp_path / "zh-notification.png"))
    notifier.close()
    assert call.summary == "nanobot 崩溃了（退出码 1） — 4 秒后重启"
    assert "Error: invalid API key for provider" in call.body  # the program's own words stay as they were
    assert shot.stat().st_size > 0
