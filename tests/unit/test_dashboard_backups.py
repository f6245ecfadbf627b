"""The Backups page's API through the Router, with a fake host: the list in numbers and words,
"Back up now" never blocking, names only from the catalog, restore only when confirmed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from trayapp import config as config_mod
from trayapp.backup import catalog
from trayapp.backup.instance import Instance
from trayapp.backup.jobs import BackupBusy
from trayapp.dashboard import backups_api
from trayapp.dashboard.http import Request, Response, Router
from trayapp.paths import AppPaths
from trayapp.status import Mode, State, Status

NOW = 1_800_000_000.0
OLD, NEW = "trayapp-backup-20260101T120000Z.tar.gz", "trayapp-backup-20260102T120000Z.tar.gz"


@dataclass
class FakeBackups:
    busy: str | None = None
    asked: list[str] = field(default_factory=list)
    restores: list[tuple[Path, Instance]] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def progress(self) -> str | None:
        return self.busy

    @property
    def last_ok_at(self) -> float | None:
        return NOW - 7200

    def request(self) -> str:
        return "backup started"

    def info(self) -> dict[str, Any]:
        return {"running": self.busy is not None, "busy": self.busy is not None, "last_ok_at": NOW - 7200,
                "next_due": NOW + 3 * 3600, "schedule": "daily", **self.numbers}

    def _go(self, what: str) -> str:
        if self.busy:
            raise BackupBusy(f"a backup is already running ({self.busy})", fix="wait")
        self.asked.append(what)
        return f"{what} started"

    def start_backup(self) -> str:
        return self._go("backup")

    def verify(self, archive: Path) -> str:
        return self._go(f"verify {archive.name}")

    def restore(self, archive: Path, instance: Instance) -> str:
        self.restores.append((archive, instance))
        return self._go(f"restore {archive.name}")


@dataclass
class Host:
    config: config_mod.Config
    paths: AppPaths
    backups: FakeBackups = field(default_factory=FakeBackups)
    states: list[Status] = field(default_factory=list)
    commands: list[tuple[str, str | None]] = field(default_factory=list)

    def statuses(self) -> list[Status]:
        return self.states

    def command(self, verb: str, program: str | None) -> str:
        self.commands.append((verb, program))
        return f"{verb} asked"


@pytest.fixture
def host(tmp_path: Path) -> Host:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "home")})
    dest = tmp_path / "backups"
    dest.mkdir()
    for name in (OLD, NEW):
        (dest / name).write_bytes(b"x" * 2_500_000)
    (dest / "notes.txt").write_text("not a backup")
    cfg = config_mod.parse(f'[programs.assistant]\ncommand = ["x"]\n[backup]\ndest = "{dest}"\n',
                           environ={"HOME": str(tmp_path)})
    return Host(cfg, paths)


def router_for(host: Host) -> Router:
    router = Router()
    backups_api.register(router, host, wall=lambda: NOW)  # type: ignore[arg-type]  # a partial host
    return router


def call(router: Router, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    response: Response = router.dispatch(Request(method, path, body=body or {}))
    return response.status, json.loads(response.body)


def test_the_list_is_newest_first_in_numbers_and_words(host: Host) -> None:
    catalog.mark_verified(catalog.list_backups(Path(host.config.backup.dest or ""))[0].path, True, [], NOW)
    status, data = call(router_for(host), "GET", "/api/backups")
    assert status == 200
    assert [b["name"] for b in data["backups"]] == [NEW, OLD]
    newest, oldest = data["backups"]
    assert newest["size"] == 2_500_000 and newest["size_words"] == "2.5MB"
    assert newest["verified"] is None and newest["verified_words"] == "not verified yet"
    assert oldest["verified"] is True and oldest["verified_words"] == "verified"
    assert newest["created_words"].endswith("days ago") and isinstance(newest["created"], float)
    assert data["running"] is None
    assert data["last_ok_words"] == "last good backup 2 hours ago"
    assert data["next_due_words"] == "the next backup is due in 3h"
    assert data["schedule_words"] == "backs up daily at 03:00"


def test_a_running_job_shows_its_numbers(host: Host) -> None:
    host.backups.busy = "backing up 45% of 2MB"
    host.backups.numbers = {"job": "backup", "phase": "backup", "percent": 45, "words": "backing up 45% of 2MB",
                            "started": NOW - 3}
    _, data = call(router_for(host), "GET", "/api/backups")
    assert data["running"] == host.backups.numbers


def test_back_up_now_answers_at_once_and_a_second_one_is_refused(host: Host) -> None:
    router = router_for(host)
    status, data = call(router, "POST", "/api/backups")
    assert status == 202 and data["message"] == "backup started" and host.backups.asked == ["backup"]
    host.backups.busy = "backing up 12% of 2MB"
    status, data = call(router, "POST", "/api/backups")
    assert status == 409 and data["error"] == "a backup is already running (backing up 12% of 2MB)"


@pytest.mark.parametrize("name", ["..", "notes.txt", "trayapp-backup-20990101T000000Z.tar.gz",
                                  f"..%2F{NEW}", f"{NEW}.verified.json"])
def test_a_name_not_in_the_catalog_is_404_and_nothing_runs(host: Host, name: str) -> None:
    router = router_for(host)
    for verb, body in (("verify", {}), ("restore", {"dry_run": True}), ("restore", {"confirm": name})):
        status, data = call(router, "POST", f"/api/backups/{name}/{verb}", body)
        assert status == 404 and data["fix"], (verb, data)
    assert host.backups.asked == [] and host.backups.restores == []


def test_verify_runs_in_the_background_and_answers_at_once(host: Host) -> None:
    status, data = call(router_for(host), "POST", f"/api/backups/{NEW}/verify")
    assert status == 202 and data["message"] == f"verify {NEW} started"
    assert host.backups.asked == [f"verify {NEW}"]


def test_verify_while_busy_is_409(host: Host) -> None:
    host.backups.busy = "restoring"
    status, data = call(router_for(host), "POST", f"/api/backups/{NEW}/verify")
    assert status == 409 and "already running" in data["error"]


@pytest.mark.parametrize("body", [{}, {"confirm": OLD}, {"confirm": True}, {"dry_run": "yes"}])
def test_a_restore_needs_the_name_echoed_back(host: Host, body: dict[str, Any]) -> None:
    status, data = call(router_for(host), "POST", f"/api/backups/{NEW}/restore", body)
    assert status == 400 and NEW in data["fix"]
    assert host.backups.restores == []


def test_a_confirmed_restore_stops_and_starts_through_the_host_itself(host: Host) -> None:
    host.states = [Status("assistant", "the assistant", State.RUNNING, Mode.MANAGED)]
    status, data = call(router_for(host), "POST", f"/api/backups/{NEW}/restore", {"confirm": NEW})
    assert status == 202 and data["message"] == f"restore {NEW} started"
    archive, instance = host.backups.restores[0]
    assert archive.name == NEW and archive.parent == Path(host.config.backup.dest or "")
    assert (instance.status("assistant") or {})["state"] == "running"
    instance.stop("assistant")
    instance.start("assistant")
    assert host.commands == [("stop", "assistant"), ("start", "assistant")]


def test_a_dry_run_of_a_damaged_archive_says_why_and_changes_nothing(host: Host) -> None:
    status, data = call(router_for(host), "POST", f"/api/backups/{NEW}/restore", {"dry_run": True})
    assert status == 409 and "failed verification, nothing was restored" in data["error"]
    assert data["fix"] and host.backups.restores == []


@pytest.mark.parametrize("info, words", [
    ({}, ("no backup yet", "nothing scheduled", "no schedule: backups run when you ask")),
    ({"last_ok_at": NOW - 5, "next_due": NOW + 20, "schedule": "hourly"},
     ("last good backup just now", "the next backup is due in under a minute", "backs up hourly")),
    ({"next_due": NOW - 1}, ("no backup yet", "the next backup is due now", "no schedule: backups run when you ask")),
])
def test_the_schedule_in_words(info: dict[str, Any], words: tuple[str, str, str]) -> None:
    said = backups_api.summary(info, NOW)
    assert (said["last_ok_words"], said["next_due_words"], said["schedule_words"]) == words
    assert said["running"] is None
