"""The status window and the log viewer open on a real X server against a real `trayapp run`,
and show real content (checked by their pixels; screenshots kept in $TRAYAPP_SHOTS to look at).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.desktop.tray_rig import (
    FILLS,
    PY,
    ROOT,
    Desktop,
    Instance,
    keep_shot,
    tray_desktop,
)

pytestmark = [pytest.mark.desktop, pytest.mark.slow, pytest.mark.timeout(120)]
ERROR_BACKGROUND = (0xFD, 0xE8, 0xE8)  # trayapp/ui/logview.py COLOURS["error"]
WARNING_BACKGROUND = (0xFF, 0xF4, 0xD6)


@pytest.fixture(scope="module")
def desk() -> Iterator[Desktop]:
    with tray_desktop() as desktop:
        yield desktop


@pytest.fixture(scope="module")
def instance(desk: Desktop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    running = Instance(desk, tmp_path_factory.mktemp("windows") / "home", backend="xorg")
    running.wait_state("running", timeout=30)
    yield running
    running.stop()


def window_shot(desk: Desktop, window: int, path: Path) -> Image.Image:
    x, y, w, h = desk.geometry(window)
    image = desk.screenshot(path).crop((x, y, x + w, y + h))
    image.save(path)
    keep_shot(path)
    return image


def count(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 12) -> int:
    data = image.convert("RGB").tobytes()
    return sum(1 for i in range(0, len(data), 3)
               if abs(data[i] - colour[0]) + abs(data[i + 1] - colour[1]) + abs(data[i + 2] - colour[2]) <= tolerance)


def open_window(instance: Instance, module: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([PY, "-m", module, *args], env=instance.env, cwd=ROOT)


def test_status_window_shows_the_running_program(desk: Desktop, instance: Instance, tmp_path: Path) -> None:
    proc = open_window(instance, "trayapp.ui.status")
    try:
        window = desk.find_window("^trayapp.*status$")
        time.sleep(3)  # the first answers from the running instance
        image = window_shot(desk, window, tmp_path / "status-window.png")
        assert image.width > 600 and image.height > 400
        assert count(image, FILLS["running"], 40) > 50, "the running icon is not in the headline"
    finally:
        proc.terminate()
        proc.wait(10)


def test_log_viewer_shows_the_programs_log_with_highlighting(desk: Desktop, instance: Instance, tmp_path: Path) -> None:
    proc = open_window(instance, "trayapp.ui.logview", "--program", "assistant")
    try:
        window = desk.find_window("^trayapp.*assistant.log$")
        time.sleep(2)
        image = window_shot(desk, window, tmp_path / "log-viewer.png")
        assert image.width > 600
        assert count(image, ERROR_BACKGROUND) > 100, "the child's error line is not highlighted"
        assert count(image, WARNING_BACKGROUND) > 100, "the child's warning line is not highlighted"
    finally:
        proc.terminate()
        proc.wait(10)
