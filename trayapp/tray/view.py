"""Status snapshots -> what the tray shows: icon key, tooltip and the menu, as plain data.

Pure: no pystray, no pillow, no clock of its own. `tray/menu.py` turns a `TrayView` into a
pystray menu and the dashboard and headless output use the same phrases, so all say the same thing.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from trayapp.i18n import _, ngettext
from trayapp.message import Message, words
from trayapp.status import SAYS_STOPPED, TRYING_AGAIN, Health, Mode, State, Status, cannot_answer, refusal
from trayapp.units import format_ago, format_duration, format_wait

# Windows keeps 128 UTF-16 units of a tooltip including the NUL (szTip[128]); the other platforms
# allow more, so the shortest limit is the one every platform gets.
TOOLTIP_MAX = 127
APP_TITLE = "trayapp"


class IconKey(enum.StrEnum):
    """One icon per meaning; `tray/icons.py` draws each one."""

    RUNNING = "running"  # running and healthy (or no health check)
    STARTING = "starting"  # starting, restarting after a crash (backoff), stopping
    UNHEALTHY = "unhealthy"  # running, but the health check fails
    DEGRADED = "degraded"  # running and answering, but cannot do its job (no model provider, bad key)
    GIVEN_UP = "given_up"  # crashed too often, or an exit that must not be restarted
    STOPPED = "stopped"
    ATTACHED = "attached"  # running, owned by a service manager or somebody else
    CONFIG_ERROR = "config_error"  # config.toml has a problem: nothing is supervised until it is fixed


# When several programs run, the icon shows the one most in need of attention.
_SEVERITY = {IconKey.RUNNING: 0, IconKey.ATTACHED: 1, IconKey.STOPPED: 2, IconKey.STARTING: 3,
             IconKey.DEGRADED: 4, IconKey.UNHEALTHY: 5, IconKey.GIVEN_UP: 6, IconKey.CONFIG_ERROR: 7}


class Action(enum.StrEnum):
    """What a menu entry asks for; the tray's handler maps each to one non-blocking call."""

    START = "start"
    STOP = "stop"
    RESTART = "restart"
    LOGS = "logs"  # the dashboard's Logs page for `program`
    DASHBOARD = "dashboard"
    DIAGNOSTICS = "diagnostics"
    BACKUPS = "backups"  # the dashboard's Backups page
    OWN_UI = "own_ui"  # the assistant's own web UI (Status.extra["own_ui"])
    DATA_FOLDER = "data_folder"
    CONFIG_FILE = "config_file"
    RELOAD = "reload"
    BACKUP = "backup"
    AUTOSTART = "autostart"
    PAUSE = "pause"
    RESUME = "resume"
    QUIT = "quit"  # as [tray] on_quit says (stop or leave)
    QUIT_STOP = "quit_stop"  # on_quit = "ask": the submenu's two answers
    QUIT_LEAVE = "quit_leave"


@dataclass(frozen=True)
class Entry:
    """One menu entry. No action: a disabled line of text (or a submenu's title)."""

    label: str
    action: Action | None = None
    program: str | None = None
    enabled: bool = True
    checked: bool | None = None  # None: not a check item
    default: bool = False  # activated by a click on the icon where the backend has one
    submenu: tuple["Entry", ...] = ()

    @property
    def is_separator(self) -> bool:
        return self.label == "-"


SEPARATOR = Entry("-", enabled=False)


@dataclass(frozen=True)
class ProgramView:
    program: str
    display_name: str
    icon_key: IconKey
    phrase: str  # "running 2h 14m · 3 restarts today"
    can_start: bool
    can_stop: bool
    can_restart: bool
    last_crash: str = ""  # "Last crash 14:02: ValueError: bad token" (the crash report's headline)
    cannot_answer: str = ""  # degraded: what to do about it
    own_ui: str = ""  # the URL of the program's own web UI, when it has one
    running: bool = False  # a managed process of trayapp's is alive (what "Stop … and quit" stops)

    @property
    def line(self) -> str:
        return _("{name} — {phrase}").format(name=self.display_name, phrase=self.phrase)

    def notes(self) -> tuple[str, ...]:
        """Lines under the program's own in the menu: its fix when degraded, its last crash."""
        return tuple(n for n in (self.cannot_answer, self.last_crash) if n)


@dataclass(frozen=True)
class Extras:
    """Tray features beyond the programs; None/False means the entry is not offered."""

    on_quit: str = "ask"  # ask | stop | leave (config [tray] on_quit)
    notifications: bool = True  # a notifier exists
    paused_until: float | None = None  # wall time
    autostart: bool | None = None  # None: no login item support wired in
    backup: bool = False  # "Back up now" is wired
    last_backup_at: float | None = None
    backup_progress: str | None = None  # "backing up 45% of 1.2GB" while a backup runs
    disk_warning: str | None = None  # "disk low: 1.2GB free on /home"
    config_problem: str | None = None  # the first problem of a config.toml that could not be read


@dataclass(frozen=True)
class TrayView:
    icon_key: IconKey
    tooltip: str
    programs: tuple[ProgramView, ...]
    menu: tuple[Entry, ...] = field(default=())


def local_day_start(now: float) -> float:
    """Wall time of the last local midnight before `now` ("restarts today")."""
    moment = datetime.fromtimestamp(now)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def icon_key(status: Status) -> IconKey:
    state = status.state
    if state is State.GIVEN_UP:
        return IconKey.GIVEN_UP
    if state in (State.STARTING, State.BACKOFF, State.STOPPING):
        return IconKey.STARTING
    if state is State.STOPPED:
        return IconKey.STOPPED
    if status.health is Health.UNHEALTHY:
        return IconKey.UNHEALTHY
    if status.health is Health.DEGRADED:  # never green: it runs, but every message would fail
        return IconKey.DEGRADED
    if status.mode in (Mode.ATTACHED, Mode.EXTERNAL):
        return IconKey.ATTACHED
    return IconKey.RUNNING


def restarts_today(status: Status, now: float) -> int:
    start = local_day_start(now)
    return status.restarts_since(start)


def _running_phrase(status: Status, now: float) -> str:
    uptime = status.uptime(now)
    if uptime is not None and uptime >= 1:
        text = _("running {uptime}").format(uptime=format_duration(int(uptime)))
    else:
        text = _("running")
    text += _owner_phrase(status)
    if status.health is Health.UNHEALTHY:
        detail = words(status.health_detail)
        text += _(" but unhealthy: {detail}").format(detail=detail) if detail else _(" but unhealthy")
    elif status.health is Health.DEGRADED:
        text += (_(" but cannot answer: {detail}").format(detail=cannot_answer(status.health_detail,
                                                                                status.display_name))
                 if status.health_detail else _(" but cannot answer"))
    return text


def _owner_phrase(status: Status) -> str:
    if status.mode is Mode.ATTACHED:
        return _(" under {owner}").format(owner=status.owner) if status.owner else _(" (attached)")
    if status.mode is Mode.EXTERNAL:
        return (_(" outside trayapp ({owner})").format(owner=status.owner) if status.owner
                else _(" outside trayapp"))
    return ""


def _backoff_phrase(status: Status, now: float) -> str:
    what = _("crashed ({exit})").format(exit=status.last_exit.said()) if status.last_exit else _("crashed")
    if status.retry_at is None:
        return _("{what}, restarting").format(what=what)
    return _("{what}, restarting in {wait}").format(what=what, wait=format_wait(max(0.0, status.retry_at - now)))


def _given_up_phrase(status: Status, now: float) -> str:
    said = status.reason
    if isinstance(said, Message) and said.message == TRYING_AGAIN and status.retry_at is not None:
        inner = said.values.get("reason", "")  # "trying again in 10m" was true when it gave up:
        said = inner if isinstance(inner, (Message, str)) else str(inner)  # the countdown below is now
    if isinstance(said, Message):  # trayapp's own reason says "gave up" itself
        text = said.words()
    else:
        reason = said or (_("exited ({exit})").format(exit=status.last_exit.said()) if status.last_exit
                                   else "")
        text = _("gave up: {reason}").format(reason=reason) if reason else _("gave up")
    if status.retry_at is not None and status.retry_at > now:
        text += _(" · next try in {wait}").format(wait=format_wait(status.retry_at - now))
    return text


def _state_phrase(status: Status, now: float) -> str:
    state = status.state
    if state is State.RUNNING:
        return _running_phrase(status, now)
    if state is State.STARTING:
        return _("restarting") if status.failures else _("starting")
    if state is State.BACKOFF:
        return _backoff_phrase(status, now)
    if state is State.STOPPING:
        return _("stopping")
    if state is State.GIVEN_UP:
        return _given_up_phrase(status, now)
    if isinstance(status.reason, Message) and status.reason.message in SAYS_STOPPED:
        return status.reason.words()
    if status.reason:
        return _("stopped: {reason}").format(reason=words(status.reason))
    return _("stopped")


def phrase(status: Status, now: float) -> str:
    """What the program is doing, in plain words: "running 2h 14m · 3 restarts today"."""
    text = _state_phrase(status, now)
    today = restarts_today(status, now)
    if today and status.state is not State.GIVEN_UP:
        text += ngettext(" · {n} restart today", " · {n} restarts today", today).format(n=today)
    return text


_OFFERED = {  # the states in which each control makes sense
    "start": (State.STOPPED, State.GIVEN_UP, State.BACKOFF),
    "stop": (State.STARTING, State.RUNNING, State.BACKOFF),
    "restart": (State.STARTING, State.RUNNING, State.BACKOFF, State.GIVEN_UP),
}


def _offers(status: Status, action: str) -> bool:
    return status.state in _OFFERED[action] and refusal(status, action) is None


def program_view(status: Status, now: float) -> ProgramView:
    return ProgramView(
        program=status.program,
        display_name=status.display_name,
        icon_key=icon_key(status),
        phrase=phrase(status, now),
        can_start=_offers(status, "start"),
        can_stop=_offers(status, "stop"),
        can_restart=_offers(status, "restart"),
        last_crash=_last_crash(status),
        cannot_answer=_("Fix: {fix}").format(
            fix=words(status.health_fix)) if status.health is Health.DEGRADED and status.health_fix else "",
        own_ui=own_ui(status),
        running=status.mode in _OURS and status.state in (State.STARTING, State.RUNNING, State.BACKOFF),
    )


_OURS = (Mode.MANAGED, Mode.ADOPTED)  # processes trayapp started: what Quit may stop or leave running


def own_ui(status: Status) -> str:
    """The address of the program's own web UI (set by its readiness watch), or ""."""
    url = status.extra.get("own_ui")
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else ""


def _last_crash(status: Status) -> str:
    crash = status.last_crash
    if crash is None or not words(crash.headline):
        return ""
    if crash.when:
        return _("Last crash {time}: {headline}").format(time=_clock(crash.when), headline=words(crash.headline))
    return _("Last crash: {headline}").format(headline=words(crash.headline))


def clip(text: str, limit: int = TOOLTIP_MAX) -> str:
    """Cut to `limit` characters, ending in "…" when something was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def tooltip(programs: Sequence[ProgramView]) -> str:
    if not programs:
        return _("{app} — no programs configured").format(app=APP_TITLE)
    return clip("\n".join(p.line for p in programs))


def overall_key(programs: Sequence[ProgramView]) -> IconKey:
    if not programs:
        return IconKey.STOPPED
    return max((p.icon_key for p in programs), key=_SEVERITY.__getitem__)


def _controls(p: ProgramView) -> tuple[Entry, ...]:
    return (
        Entry(_("Start"), Action.START, p.program, enabled=p.can_start),
        Entry(_("Stop"), Action.STOP, p.program, enabled=p.can_stop),
        Entry(_("Restart"), Action.RESTART, p.program, enabled=p.can_restart),
    )


def _pages(p: ProgramView) -> tuple[Entry, ...]:
    own = (Entry(_("Open {name}'s own UI").format(name=p.display_name), Action.OWN_UI, p.program),) if p.own_ui else ()
    return (Entry(_("Logs"), Action.LOGS, p.program), *own)


def _program_entries(programs: Sequence[ProgramView]) -> tuple[Entry, ...]:
    if len(programs) == 1:
        p = programs[0]
        notes = tuple(Entry(clip(n, 80), enabled=False) for n in p.notes())
        return (Entry(clip(p.line, 80), enabled=False), *notes, SEPARATOR, *_controls(p), *_pages(p))
    lines = tuple(Entry(clip(p.line, 80), enabled=False) for p in programs)
    subs = tuple(Entry(p.display_name, submenu=(*_controls(p), *_pages(p))) for p in programs)
    return (*lines, SEPARATOR, *subs)


def _clock(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%H:%M")


def _extra_entries(extras: Extras, now: float) -> tuple[Entry, ...]:
    entries: list[Entry] = []
    if extras.disk_warning:
        entries.append(Entry(clip(extras.disk_warning, 80), enabled=False))
    if extras.backup:
        entries.append(Entry(extras.backup_progress or _("Back up now"), Action.BACKUP,
                             enabled=extras.backup_progress is None))
        entries.append(Entry(_("Backups…"), Action.BACKUPS))
        when = format_ago(now - extras.last_backup_at) if extras.last_backup_at else _("never")
        entries.append(Entry(_("Last backup: {when}").format(when=when), enabled=False))
    entries += [Entry(_("Open data folder"), Action.DATA_FOLDER), Entry(_("Open config file"), Action.CONFIG_FILE),
                Entry(_("Reload config"), Action.RELOAD)]
    if extras.autostart is not None:
        entries.append(Entry(_("Start at login"), Action.AUTOSTART, checked=extras.autostart))
    if extras.paused_until is not None and extras.paused_until > now:
        entries.append(Entry(_("Resume notifications (paused until {time})").format(time=_clock(extras.paused_until)),
                             Action.RESUME, enabled=extras.notifications))
    else:
        entries.append(Entry(_("Pause notifications for 1 hour"), Action.PAUSE, enabled=extras.notifications))
    return tuple(entries)


def _names(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return _("{names} and {last}").format(names=_(", ").join(names[:-1]), last=names[-1])


def quit_entry(on_quit: str, programs: Sequence[ProgramView]) -> Entry:
    """Quit as configured; with on_quit = "ask", a submenu whose two entries are the question."""
    if on_quit == "stop":
        return Entry(_("Quit (stops the assistant)"), Action.QUIT)
    if on_quit == "leave":
        return Entry(_("Quit (leaves the assistant running)"), Action.QUIT)
    running = [p.display_name for p in programs if p.running]
    if not running:
        return Entry(_("Quit trayapp"), Action.QUIT_STOP)
    names = clip(_names(running), 60)
    return Entry(_("Quit trayapp"), submenu=(Entry(_("Stop {names} and quit").format(names=names), Action.QUIT_STOP),
                                             Entry(_("Quit, leave {names} running").format(names=names),
                                                   Action.QUIT_LEAVE)))


def _dashboard_entries() -> tuple[Entry, ...]:
    return (Entry(_("Dashboard…"), Action.DASHBOARD, default=True), Entry(_("Diagnostics…"), Action.DIAGNOSTICS))


def config_error_menu(problem: str) -> tuple[Entry, ...]:
    """Nothing is supervised while config.toml cannot be read: the menu is about fixing it."""
    return (Entry(_("config.toml has a problem:"), enabled=False), Entry(clip(problem, 80), enabled=False),
            SEPARATOR, Entry(_("Open config file"), Action.CONFIG_FILE), Entry(_("Reload config"), Action.RELOAD),
            *_dashboard_entries(), SEPARATOR, Entry(_("Quit trayapp"), Action.QUIT_STOP))


def menu(programs: Sequence[ProgramView], extras: Extras, now: float) -> tuple[Entry, ...]:
    if extras.config_problem is not None:
        return config_error_menu(extras.config_problem)
    head = _program_entries(programs) if programs else (Entry(_("No programs configured"), enabled=False),)
    return (
        *head,
        SEPARATOR,
        *_dashboard_entries(),
        SEPARATOR,
        *_extra_entries(extras, now),
        SEPARATOR,
        quit_entry(extras.on_quit, programs),
    )


def tray_view(statuses: Sequence[Status], now: float, extras: Extras = Extras()) -> TrayView:
    """Everything the tray shows for these snapshots (in config order) at wall time `now`."""
    programs = tuple(program_view(s, now) for s in statuses)
    if extras.config_problem is not None:
        return TrayView(icon_key=IconKey.CONFIG_ERROR, tooltip=config_error_tooltip(extras.config_problem),
                        programs=programs, menu=menu(programs, extras, now))
    notes = [n for n in (extras.backup_progress, extras.disk_warning) if n]
    tip = tooltip(programs)
    if notes:
        tip = clip("\n".join([tip, *notes]))
    return TrayView(icon_key=overall_key(programs), tooltip=tip, programs=programs,
                    menu=menu(programs, extras, now))


def config_error_tooltip(problem: str) -> str:
    return clip(_("{app}: config.toml has a problem: {problem}").format(app=APP_TITLE, problem=problem))
