"""Command line: parse arguments, call into trayapp, turn errors into messages and exit codes.

Each command group lives in its own module under trayapp.cli and exposes
`register(subparsers)`; handlers import what they need lazily so that `trayapp status` stays fast
and no command but the tray imports pystray.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

from trayapp import __version__, i18n
from trayapp.cli import argwords
from trayapp.errors import TrayAppError
from trayapp.i18n import _

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


class HelpFormatter(argparse.HelpFormatter):
    """argparse's own words ("usage:") in the user's language: Python ships no Chinese for them."""

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[argparse._MutuallyExclusiveGroup], prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        """argparse ends a section's heading with its own ":"; the catalog decides ("选项：" in Chinese),
        so the heading is given with it and a trailing ":" is taken off the finished help below."""
        super().start_section(None if heading is None else _("{heading}:").format(heading=heading) + _HEADING)

    def format_help(self) -> str:
        return super().format_help().replace(_HEADING + ":\n", "\n")


_HEADING = "\u2063"  # an invisible separator marking where argparse put its ":" after a heading


class ArgumentParser(argparse.ArgumentParser):
    """Every trayapp parser: translated section titles, -h/--help text and argparse's own errors."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(add_help=False, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help=_("show this help message and exit"))

    def error(self, message: str) -> NoReturn:
        """argparse's error, said in the user's language (see trayapp.cli.argwords); exit status 2."""
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, argwords.error_line(self.prog, message))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (when `command` is a known command) one holding just that command."""
    parser = ArgumentParser(
        prog="trayapp",
        description=_("Keeps your personal AI assistant running, with a tray icon, logs, "
                      "notifications and backups."),
        epilog=_("Run `trayapp COMMAND --help` for the options of each command."),
    )
    parser.add_argument("--version", action="version", version=f"trayapp {__version__}",
                        help=_("show trayapp's version and exit"))
    parser.add_argument("--lang", metavar="LANGUAGE", choices=i18n.CHOICES,
                        help=_("the language of this one command: en, zh_CN or auto (default: [ui] language "
                               "in config.toml, else the computer's)"))
    parser.set_defaults(takes_command=False)  # `trayapp add NAME -- COMMAND...` sets it
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser,
                                title=_("commands"))
    only = COMMANDS.get(command or "")
    for name in COMMAND_MODULES if only is None else (only,):
        importlib.import_module(name).register(sub)
    return parser


def _take_lang(args: list[str]) -> tuple[str | None, list[str]]:
    """`--lang X` / `--lang=X` before the command (a global option): taken out before the command is
    looked up. An unknown language is left in place for argparse to refuse with the choices."""
    if args[:1] == ["--lang"] and len(args) > 1 and args[1] in i18n.CHOICES:
        return args[1], args[2:]
    if args[:1] and args[0].startswith("--lang=") and args[0][7:] in i18n.CHOICES:
        return args[0][7:], args[1:]
    return None, args


def _activate_language(choice: str | None) -> None:
    """--lang, else [ui] language in config.toml, else the computer's language."""
    import os

    if choice is None:
        from trayapp.cli.common import configured_language, paths

        try:
            choice = configured_language(paths())
        except TrayAppError:  # an unusable TRAYAPP_HOME: the command itself says so
            choice = "auto"
    i18n.activate(i18n.choose(choice, sys.platform, os.environ))


def main(argv: Sequence[str] | None = None) -> int:
    _give_windowed_builds_streams()
    lang, args_list = _take_lang(list(sys.argv[1:] if argv is None else argv))
    # Machine output stays language-neutral: a command asked for --json speaks English throughout.
    _activate_language("en" if "--json" in _split_command(args_list)[0] else lang)
    if args_list[:1] == ["_module"] and len(args_list) > 1:  # a frozen build starting its own window
        from trayapp.selfcmd import run_module

        return run_module(args_list[1], args_list[2:])
    if not args_list or args_list[0].startswith("--") and args_list[0] not in ("--help", "-h", "--version") \
            and not args_list[0].startswith("--lang"):  # an unknown --lang: argparse names the choices
        args_list.insert(0, "run")  # `trayapp` and `trayapp --headless` mean `trayapp run ...`
    args_list, command = _split_command(args_list)
    parser = build_parser(args_list[0] if args_list else None)
    args = parser.parse_args(args_list)
    if command and not args.takes_command:
        parser.error(_("unrecognized arguments: -- {command}").format(command=" ".join(command)))
    args.command_argv = command
    try:
        return int(args.func(args) or 0)
    except TrayAppError as exc:
        print(_("trayapp: {error}").format(error=exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `trayapp logs | head`
        return 0
