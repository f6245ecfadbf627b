"""`trayapp autostart enable|disable|status|install-menu|uninstall-menu`: start trayapp at login."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trayapp.autostart.plan import Plan
    from trayapp.autostart.status import AutostartStatus

PLATFORM_CHOICES = ("linux", "macos", "windows")
from trayapp.i18n import _


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "autostart", help=_("start trayapp when you log in (enable, disable, status)"),
        description=_("Make trayapp start when you log in, for your user only (never system-wide). "
                      "Linux: ~/.config/autostart/trayapp.desktop; macOS: ~/Library/LaunchAgents/"
                      "io.github.trayapp.plist; Windows: the HKCU ...\\CurrentVersion\\Run value 'trayapp'."))
    actions = parser.add_subparsers(dest="autostart_command", metavar="ACTION", required=True)
    for name, text, long in (
            ("enable", _("start trayapp at every login (safe to repeat)"),
             _("Start trayapp at every login (safe to repeat).")),
            ("disable", _("stop starting trayapp at login and remove what enable wrote"),
             _("Stop starting trayapp at login and remove what enable wrote."))):
        p = actions.add_parser(name, help=text, description=long)
        p.add_argument("--platform", choices=PLATFORM_CHOICES,
                       help=_("which platform's login item (default: this computer's; others need --dry-run)"))
        _common(p)
        p.set_defaults(func=_change)
    p = actions.add_parser("status", help=_("say whether trayapp starts at login"),
                           description=_("Say whether trayapp starts at login, and from which file or key."))
    p.add_argument("--json", action="store_true", help=_('print {"enabled": ..., "path": ..., ...} as JSON'))
    p.set_defaults(func=_status)
    _menu_parsers(actions)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true",
                   help=_("print exactly what would be written and run (file contents, commands), change nothing"))
    p.add_argument("--json", action="store_true", help=_("print the result (or with --dry-run, the plan) as JSON"))


def _menu_parsers(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser("install-menu", help=_("Linux: add trayapp to the application menu, with its icons"),
                           description=_("Linux: write ~/.local/share/applications/trayapp.desktop and the "
                                         "icons into ~/.local/share/icons/hicolor (48x48 and up, and SVG)."))
    p.add_argument("--icons", type=Path, metavar="DIR",
                   help=_("folder holding trayapp-48.png ... and trayapp.svg (default: the installed ones)"))
    _common(p)
    p.set_defaults(func=_menu, menu_action="install")
    p = actions.add_parser("uninstall-menu", help=_("Linux: remove the application-menu entry and icons"),
                           description=_("Linux: remove what install-menu wrote."))
    _common(p)
    p.set_defaults(func=_menu, menu_action="uninstall", icons=None)


def _change(args: argparse.Namespace) -> int:
    from trayapp import autostart
    from trayapp.autostart.plan import apply
    from trayapp.procs import SubprocessRunner
    from trayapp.errors import PlatformNotSupported

    chosen = autostart.backend(args.platform)
    plan = chosen.plan_enable() if args.autostart_command == "enable" else chosen.plan_disable()
    if args.dry_run:
        return _print_plan(plan, args.json)
    if chosen.platform != autostart.PLATFORM:
        raise PlatformNotSupported(_("this computer is not {platform}; its login item cannot be changed here").format(
                                       platform=chosen.platform),
                                   fix=_("add --dry-run to see what would be written on {platform}").format(
                                       platform=chosen.platform))
    warnings = apply(plan, SubprocessRunner(), chosen.registry)
    state = chosen.status()
    _tell(list(plan.notes) + warnings)
    if args.autostart_command == "enable":
        _offer_attach()
    if args.json:
        from trayapp.cli.output import print_json

        print_json({**state.to_dict(), "changed": bool(plan.actions), "warnings": warnings})
    else:
        print(_sentence(state))
    return 0


def _status(args: argparse.Namespace) -> int:
    from trayapp import autostart

    state = autostart.status()
    if args.json:
        from trayapp.cli.output import print_json

        print_json(state.to_dict())
    else:
        print(_sentence(state))
    return 0


def _menu(args: argparse.Namespace) -> int:
    from trayapp.autostart import PLATFORM
    from trayapp.autostart.entry import resolve
    from trayapp.autostart.plan import RemoveFile, WriteFile, apply
    from trayapp.procs import SubprocessRunner
    from trayapp.autostart.xdg import XdgMenu
    from trayapp.errors import PlatformNotSupported

    if PLATFORM != "linux" and not args.dry_run:
        raise PlatformNotSupported(_("the application-menu entry is for Linux desktops"),
                                   fix=_("on macOS and Windows use the app bundle from installers/"))
    icons = [args.icons] if args.icons else None
    menu = XdgMenu(resolve("linux", args=("run",)), os.environ, icons)
    plan = menu.plan_install() if args.menu_action == "install" else menu.plan_uninstall()
    if args.dry_run:
        return _print_plan(plan, args.json)
    warnings = apply(plan, SubprocessRunner())
    _tell(warnings)

    if args.json:
        from trayapp.cli.output import print_json

        files = [str(a.path) for a in plan.actions if isinstance(a, (WriteFile, RemoveFile))]
        print_json({"installed": menu.installed(), "path": str(menu.path), "changed": bool(plan.actions),
                    "files": files, "warnings": warnings})
    else:
        done = _("application-menu entry installed: {path}") if args.menu_action == "install" else _(
            "application-menu entry removed: {path}")
        print(done.format(path=menu.path) if plan.actions else _("nothing to do: already in that state"))
    return 0


def _print_plan(plan: Plan, as_json: bool) -> int:
    if as_json:
        from trayapp.cli.output import print_json

        print_json(plan.to_dict())
    else:
        print(plan.describe())
    return 0


def _sentence(state: AutostartStatus) -> str:
    if state.enabled:
        return _("trayapp starts at login") + f"\n  {state.path}"
    return _("trayapp does not start at login: {detail}").format(detail=state.detail) + f"\n  {state.path}"


def _tell(lines: list[str]) -> None:
    for line in lines:
        print(_("trayapp: note: {note}").format(note=line), file=sys.stderr)


def _offer_attach() -> None:
    """If the assistant already runs as its own service, a login-started trayapp would start a second
    copy: say how to attach instead. Best effort: a broken config must not fail `enable`."""
    from trayapp.errors import TrayAppError

    try:
        from trayapp.config import load
        from trayapp.paths import AppPaths
        from trayapp.supervisor.services import detect_service

        program = load(AppPaths.discover().config_file).assistant
        found = None if program.attach else detect_service(program)
    except (TrayAppError, OSError, StopIteration):
        return
    if found:
        _tell([_("{name} already runs as {service}; so that trayapp does not start a second copy at login, add "
                 "to config.toml:").format(name=program.display_name, service=found.describe())
               + "\n" + found.attach_toml(program.name)])
