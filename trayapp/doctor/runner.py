"""Run every group of checks; a group that breaks becomes one WARN line, never a crash."""

from __future__ import annotations

import logging
import platform
import sys
from collections.abc import Callable
from typing import Protocol

from trayapp import __version__
from trayapp.doctor import assistant, autostart, backups, configs, database, environment, permissions, space
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.report import Check, Report, warn
from trayapp.i18n import _

log = logging.getLogger(__name__)


class CheckGroup(Protocol):
    """What each module of checks provides (the modules themselves satisfy it)."""

    GROUP: str

    def checks(self, inp: Inputs) -> list[Check]: ...


GROUPS: tuple[CheckGroup, ...] = (environment, configs, assistant, permissions, space, backups, autostart, database)


def run(inp: Inputs, groups: tuple[CheckGroup, ...] = GROUPS) -> Report:
    """Every check of every group, in order. Blocking (probes, subprocesses): not on the GUI thread."""
    found: list[Check] = []
    for group in groups:
        found += _safely(group.checks, inp, group.GROUP)
    return Report.of(found, inp.now(), trayapp=__version__, python=platform.python_version(),
                     platform=platform.platform(), executable=sys.executable,
                     config_file=str(inp.paths.config_file), fixed=inp.fix)


def _safely(checks: Callable[[Inputs], list[Check]], inp: Inputs, group: str) -> list[Check]:
    try:
        return checks(inp)
    except Exception as exc:  # one broken check must not hide the others
        log.debug("doctor: %s checks failed", group, exc_info=True)
        return [warn(group, "doctor", _("these checks could not run: {error}").format(error=f"{type(exc).__name__}: {exc}"),
                     _("please report this with `trayapp debug-bundle`"))]
