"""`trayapp status|start|stop|restart|quit|logs|history`: talk to the running instance or read its files."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from trayapp.i18n import N_, _
from trayapp.cli.common import paths
from trayapp.cli.output import print_json, print_table
from trayapp.paths import AppPaths
from trayapp.status import ExitInfo

if TYPE_CHECKING:
    from trayapp.config import ProgramConfig


_VERBS = (
    ("start", N_("start a program (all when none is named)"),
     N_("Ask the running trayapp to start PROGRAM, or every program.")),
    ("stop", N_("stop a program, all when none is named (signal, then SIGKILL after stop_timeout)"),
     N_("Ask the running trayapp to stop PROGRAM, or every program (signal, then SIGKILL after stop_timeout).")),
    ("restart", N_("restart a program (all when none is named)"),
     N_("Ask the running trayapp to restart PROGRAM, or every program.")),
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help=_("show each program's state"), description=_("Show the state, pid, uptime, "
                         "restarts, last exit, health and memory/CPU of each program. Exit status 3 when trayapp "
                         "is not running."))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.add_argument("--watch", action="store_true", help=_("keep showing it, redrawn in place, until Ctrl-C "
                     "(into a file or pipe: once per interval)"))
    p.add_argument("--every", default="2s", metavar="DURATION", help=_("with --watch: how often (default 2s)"))
    p.set_defaults(func=status)
    for verb, short, long in _VERBS:
        p = sub.add_parser(verb, help=_(short), description=_(long))
        p.add_argument("program", nargs="?", help=_("program name from config.toml (default: all)"))
        p.set_defaults(func=command, verb=verb)
    p = sub.add_parser("quit", help=_("stop the running trayapp"), description=_("Ask the running trayapp to exit. "
                         "By default it stops the programs first."))
    p.add_argument("--leave-running", action="store_true", help=_("leave the programs running; the next "
                     "trayapp adopts them"))
    p.set_defaults(func=quit_)
    p = sub.add_parser("logs", help=_("print a program's log"), description=_("Print the end of a program's log "
                         "(default: the assistant). With -f, keep following it across rotation."))
    p.add_argument("program", nargs="?", help=_("program name, or 'trayapp' for trayapp's own log"))
    p.add_argument("-n", "--lines", type=int, default=50, metavar="N", help=_("how many lines (default 50)"))
    p.add_argument("-f", "--follow", action="store_true", help=_("keep printing new lines"))
    p.set_defaults(func=logs)
    p = sub.add_parser("history", help=_("what happened: starts, exits, restarts, backups"),
                       description=_("Print the journal: every start, exit, restart, give-up, health change, "
                                     "limit hit, backup and alert, with its time."))
    p.add_argument("-n", "--lines", type=int, default=30, metavar="N", help=_("how many entries (default 30)"))
    p.add_argument("--json", action="store_true", help=_("one JSON array of journal entries"))
    p.add_argument("--kind", action="append", metavar="KIND", help=_("only entries of this kind (crash, exit, "
                     "restart, backup, health, ...); repeat it or separate with commas for several"))
    p.add_argument("program", nargs="?", help=_("only this program's entries"))
    p.set_defaults(func=history)


def status(args: argparse.Namespace) -> int:
    from trayapp import control
    from trayapp.errors import NotRunningError

    if args.watch:
        return _watch(args)
    try:
        report = control.request(paths(), "status", timeout=5)
    except NotRunningError:
        if args.json:
            print_json({"running": False, "programs": []})
        else:
            print(_("trayapp is not running (start it with `trayapp run`)"))
        return 3
    if args.json:
        print_json({"running": True, **_english(report)})
        return 0
    for line in _frame(report):
        print(line)
    return 0


def _frame(report: dict[str, Any]) -> list[str]:
    """The status table and the notes under it, as lines."""
    import contextlib
    import io

    table = io.StringIO()
    with contextlib.redirect_stdout(table):
        print_table([_("PROGRAM"), _("STATE"), "PID", _("UPTIME"), _("RESTARTS"), _("LAST EXIT"), _("HEALTH"),
                     _("MEMORY"), "CPU"], [_row(p) for p in report["programs"]])
    lines = table.getvalue().splitlines()
    broken = report.get("config_error")
    if broken:  # nothing is supervised until the file is fixed: say that first
        broken = {**broken, **(broken.get("words") or {})}  # as the instance says it to people, when it does
        lines = [_("config error: {path} has a problem; nothing is supervised until it is fixed").format(
                     path=broken["path"]),
                 *(f"  - {problem}" for problem in broken["problems"]),
                 "  " + _("fix: {fix}").format(fix=broken["fix"]), *lines]
    for p in report["programs"]:
        name = p.get("display_name") or p["program"]
        lines += [_("{program}: {what}").format(program=name, what=line) for line in _notes(p)]
    return lines


def _english(report: dict[str, Any]) -> dict[str, Any]:
    """The report for --json: a config error's `words` (the instance's language) left out."""
    broken = report.get("config_error")
    if not isinstance(broken, dict):
        return report
    return {**report, "config_error": {key: value for key, value in broken.items() if key != "words"}}


def _watch(args: argparse.Namespace) -> int:
    """Redraw the status every `--every` until Ctrl-C. On a terminal each frame replaces the last
    (cursor up, clear to the end); into a pipe or file frames follow each other, so nothing there
    holds escape codes."""
    from trayapp.errors import ConfigError
    from trayapp.units import parse_duration

    try:
        every = max(0.2, parse_duration(args.every))
    except ValueError as exc:
        raise ConfigError(f"--every {args.every!r}: {exc}", fix=_("give a duration such as 2s or 1m")) from None
    terminal = sys.stdout.isatty()
    drawn = 0
    try:
        if terminal:
            sys.stdout.write("\x1b[?25l")  # no cursor blinking over the table
        while True:
            drawn = _draw(_watch_lines(every), drawn, terminal)
            time.sleep(every)
    except KeyboardInterrupt:
        return 0
    finally:
        if terminal:
            sys.stdout.write("\x1b[?25h")
            sys.stdout.flush()


def _watch_lines(every: float) -> list[str]:
    from trayapp import control
    from trayapp.errors import ControlError, NotRunningError
    from trayapp.units import format_duration

    head = _("trayapp status at {time}, every {every} (Ctrl-C to stop)").format(
        time=time.strftime("%H:%M:%S"), every=format_duration(every))
    try:
        return [head, "", *_frame(control.request(paths(), "status", timeout=5))]
    except NotRunningError:
        return [head, "", _("trayapp is not running (start it with `trayapp run`); still watching")]
    except ControlError as exc:  # busy or restarting: say so and try again next time
        return [head, "", _("no answer from trayapp: {error}").format(error=exc.message)]


def _draw(lines: list[str], drawn: int, terminal: bool) -> int:
    """Write one frame; on a terminal, over the `drawn` lines of the previous one. Returns its height."""
    if terminal:
        import shutil

        width = max(20, shutil.get_terminal_size().columns - 1)  # a wrapped line would break the cursor count
        lines = [line[:width] for line in lines]
        sys.stdout.write((f"\x1b[{drawn}A" if drawn else "") + "\r\x1b[J" + "\n".join(lines) + "\n")
    else:
        sys.stdout.write("\n".join(lines) + "\n\n")
    sys.stdout.flush()
    return len(lines)


def _notes(p: dict[str, Any]) -> list[str]:
    """What the table cannot hold: why it is in this state, why it cannot answer, its last crash."""
    from trayapp.message import words
    from trayapp.status import reason_of

    reason = words(reason_of(p))  # the Message when the instance sent one: in the user's language
    notes = [reason] if reason else []
    if p.get("health") == "degraded":
        detail, fix = words(reason_of(p, "health_detail")) or _("see the log"), words(reason_of(p, "health_fix"))
        notes.append(_("cannot answer: {detail}; fix: {fix}").format(detail=detail, fix=fix)
                     if fix else _("cannot answer: {detail}").format(detail=detail))
    failing = words(reason_of(p, "health_detail")) if p.get("health") == "unhealthy" else ""
    if failing:  # the table says "unhealthy"; this says what the check found
        notes.append(_("health check failing: {detail}").format(detail=failing))
    crash = p.get("last_crash")
    if isinstance(crash, dict) and crash.get("headline"):
        notes.append(_("last crash: {headline} (details: `trayapp why {program}`)").format(
            headline=words(reason_of(crash, "headline")), program=p["program"]))
    return notes


def _row(p: dict[str, Any]) -> list[str]:
    from trayapp.units import format_duration, format_size

    up = p.get("started_at")
    state = _word(p["state"]) + ("" if p["mode"] == "managed" else f" ({_word(p['mode'])})")
    uptime = format_duration(int(time.time() - up)) if up and p["state"] in ("starting", "running") else "-"
    last = p.get("last_exit") or {}
    from trayapp.journal import program_label

    name = program_label(p["program"], p.get("display_name") or "")
    return [name, state, str(p.get("pid") or "-"), uptime, str(p.get("restarts", 0)),
            _exit_said(last), _word(p.get("health", "-")),
            format_size(p["memory"]) if p.get("memory") else "-",
            f"{p['cpu']:.0f}%" if p.get("cpu") is not None else "-"]


def _exit_said(last: dict[str, Any]) -> str:
    """The last exit in the user's language ("退出码 1"), from the JSON's numbers; its `text` is English."""
    code, sig = last.get("code"), last.get("signal")
    if not isinstance(code, int) and not isinstance(sig, int):
        return "-"
    return ExitInfo(code if isinstance(code, int) else None, sig if isinstance(sig, int) else None).said()


# The status table's words for states, modes and health (the JSON keeps the English keys).
_WORDS = {"stopped": N_("stopped"), "starting": N_("starting"), "running": N_("running"),
          "backoff": N_("backoff"), "stopping": N_("stopping"), "given_up": N_("given up"),
          "adopted": N_("adopted"), "attached": N_("attached"), "external": N_("external"),
          "none": N_("none"), "unknown": N_("unknown"), "healthy": N_("healthy"), "degraded": N_("degraded"),
          "unhealthy": N_("unhealthy")}


def _word(key: str) -> str:
    return _(_WORDS[key]) if key in _WORDS else key.replace("_", " ")


_REQUESTED = {"start": N_("start {what}: requested"), "stop": N_("stop {what}: requested"),
              "restart": N_("restart {what}: requested")}


def command(args: argparse.Namespace) -> int:
    from trayapp import control

    control.request(paths(), args.verb, program=args.program)
    print(_(_REQUESTED[args.verb]).format(what=args.program or _("all programs")))
    return 0


def quit_(args: argparse.Namespace) -> int:
    from trayapp import control

    control.request(paths(), "quit", stop_programs=not args.leave_running)
    print(_("trayapp is shutting down, leaving the programs running") if args.leave_running
          else _("trayapp is shutting down"))
    return 0


def logs(args: argparse.Namespace) -> int:
    import threading

    where = paths()
    name = args.program or _first_program(where)
    attached = _attached(where, name)
    if attached is not None:  # its log lives with its owner (journalctl, docker logs, launchd's file)
        from trayapp.logs import attached as attach_logs

        return attach_logs.stream(attached, args.lines, args.follow)
    from trayapp.logs import read as logread

    path = where.trayapp_log if name == "trayapp" else where.program_log(name)
    if not path.exists() and not args.follow:
        print(_("trayapp: no log yet for {name} ({path})").format(name=name, path=path), file=sys.stderr)
        return 1
    for line in logread.tail(path, args.lines) if path.exists() else []:
        print(line)
    if args.follow:
        sys.stdout.flush()
        for line in logread.follow(path, threading.Event()):
            print(line, flush=True)
    return 0


def _attached(where: AppPaths, name: str) -> ProgramConfig | None:
    """The ProgramConfig of `name` when it is in attach mode, else None."""
    from trayapp.cli.common import load_config
    from trayapp.errors import TrayAppError

    try:
        program = load_config(where).programs.get(name)
    except TrayAppError:
        return None
    return program if program is not None and program.attach is not None else None


def _first_program(where: AppPaths) -> str:
    from trayapp.cli.common import load_config

    return load_config(where).assistant.name


def history(args: argparse.Namespace) -> int:
    from trayapp import journal

    where = paths()
    kinds = {k.strip() for given in args.kind or () for k in given.split(",") if k.strip()}
    entries = journal.read(where.journal_file, last=None if kinds else args.lines, program=args.program)
    if kinds:
        entries = [e for e in entries if e.get("event") in kinds][-args.lines:]
    if args.json:
        print_json(entries)
        return 0
    if not entries:
        print(_("no history yet") if not kinds else _("no {kinds} entries yet").format(
            kinds=_(" or ").join(sorted(kinds))))
    names = _display_names(where)
    for entry in entries:
        stamp = entry.get("ts")
        when = stamp[:19].replace("T", " ") if isinstance(stamp, str) else "?"  # a damaged line: still listed
        print(f"{when}  {journal.describe(entry, names)}")
    return 0


def _display_names(where: AppPaths) -> dict[str, str]:
    """Config key -> display name, so history names programs as the tray does; {} if config is broken."""
    from trayapp.cli.common import load_config
    from trayapp.errors import TrayAppError

    try:
        return {n: p.display_name for n, p in load_config(where).programs.items()}
    except TrayAppError:
        return {}
