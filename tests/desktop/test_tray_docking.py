"""An XEmbed tray that appears after trayapp (a panel that starts late at login, or restarts):
the icon still ends up docked, because trayapp looks and asks the tray again."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.desktop.harness import Desktop, wait_for
from tests.integration.running import Trayapp, child_command

pytestmark = pytest.mark.desktop


def test_the_icon_docks_in_a_tray_that_starts_after_trayapp(make_desktop: Callable[..., Desktop],
                                                             tmp_path: Path) -> None:
    desk = make_desktop(with_bus=True, with_daemon=False, with_tray=False)
    t = Trayapp(tmp_path / "h", f"[programs.assistant]\ncommand = {child_command('sleep')}\n",
                env={**desk.env, "PYSTRAY_BACKEND": "xorg"})
    try:
        t.start(headless=False)
        running = t.wait_state("running")
        assert desk.tray_icons() == []
        # Start the tray only once trayapp has seen the icon undocked and asked for it, and the
        # tray's last icon change is over (it shows a change within a second, tray/controller.py):
        # pystray docks on an icon change when a tray exists, and this test is about trayapp's asking.
        log = t.paths.trayapp_log
        wait_for(lambda: "asking the tray to take it again" in log.read_text(), 20,
                 message="trayapp to notice that the icon is in no tray")
        wait_for(lambda: time.time() - running["since_at"] > 2.0, 5, message="the icon's last change to be over")
        desk.spawn(["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "200",
                    "--height", "32", "--SetDockType", "true", "--transparent", "false"], name="late-trayer")
        wait_for(desk.tray_manager, 10, message="the late tray to own the tray selection")
        icons = wait_for(desk.tray_icons, 25, message=lambda: f"the icon to dock; trayapp said:\n{t.output()}")
        assert len(icons) == 1
    finally:
        if t.proc is not None:
            assert t.terminate() == 0
