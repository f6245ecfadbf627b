"""Status -> TrayView: icon key, tooltip, menu entries and their enabled state. No display."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from trayapp.status import Control, ExitInfo, Health, Mode, State, Status
from trayapp.supervisor import history
from trayapp.supervisor.policy import crash_loop
from trayapp.tray.view import (TOOLTIP_MAX, Action, Entry, Extras, IconKey, local_day_start, phrase, tray_view)

NOW = datetime(2026, 11, 21, 15, 0, 0).timestamp()  # local 15:00, in any time zone
H, M = 3600.0, 60.0


def counts(*times: float) -> tuple[tuple[float, int], ...]:
    """Restart counts as the supervisor keeps them, for restarts at these wall times."""
    kept: tuple[tuple[float, int], ...] = ()
    for t in times:
        kept = history.counted(kept, t)
    return kept


def status(state: State = State.RUNNING, **kw: Any) -> Status:
    base = Status(program="assistant", display_name="nanobot", state=state, pid=4242,
                  started_at=NOW - (2 * H + 14 * M))
    return replace(base, **kw)


def actions(entries: tuple[Entry, ...]) -> dict[tuple[str, str | None], Entry]:
    out: dict[tuple[str, str | None], Entry] = {}
    for e in entries:
        if e.action is not None:
            out[(str(e.action), e.program)] = e
        out.update(actions(e.submenu))
    return out


@pytest.mark.parametrize("snapshot, key", [
    (status(State.RUNNING), IconKey.RUNNING),
    (status(State.RUNNING, health=Health.HEALTHY), IconKey.RUNNING),
    (status(State.RUNNING, health=Health.UNKNOWN), IconKey.RUNNING),
    (status(State.RUNNING, health=Health.UNHEALTHY), IconKey.UNHEALTHY),
    (status(State.STARTING), IconKey.STARTING),
    (status(State.BACKOFF, retry_at=NOW + 8), IconKey.STARTING),
    (status(State.STOPPING), IconKey.STARTING),
    (status(State.GIVEN_UP), IconKey.GIVEN_UP),
    (status(State.STOPPED, started_at=None), IconKey.STOPPED),
    (status(State.RUNNING, mode=Mode.ATTACHED, owner="systemd --user nanobot-gateway.service"), IconKey.ATTACHED),
    (status(State.RUNNING, mode=Mode.EXTERNAL, owner="pid 77"), IconKey.ATTACHED),
    (status(State.RUNNING, mode=Mode.ATTACHED, health=Health.UNHEALTHY), IconKey.UNHEALTHY),
    (status(State.RUNNING, mode=Mode.ADOPTED), IconKey.RUNNING),
])
def test_icon_key_per_state(snapshot: Status, key: IconKey) -> None:
    assert tray_view([snapshot], NOW).icon_key is key


def test_tooltip_running_with_restarts_today() -> None:
    restarts = (NOW - 5 * H, NOW - 3 * H, NOW - 2.5 * H, local_day_start(NOW) - 60)  # last one: yesterday
    view = tray_view([status(restart_counts=counts(*restarts))], NOW)
    assert view.tooltip == "nanobot — running 2h 14m · 3 restarts today"


def test_tooltip_one_restart_is_singular() -> None:
    view = tray_view([status(restart_counts=counts(NOW - 60))], NOW)
    assert view.tooltip == "nanobot — running 2h 14m · 1 restart today"


def test_tooltip_gave_up_uses_the_supervisors_reason() -> None:
    snap = status(State.GIVEN_UP, started_at=None, last_exit=ExitInfo(code=1),
                  reason=crash_loop(5, 120, ExitInfo(code=1)), restart_counts=counts(*(NOW - 30,) * 5))
    assert tray_view([snap], NOW).tooltip == "nanobot — gave up after 5 crashes in 2m (exit 1)"


def test_tooltip_gave_up_mentions_the_next_try() -> None:
    snap = status(State.GIVEN_UP, reason=crash_loop(5, 120, ExitInfo(code=1)), retry_at=NOW + 540)
    assert tray_view([snap], NOW).tooltip == "nanobot — gave up after 5 crashes in 2m (exit 1) · next try in 9m"


def test_the_next_try_is_said_once_as_a_live_countdown() -> None:
    """The supervisor's reason says when it gave up that it will try again in 10m; by now that is 9m,
    and the tray says only the countdown."""
    from trayapp.message import Message, Wait
    from trayapp.status import TRYING_AGAIN

    reason = Message(TRYING_AGAIN, reason=crash_loop(5, 120, ExitInfo(code=1)), wait=Wait(600))
    snap = status(State.GIVEN_UP, reason=reason, retry_at=NOW + 540)
    assert tray_view([snap], NOW).tooltip == "nanobot — gave up after 5 crashes in 2m (exit 1) · next try in 9m"


def test_tooltip_gave_up_on_a_config_exit() -> None:
    snap = status(State.GIVEN_UP, reason="exited (exit 78): fix the configuration")
    assert tray_view([snap], NOW).tooltip == "nanobot — gave up: exited (exit 78): fix the configuration"


def test_tooltip_backoff_says_when_it_restarts() -> None:
    snap = status(State.BACKOFF, last_exit=ExitInfo(signal=9), retry_at=NOW + 8, restart_counts=counts(NOW - 10))
    assert tray_view([snap], NOW).tooltip == "nanobot — crashed (killed by SIGKILL), restarting in 8s · 1 restart today"


def test_tooltip_unhealthy_names_the_detail() -> None:
    snap = status(health=Health.UNHEALTHY, health_detail="HTTP 503")
    assert tray_view([snap], NOW).tooltip == "nanobot — running 2h 14m but unhealthy: HTTP 503"


def test_tooltip_attached_names_the_owner() -> None:
    snap = status(mode=Mode.ATTACHED, owner="systemd --user nanobot-gateway.service")
    assert tray_view([snap], NOW).tooltip == "nanobot — running 2h 14m under systemd --user nanobot-gateway.service"


def test_tooltip_stopped_and_starting() -> None:
    assert tray_view([status(State.STOPPED)], NOW).tooltip == "nanobot — stopped"
    assert tray_view([status(State.STARTING)], NOW).tooltip == "nanobot — starting"
    assert tray_view([status(State.STARTING, failures=2)], NOW).tooltip == "nanobot — restarting"


def test_tooltip_stays_within_the_windows_limit() -> None:
    snap = status(health=Health.UNHEALTHY, health_detail="x" * 400)
    other = status(program="ollama", display_name="ollama", state=State.STOPPED)
    tip = tray_view([snap, other], NOW).tooltip
    assert len(tip) == TOOLTIP_MAX and tip.endswith("…")


def test_several_programs_show_every_line_and_the_worst_icon() -> None:
    ok = status()
    bad = status(State.GIVEN_UP, program="ollama", display_name="ollama", reason=crash_loop(5, 120, ExitInfo(code=1)))
    view = tray_view([ok, bad], NOW)
    assert view.icon_key is IconKey.GIVEN_UP
    assert view.tooltip == "nanobot — running 2h 14m\nollama — gave up after 5 crashes in 2m (exit 1)"


@pytest.mark.parametrize("state, start, stop, restart", [
    (State.RUNNING, False, True, True),
    (State.STARTING, False, True, True),
    (State.BACKOFF, True, True, True),
    (State.STOPPING, False, False, False),
    (State.STOPPED, True, False, False),
    (State.GIVEN_UP, True, False, True),
])
def test_controls_enabled_per_state(state: State, start: bool, stop: bool, restart: bool) -> None:
    found = actions(tray_view([status(state)], NOW).menu)
    assert (found[("start", "assistant")].enabled, found[("stop", "assistant")].enabled,
            found[("restart", "assistant")].enabled) == (start, stop, restart)


def test_external_program_cannot_be_controlled() -> None:
    found = actions(tray_view([status(mode=Mode.EXTERNAL, control=Control.NONE, owner="pid 77")], NOW).menu)
    assert not any(found[(a, "assistant")].enabled for a in ("start", "stop", "restart"))


def test_single_program_menu_reads_top_to_bottom() -> None:
    labels = [e.label for e in tray_view([status()], NOW).menu]
    assert labels == ["nanobot — running 2h 14m", "-", "Start", "Stop", "Restart", "Logs",
                      "-", "Dashboard…", "Diagnostics…", "-", "Open data folder", "Open config file",
                      "Reload config", "Pause notifications for 1 hour", "-", "Quit trayapp"]
    assert tray_view([status()], NOW).menu[0].enabled is False  # the status line is text, not an action


def test_several_programs_get_a_submenu_each() -> None:
    other = status(State.STOPPED, program="ollama", display_name="ollama")
    menu = tray_view([status(), other], NOW).menu
    subs = {e.label: e for e in menu if e.submenu}
    assert set(subs) == {"nanobot", "ollama", "Quit trayapp"}
    ollama = {e.action: e for e in subs["ollama"].submenu}
    assert ollama[Action.START].enabled and ollama[Action.START].program == "ollama"
    assert not ollama[Action.STOP].enabled
    assert ollama[Action.LOGS].program == "ollama"


def test_an_attached_program_without_a_controllable_owner_offers_no_controls() -> None:
    watched = replace(status(), mode=Mode.ATTACHED, control=Control.NONE, owner="http://127.0.0.1:18790/")
    entries = {e.action: e for e in tray_view([watched], NOW).menu if e.action}
    assert not any(entries[a].enabled for a in (Action.START, Action.STOP, Action.RESTART))
    systemd = replace(status(), mode=Mode.ATTACHED, control=Control.THROUGH_OWNER)
    assert {e.action: e for e in tray_view([systemd], NOW).menu if e.action}[Action.RESTART].enabled


def test_backup_item_shows_progress_and_last_backup() -> None:
    idle = tray_view([status()], NOW, Extras(backup=True, last_backup_at=NOW - 7200))
    labels = [e.label for e in idle.menu]
    assert "Back up now" in labels and "Last backup: 2 hours ago" in labels
    busy = tray_view([status()], NOW, Extras(backup=True, backup_progress="backing up 45% of 1.2GB"))
    item = next(e for e in busy.menu if e.action is Action.BACKUP)
    assert item.label == "backing up 45% of 1.2GB" and not item.enabled
    assert busy.tooltip.endswith("backing up 45% of 1.2GB")


def test_low_disk_shows_in_tooltip_and_menu() -> None:
    view = tray_view([status()], NOW, Extras(disk_warning="Disk low: 1.5GB free on /home"))
    assert "Disk low: 1.5GB free on /home" in view.tooltip
    assert any(e.label == "Disk low: 1.5GB free on /home" and not e.enabled for e in view.menu)


def test_the_dashboard_is_the_default_click() -> None:
    defaults = [e for e in tray_view([status()], NOW).menu if e.default]
    assert [(e.label, e.action) for e in defaults] == [("Dashboard…", Action.DASHBOARD)]


def test_a_program_with_its_own_ui_offers_to_open_it() -> None:
    own = status(extra={"own_ui": "http://127.0.0.1:8765/"})
    found = actions(tray_view([own], NOW).menu)
    assert found[("own_ui", "assistant")].label == "Open nanobot's own UI"
    assert ("own_ui", "assistant") not in actions(tray_view([status()], NOW).menu)
    assert ("own_ui", "assistant") not in actions(tray_view([status(extra={"own_ui": "file:///etc/passwd"})], NOW).menu)
    other = status(State.STOPPED, program="ollama", display_name="ollama")
    assert ("own_ui", "assistant") in actions(tray_view([own, other], NOW).menu)  # in the program's submenu


def test_backups_page_sits_beside_back_up_now() -> None:
    labels = [e.label for e in tray_view([status()], NOW, Extras(backup=True)).menu]
    assert labels[labels.index("Back up now") + 1] == "Backups…"


def test_a_config_error_replaces_the_menu_with_what_fixes_it() -> None:
    problem = "programs.assistant.comand: unknown key; did you mean 'command'?"
    view = tray_view([], NOW, Extras(config_problem=problem))
    assert view.icon_key is IconKey.CONFIG_ERROR
    assert view.tooltip == f"trayapp: config.toml has a problem: {problem}"
    assert [(e.label, e.action) for e in view.menu if not e.is_separator] == [
        ("config.toml has a problem:", None), (problem, None), ("Open config file", Action.CONFIG_FILE),
        ("Reload config", Action.RELOAD), ("Dashboard…", Action.DASHBOARD), ("Diagnostics…", Action.DIAGNOSTICS),
        ("Quit trayapp", Action.QUIT_STOP)]
    assert len(tray_view([], NOW, Extras(config_problem="x" * 300)).tooltip) <= TOOLTIP_MAX


def test_pause_turns_into_resume_while_paused() -> None:
    paused = actions(tray_view([status()], NOW, Extras(paused_until=NOW + 1800)).menu)
    assert ("resume", None) in paused and ("pause", None) not in paused
    expired = actions(tray_view([status()], NOW, Extras(paused_until=NOW - 1)).menu)
    assert ("pause", None) in expired


def test_pause_is_disabled_without_a_notifier() -> None:
    found = actions(tray_view([status()], NOW, Extras(notifications=False)).menu)
    assert found[("pause", None)].enabled is False


def test_backup_and_autostart_appear_only_when_wired() -> None:
    plain = actions(tray_view([status()], NOW).menu)
    assert ("backup", None) not in plain and ("autostart", None) not in plain
    wired = tray_view([status()], NOW, Extras(backup=True, last_backup_at=NOW - 3 * H, autostart=True)).menu
    found = actions(wired)
    assert found[("autostart", None)].checked is True
    assert "Last backup: 3 hours ago" in [e.label for e in wired]


@pytest.mark.parametrize("on_quit, label", [("stop", "Quit (stops the assistant)"),
                                             ("leave", "Quit (leaves the assistant running)")])
def test_quit_label_follows_config(on_quit: str, label: str) -> None:
    assert actions(tray_view([status()], NOW, Extras(on_quit=on_quit)).menu)[("quit", None)].label == label


def test_ask_on_quit_is_a_submenu_naming_the_running_programs() -> None:
    ollama = status(program="ollama", display_name="ollama", mode=Mode.ADOPTED)  # ours, from before a crash
    stopped = status(State.STOPPED, program="web", display_name="web", started_at=None)
    watched = status(program="gw", display_name="gateway", mode=Mode.ATTACHED)  # not ours to stop or leave
    quit_menu = tray_view([status(), ollama, stopped, watched], NOW, Extras(on_quit="ask")).menu[-1]
    assert quit_menu.label == "Quit trayapp" and quit_menu.action is None
    assert [(e.label, e.action) for e in quit_menu.submenu] == [
        ("Stop nanobot and ollama and quit", Action.QUIT_STOP),
        ("Quit, leave nanobot and ollama running", Action.QUIT_LEAVE)]
    nothing_running = tray_view([stopped], NOW, Extras(on_quit="ask")).menu[-1]
    assert (nothing_running.label, nothing_running.action, nothing_running.submenu) == ("Quit trayapp", Action.QUIT_STOP, ())


def test_no_programs() -> None:
    view = tray_view([], NOW)
    assert view.icon_key is IconKey.STOPPED and "no programs" in view.tooltip


def test_view_and_icons_do_not_import_pystray() -> None:
    code = "import sys, trayapp.tray.view, trayapp.tray.icons, trayapp.tray.controller; print('pystray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_degraded_assistant_is_never_green_and_says_why() -> None:
    degraded = status(health=Health.DEGRADED,
                      health_detail="nanobot is running but has no usable model provider",
                      health_fix="pick a local one such as ollama")
    view = tray_view([degraded], NOW)
    assert view.icon_key is IconKey.DEGRADED
    assert "running 2h 14m but cannot answer: has no usable model provider" in view.tooltip
    healthy_and_degraded = tray_view([status(), degraded], NOW)
    assert healthy_and_degraded.icon_key is IconKey.DEGRADED  # the one most in need of attention
    unhealthy = tray_view([degraded, status(health=Health.UNHEALTHY)], NOW)
    assert unhealthy.icon_key is IconKey.UNHEALTHY


def test_durations_are_said_the_way_people_say_them() -> None:
    backoff = status(state=State.BACKOFF, retry_at=NOW + 7.642, last_exit=ExitInfo(code=1))
    assert phrase(backoff, NOW) == "crashed (exit 1), restarting in 8s"
    fresh = status(started_at=NOW - 0.4)
    assert phrase(fresh, NOW) == "running"


def test_the_menu_shows_the_last_crash_and_the_fix_when_degraded() -> None:
    from trayapp.status import CrashReport

    crash = CrashReport(program="nanobot", when=NOW - 60, exit="exit 1", cause="", fix="", known=False,
                        kind="python traceback", excerpt=("ValueError: bad token",), headline="ValueError: bad token")
    labels = [e.label for e in tray_view([status(last_crash=crash)], NOW).menu]
    assert f"Last crash {datetime.fromtimestamp(NOW - 60).strftime('%H:%M')}: ValueError: bad token" in labels
    degraded = status(health=Health.DEGRADED, health_detail="nanobot is running but has no usable model provider",
                      health_fix="pick a local one such as ollama")
    labels = [e.label for e in tray_view([degraded], NOW).menu]
    assert "Fix: pick a local one such as ollama" in labels


def test_reload_config_reloads_off_the_gui_thread() -> None:
    import threading

    from trayapp.tray.actions import TrayActions

    done = threading.Event()
    threads: list[str] = []

    class Host:
        def reload(self) -> dict[str, object]:
            threads.append(threading.current_thread().name)
            done.set()
            return {"ok": True}

    entry = next(e for e in tray_view([status()], NOW).menu if e.label == "Reload config")
    TrayActions(Host(), refresh=lambda: None).handle(entry.action, entry.program)  # type: ignore[arg-type]
    assert done.wait(30), "the reload never ran"
    assert threads == ["tray-reload"]


def test_a_stop_reason_that_says_stopped_is_not_said_twice() -> None:
    from trayapp.message import Message
    from trayapp.supervisor.program import stopped_by
    from trayapp.status import STOPPED_EXIT

    by_you = status(State.STOPPED, started_at=None, reason=stopped_by("user"))
    assert phrase(by_you, NOW) == "stopped by you"
    exited = status(State.STOPPED, started_at=None, reason=Message(STOPPED_EXIT, exit=ExitInfo(signal=15).message()))
    assert phrase(exited, NOW).startswith("stopped (") and "stopped: " not in phrase(exited, NOW)
    other = status(State.STOPPED, started_at=None, reason=Message("exited ({what})", what="exit 78"))
    assert phrase(other, NOW) == "stopped: exited (exit 78)"
