"""`trayapp dashboard`: a one-time login URL for the running trayapp's dashboard, or open it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from trayapp.i18n import _
from trayapp.cli.common import paths
from trayapp.cli.output import print_json

EXIT_NOT_RUNNING = 3  # as `trayapp status`
PAGES = {"overview": "/", "charts": "/charts", "logs": "/logs", "events": "/events", "backups": "/backups",
         "diagnostics": "/diagnostics", "config": "/config"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dashboard", help=_("open the dashboard (a local web page) or print its login link"),
                       description=_("Print a one-time link that signs a browser in to the running trayapp's "
                                     "dashboard (valid once, for 2 minutes), or open it in the default browser. "
                                     "The dashboard listens on 127.0.0.1 only; from another machine, forward its "
                                     "port with `ssh -L PORT:127.0.0.1:PORT`. Exit status 3 when trayapp is not "
                                     "running."))
    p.add_argument("--open", action="store_true", help=_("open it in the default browser"))
    p.add_argument("--page", choices=tuple(PAGES), default="overview", help=_("which page (default: overview)"))
    p.add_argument("--program", metavar="NAME", help=_("the page shows this program"))
    p.add_argument("--rotate", action="store_true", help=_("replace the dashboard's key first: every browser "
                     "signed in until now is signed out"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output: {\"url\", \"port\"}"))
    p.set_defaults(func=dashboard)


def page_path(page: str, program: str | None) -> str:
    path = PAGES[page]
    return f"{path}?program={quote(program, safe='')}" if program else path


def dashboard(args: argparse.Namespace) -> int:
    from trayapp import control
    from trayapp.errors import NotRunningError

    where = paths()
    try:
        reply: dict[str, Any] = control.request(where, "dashboard", timeout=10,
                                                next=page_path(args.page, args.program), rotate=args.rotate)
    except NotRunningError:
        return _not_running(args, where.state_dir)
    if args.json:
        print_json(reply)
    elif args.open:
        _open(reply["url"], Path(where.state_dir))
    else:
        _print_link(reply["url"], int(reply["port"]))
    return 0


def _print_link(url: str, port: int) -> None:
    print(url)
    print(_("This link signs a browser in to the dashboard. It works once, within 2 minutes; "
            "run `trayapp dashboard` again for a new one."))
    if os.environ.get("SSH_CONNECTION"):
        print(_("Over SSH: forward the port first ({command}), then open the link on your own computer.").format(
            command=f"ssh -L {port}:127.0.0.1:{port} this-machine"))


def _open(url: str, state_dir: Path) -> None:
    """Through a private launch file: the one-time code stays out of the browser's command line."""
    from trayapp.opener import Opener

    if Opener().open_login(url, state_dir) is None:
        print(_("The dashboard is open in your browser."))
        return
    print(_("trayapp could not open a browser here; open this link yourself (it works once, within 2 minutes):"))
    print(url)


def _not_running(args: argparse.Namespace, state_dir: os.PathLike[str]) -> int:
    """The key can be replaced without trayapp: the next start uses the new one."""
    from trayapp.dashboard.auth import rotate_token, token_path

    rotated = args.rotate and token_path(Path(state_dir)).exists()
    if rotated:
        rotate_token(Path(state_dir))
    if args.json:
        print_json({"running": False, "rotated": rotated})
        return EXIT_NOT_RUNNING
    said = _("The dashboard's key was replaced; every browser is signed out.") + " " if rotated else ""
    print(said + _("trayapp is not running, so there is no dashboard to open: start it with `trayapp run` "
                   "(or log in again if it starts at login), then run `trayapp dashboard`."), file=sys.stderr)
    return EXIT_NOT_RUNNING
