"""Command line: parse arguments, call into trayapp, turn errors into messages and exit codes.

Each command group lives in its own module under trayapp.cli and exposes
`register(subparsers)`; handlers import what they need lazily so that `trayapp status` stays fast
and no command but the tray imports pystray.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from trayapp import __version__
from trayapp.errors import TrayAppError

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "trayapp.cli.run",
    "trayapp.cli.control",
    "trayapp.cli.add",
    "trayapp.cli.stats",
    "trayapp.cli.test_cmd",
    "trayapp.cli.reload",
    "trayapp.cli.why",
    "trayapp.cli.config",
    "trayapp.cli.autostart",
    "trayapp.cli.export",
    "trayapp.cli.backup",
    "trayapp.cli.doctor",
    "trayapp.cli.dashboard",
)

# Which module registers each command: `trayapp status` imports trayapp.cli.control alone, not all
# of them (building every parser cost ~40 ms, most of a status query). A unit test checks this
# table against what the modules register.
COMMANDS = {
    "run": "trayapp.cli.run",
    **dict.fromkeys(("status", "start", "stop", "restart", "quit", "logs", "history"), "trayapp.cli.control"),
    **dict.fromkeys(("add", "remove"), "trayapp.cli.add"),
    "stats": "trayapp.cli.stats",
    "test": "trayapp.cli.test_cmd",
    "reload": "trayapp.cli.reload",
    "why": "trayapp.cli.why",
    "config": "trayapp.cli.config",
    "autostart": "trayapp.cli.autostart",
    "export": "trayapp.cli.export",
    "backup": "trayapp.cli.backup",
    **dict.fromkeys(("doctor", "debug-bundle"), "trayapp.cli.doctor"),
    "dashboard": "trayapp.cli.dashboard",
}

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _give_windowed_builds_streams() -> None:
    """pythonw, trayapp-gui.exe and windowed bundles have no console: print() would fail."""
    import os

    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")


def _split_command(args: list[str]) -> tuple[list[str], list[str]]:
    """Everything after the first `--` is a command to run, taken verbatim (argparse would match
    its words against trayapp's own options and positionals)."""
    if "--" not in args:
        return args, []
    cut = args.index("--")
    return args[:cut], args[cut + 1:]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (when `command` is a known command) one holding just that command."""
    parser = argparse.ArgumentParser(
        prog="trayapp",
        description="Keeps your personal AI assistant running, with a tray icon, logs, "
                    "notifications and backups.",
        epilog="Run `trayapp COMMAND --help` for the options of each command.",
    )
    parser.add_argument("--version", action="version", version=f"trayapp {__version__}")
    parser.set_defaults(takes_command=False)  # `trayapp add NAME -- COMMAND...` sets it
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    only = COMMANDS.get(command or "")
    for name in COMMAND_MODULES if only is None else (only,):
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _give_windowed_builds_streams()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["_module"] and len(args_list) > 1:  # a frozen build starting its own window
        from trayapp.selfcmd import run_module

        return run_module(args_list[1], args_list[2:])
    if not args_list or args_list[0].startswith("--") and args_list[0] not in ("--help", "-h", "--version"):
        args_list.insert(0, "run")  # `trayapp` and `trayapp --headless` mean `trayapp run ...`
    args_list, command = _split_command(args_list)
    parser = build_parser(args_list[0] if args_list else None)
    args = parser.parse_args(args_list)
    if command and not args.takes_command:
        parser.error(f"unrecognized arguments: -- {' '.join(command)}")
    args.command_argv = command
    try:
        return int(args.func(args) or 0)
    except TrayAppError as exc:
        print(f"trayapp: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `trayapp logs | head`
        return 0
