"""Is there a recent good backup, and did the last attempt work?"""

from __future__ import annotations

from trayapp.i18n import N_, _
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.report import Check, fail, info, ok, warn
from trayapp.units import format_duration, format_took

GROUP = N_("backups")
DAY = 86400.0
# A backup may be this much later than the schedule says before the doctor complains: a laptop
# that was asleep at 03:00 catches up soon after it wakes.
SLACK = 0.5


def checks(inp: Inputs) -> list[Check]:
    return [_latest(inp), *_last_attempt(inp)]


def allowed_age(schedule: str | None) -> float | None:
    """How old the newest backup may be under `schedule` (None: no schedule, no limit)."""
    if not schedule:
        return None
    from trayapp.backup.schedule import parse

    parsed = parse(schedule)
    period = parsed.interval if parsed.interval is not None else DAY
    return period * (1 + SLACK)


def _latest(inp: Inputs) -> Check:
    from trayapp.backup.catalog import list_backups
    from trayapp.backup.service import destination

    dest = destination(inp.config, inp.paths)
    archives = list_backups(dest)
    verified = [b for b in archives if b.verified]
    limit = allowed_age(inp.config.backup.schedule)
    now = inp.now()
    if not archives:
        if limit is None:
            return info(GROUP, N_("last backup"), _("no backup in {dest} and no schedule").format(dest=dest),
                        _('make one with `trayapp backup create`, or set [backup] schedule = "daily 03:00"'))
        return warn(GROUP, N_("last backup"), _("no backup in {dest} yet, though the schedule is {schedule}").format(
            dest=dest, schedule=inp.config.backup.schedule), _("make one now: `trayapp backup create`"))
    newest = verified[-1] if verified else archives[-1]
    age = max(0.0, now - newest.created)
    said = _("last verified backup {name} is {age} old") if verified else _("last backup {name} (not verified) is {age} old")
    evidence = said.format(name=newest.name, age=format_took(age))
    if limit is not None and age > limit:
        return warn(GROUP, N_("last backup"),
                    _("{evidence}; the schedule ({schedule}) wants one at least every {every}").format(
                        evidence=evidence, schedule=inp.config.backup.schedule,
                        every=format_duration(limit / (1 + SLACK))),
                    _("make one now (`trayapp backup create`) and check that trayapp is running"))
    if not verified:
        return info(GROUP, N_("last backup"), evidence, _("check it with `trayapp backup verify`"))
    return ok(GROUP, N_("last backup"), evidence)


def _last_attempt(inp: Inputs) -> list[Check]:
    from trayapp import journal

    attempts = [e for e in journal.read(inp.paths.journal_file) if e.get("event") == "backup"]
    if not attempts:
        return []
    last = attempts[-1]
    when = str(last.get("ts", "?"))[:19].replace("T", " ")
    if last.get("ok"):
        return [ok(GROUP, N_("last attempt"), _("the last backup ({when}) worked").format(when=when))]
    error = str(last.get("error") or _("no reason recorded"))[:200]
    return [fail(GROUP, N_("last attempt"), _("the last backup ({when}) failed: {error}").format(
        when=when, error=error),
                 str(last.get("fix") or _("fix the cause, then run `trayapp backup create`")))]
