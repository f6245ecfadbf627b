"""/api/doctor: the doctor report with a Fix button for every fix `trayapp doctor --fix` can apply.

    GET  /api/doctor             {"checks": [...], "summary", "created"}
    POST /api/doctor/fix/{id}    applies that one fix -> {"message", "check": the check looked at again}

Doctor's probes take seconds, so the report is made on a worker thread, one run at a time, and
kept for a few seconds; concurrent requests share one run. Inside the instance doctor asks the
host for the programs' statuses instead of asking itself over the control channel.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trayapp.dashboard.host import DashboardHost
from trayapp.dashboard.http import HttpError, Request, Response, Router
from trayapp.doctor.report import Check, Report
from trayapp.i18n import ENGLISH, _, language

if TYPE_CHECKING:  # doctor's checks are loaded on the first visit to the page, not at start
    from trayapp.doctor.inputs import Inputs
    from trayapp.doctor.runner import CheckGroup

FRESH = 5.0  # seconds a report is served again without running doctor
WAIT = 60.0  # longest a request waits for a run before it is told to try again


class Doctor:
    """Single-flight, cached doctor runs. Public methods are safe from any request thread."""

    def __init__(self, inputs: Callable[[], Inputs], groups: tuple[CheckGroup, ...] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._inputs, self._groups, self._clock = inputs, groups, clock
        self._lock = threading.Lock()
        self._report: Report | None = None
        self._made = float("-inf")
        self._run: threading.Event | None = None  # set when the run in progress is done

    def report(self, wait: float = WAIT) -> Report:
        """A report at most FRESH seconds old; raises HttpError 503 when a run takes too long."""
        with self._lock:
            if self._report is not None and self._clock() - self._made < FRESH:
                return self._report
            done = self._run or self._start()
        if not done.wait(wait):
            raise HttpError(503, _("doctor is still checking"), fix=_("wait a moment, then reload the page"))
        with self._lock:
            if self._report is None:
                raise HttpError(500, _("doctor could not run; trayapp's own log says why"),
                                fix=_("run `trayapp doctor` in a terminal to see the report"))
            return self._report

    def forget(self) -> None:
        """After a fix: the next request runs doctor again."""
        with self._lock:
            self._made = float("-inf")

    def inputs(self) -> Inputs:
        return self._inputs()

    def _start(self) -> threading.Event:
        """Under the lock."""
        done = self._run = threading.Event()
        threading.Thread(target=self._work, args=(done,), name="dashboard-doctor", daemon=True).start()
        return done

    def _work(self, done: threading.Event) -> None:
        """The doctor thread."""
        from trayapp.doctor.runner import GROUPS, run

        report = None
        try:
            report = run(self._inputs(), self._groups or GROUPS)
        finally:
            with self._lock:
                if report is not None:
                    self._report, self._made = report, self._clock()
                self._run = None
            done.set()


def host_inputs(host: DashboardHost) -> Callable[[], Inputs]:
    """Doctor's view of the world from inside the instance: its config and its own statuses."""
    def make() -> Inputs:
        from trayapp.doctor.inputs import Inputs

        problems = host.config_problems
        return Inputs(config=host.config, paths=host.paths, config_error=problems[0] if problems else None,
                      running=lambda _paths: host.statuses())
    return make


def check_json(check: Check) -> dict[str, Any]:
    from trayapp.doctor import fixes

    fix = None
    if check.fix_id is not None and check.group in fixes.FIXERS:
        fix = {"id": check.fix_id, "label": fixes.label(check), "what": check.autofix}
    return {"id": check.id, "group": check.group, "title": _title(check.label),
            "status": str(check.level), "detail": check.evidence, "advice": check.fix or None,
            "evidence": [check.evidence, *(_("Changed: {line}").format(line=line) for line in check.changed)],
            "fix": fix}


def _title(label: str) -> str:
    """A check's name as a heading: capitalized in English, the way English writes headings.
    Chinese has no capitals, and there a leading program or file name must stay as it is named."""
    return label[:1].upper() + label[1:] if language() == ENGLISH else label


def report_json(report: Report) -> dict[str, Any]:
    return {"checks": [check_json(c) for c in report.checks], "summary": report.summary(),
            "created": report.created_at, "failed": report.failed}


def register(router: Router, host: DashboardHost, doctor: Doctor | None = None) -> None:
    """Adds this module's routes. `doctor`: tests pass one with their own groups of checks."""
    doc = doctor or Doctor(host_inputs(host))
    router.get("/api/doctor", lambda request: _report(doc, request))
    router.post("/api/doctor/fix/{id}", lambda request: _fix(doc, request))


def _report(doctor: Doctor, request: Request) -> Response:
    """GET /api/doctor; ?fresh=1 (the page's Run again) runs the checks again instead of a cached report."""
    if request.flag("fresh"):
        doctor.forget()
    return Response.json(report_json(doctor.report()))


def _fix(doctor: Doctor, request: Request) -> Response:
    from trayapp.doctor import fixes

    check = fixes.offered(doctor.report(), request.params["id"])
    if check is None:
        raise HttpError(404, _("the doctor report offers no such fix"),
                        fix=_("reload the Diagnostics page to see the fixes it offers now"))
    try:
        applied = fixes.apply(doctor.inputs(), check)
    except OSError as exc:
        raise HttpError(409, _("the fix could not be applied: {reason}").format(reason=exc.strerror or exc),
                        fix=check.fix or _("run `trayapp doctor --fix` in a terminal")) from None
    finally:
        doctor.forget()
    return Response.json({"message": applied.message, "changed": applied.changed,
                          "check": check_json(applied.check)})
