"""`trayapp why [PROGRAM]`: the last crash report, from the running instance or else the journal."""

from __future__ import annotations

import argparse
from typing import Any

from trayapp.i18n import _
from trayapp.cli.common import paths
from trayapp.cli.output import print_json
from trayapp.paths import AppPaths


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("why", help=_("why a program last crashed: its crash report"),
                       description=_("Print the last crash report of PROGRAM (default: the assistant): how it "
                                     "ended, the traceback or error lines it printed, the cause when known and the "
                                     "fix. Exit status 1 when no crash has been recorded."))
    p.add_argument("program", nargs="?", help=_("program name from config.toml (default: the assistant)"))
    p.add_argument("--json", action="store_true", help=_("the report as JSON"))
    p.set_defaults(func=why)


def why(args: argparse.Namespace) -> int:
    where = paths()
    name, display = _program(where, args.program)
    report = _from_instance(where, name)
    if report is None:
        report = _from_journal(where, name)
    if args.json:
        print_json(report)
        return 0 if report else 1
    if not report:
        print(_("no crash of {name} has been recorded").format(name=display))
        return 1
    print(render(report, display))
    return 0


def render(report: dict[str, Any], display: str) -> str:
    from trayapp.status import CrashReport
    from trayapp.triage.report import render_text

    return render_text(CrashReport.from_dict(report), display)


def _program(where: AppPaths, given: str | None) -> tuple[str, str]:
    """The config key and display name; the assistant when none is given."""
    from trayapp.cli.common import load_config
    from trayapp.errors import TrayAppError

    try:
        config = load_config(where)
    except TrayAppError:
        return given or "assistant", given or _("the assistant")
    program = config.programs.get(given) if given else config.assistant
    if program is None:
        from trayapp.errors import ControlError

        raise ControlError(_("no program named {name!r}; the programs are: {programs}").format(
            name=given, programs=", ".join(config.programs)))
    return program.name, program.display_name


def _from_instance(where: AppPaths, name: str) -> dict[str, Any] | None:
    from trayapp import control
    from trayapp.errors import TrayAppError

    try:
        report = control.request(where, "status", timeout=5)
    except (TrayAppError, OSError):
        return None
    found = next((p for p in report.get("programs", ()) if p.get("program") == name), None)
    crash = found.get("last_crash") if found else None
    return crash if isinstance(crash, dict) else None


def _from_journal(where: AppPaths, name: str) -> dict[str, Any] | None:
    """The newest `crash` entry: it survives a restart of trayapp."""
    from trayapp import journal

    crashes = [e for e in journal.read(where.journal_file, program=name) if e.get("event") == "crash"]
    if not crashes:
        return None
    entry = dict(crashes[-1])
    entry.pop("event", None)
    entry.pop("ts", None)
    return entry
