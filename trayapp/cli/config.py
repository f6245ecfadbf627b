"""`trayapp config init|path|check`."""

from __future__ import annotations

import argparse
import sys

from trayapp.i18n import _
from trayapp.cli.common import paths


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help=_("create, locate or check config.toml"),
                       description=_("Create, locate or check trayapp's configuration file."))
    verbs = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    init = verbs.add_parser("init", help=_("write a commented starter config.toml"),
                            description=_("Write a commented starter config.toml for a known assistant."))
    init.add_argument("--preset", choices=("nanobot", "openclaw", "nanoclaw", "custom"), default="nanobot",
                      help=_("which assistant (default: nanobot)"))
    init.add_argument("--force", action="store_true", help=_("replace an existing file (it is kept as .bak)"))
    init.set_defaults(func=init_)
    where = verbs.add_parser("path", help=_("print where config.toml lives"), description=_("Print the path of "
                               "config.toml (it may not exist yet: then the nanobot preset is used)."))
    where.set_defaults(func=path_)
    check = verbs.add_parser("check", help=_("validate config.toml; exit 2 when it has problems"),
                             description=_("Validate config.toml. Exit 0 when it is good, 2 when it has "
                                           "problems (each named with its key path)."))
    check.add_argument("--json", action="store_true", help=_("print the resolved programs as JSON"))
    check.set_defaults(func=check_)


def init_(args: argparse.Namespace) -> int:
    import os

    from trayapp import config
    from trayapp.config import starter
    from trayapp.atomic import atomic_write

    where = paths()
    target = where.config_file
    if target.exists() and not args.force:
        print(_("trayapp: {path} already exists").format(path=target), file=sys.stderr)
        print("  " + _("fix: edit it, or pass --force to replace it (the old one is kept as config.toml.bak)"),
              file=sys.stderr)
        return 1
    where.ensure()
    text = starter.render(args.preset)
    config.parse(text, source=target)  # the starter must always be valid
    if target.exists():
        os.replace(target, target.with_name(target.name + ".bak"))
    atomic_write(target, text, mode=0o600)
    print(_("wrote {path} (preset {preset}); check it with `trayapp config check`").format(path=target,
                                                                                           preset=args.preset))
    return 0


def path_(args: argparse.Namespace) -> int:
    print(paths().config_file)
    return 0


def check_(args: argparse.Namespace) -> int:
    import os

    from trayapp import config
    from trayapp.cli.output import print_json
    from trayapp.config.commands import missing, unrunnable

    target = paths().config_file
    cfg = config.load(target, commands=unrunnable)  # ConfigError -> exit 2 with every problem listed
    if args.json:
        print_json({"path": str(target), "exists": target.exists(),
                    "programs": {n: {"command": list(p.command), "preset": p.preset, "restart": p.restart,
                                     "health": p.health.kind if p.health else "none"}
                                 for n, p in cfg.programs.items()}})
        return 0
    source = str(target) if target.exists() else _("no {path}: using the nanobot preset").format(path=target)
    print(_("ok: {source}").format(source=source))
    for name, program in cfg.programs.items():
        warning = missing(program, os.environ)
        print(f"  {name}: {' '.join(program.command)}"
              + ("  " + _("(warning: {warning})").format(warning=warning) if warning else ""))
    if cfg.notifications.channels:
        from trayapp.notify.channels import channel_warnings
        from trayapp.redact import redact_url

        urls = ", ".join(redact_url(url) for url in cfg.notifications.channels)
        print("  " + _("notices also go to: {channels}").format(channels=urls))
        for warning in channel_warnings(cfg.notifications.channels):
            print("  " + _("(warning: {warning})").format(warning=warning))
    return 0
