"""Browser tests: a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium)
against a real `trayapp run --headless` with a real child program.

Skip rule, as for the desktop tests: without /usr/bin/chromium and /usr/bin/chromedriver the tests
skip, unless TRAYAPP_REQUIRE_BROWSER=1 (CI sets it), in which case they fail and name the packages.
Selenium is given both paths, so Selenium Manager never runs and nothing downloads a browser.
Every test here is marked `browser`. Screenshots go to $TRAYAPP_ARTIFACTS or tests/browser/artifacts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.running import Trayapp, child_command, wait_for

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 30.0  # seconds: CI is a loaded 2-core machine; every wait ends as soon as its condition holds
BIG_LOG_BYTES = 1_000_000_000
NEEDLE = "🐈 Starting… needle 7f3e-91ab found by the dashboard"
ARTIFACTS = Path(os.environ.get("TRAYAPP_ARTIFACTS") or HERE / "artifacts")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[test]')")
    if not missing:
        return
    why = f"no browser to test with: {', '.join(missing)} missing (apt-get install chromium chromium-driver)"
    if os.environ.get("TRAYAPP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TRAYAPP_REQUIRE_BROWSER is set but {why}", pytrace=False)
    pytest.skip(f"{why}; or set TRAYAPP_REQUIRE_BROWSER=1 to fail instead")


def nanobot_block(start: int) -> bytes:
    """About 1 MB of lines as trayapp's capture writes nanobot's output (a 🐈 at every start)."""
    lines = []
    for i in range(start, start + 8_000):
        text = ("🐈 Starting nanobot gateway on port 18790…" if i % 2_000 == 0 else
                f"2026-11-30 14:02:03.120 | INFO     | nanobot.agent.loop:_process:{i % 400} - "
                f"Processing message from telegram:{i % 9000} ({i % 300} chars)")
        lines.append(f"2026-11-30T14:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}+00:00 stderr {text}\n")
    return "".join(lines).encode("utf-8")


def write_big_log(path: Path, size: int) -> None:
    """The needle near the start, so a newest-first search reads the whole file; written with
    os.write of one repeated block (about a second per gigabyte where the disk allows)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    block = nanobot_block(0)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, f"2026-11-30T13:59:59.000+00:00 stderr {NEEDLE}\n".encode())
        for _ in range(size // len(block) + 1):
            os.write(fd, block)
    finally:
        os.close(fd)


def config_text(data: Path, backups: Path) -> str:
    return (f"[logs]\nmax_size = \"4GB\"\ntotal_cap = \"8GB\"\n"
            f"[backup]\ndest = \"{backups}\"\n"
            f"[programs.assistant]\ncommand = {child_command('ticker')}\nstartsecs = \"0.5s\"\n"
            f"stop_timeout = \"2s\"\ndata_dirs = [\"{data}\"]\n"
            "[programs.assistant.backoff]\ninitial = \"0.1s\"\nmultiplier = 2\nmax = \"1s\"\njitter = 0\n"
            f"[programs.bigbot]\ncommand = {child_command('sleep')}\nstartsecs = \"0.5s\"\nstop_timeout = \"2s\"\n")


def make_data(folder: Path) -> None:
    """Enough incompressible data that a backup takes a moment and reports progress."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for n in range(12):
        (folder / f"part-{n}.bin").write_bytes(os.urandom(4_000_000))


@pytest.fixture(scope="session")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trayapp]:
    need_browser()
    root = tmp_path_factory.mktemp("browser")
    make_data(root / "data")
    t = Trayapp(root / "home", config_text(root / "data", root / "backups"))
    (t.home / "config.toml").chmod(0o600)
    write_big_log(t.paths.program_log("bigbot"), int(os.environ.get("TRAYAPP_BIG_LOG_BYTES", BIG_LOG_BYTES)))
    t.start()
    try:
        t.wait_state("running", "assistant", timeout=WAIT)
        yield t
    finally:
        if t.proc is not None and t.proc.poll() is None:
            t.terminate(30)
        for log in t.paths.log_dir.glob("bigbot.log*"):  # a gigabyte is not kept in the temp folder
            log.unlink()


@pytest.fixture(scope="session")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    browser.set_page_load_timeout(WAIT)
    try:
        yield browser
    finally:
        browser.quit()


class Dashboard:
    """The signed-in page in the browser, and the waits and checks the tests share."""

    def __init__(self, driver: Any, instance: Trayapp) -> None:
        self.driver, self.instance = driver, instance
        reply = instance.cli("dashboard", "--json")
        assert reply.returncode == 0, reply.stderr
        url = json.loads(reply.stdout)["url"]
        self.base = url.split("/login")[0]
        driver.get(url)
        self.wait_js("return document.querySelector('.card') !== null", "the overview's first card")

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)
        # the page's state, not its words: the pill says "connecting…" in the instance's language
        self.wait_js("return state.overview !== null || state.connected", f"{path} to connect")

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def wait_js(self, script: str, what: str, timeout: float = WAIT, *args: Any) -> Any:
        return wait_for(lambda: self.js(script, *args), timeout, what)

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def screenshot(self, name: str, width: int = 1280) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        height = int(self.js("return Math.max(900, document.documentElement.scrollHeight)"))
        self.driver.set_window_size(width, min(height, 2400))
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1280, 900)
        return path

    def dark(self, on: bool) -> None:
        """prefers-color-scheme as the system would set it."""
        features = [{"name": "prefers-color-scheme", "value": "dark" if on else "light"}]
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": features})

    def card(self, program: str) -> dict[str, str]:
        return self.js("const c = document.querySelector(`.card[data-program='${arguments[0]}']`);"
                       "return c ? {pid: c.dataset.pid, state: c.dataset.state, text: c.innerText} : null", program)


@pytest.fixture(scope="session")
def dashboard(driver: Any, instance: Trayapp) -> Dashboard:
    return Dashboard(driver, instance)


@pytest.fixture(autouse=True)
def _clean_console(request: pytest.FixtureRequest) -> None:
    """Each test sees only its own console messages."""
    if "dashboard" in request.fixturenames:
        request.getfixturevalue("dashboard").driver.get_log("browser")

