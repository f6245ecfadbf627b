"""`trayapp doctor [--json] [--fix]` and `trayapp debug-bundle [--output FILE.zip]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trayapp.i18n import _
from trayapp.cli.common import paths
from trayapp.cli.output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help=_("check everything and say what to fix"),
                       description=_("Check the environment, the assistant (binary, config, port, health, its own "
                                     "service, duplicate copies), trayapp's and the assistant's config (incl. "
                                     "OpenClaw's security advice), file permissions, disk and memory, backups, "
                                     "start at login and the assistant's databases. Each check is OK, INFO, WARN "
                                     "or FAIL with one line of evidence and one line naming the fix. Exit status "
                                     "1 when any check fails."))
    p.add_argument("--json", action="store_true", help=_("machine-readable report"))
    p.add_argument("--fix", action="store_true", help=_("tighten loose permissions (folders 0700, secret files "
                     "0600) and report what changed"))
    p.set_defaults(func=doctor)
    p = sub.add_parser("debug-bundle", help=_("zip what a helper needs, with secrets redacted"),
                       description=_("Write a zip (mode 0600) with the doctor's report, trayapp's config, the "
                                     "assistant's config, the end of each log, the journal, versions and the "
                                     "process tree. API keys, tokens and passwords are replaced by [REDACTED]; "
                                     "look inside before you share it anyway."))
    p.add_argument("-o", "--output", type=Path, metavar="FILE.zip",
                   help=_("where to write it (default: trayapp-debug-<time>.zip in the current folder)"))
    p.add_argument("-n", "--lines", type=int, default=500, metavar="N",
                   help=_("last N lines of each log (default 500)"))
    p.set_defaults(func=debug_bundle)


def doctor(args: argparse.Namespace) -> int:
    from trayapp.doctor import diagnose

    if not args.json:
        print(_("checking…"), file=sys.stderr, flush=True)
    report = diagnose(paths(), fix=args.fix)
    if args.json:
        print_json(report.to_dict())
    else:
        print(report.render_text())
    return report.exit_code


def debug_bundle(args: argparse.Namespace) -> int:
    from trayapp.doctor.bundle import default_name, write_bundle

    target = args.output or Path.cwd() / default_name()
    print(_("collecting (this runs `trayapp doctor` too)…"), file=sys.stderr, flush=True)
    result = write_bundle(paths(), target, lines=args.lines)
    print(_("wrote {path} ({size}, {n} files, secrets redacted)").format(path=result.path, size=result.size_text,
                                                                       n=len(result.members)))
    print(_("look inside before you share it: {command}").format(command=f"unzip -l {result.path}"))
    return 0
