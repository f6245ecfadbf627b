"""Start at login: enabled or not, and does the program it names still exist (a moved venv)?"""

from __future__ import annotations

import os

from trayapp.i18n import N_, _
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.report import Check, fail, info, ok, warn

GROUP = N_("autostart")


def checks(inp: Inputs) -> list[Check]:
    from trayapp import autostart
    from trayapp.errors import TrayAppError

    try:
        status = autostart.status(environ=inp.environ)
    except TrayAppError as exc:
        return [info(GROUP, N_("start at login"), exc.message)]
    return [judge(status.enabled, status.path, status.detail, status.command, _this_install(inp))]


def _this_install(inp: Inputs) -> str | None:
    from trayapp.autostart import PLATFORM
    from trayapp.autostart.entry import resolve

    return resolve(PLATFORM or "linux", environ=inp.environ).program if PLATFORM else None


def program_of(command: tuple[str, ...] | None) -> str | None:
    """The program a login item runs, past an `env VAR=value` prefix."""
    if not command:
        return None
    args = list(command)
    if os.path.basename(args[0]) == "env":
        args = [a for a in args[1:] if "=" not in a or a.startswith("/")]
    return args[0] if args else None


def judge(enabled: bool, path: str, detail: str, command: tuple[str, ...] | None, current: str | None) -> Check:
    """Pure: the check for one login item."""
    program = program_of(command)
    if program and os.path.isabs(program) and not os.path.exists(program):
        return fail(GROUP, N_("start at login"),
                    _("{path} runs {program}, which no longer exists (a moved or deleted virtualenv?)").format(
                        path=path, program=program), _("run `trayapp autostart enable` from the trayapp you use now"))
    if not enabled:
        exists = os.path.exists(path)
        return info(GROUP, N_("start at login"), _("not enabled: {detail}").format(detail=detail),
                    _("turn it on with `trayapp autostart enable`") if not exists else "")
    if current and program and os.path.realpath(program) != os.path.realpath(current):
        return warn(GROUP, N_("start at login"), _("{path} starts {program}, not this installation ({current})").format(
            path=path, program=program, current=current),
                    _("run `trayapp autostart enable` to point it here"))
    return ok(GROUP, N_("start at login"), _("enabled: {path} runs {value}").format(
        path=path, value=program or 'trayapp'))
