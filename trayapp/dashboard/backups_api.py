"""/api/backups: the list, "Back up now", verify and restore (with a dry-run preview).

    GET  /api/backups                      the list, newest first, and the job running now
    POST /api/backups                      starts a backup (409 while a job runs)
    POST /api/backups/{name}/verify        verifies on a thread of the instance; replies at once
    POST /api/backups/{name}/restore       {"dry_run": true}: the preview, nothing written;
                                           {"confirm": name}: the real restore, in the background

Progress and results reach the page through the bus (ExtrasChanged("backup") -> `extras`) and
the journal. A name from the request is only ever looked up in the catalog of the backup folder;
it never becomes a path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trayapp.backup import catalog
from trayapp.backup.instance import CONTROLLABLE, DOWN_STATES, HostInstance
from trayapp.backup.jobs import BackupBusy
from trayapp.dashboard.host import DashboardHost
from trayapp.dashboard.http import HttpError, Request, Response, Router
from trayapp.errors import BackupError
from trayapp.i18n import N_, _, ngettext
from trayapp.units import format_ago, format_duration, format_size

if TYPE_CHECKING:  # restore pulls in tar and hashing code: loaded when a restore is asked for
    from trayapp.backup.restore import TargetPreview
    from trayapp.backup.space import Room

_VERIFIED = {True: N_("verified"), False: N_("failed verification"), None: N_("not verified yet")}


def register(router: Router, host: DashboardHost, wall: Callable[[], float] = time.time) -> None:
    """Adds this module's routes."""
    router.get("/api/backups", lambda request: Response.json(listing(host, wall())))
    router.post("/api/backups", lambda request: _create(host))
    router.post("/api/backups/{name}/verify", lambda request: _verify(host, request))
    router.post("/api/backups/{name}/restore", lambda request: _restore(host, request))


def destination(host: DashboardHost) -> Path:
    from trayapp.backup.catalog import destination as dest

    return dest(host.config, host.paths)


def listing(host: DashboardHost, now: float) -> dict[str, Any]:
    backups = reversed(catalog.list_backups(destination(host)))
    return {"dest": str(destination(host)), "backups": [backup_json(b, now) for b in backups],
            **summary(host.backups.info(), now)}


def backup_json(backup: catalog.BackupFile, now: float) -> dict[str, Any]:
    return {"name": backup.name, "created": backup.created, "created_words": format_ago(now - backup.created),
            "size": backup.size, "size_words": format_size(backup.size), "verified": backup.verified,
            "verified_words": _(_VERIFIED[backup.verified])}


def summary(info: Mapping[str, Any], now: float) -> dict[str, Any]:
    """The job running now and the schedule, in numbers and words, from BackupJobs.info()."""
    running = None
    if info.get("busy") or info.get("running"):
        running = {key: info.get(key) for key in ("job", "percent", "phase", "words", "started")}
    last, due, schedule = info.get("last_ok_at"), info.get("next_due"), info.get("schedule")
    return {"running": running, "scheduled": bool(schedule),
            "last_ok_words": _last_words(last, now),
            "next_due_words": _due_words(due, now),
            "schedule_words": _schedule_words(schedule)}


def _schedule_words(spec: object) -> str:
    from trayapp.backup.schedule import parse

    if not isinstance(spec, str) or not spec:
        return _("no schedule: backups run when you ask")
    try:
        schedule = parse(spec)
    except ValueError:  # config.toml's problems say why; here it is shown as written
        return _("backs up {schedule}").format(schedule=spec)
    if schedule.at is not None:
        return _("backs up daily at {time}").format(time=schedule.at.strftime("%H:%M"))
    return _("backs up every {interval}").format(interval=format_duration(schedule.interval or 0))


def _last_words(last: object, now: float) -> str:
    if not isinstance(last, (int, float)):
        return _("no backup yet")
    return _("last good backup {ago}").format(ago=format_ago(now - last))


def _due_words(due: object, now: float) -> str:
    if not isinstance(due, (int, float)):
        return _("nothing scheduled")
    if due - now < 60:
        return _("the next backup is due now") if due <= now else _("the next backup is due in under a minute")
    minutes = int(due - now) // 60 * 60  # "2h 13m", not the seconds of a countdown
    return _("the next backup is due in {wait}").format(wait=format_duration(minutes))


def _create(host: DashboardHost) -> Response:
    try:
        return Response.json({"message": host.backups.start_backup()}, 202)
    except BackupBusy as exc:
        raise refused(exc) from None


def refused(exc: BackupError) -> HttpError:
    """A busy instance or a bad archive: 409 with its sentence and fix."""
    return HttpError(409, exc.message, exc.fix or "")


def archive(host: DashboardHost, name: str) -> catalog.BackupFile:
    """The catalog entry named `name`; 404 for anything else (slashes and ".." never match)."""
    found = next((b for b in catalog.list_backups(destination(host)) if b.name == name), None)
    if found is None or "/" in name or "\\" in name or ".." in name:
        raise HttpError(404, _("there is no backup by that name in the backup folder"),
                        fix=_("reload the Backups page to see the backups there are"))
    return found


def _verify(host: DashboardHost, request: Request) -> Response:
    backup = archive(host, request.params["name"])
    try:
        return Response.json({"message": host.backups.verify(backup.path)}, 202)
    except BackupBusy as exc:
        raise refused(exc) from None


def _restore(host: DashboardHost, request: Request) -> Response:
    backup = archive(host, request.params["name"])
    if request.body.get("dry_run") is True:
        return Response.json(preview(host, backup.path))
    if request.body.get("confirm") != backup.name:
        raise HttpError(400, _("a restore replaces data and needs the backup's name typed to confirm it"),
                        fix=_("send the name {name} as the confirmation, or ask for a dry run first").format(
                            name=backup.name))
    instance = HostInstance(host.statuses, host.command)
    try:
        return Response.json({"message": host.backups.restore(backup.path, instance)}, 202)
    except BackupBusy as exc:
        raise refused(exc) from None


def preview(host: DashboardHost, path: Path) -> dict[str, Any]:
    """What a restore would do, in sentences and numbers; nothing is changed (the archive is
    verified on this thread, and that result is remembered beside it)."""
    from trayapp.backup.restore import preview as make_preview

    try:
        found = make_preview(path, host.config, host.paths)
    except BackupError as exc:
        raise refused(exc) from None
    targets = [_target_json(target) for target in found.targets]
    rooms = [_room_json(r) for r in found.rooms]
    stop = _stop_words(host, found.plan.program)
    return {"name": path.name, "targets": targets, "rooms": rooms, "fits": found.fits,
            "program": found.plan.program, **stop, "files": found.plan.report.files,
            "databases": found.plan.report.databases, "lines": [target["words"] for target in targets] + [stop["stop_words"]]
            + [r["words"] for r in rooms] + [_("This was a dry run: nothing was changed.")]}


def _target_json(t: TargetPreview) -> dict[str, Any]:
    files = ngettext("{n} file", "{n} files", t.files).format(n=t.files)
    what = _("{files}, {size}").format(files=files, size=format_size(t.size))
    if t.databases:
        databases = ngettext("{n} database", "{n} databases", t.databases).format(n=t.databases)
        what = _("{files}, {size}, {databases}").format(files=files, size=format_size(t.size), databases=databases)
    words = (_("Restores {dest} ({what}); the current one is moved aside, not deleted.") if t.exists
             else _("Restores {dest} ({what}); nothing is there now."))
    return {"label": t.label, "kind": t.kind, "dest": str(t.dest), "replaces": t.exists, "size": t.size,
            "files": t.files, "databases": t.databases, "words": words.format(dest=t.dest, what=what)}


def _room_json(room: Room) -> dict[str, Any]:
    words = (_("Needs {need} in {folder}, where {free} is free; that fits.") if room.fits
             else _("Needs {need} in {folder}, where {free} is free; that does not fit: free some space first."))
    return {"folder": str(room.folder), "need": room.need, "free": room.free, "fits": room.fits,
            "words": words.format(need=format_size(room.need), folder=room.folder, free=format_size(room.free))}


def _stop_words(host: DashboardHost, program: str | None) -> dict[str, Any]:
    status = next((s for s in host.statuses() if s.program == program), None)
    if program is None or status is None or str(status.state) in DOWN_STATES:
        return {"must_stop": False, "can_stop": True,
                "stop_words": _("The assistant is not running, so nothing needs to be stopped.")}
    if str(status.mode) not in CONTROLLABLE:
        return {"must_stop": True, "can_stop": False,
                "stop_words": _("{program} runs outside trayapp: stop it yourself before restoring.").format(
                    program=program)}
    return {"must_stop": True, "can_stop": True,
            "stop_words": _("{program} is running: trayapp stops it, restores, then starts it again and "
                            "checks it is healthy.").format(program=program)}
