"""The dashboard in a real headless Chromium against a real headless trayapp: every page loads
cleanly, live updates arrive without a reload, and the buttons do what they say."""

from __future__ import annotations

import stat
import time

import psutil
import pytest

from tests.browser.conftest import NEEDLE, WAIT, Dashboard

PAGES = ["/", "/charts", "/logs?program=assistant", "/events", "/backups", "/diagnostics", "/config"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_without_a_console_error_or_a_failed_request(dashboard: Dashboard, path: str) -> None:
    dashboard.open(path)
    section = {"/": "overview"}.get(path, path[1:].split("?")[0])
    dashboard.wait_js(f"return !document.getElementById('page-{section}').hidden", f"the {section} page")
    ready = {"charts": "return document.getElementById('chart-memory')._chart !== undefined",
             "logs": "return document.querySelectorAll('#log-lines .line').length > 0",
             "events": "return document.querySelectorAll('#ev-rows tr').length > 0",
             "backups": "return document.getElementById('bk-summary').textContent !== ''",
             "diagnostics": "return document.querySelectorAll('#dx-checks li').length > 0",
             "config": "return document.getElementById('cf-text').textContent !== ''"}
    if section in ready:
        dashboard.wait_js(ready[section], f"the {section} page's content", timeout=60)
    if section == "charts":
        wait_for_samples(dashboard)
    dashboard.screenshot(section)
    dashboard.screenshot(f"{section}-1024", width=1024)
    dashboard.dark(True)
    dashboard.screenshot(f"{section}-dark")
    dashboard.dark(False)
    assert dashboard.console_errors() == []
    for width in (1024, 1600):
        dashboard.driver.set_window_size(width, 900)
        wide = dashboard.js("return document.documentElement.scrollWidth")
        assert wide <= width, f"the {section} page overflows sideways ({wide} px in a {width} px window)"


def wait_for_samples(dashboard: Dashboard) -> None:
    """A fresh trayapp has sampled nothing yet: ask again (as the span button does) until it has."""
    started = time.monotonic()
    while not dashboard.js("return charts.data !== null && charts.data.points.length > 1"):
        assert time.monotonic() - started < 90, "no memory or CPU samples reached the charts in 90 s"
        dashboard.js("document.querySelector('[data-span=\"3600\"]').click()")
        time.sleep(1)


def test_a_sigkill_of_the_child_shows_on_the_overview_within_a_second_without_reload(dashboard: Dashboard) -> None:
    dashboard.open("/")
    dashboard.wait_js("return document.querySelector(\".card[data-program='assistant']\").dataset.state === 'running'",
                      "the assistant to run")
    pid = int(dashboard.card("assistant")["pid"])
    dashboard.js("""
        window.__loaded = performance.timeOrigin; window.__changedAt = null;
        const old = arguments[0];
        new MutationObserver(() => {
          const c = document.querySelector(".card[data-program='assistant']");
          if (window.__changedAt === null && c && (c.dataset.pid !== old || c.dataset.state !== 'running'))
            window.__changedAt = Date.now();
        }).observe(document.getElementById('programs'), {childList: true, subtree: true, attributes: true});
    """, str(pid))
    killed_at = time.time() * 1000
    psutil.Process(pid).kill()  # SIGKILL
    changed = dashboard.wait_js("return window.__changedAt", "the card to change after the kill")
    assert changed - killed_at < 1000, f"the page showed the crash {changed - killed_at:.0f} ms after the kill"
    dashboard.wait_js("return document.querySelector(\".card[data-program='assistant'] .crash\")", "the crash report")
    dashboard.screenshot("overview-crash")
    assert "assistant" in dashboard.js("return document.getElementById('announce').textContent"), \
        "the state change was not announced to screen readers"
    assert dashboard.js("return window.__loaded") == dashboard.js("return performance.timeOrigin"), "the page reloaded"


def test_restart_gives_a_new_pid(dashboard: Dashboard) -> None:
    dashboard.open("/")
    dashboard.wait_js("return document.querySelector(\".card[data-program='assistant'] button[data-verb='restart']\")",
                      "a Restart button")
    old = dashboard.card("assistant")["pid"]
    dashboard.js("document.querySelector(\".card[data-program='assistant'] button[data-verb='restart']\").click()")
    dashboard.wait_js("const c = document.querySelector(\".card[data-program='assistant']\");"
                      "return c.dataset.pid !== '' && c.dataset.pid !== arguments[0] && c.dataset.state === 'running'",
                      "a new pid", WAIT, old)
    new = int(dashboard.card("assistant")["pid"])
    assert new != int(old)
    assert dashboard.instance.program("assistant")["pid"] == new
    assert dashboard.console_errors() == []


def test_search_finds_the_string_next_to_the_cat_in_a_big_log(dashboard: Dashboard) -> None:
    dashboard.open("/logs?program=bigbot")
    dashboard.wait_js("return document.querySelectorAll('#log-lines .line').length > 0", "the log's last lines")
    dashboard.js("document.getElementById('log-q').value = arguments[0];"
                 "document.getElementById('log-search-form').requestSubmit()", "NEEDLE 7F3E-91AB")
    started = time.monotonic()
    while not dashboard.js("return [...document.querySelectorAll('#log-results button.match')]"
                           ".some(b => b.textContent.includes(arguments[0]))", NEEDLE):
        assert time.monotonic() - started < 120, ("the search did not find the needle in two minutes: "
                                                  + dashboard.js("return document.body.innerText"))
        dashboard.js("const more = document.querySelector('#log-results button.more'); if (more) more.click()")
        time.sleep(0.2)
    dashboard.screenshot("logs-search")
    dashboard.js("[...document.querySelectorAll('#log-results button.match')]"
                 ".find(b => b.textContent.includes(arguments[0])).click()", NEEDLE)
    dashboard.wait_js("const hit = document.querySelector('#log-lines .line.hit');"
                      "return hit && hit.textContent.includes(arguments[0])", "the found line in its context", WAIT, NEEDLE)
    assert dashboard.console_errors() == []


def test_a_backup_shows_progress_and_lands_in_the_list(dashboard: Dashboard) -> None:
    dashboard.open("/backups")
    dashboard.wait_js("return document.getElementById('bk-summary').textContent !== ''", "the backups page")
    before = dashboard.js("return document.querySelectorAll('#bk-rows tr[data-backup]').length")
    dashboard.js("""
        window.__progress = [];
        new MutationObserver(() => {
          if (getComputedStyle(document.getElementById('bk-progress')).display !== 'none')
            window.__progress.push(document.getElementById('bk-words').textContent);
        }).observe(document.getElementById('page-backups'), {childList: true, subtree: true, attributes: true,
                                                            characterData: true});
        document.getElementById('bk-now').click();
    """)
    dashboard.wait_js("return document.querySelectorAll('#bk-rows tr[data-backup]').length > arguments[0]",
                      "the new backup in the list", 120, before)
    seen = dashboard.js("return window.__progress")
    assert any(words for words in seen), "no progress was shown while the backup ran"
    assert dashboard.js("return getComputedStyle(document.getElementById('bk-progress')).display") == "none", \
        "the progress bar stayed after the backup was done"
    dashboard.screenshot("backups-done")
    assert dashboard.console_errors() == []


def test_a_doctor_fix_changes_a_file_mode(dashboard: Dashboard) -> None:
    config = dashboard.instance.home / "config.toml"
    config.chmod(0o644)
    dashboard.open("/diagnostics")
    # Found and clicked in one step inside the page: a report that arrives in between re-renders
    # the list, and an element held across two calls is then stale.
    click_fix = ("const li = [...document.querySelectorAll('#dx-checks li')]"
                 ".find(li => li.textContent.includes(arguments[0]) && li.querySelector('button[data-fix]'));"
                 "if (!li) return false; li.querySelector('button[data-fix]').click(); return true;")
    started = time.monotonic()
    while not dashboard.js(click_fix, str(config)):
        # the server keeps a report a few seconds: one made before the chmod may still be served
        assert time.monotonic() - started < 90, "no Fix was offered for the open config file in 90 s"
        time.sleep(2)
        dashboard.js("document.getElementById('dx-rerun').click()")
    dashboard.wait_js("return document.querySelector('.banner.note') !== null", "the fix's message", 60)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert dashboard.console_errors() == []


def test_the_log_follows_live_and_jumps_to_the_last_crash(dashboard: Dashboard) -> None:
    dashboard.instance.wait_state("running", "assistant", timeout=WAIT)
    psutil.Process(dashboard.instance.program("assistant")["pid"]).kill()
    dashboard.instance.wait_state("running", "assistant", timeout=WAIT)
    dashboard.open("/logs?program=assistant")
    dashboard.wait_js("return document.querySelectorAll('#log-lines .line').length > 0", "the log's last lines")
    last = dashboard.js("return document.querySelector('#log-lines .line:last-child').textContent")
    dashboard.wait_js("return document.querySelector('#log-lines .line:last-child').textContent !== arguments[0]",
                      "a new line from the ticking child, without a reload", WAIT, last)
    dashboard.js("document.getElementById('log-crash').click()")
    dashboard.wait_js("return document.querySelector('#log-lines .line.mark-crash.hit') !== null",
                      "the last crash, marked and in view")
    dashboard.screenshot("logs-crash")
    assert dashboard.console_errors() == []


def test_restore_shows_a_dry_run_and_asks_for_the_name(dashboard: Dashboard) -> None:
    dashboard.open("/backups")
    if not dashboard.js("return document.querySelector('#bk-rows tr[data-backup]')"):
        dashboard.js("document.getElementById('bk-now').click()")
    row = dashboard.wait_js("return document.querySelector('#bk-rows tr[data-backup]')", "a backup in the list", 120)
    name = dashboard.js("return arguments[0].dataset.backup", row)
    dashboard.js("arguments[0].querySelector('button.danger').click()", row)
    dashboard.wait_js("return document.getElementById('restore-dialog').open && "
                      "document.querySelectorAll('#rd-lines li').length > 0", "the dry-run preview", 60)
    assert dashboard.js("return document.getElementById('rd-go').disabled"), "Restore before the name was typed"
    dashboard.driver.find_element("id", "rd-confirm").send_keys(name)
    assert not dashboard.js("return document.getElementById('rd-go').disabled"), "the typed name did not unlock Restore"
    dashboard.screenshot("backups-restore")
    dashboard.js("document.getElementById('rd-cancel').click()")
    assert not dashboard.js("return document.getElementById('restore-dialog').open")
    assert dashboard.console_errors() == []


def test_the_events_page_shows_new_events_as_they_happen(dashboard: Dashboard) -> None:
    dashboard.open("/events")
    dashboard.wait_js("return document.querySelectorAll('#ev-rows tr').length > 0", "the journal")
    first = dashboard.js("return document.querySelector('#ev-rows tr').textContent")
    done = dashboard.instance.cli("restart", "bigbot")
    assert done.returncode == 0, done.stderr
    dashboard.wait_js("const row = document.querySelector('#ev-rows tr');"
                      "return row.textContent !== arguments[0] && row.textContent.includes('bigbot')",
                      "the restart in the table without a reload", WAIT, first)
    assert dashboard.console_errors() == []

def test_ten_thousand_followed_lines_keep_the_page_small(dashboard: Dashboard) -> None:
    dashboard.open("/logs?program=assistant")
    dashboard.wait_js("return document.querySelectorAll('#log-lines .line').length > 0", "the log's last lines")
    dashboard.js("for (let i = 0; i < 10000; i++) appendLine({cursor: null, ts: Date.now() / 1000, time: '', "
                 "stream: 'stderr', level: 'info', text: `flood line ${i}`, mark: null});")
    texts = "return [...document.querySelectorAll('#log-lines .line .x')].map(x => x.textContent)"
    dashboard.wait_js(f"{texts}.includes('flood line 9999')", "the newest flood line")
    shown = dashboard.js(texts)
    assert 1000 <= len(shown) <= 5000, f"{len(shown)} lines in the page"
    assert "flood line 0" not in shown, "the oldest lines were kept"
    assert dashboard.js("const v = document.getElementById('log-view');"
                        "return v.scrollTop + v.clientHeight >= v.scrollHeight - 40"), "following stopped at the end"

def test_the_page_says_when_trayapp_is_not_answering_and_comes_back_by_itself(dashboard: Dashboard) -> None:
    """Last in the file: it stops the session's trayapp and starts it again on the same port."""
    dashboard.open("/")
    dashboard.js("window.__loaded = performance.timeOrigin")
    assert dashboard.instance.terminate(30) == 0
    dashboard.wait_js("return document.getElementById('offline') !== null", "the not-answering banner")
    assert "not answering" in dashboard.js("return document.getElementById('offline').textContent")
    dashboard.screenshot("offline")
    dashboard.instance.start()
    dashboard.wait_js("return document.getElementById('offline') === null && "
                      "document.querySelector(\".card[data-program='assistant']\") !== null",
                      "the page to reconnect", 60)
    assert dashboard.js("return window.__loaded") == dashboard.js("return performance.timeOrigin"), "the page reloaded"
