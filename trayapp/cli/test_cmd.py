"""`trayapp test PROGRAM [--for 20s]`: try a start by hand, in the foreground, not under supervision."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from trayapp.i18n import _
from trayapp.cli.common import load_config, paths

if TYPE_CHECKING:
    from trayapp.config import ProgramConfig
    from trayapp.paths import AppPaths
    from trayapp.supervisor.spawn import ChildHandle

# States in which the running trayapp has (or is about to have) a copy of the program.
BUSY = ("starting", "running", "stopping", "backoff")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("test", help=_("try starting a program by hand"),
                       description=_("Start PROGRAM in the foreground with its configured command, folder and "
                                     "environment (not under supervision), show its output and the health "
                                     "check's verdict, then stop it and everything it started. Exit status 0: "
                                     "it became healthy (or, without a health check, stayed up); 1: it did not. "
                                     "Refused while trayapp runs it or something already answers on its port."))
    p.add_argument("program", help=_("program name from config.toml"))
    p.add_argument("--for", dest="for_", default="20s", metavar="DURATION",
                   help=_("how long to give it (default 20s); with a health check it stops as soon as that passes"))
    p.set_defaults(func=test)


def test(args: argparse.Namespace) -> int:
    from trayapp.errors import ConfigError
    from trayapp.units import parse_duration

    where = paths()
    cfg = _program(where, args.program)
    try:
        limit = parse_duration(args.for_)
    except ValueError as exc:
        raise ConfigError(f"--for {args.for_!r}: {exc}", fix=_("give a duration such as 20s or 1m")) from None
    _refuse_if_busy(where, cfg)
    return _try(cfg, limit)


def _program(where: AppPaths, name: str) -> ProgramConfig:
    from trayapp.errors import ConfigError

    programs = load_config(where).programs
    if name not in programs:
        raise ConfigError(_("no program named {name!r} in config.toml (programs: {programs})").format(
                              name=name, programs=", ".join(programs)),
                          fix=_("`trayapp status` lists the programs by name"))
    cfg = programs[name]
    if cfg.attach is not None:
        raise ConfigError(_("{name} is run by its owner ({owner}), not by trayapp, so there is nothing to try "
                            "here").format(name=name, owner=cfg.attach.owner), fix=_("start it through its owner"))
    return cfg


def _refuse_if_busy(where: AppPaths, cfg: ProgramConfig) -> None:
    """Two copies on one port, or beside the supervised one, must never happen."""
    from trayapp import control
    from trayapp.cli.control import _word as state_word  # the status table's words for states
    from trayapp.errors import ControlError, NotRunningError, SpawnError
    from trayapp.supervisor.health import port_open

    try:
        report = control.request(where, "status", timeout=5)
        states = {p["program"]: p["state"] for p in report["programs"]}
    except NotRunningError:
        states = {}
    except ControlError as exc:
        # exc.message is in the user's language where control.py made it with _(); its own fix fits best.
        raise SpawnError(_("cannot tell whether trayapp runs {name}: {error}").format(name=cfg.name, error=exc.message),
                         fix=exc.fix or _("try again in a moment")) from exc
    if states.get(cfg.name) in BUSY:
        raise SpawnError(_("{name} is already {state} under trayapp").format(name=cfg.name,
                                                                                state=state_word(states[cfg.name])),
                         fix=_("stop it first: `{command}`").format(command=f"trayapp stop {cfg.name}"))
    address = _address(cfg)
    if address is not None and port_open(*address):
        raise SpawnError(_("something already answers on {host}:{port}, where {name} listens").format(
                             host=address[0], port=address[1], name=cfg.name),
                         fix=_("stop that program first (`trayapp doctor` names it)"))


def _address(cfg: ProgramConfig) -> tuple[str, int] | None:
    from trayapp.supervisor.health import port_of

    health = cfg.health
    if health is not None and health.tcp:
        host, _sep, port = health.tcp.rpartition(":")
        return host, int(port)
    found = port_of(health.url) if health is not None else None
    return found or (("127.0.0.1", cfg.info.port) if cfg.info.port else None)


def _try(cfg: ProgramConfig, limit: float) -> int:
    import os

    from trayapp.supervisor.rlimits import ChildLimits
    from trayapp.supervisor.spawn import PopenSpawner

    ended = Ended()
    say(_("starting {command} for up to {limit}; Ctrl-C stops it").format(command=" ".join(cfg.command),
                                                                          limit=_took(limit)))
    child = PopenSpawner().spawn(cfg.command, env=cfg.environment(os.environ), cwd=cfg.cwd, log=TerminalSink(),
                                 on_exit=ended.exited,
                                 limits=ChildLimits(cfg.limits.open_files, cfg.limits.processes))
    started = time.monotonic()
    try:
        ok, verdict = _watch(cfg, ended, started + limit)
    except KeyboardInterrupt:
        ok, verdict = False, _("interrupted before a verdict")
    _stop(cfg, child, ended.done)
    said = _("{name}: {verdict}; it would have started") if ok else _("{name}: {verdict}; it would not have started")
    say(said.format(name=cfg.name, verdict=verdict))
    return 0 if ok else 1


def _watch(cfg: ProgramConfig, ended: Ended, deadline: float) -> tuple[bool, str]:
    """(would it have started, the verdict in words), waiting at most until `deadline`."""
    import os

    from trayapp.message import words
    from trayapp.supervisor.health import check_context, probe

    health, started, last = cfg.health, time.monotonic(), ""
    while time.monotonic() < deadline:
        if ended.done.wait(min(1.0, health.interval if health else 1.0, max(0.0, deadline - time.monotonic()))):
            return False, _("exited with code {code} after {took}").format(code=ended.code,
                                                                             took=_took(time.monotonic() - started))
        if health is not None:
            cwd, env = check_context(cfg, os.environ)
            result = probe(health, cwd=cwd, env=env)
            if result.ok:
                return True, _("healthy after {took}").format(took=_took(time.monotonic() - started))
            last = words(result.detail)
    if health is not None:
        return False, _("still not healthy after {took}: {last}").format(took=_took(deadline - started),
                                                                         last=last or _("no answer"))
    return True, _("still running after {took} (it has no health check)").format(took=_took(deadline - started))


class Ended:
    """How the program ended; set on the spawner's waiter thread."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.code: int | None = None

    def exited(self, code: int | None) -> None:
        self.code = code
        self.done.set()


def _stop(cfg: ProgramConfig, child: ChildHandle, done: threading.Event) -> None:
    """Its stop signal to the whole group, then SIGKILL of the tree after stop_timeout."""
    if done.is_set():
        return
    say(_("stopping {name}").format(name=cfg.name))
    child.signal(cfg.signal_number)
    if not done.wait(cfg.stop_timeout):
        child.kill_tree()
        done.wait(5)


def _took(seconds: float) -> str:
    from trayapp.units import format_took

    return format_took(seconds)


def say(text: str) -> None:
    print(_("trayapp: {error}").format(error=text), file=sys.stderr, flush=True)


class TerminalSink:
    """Shows the program's output on this terminal as it comes (the LogSink a spawner pumps into)."""

    def __init__(self) -> None:
        self._last: dict[str, str] = {}
        self._lock = threading.Lock()

    def pump(self, stream: str, pipe: IO[bytes], on_line: Callable[[str], None] | None = None) -> threading.Thread:
        thread = threading.Thread(target=self._drain, args=(stream, pipe), daemon=True, name=f"test-{stream}")
        thread.start()
        return thread

    def _drain(self, stream: str, pipe: IO[bytes]) -> None:
        for raw in iter(pipe.readline, b""):
            self.write(stream, raw.decode("utf-8", "replace").rstrip("\r\n"))

    def write(self, stream: str, text: str) -> None:
        with self._lock:
            self._last[stream] = text
            out = sys.stderr if stream == "stderr" else sys.stdout
            print(text, file=out, flush=True)

    def last_line(self, stream: str = "stderr") -> str:
        return self._last.get(stream, "")

    def tail(self, n: int = 20, stream: str | None = None) -> list[str]:
        return []  # nothing is kept: the lines are on the terminal
