"""The Backups and Diagnostics pages' API against real parts: a real SQLite database being written
while it is backed up by the instance's real BackupJobs, progress seen through the real event bus,
verify and a restore dry run on the real archive, and a doctor fix that really changes a file mode."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_backup_live_sqlite import Writer, make_database
from trayapp import journal as journal_mod
from trayapp.backup.jobs import BackupJobs
from trayapp.config import Config, parse
from trayapp.dashboard import backups_api, diagnostics_api
from trayapp.dashboard.http import Request, Router
from trayapp.events import EventBus, ExtrasChanged
from trayapp.journal import Journal
from trayapp.paths import AppPaths
from trayapp.status import Status


class Host:
    """The running instance's parts the two pages use, real ones."""

    def __init__(self, config: Config, paths: AppPaths) -> None:
        self.config, self.paths = config, paths
        self.bus = EventBus()
        self.journal = Journal(paths.journal_file)
        self.config_problems: tuple[str, ...] = ()
        self.backups = BackupJobs(config, paths, self.journal,
                                  on_change=lambda: self.bus.publish(ExtrasChanged("backup")))

    def statuses(self) -> list[Status]:
        return []

    def command(self, verb: str, program: str | None) -> str:
        raise AssertionError("nothing runs, so nothing is stopped or started")


def call(router: Router, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    response = router.dispatch(Request(method, path, body=body or {}))
    return response.status, json.loads(response.body)


Live = tuple[Host, Path, Writer]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    db = data / "state.sqlite"
    make_database(db, "wal", mb=24)
    writer = Writer(db)
    writer.start()
    while writer.committed < 20 and writer.error is None:
        threading.Event().wait(0.01)  # waits for the real writer to make progress, not for time
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "home")})
    paths.ensure()
    paths.config_file.write_text(f'[programs.assistant]\ncommand = ["sleep", "60"]\ndata_dirs = ["{data}"]\n'
                                 f'[backup]\ndest = "{tmp_path / "backups"}"\nverify = false\n')
    paths.config_file.chmod(0o600)
    host = Host(parse(paths.config_file.read_text(), environ={"HOME": str(tmp_path)}), paths)
    stop = threading.Event()
    host.backups.start(stop)
    yield host, data, writer
    stop.set()
    writer.stop.set()
    writer.join(30)
    assert writer.error is None


def wait_until_idle(host: Host, seen: list[dict[str, Any]]) -> None:
    ended = threading.Event()

    def on_backup(_: ExtrasChanged) -> None:
        info = host.backups.info()
        seen.append(info)
        if not info["busy"]:
            ended.set()

    host.bus.subscribe(ExtrasChanged, on_backup)
    if host.backups.info()["busy"]:
        assert ended.wait(120), "the job ended"


def test_create_progress_list_verify_and_a_dry_run_that_writes_nothing(live: Live) -> None:
    host, data, writer = live
    router = Router()
    backups_api.register(router, host)  # type: ignore[arg-type]  # the parts these routes use

    seen: list[dict[str, Any]] = []
    status, answer = call(router, "POST", "/api/backups")
    assert status == 202, answer
    status, answer = call(router, "POST", "/api/backups")
    assert status == 409 and answer["error"].startswith("a backup is already running")
    wait_until_idle(host, seen)
    assert any(s["phase"] == "backup" and isinstance(s["percent"], int) and "%" in s["words"] for s in seen), seen
    assert writer.committed > 20, "the database was written to during the backup"

    status, listing = call(router, "GET", "/api/backups")
    assert status == 200 and listing["running"] is None and len(listing["backups"]) == 1
    backup = listing["backups"][0]
    assert backup["verified"] is None and backup["size"] > 0

    status, answer = call(router, "POST", f"/api/backups/{backup['name']}/verify")
    assert status == 202 and answer["message"]
    wait_until_idle(host, seen)
    _, listing = call(router, "GET", "/api/backups")
    assert listing["backups"][0]["verified"] is True and listing["backups"][0]["verified_words"] == "verified"
    host.journal.flush()
    assert any(e["event"] == "verify" and e["ok"] for e in journal_mod.read(host.paths.journal_file))

    writer.stop.set()
    writer.join(30)
    before = {p: p.stat().st_mtime_ns for p in data.rglob("*")}
    status, dry = call(router, "POST", f"/api/backups/{backup['name']}/restore", {"dry_run": True})
    assert status == 200, dry
    target = next(t for t in dry["targets"] if t["dest"] == str(data))
    assert target["replaces"] is True and target["databases"] == 1 and target["size"] > 24_000_000
    assert dry["fits"] is True and dry["must_stop"] is False
    assert any(str(data) in line for line in dry["lines"]) and dry["lines"][-1].startswith("This was a dry run")
    assert {p: p.stat().st_mtime_ns for p in data.rglob("*")} == before, "a dry run writes nothing"
    assert not list(data.parent.glob("data.before-restore-*"))


@pytest.mark.skipif(sys.platform == "win32", reason="file modes are POSIX")
def test_doctor_offers_a_fix_for_an_open_config_and_the_fix_makes_it_private(live: Live) -> None:
    host, _, _ = live
    host.paths.config_file.chmod(0o644)
    router = Router()
    diagnostics_api.register(router, host)  # type: ignore[arg-type]  # the parts these routes use
    status, report = call(router, "GET", "/api/doctor")
    assert status == 200 and report["summary"]
    check = next(c for c in report["checks"] if c["group"] == "permissions" and str(host.paths.config_file) in c["detail"])
    assert check["status"] in ("warn", "fail") and check["fix"] is not None
    status, answer = call(router, "POST", f"/api/doctor/fix/{check['fix']['id']}")
    assert status == 200, answer
    assert stat.S_IMODE(os.stat(host.paths.config_file).st_mode) == 0o600
    assert answer["check"]["status"] == "ok"
    _, again = call(router, "GET", "/api/doctor")
    assert not any(c["fix"] and c["id"] == check["id"] for c in again["checks"])
