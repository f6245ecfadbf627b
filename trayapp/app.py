"""Composition root: builds paths, config, bus, journal, supervisor, control server and the tray;
starts the threads and shuts them down in order.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TextIO

from trayapp import __version__
from trayapp.clock import Clock, SystemClock
from trayapp import i18n
from trayapp.i18n import N_, _
from trayapp.message import Both
from trayapp.message import Message as Said
from trayapp.config import Config, ProgramConfig, in_both_languages
from trayapp.config import diff as config_diff
from trayapp.control import ControlServer
from trayapp.errors import ConfigError, ControlError, TrayAppError
from trayapp.events import EventBus, ExtrasChanged, ProgramRemoved, Recorded, StatusChanged
from trayapp.instance import InstanceLock
from trayapp.journal import Journal, describe
from trayapp.paths import AppPaths
from trayapp.supervisor import deps, marks, orphans, reaper
from trayapp.supervisor.health import port_open, probe
from trayapp.supervisor.changes import AddProgram, ProgramChange, RemoveProgram, ReplaceProgram, UpdateProgram
from trayapp.supervisor.messages import Quit, Restart, Start, Stop
from trayapp.supervisor.pidfile import PidFile
from trayapp.supervisor.program import Context, Program
from trayapp.supervisor.resources import TreeSampler
from trayapp.supervisor.spawn import PopenSpawner
from trayapp.status import Status, refusal
from trayapp.supervisor.supervisor import Supervisor
from trayapp.triage.oom import oom_kills
from trayapp.tray.view import program_view

if TYPE_CHECKING:
    from trayapp.dashboard.server import DashboardServer
    from trayapp.diskwatch import Crossing

log = logging.getLogger(__name__)

# How often config.toml is looked at (one stat: mtime, size, inode) for an automatic reload.
CONFIG_CHECK_EVERY = 2.0
# A change is reloaded once the file has stayed the same this long: never half a save.
CONFIG_SETTLE = 0.5
# After this many config checks (10 s) start-up is over: its freed memory goes back to the system once.
SETTLED_ROUNDS = 5


class AlreadyRunning(TrayAppError):
    """Another trayapp holds the instance lock."""


class App:
    """Everything one running trayapp owns. Methods are safe from any thread unless noted."""

    def __init__(self, paths: AppPaths, config: Config, *, clock: Clock | None = None,
                 broken: ConfigError | None = None) -> None:
        """`broken`: config.toml could not be read; `config` is then empty and the app runs in the
        "config error" state (no programs) until the file is fixed and reloaded."""
        self.paths, self.config = paths, config
        self._broken = broken
        self._names = {n: p.display_name for n, p in config.programs.items()}
        self.clock = clock or SystemClock()
        self.bus = EventBus()
        self.journal = Journal(paths.journal_file, self.bus, wall=self.clock.time, background=True)
        self.pidfile = PidFile(paths.pid_file)
        self.instance = marks.instance_id(paths.state_dir)  # marks our children's environment
        self.spawner = PopenSpawner(self.instance, reaper.install())
        self._logs: dict[str, Any] = {}
        self._logs_lock = threading.Lock()
        self._probes = ThreadPoolExecutor(max_workers=4, thread_name_prefix="probe")
        self._quit_callbacks: list[Callable[[], None]] = []
        self._quit_requested = threading.Event()
        self._stop_on_quit = True
        self._closed = threading.Event()
        self.control = ControlServer(paths)
        self._reload_lock = threading.Lock()
        self._config_stamp = _stamp(paths.config_file)
        self.ctx = ctx = Context(
            clock=self.clock, spawner=self.spawner, journal=self.journal, publish=self._publish,
            post=lambda m: self.supervisor.submit(m), run_in_background=self._background,
            probe=lambda cfg, cwd, env: probe(cfg, cwd=cwd, env=env), sampler=TreeSampler,
            listener_pid=orphans.listener_pid, port_open=port_open, logs=self.program_log,
            pidfile=self.pidfile, service=_own_service, oom_kills=oom_kills, total_memory=_total_memory,
            forget=lambda name: self.bus.publish(ProgramRemoved(name)),
        )
        self.supervisor = Supervisor([_program(p, ctx) for p in config.programs.values()], ctx)
        self.bus.subscribe(Recorded, self._log_recorded)
        self._stop_monitors = threading.Event()
        self._build_monitors()
        self.dashboard: DashboardServer | None = None  # built in start_background when [dashboard] enabled
        self._register_control()  # handlers only: the channel opens in start_background

    def _build_monitors(self) -> None:
        """Notifications, the disk watch and alert rules: they listen on the bus."""
        from trayapp import diskwatch
        from trayapp.backup.jobs import BackupJobs
        from trayapp.notify.facade import Notifier
        from trayapp.metrics import SampleStore

        config, paths = self.config, self.paths
        self.notifier = Notifier(config.notifications, programs=config.programs,
                                 state_file=paths.state_dir / "notify.json", journal=self.journal)
        self.notifier.attach(self.bus)
        self.notifier.actions.connect(self._on_notice_button)
        self.disk = diskwatch.DiskWatch(config.disk, diskwatch.app_paths(config, paths), journal=self.journal)
        self.disk.add_listener(self._on_disk)
        self._start_alerts(config)
        self.backups = BackupJobs(config, paths, self.journal,
                                  disk_refusal=lambda: self.disk.refusal(config.backup.dest or paths.backup_dir),
                                  on_change=lambda: self.bus.publish(ExtrasChanged("backup")))
        self.samples = SampleStore(paths.state_dir / "samples", clock=self.clock.time)
        self.bus.subscribe(StatusChanged, self.samples.on_status)

    def _on_disk(self, crossing: Crossing) -> None:
        """Disk watch thread. Critical: keep logs in memory only; back to disk when space returns."""
        from trayapp.diskwatch import Level

        from trayapp.logs.capture import pause_trayapp_log

        self.bus.publish(ExtrasChanged("disk"))
        if Level.CRITICAL in (crossing.new, crossing.old) and crossing.new is not crossing.old:
            critical = crossing.new is Level.CRITICAL
            pause_trayapp_log(critical)
            for program_log in list(self._logs.values()):
                program_log.pause_disk(critical)

    def _on_notice_button(self, key: str) -> None:
        """A button on a crash notification (the notifier's listener thread): only enqueues."""
        from trayapp.notify.facade import SNOOZE, parse_action

        verb, program = parse_action(key)
        if program is not None and program not in self.config.programs:
            return  # not a button of ours
        self.journal.record("notice_action", program, action=verb)
        if verb == "restart" and program is not None:
            self._button_restart(program)
        elif verb == "logs" and program is not None:
            self._show_log(program)
        elif verb == "snooze":
            self.notifier.pause(SNOOZE)

    def _button_restart(self, program: str) -> None:
        try:
            self._command("restart", self.restart, program)
        except ControlError as exc:  # attached and not ours to restart: say why
            self.notifier.notify(Said(N_("{name} was not restarted"), name=self._names.get(program, program)),
                                 exc.said, slot=f"{program}/button")

    def _show_log(self, program: str) -> None:
        """The dashboard's Logs page; where it cannot open, a notice says why and where the log is."""
        from trayapp.opener import Opener

        url = self.dashboard_url(f"/logs?program={program}")
        problem = Opener().open_login(url, self.paths.state_dir) if url else _("The dashboard is not running.")
        if problem:
            self.notifier.notify(Said(N_("{name}'s log did not open"), name=self._names.get(program, program)),
                                 _("{problem} The log is at {path}").format(problem=problem,
                                                                            path=self.paths.program_log(program)),
                                 slot=f"{program}/button", bypass_pause=True)

    # -- config error state -----------------------------------------------------------------

    @property
    def config_problems(self) -> tuple[str, ...]:
        """Every problem of config.toml while nothing can be supervised because of it; else ()."""
        broken = self._broken
        return () if broken is None else tuple(broken.problems or [broken.message])

    def _say_config_error(self) -> None:
        """At start (login included, where nobody reads a terminal): one notice with the first problem."""
        broken = self._broken
        if broken is None:
            return
        # No `message`: `trayapp history` says it from the fields, in the reader's language.
        said = _config_said(broken)
        self.journal.record("config_error", error=said["error"], problems=said["problems"])
        self.notifier.notify(Said(N_("config.toml has a problem")), _problem_and_fix(broken),
                             slot="config", kind="config_error", bypass_pause=True)

    def _set_broken(self, broken: ConfigError | None) -> None:
        self._broken = broken
        self.bus.publish(ExtrasChanged("config"))

    # -- wiring -----------------------------------------------------------------------------

    def _log_recorded(self, event: Recorded) -> None:
        """Every journal entry also goes to trayapp.log, in English words (log files are language-
        neutral, like the journal's JSON; any thread; logging is quick)."""
        with i18n.english():
            line = describe(event.entry, self._names)
        log.info("%s", line)

    def _publish(self, old: Status | None, new: Status) -> None:
        self.supervisor.remember(new)
        self.bus.publish(StatusChanged(old, new))

    def _background(self, job: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # shutting down: the probe no longer matters
            self._probes.submit(job)

    def program_log(self, name: str) -> Any:
        """The ProgramLog of `name`, created on first use. Any thread."""
        with self._logs_lock:
            return self._logs.get(name) or self._new_log(name)

    def _new_log(self, name: str) -> Any:
        """Under _logs_lock."""
        from trayapp.logs.capture import ProgramLog

        c = self.config.logs
        program_log = ProgramLog(self.paths.program_log(name), max_size=c.max_size, keep=c.keep,
                                 total_cap=c.total_cap, redact=c.redact)
        if self.disk.is_critical(self.paths.log_dir):
            program_log.pause_disk(True)
        self._logs[name] = program_log
        return program_log

    # -- commands (any thread, never block) -------------------------------------------------

    def statuses(self) -> list[Status]:
        return self.supervisor.statuses()

    def start(self, program: str | None = None) -> None:
        self.supervisor.submit(Start(self._known(program)))

    def stop(self, program: str | None = None) -> None:
        self.supervisor.submit(Stop(self._known(program)))

    def restart(self, program: str | None = None) -> None:
        self.supervisor.submit(Restart(self._known(program)))

    def _known(self, program: str | None) -> str | None:
        if program is not None and program not in self.config.programs:
            names = ", ".join(self.config.programs)
            raise ControlError(_("no program named {name!r}; the programs are: {programs}").format(
                name=program, programs=names))
        return program

    def quit(self, stop_programs: bool = True) -> None:
        """Begin the ordered shutdown; `run` returns once the programs are down."""
        self._stop_on_quit = stop_programs
        self._quit_requested.set()

    def on_quit(self, callback: Callable[[], None]) -> None:
        """`callback` runs (on the shutdown thread) once shutdown is complete, e.g. icon.stop."""
        self._quit_callbacks.append(callback)

    # -- life cycle -------------------------------------------------------------------------

    def start_background(self) -> None:
        """Start the supervisor and queue the autostart programs, then open the dashboard, the
        control channel and the monitors. The starts are queued first, so a Stop from the CLI or the
        page (which can only arrive once the channels are open) always comes after them."""
        threading.Thread(target=self._shutdown_when_asked, name="shutdown", daemon=True).start()
        self._settle_leftovers()
        self.supervisor.start_thread()
        programs = self.config.programs
        for name in deps.order({n: p.depends_on for n, p in programs.items()}):
            if programs[name].autostart:
                self.supervisor.submit(Start(name, by_user=False))
        self._start_dashboard()  # before the channel: `trayapp dashboard` finds it up, or failed, never "not yet"
        try:
            self.control.start()
        except OSError as exc:  # supervision matters more than the CLI reaching us
            log.error("the control channel could not start: %s", exc)
            self.journal.record("control_unavailable", error=str(exc))  # history says it in the reader's words
        threading.Thread(target=self.disk.run, args=(self._stop_monitors,), name="diskwatch", daemon=True).start()
        self.backups.start(self._stop_monitors)
        threading.Thread(target=self.samples.run, args=(self._stop_monitors,), name="samples", daemon=True).start()
        threading.Thread(target=self._watch_config, args=(self._stop_monitors,), name="configwatch",
                         daemon=True).start()
        self._say_config_error()

    def _settle_leftovers(self) -> None:
        """Children of an earlier trayapp, by record and by environment mark: adopt the ones left
        running on purpose, stop the rest. Never fatal."""
        orphans.settle_all(self.pidfile, self.supervisor.programs, self.clock, self.instance, self.journal)

    def _shutdown_when_asked(self) -> None:
        self._quit_requested.wait()
        self.journal.record("quit", stop_programs=self._stop_on_quit)
        if not self._stop_on_quit:
            orphans.mark_left_running(self.pidfile, self.statuses())
            self.spawner.leave_running()
            self._hand_off_output()
        self.supervisor.submit(Quit(stop_programs=self._stop_on_quit))
        longest = max((p.stop_timeout for p in self.config.programs.values()), default=10)
        self.supervisor.join(longest + 5)
        self.control.close()
        if self.dashboard is not None:
            _each_logged("closing the dashboard", [self.dashboard.close])
        self._stop_monitors.set()
        _each_logged("saving the memory and CPU samples", [self.samples.close])
        self._probes.shutdown(wait=False, cancel_futures=True)
        _each_logged("closing the alert rules", [self.alerts.close])
        _each_logged("closing the notifier", [self.notifier.close])
        _each_logged("closing a program log", [program_log.close for program_log in list(self._logs.values())])
        self.journal.flush()
        self._closed.set()
        _each_logged("a quit callback", self._quit_callbacks)

    def _hand_off_output(self) -> None:
        """Programs left running keep their output captured by a log keeper process."""
        from trayapp.logs import keeper as logkeeper

        for name, program in self.supervisor.programs.items():
            fds = program.output_fds()
            if fds is None:
                continue
            program_log = self.program_log(name)
            program_log.detach()  # our pumps let go first: one reader per pipe, always
            program_log.close()  # and our rotations and compression are done before the keeper's
            keeper = logkeeper.hand_off(self.paths.program_log(name), fds, self.config.logs)
            self.journal.record("handoff", name, keeper=keeper)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until shutdown has finished: programs down, logs flushed."""
        return self._closed.wait(timeout)

    # -- reload -----------------------------------------------------------------------------

    def reload(self) -> dict[str, Any]:
        """Read config.toml again and apply what changed (any thread; one reload at a time).

        Returns {"ok": True, "changes": sentence, ...} or {"ok": False, "problems": [...]}: an
        invalid file changes nothing, and the user is told its first problem."""
        with self._reload_lock:
            self._config_stamp = _stamp(self.paths.config_file)
            try:
                new = self._load_for_reload()
            except ConfigError as exc:
                return self._reload_refused(exc)
            if self._broken is not None:
                self._set_broken(None)  # the programs are added below, as if freshly configured
            change = config_diff.diff(self.config, new)
            for message in self._reload_messages(change, new):
                self.supervisor.submit(message)
            self.config = new  # first: a program log opened from now on takes the new [logs]
            self._apply_sections(change.sections, new)
            self._names.update({n: p.display_name for n, p in new.programs.items()})
            sentence = change.sentence()
            self.journal.record("reload", None, changes=sentence, **change.lists())
            # English words for --json and scripts, the Message for the CLI to say in its language
            return {"ok": True, "changes": str(sentence), "changes_message": sentence.to_json(), **change.lists()}

    def _load_for_reload(self) -> Config:
        """The file as it is now. Gone (deleted, or an editor between writes) is not "the defaults":
        replacing the user's programs with the nanobot preset would be a surprise, so it is refused."""
        path = self.paths.config_file
        if self.config.source is not None and not path.exists():
            raise in_both_languages(lambda: ConfigError(
                _("{path} is gone").format(path=path), problems=[_("{path} does not exist any more").format(path=path)],
                fix=_("put the file back (`trayapp config init` writes a new one), then reload")))
        return _load(self.paths)

    def _reload_refused(self, exc: ConfigError) -> dict[str, Any]:
        """The reply carries the error in English (--json, scripts) and in `words` as this instance
        says it to people; the journal keeps the English."""
        said = _config_said(exc)
        self.journal.record("reload_failed", error=said["error"], problems=said["problems"])
        refused = {"ok": False, **said, "words": _config_words(exc)}
        if self._broken is not None:  # still broken: show the file's problems as they are now
            self._set_broken(exc)
            self.notifier.notify(Said(N_("config.toml still has a problem")), _problem_and_fix(exc),
                                 slot="config", kind="reload_failed", bypass_pause=True)
            return refused
        self.notifier.notify(Said(N_("config.toml was not reloaded")),
                             Said(N_("{problem} — the old settings keep running; `trayapp config check` lists "
                                     "every problem"), problem=_first_config_problem(exc)), kind="reload_failed")
        return refused

    def _reload_messages(self, change: config_diff.ConfigDiff, new: Config) -> list[ProgramChange]:
        """What the supervisor thread must do; added programs in dependency order."""
        order = deps.order({n: p.depends_on for n, p in new.programs.items()})
        return [*(RemoveProgram(n) for n in change.removed),
                *(UpdateProgram(new.programs[n]) for n in change.updated),
                *(ReplaceProgram(_program(new.programs[n], self.ctx)) for n in change.restarted),
                *(AddProgram(_program(new.programs[n], self.ctx)) for n in order if n in change.added)]

    def _apply_sections(self, sections: tuple[str, ...], new: Config) -> None:
        """Settings outside [programs] that take effect without restarting anything."""
        if "notifications" in sections:
            self.notifier.config = new.notifications
        if "disk" in sections:
            self.disk.cfg = new.disk
        if "backup" in sections:
            self.backups.config = new  # the schedule is read again within a minute (backup/jobs.py)
        if "alerts" in sections:
            self._replace_alerts(new)
        if "dashboard" in sections:
            self._restart_dashboard()
        if "ui" in sections:  # the tray, notices and headless lines speak the new language from now on
            i18n.activate(i18n.choose(new.ui.language, sys.platform, os.environ))
        if "logs" in sections:
            c = new.logs
            with self._logs_lock:
                for program_log in self._logs.values():
                    program_log.configure(c.max_size, c.keep, c.total_cap, c.redact)

    def _replace_alerts(self, new: Config) -> None:
        self._alerts_off()
        old = self.alerts
        self._start_alerts(new)
        _each_logged("closing the old alert rules", [old.close])

    def _start_alerts(self, config: Config) -> None:
        """The alert engine for `config`'s rules (read, checked and expanded with the rest of
        config.toml), listening on the bus when there are any. At start and on every reload."""
        from trayapp import journal
        from trayapp.alerts.engine import AlertEngine

        rules = config.alerts
        self.alerts = AlertEngine(rules, journal=self.journal, notifier=self.notifier,
                                  history=journal.read(self.paths.journal_file, last=2000) if rules else (),
                                  programs=config.programs,
                                  names={n: p.display_name for n, p in config.programs.items()})
        self._alerts_off = self.alerts.attach(self.bus) if rules else (lambda: None)

    def _watch_config(self, stop: threading.Event) -> None:
        """The configwatch thread: reload when config.toml changes on disk (a stat every 2 s)."""
        from trayapp.memory import give_back

        path, rounds = self.paths.config_file, 0
        while not stop.wait(CONFIG_CHECK_EVERY):
            rounds += 1
            if rounds == SETTLED_ROUNDS:  # start-up's garbage (imports, parsing, first probes) is gone:
                give_back()  # hand its pages back once, so idling starts from the smallest heap
            stamp = _stamp(path)
            if stamp is None or stamp == self._config_stamp:  # gone: wait for it to come back
                continue
            if stop.wait(CONFIG_SETTLE) or _stamp(path) != stamp:
                continue  # still being written (an editor saving in place): look again next round
            _each_logged("reloading the changed config.toml", [self.reload])

    # -- the dashboard ----------------------------------------------------------------------

    def _start_dashboard(self) -> None:
        """The loopback web page; when it cannot start, one journal entry and trayapp runs on."""
        if not self.config.dashboard.enabled:
            return
        from trayapp.dashboard import routes
        from trayapp.dashboard.server import DashboardServer

        try:
            server = DashboardServer(self, routes.build(self))  # reads (or makes) its key: may be refused
            server.start()
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            self.journal.record("dashboard_unavailable", error=f"{exc.strerror or exc}{where}",
                                port=self.config.dashboard.port, fix=self._dashboard_fix(exc))
            return
        self.dashboard = server

    def _dashboard_fix(self, exc: OSError) -> str:
        import errno

        if exc.errno == errno.EADDRINUSE:
            return f"set [dashboard] port to another number, or to 0, in {self.paths.config_file}"
        if exc.errno == errno.EADDRNOTAVAIL:
            return "check that the loopback interface (127.0.0.1) is up"
        return ""  # the error says what to do (a planted link: remove it)

    def _restart_dashboard(self) -> None:
        """[dashboard] changed: open tabs lose their stream and reconnect (same port: same sessions)."""
        old, self.dashboard = self.dashboard, None
        if old is not None:
            _each_logged("closing the dashboard", [old.close])
        self._start_dashboard()

    def dashboard_url(self, page: str) -> str | None:
        """A one-time login URL for `page` ("/logs?program=x"); None when the dashboard is off.
        For the tray menu and `trayapp dashboard`. Any thread."""
        return None if self.dashboard is None else self.dashboard.url(page)

    def _dashboard_command(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """Control command `dashboard` {"next": path, "rotate": bool} -> {"url", "port"}."""
        if self.dashboard is None:
            why = "it is turned off in config.toml ([dashboard] enabled = false)" if not self.config.dashboard.enabled \
                else "it could not start (see `trayapp history`)"
            raise ControlError(f"the dashboard is not running: {why}",
                               fix="set [dashboard] enabled = true and a free port, then restart trayapp")
        if args.get("rotate") is True:
            self.dashboard.auth.rotate()
            self.journal.record("dashboard_rotated")
        return {"url": self.dashboard.url(str(args.get("next") or "/")), "port": self.dashboard.port}

    def log_file(self, program: str) -> Path:
        return self.paths.program_log(program)

    def command(self, verb: str, program: str | None) -> str:
        """start | stop | restart for the dashboard: see _command."""
        action = {"start": self.start, "stop": self.stop, "restart": self.restart}.get(verb)
        if action is None:
            raise ControlError(f"{verb} is not a command trayapp knows", fix="use start, stop or restart")
        return self._command(verb, action, program)

    def _register_control(self) -> None:
        c = self.control
        c.register("status", lambda r: self.status_report())
        c.register("start", lambda r: self._command("start", self.start, r.get("program")))
        c.register("stop", lambda r: self._command("stop", self.stop, r.get("program")))
        c.register("restart", lambda r: self._command("restart", self.restart, r.get("program")))
        c.register("history", lambda r: self._history(int(r.get("n") or 50)))
        c.register("quit", lambda r: self.quit(bool(r.get("stop_programs", True))))
        c.register("pause_notifications", self.notifier.handle_pause_command)
        c.register("backup", lambda r: self.backups.request())
        c.register("metrics", self.samples.handle)
        c.register("reload", lambda r: self.reload())
        c.register("dashboard", self._dashboard_command)

    def status_report(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "version": __version__,
                "programs": [s.to_dict() for s in self.statuses()],
                "notifications": {"paused_until": self.notifier.paused_until},
                "backup": self.backups.info(), "disk": self.disk.snapshot(),
                "config_error": self._config_error_report()}

    def _config_error_report(self) -> dict[str, Any] | None:
        broken = self._broken
        if broken is None:
            return None
        said = _config_said(broken)
        return {"path": str(self.paths.config_file), "problems": said["problems"], "fix": said["fix"],
                "words": _config_words(broken)}  # `status --json` leaves `words` out: it speaks English

    def _command(self, verb: str, action: Callable[[str | None], None], name: str | None) -> str:
        """A control-channel start/stop/restart, for one program or (name None) for every one that
        trayapp may control; the status decides who may (status.refusal), the reply says who was left."""
        verdicts = {s.program: refusal(s, verb) for s in self.statuses() if name in (None, s.program)}
        refused = [why for why in verdicts.values() if why is not None]
        if refused and len(refused) == len(verdicts):
            raise ControlError(" ".join(refused))
        if not refused:
            action(name)
            return "requested"
        for program, why in verdicts.items():
            if why is None:
                action(program)
        return "requested; left alone: " + " ".join(refused)

    def _history(self, n: int) -> list[dict[str, Any]]:
        from trayapp import journal

        self.journal.flush()
        return journal.read(self.paths.journal_file, last=n)


def _config_fix(broken: ConfigError) -> str:
    return broken.fix or _("edit config.toml; `trayapp config check` lists every problem")


def _config_words(broken: ConfigError) -> dict[str, Any]:
    """A config error as people read it, in the active language: its first line, every problem, the fix."""
    return {"error": broken.message, "problems": broken.problems or [broken.message], "fix": _config_fix(broken)}


def _first_config_problem(broken: ConfigError) -> Both:
    """The file's first problem for a notice: in the user's language, in English for the log."""
    return Both(_config_said(broken)["problems"][0], _config_words(broken)["problems"][0])


def _problem_and_fix(broken: ConfigError) -> Said:
    said, words = _config_said(broken), _config_words(broken)  # each made once: English, the user's language
    return Said(N_("{problem} — fix: {fix}"), problem=Both(said["problems"][0], words["problems"][0]),
                fix=Both(said["fix"], words["fix"]))


def _config_said(broken: ConfigError) -> dict[str, Any]:
    """The same in English, for the journal and --json (config.parse made the English twin)."""
    with i18n.english():
        return _config_words(broken.in_english())


def _each_logged(what: str, calls: Sequence[Callable[[], object]]) -> None:
    """Shutdown goes on past a failing step, but says which one failed and why (trayapp.log)."""
    for call in calls:
        try:
            call()
        except Exception:
            log.exception("shutdown: %s failed", what)


def _program(cfg: ProgramConfig, ctx: Context) -> Any:
    """Managed unless the config names an owner: then attach mode, which never spawns or signals."""
    if cfg.attach is not None:
        from trayapp.supervisor.attach import AttachedProgram

        return AttachedProgram(cfg, ctx)
    return Program(cfg, ctx)


def _total_memory() -> int | None:
    import psutil

    return int(psutil.virtual_memory().total)


def _stamp(path: os.PathLike[str]) -> tuple[int, int, int] | None:
    """What tells a changed config.toml apart cheaply: modification time, size and inode."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def _load(paths: AppPaths) -> Config:
    from trayapp.config import load

    return load(paths.config_file)


def _own_service(cfg: ProgramConfig) -> Any:
    """The program's own installed service, if any (supervisor thread; reads a few files)."""
    from trayapp.supervisor.services import detect_service

    return None if cfg.attach is not None else detect_service(cfg)


def acquire_instance(paths: AppPaths) -> InstanceLock:
    """The per-user lock, or AlreadyRunning naming the pid that holds it."""
    lock = InstanceLock(paths.lock_file)
    if not lock.acquire():
        holder = lock.holder()
        raise AlreadyRunning(_("already running (pid {pid})").format(pid=holder) if holder else _("already running"),
                             fix=_("use `trayapp status`, or `trayapp quit` to stop it"))
    return lock


class HeadlessPrinter:
    """Prints one line per state change, in the tray's words (tray/view.py is pure: no pystray).
    Runs on the publisher's thread; printing is quick."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()

    def __call__(self, event: StatusChanged) -> None:
        old, new = event.old, event.new
        if old is not None and (old.state, old.health, old.mode) == (new.state, new.health, new.mode):
            return
        now = time.time()
        with self._lock:
            print(f"{time.strftime('%H:%M:%S', time.localtime(now))} {program_view(new, now).line}",
                  file=self.out, flush=True)


def run(paths: AppPaths, config: Config, *, headless: bool, out: TextIO = sys.stdout,
        on_lock: Callable[[], None] = lambda: None, broken: ConfigError | None = None) -> int:
    """`trayapp run`: main thread. Returns the exit status. `on_lock` runs once the instance is ours.
    `broken`: config.toml could not be read; trayapp runs anyway, supervising nothing, and says why."""
    lock = acquire_instance(paths)
    try:
        on_lock()
        app = App(paths, config, broken=broken)
        if broken is not None:
            print(_("trayapp: {path} has a problem; nothing is supervised until it is fixed (it is reloaded when "
                    "saved):").format(path=paths.config_file) + f"\n{broken}", file=out, flush=True)
        if not headless:
            reason = _tray_or_reason(app)
            if reason is None:
                return 0
            print(_("trayapp: running headless: {reason}").format(reason=reason), file=out, flush=True)
        return _run_headless(app, out)
    finally:
        lock.release()


def _tray_or_reason(app: App) -> str | None:
    """Run the tray until Quit (None), or say in one line why there can be no tray."""
    try:
        from trayapp.tray.run import TrayUnavailable, run_tray
    except ImportError as exc:
        return _("the tray could not be loaded ({error})").format(error=exc)
    try:
        run_tray(app)
    except TrayUnavailable as exc:
        return str(exc)
    return None


def _run_headless(app: App, out: TextIO) -> int:
    app.bus.subscribe(StatusChanged, HeadlessPrinter(out))
    for sig in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, lambda *_: app.quit(stop_programs=True))
    app.start_background()
    app.wait()  # signals interrupt this wait and run their handlers on the main thread
    return 0
