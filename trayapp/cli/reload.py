"""`trayapp reload`: ask the running trayapp to read config.toml again and apply what changed."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from trayapp.i18n import _
from trayapp.cli.common import paths
from trayapp.cli.output import print_json
from trayapp.message import words
from trayapp.status import reason_of

EXIT_INVALID = 2  # the new config has problems; the old one keeps running
EXIT_NOT_RUNNING = 3  # as `trayapp status`


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reload", help=_("apply an edited config.toml to the running trayapp"),
                       description=_("Read config.toml again: programs whose settings changed restart once, "
                                     "removed ones stop, added ones start, the others keep running untouched. "
                                     "A file with problems changes nothing; every problem is printed (exit "
                                     "status 2). The running trayapp also reloads by itself when the file "
                                     "changes. Exit status 3 when trayapp is not running."))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=reload)


def reload(args: argparse.Namespace) -> int:
    from trayapp import control
    from trayapp.errors import NotRunningError

    try:
        reply: dict[str, Any] = control.request(paths(), "reload", timeout=30)
    except NotRunningError:
        return _not_running(args.json)
    if args.json:  # English throughout: the instance's own words for people stay out
        print_json({key: value for key, value in reply.items() if key != "words"})
    elif reply.get("ok"):
        print(_("reloaded: {changes}").format(changes=words(reason_of(reply, "changes")) or _("nothing changed")))
    else:
        _print_problems(reply)
    return 0 if reply.get("ok") else EXIT_INVALID


def _not_running(as_json: bool) -> int:
    if as_json:
        print_json({"ok": False, "running": False})
    else:
        print(_("trayapp is not running, so there is nothing to reload; it reads config.toml when it starts"),
              file=sys.stderr)
    return EXIT_NOT_RUNNING


def _print_problems(reply: dict[str, Any]) -> None:
    """The problems as the running trayapp says them to people (`words`); an older one sent only English."""
    said = reply.get("words")
    said = said if isinstance(said, dict) else reply
    print(_("trayapp: not reloaded, the old settings keep running: {error}").format(error=said.get("error", "")),
          file=sys.stderr)
    for problem in said.get("problems") or []:
        print(f"  - {problem}", file=sys.stderr)
    if said.get("fix"):
        print("  " + _("fix: {fix}").format(fix=said["fix"]), file=sys.stderr)
