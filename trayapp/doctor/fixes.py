"""Applying one fix of a doctor report by its id (the dashboard's Fix button).

Only a fix the report offered can be applied, and it is exactly the one `trayapp doctor --fix`
would apply for that check. The check's subject comes from the report, never from the request,
and the fixer works out its targets again from the configuration before it changes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from trayapp.doctor import permissions
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.report import Check, Level, Report
from trayapp.i18n import N_, _

Fixer = Callable[[Inputs, str], Check | None]

# Per group of checks: how to fix one check, and the button's words.
FIXERS: Mapping[str, Fixer] = {permissions.GROUP: permissions.fix_one}
CHECKS: Mapping[str, Callable[[Inputs], list[Check]]] = {permissions.GROUP: permissions.checks}
LABELS: Mapping[str, str] = {permissions.GROUP: N_("Make private")}
FIX = N_("Fix")  # the button's words for a group without its own


@dataclass(frozen=True)
class Applied:
    check: Check  # the check after the fix
    changed: bool  # False: nothing needed changing any more, or it changed under us

    @property
    def message(self) -> str:
        if self.changed:
            return _("Done: {changes}.").format(changes=_("; ").join(self.check.changed or (self.check.evidence,)))
        return _("Nothing was changed: it no longer needs this fix, or it changed since the report was made.")


def offered(report: Report, fix_id: str) -> Check | None:
    """The check of `report` whose fix is `fix_id`; None when the report offers no such fix."""
    return next((c for c in report.checks if c.fix_id == fix_id and c.group in FIXERS), None)


def label(check: Check) -> str:
    return _(LABELS.get(check.group, FIX))


def apply(inp: Inputs, check: Check) -> Applied:
    """Apply the fix `check` offers. Blocking (file system only); raises OSError from the change."""
    fixed = FIXERS[check.group](inp, check.subject)
    if fixed is None:
        return Applied(_recheck(inp, check), False)
    return Applied(fixed, bool(fixed.changed))


def _recheck(inp: Inputs, check: Check) -> Check:
    """The same check looked at again (without fixing), or OK when it no longer finds a problem."""
    again = next((c for c in CHECKS[check.group](inp) if c.id == check.id), None)
    return again or Check(check.group, check.name, Level.OK, _("nothing to fix any more"), subject=check.subject)
