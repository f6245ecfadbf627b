"""An XEmbed tray that appears after trayapp (a panel that starts late at login, or restarts):
the icon still ends up docked, because trayapp looks and asks the tray again."""

from __future__ import annotations

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
        t.wait_state("running")
        assert desk.tray_icons() == []
        desk.spawn(["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "200",
                    "--height", "32", "--SetDockType", "true", "--transparent", "false"], name="late-trayer")
        wait_for(desk.tray_manager, 10, message="the late tray to own the tray selection")
        icons = wait_for(desk.tray_icons, 25, message=lambda: f"the icon to dock; trayapp said:\n{t.output()}")
        assert len(icons) == 1
        assert "asking the tray to take it again" in t.paths.trayapp_log.read_text()
    finally:
        if t.proc is not None:
            assert t.terminate() == 0
