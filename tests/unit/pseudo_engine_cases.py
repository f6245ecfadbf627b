"""Cases for the pseudo-locale test of the engine's words: every alert rule's reason and every action
failure, the backup engine's errors, notes, verify problems and restore results (real archives of a
real SQLite database in a tmp folder), autostart status and plans, and the disk watch's refusal.

Each function returns what a person would read (Messages as made, so the test can look inside
them: a value that is an English sentence would hide inside a translated one). `mark` wraps data from elsewhere (a program's own
output, a server's answer, a status name), which a real run shows as it came."""

from __future__ import annotations

import io
import json
import sqlite3
import sys
import tarfile
import urllib.error
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from trayapp.message import Message

Mark = Callable[[str], str]
Said = Message | str  # a Message is checked with each of its values (see the test)
NOW = 10_000.0
P = "assistant"


# -- alerts ------------------------------------------------------------------------------------------

def _e(t: float, event: str, /, **fields: Any) -> dict[str, Any]:
    return {"t": t, "event": event, "program": P, **fields}


def _crash(t: float, mark: Mark, uptime: float = 1.0) -> list[dict[str, Any]]:
    return [_e(t, "exit", code=1, text=mark("exit 1"), uptime=uptime, expected=False),
            _e(t, "backoff", delay=1.0, failures=1), _e(t + 1, "start", pid=1)]


def alert_details(mark: Mark) -> list[Said]:
    """The detail of every kind of rule, as the notification body shows it."""
    from trayapp.alerts.rules import evaluate
    from trayapp.config.alerts import parse_condition

    scenarios = [
        ("restarts > 3 in 1h", [x for t in (7000, 8000, 9000, 9500) for x in _crash(t, mark)]),
        ("crashes >= 2 in 10m", [*_crash(9500, mark), *_crash(9700, mark)]),
        ("uptime < 5m after restart", [*_crash(9000, mark), _e(9100, "exit", code=1, text=mark("exit 1"),
                                                                 uptime=100, expected=False)]),
        ("memory > 1GB for 10m", [_e(NOW - 700 + 10 * i, "sample", memory=2e9) for i in range(71)]),
        ("cpu > 90% for 5m", [_e(NOW - 400 + 10 * i, "sample", cpu=150.0) for i in range(41)]),
        ("health failing for 2m", [_e(NOW - 200, "health", status="unhealthy", detail=mark("HTTP 503"))]),
        ("health failing for 2m", [_e(NOW - 200, "health", status="unhealthy")]),
        ("gave up", [*_crash(9000, mark), _e(9005, "gave_up", reason=mark("too many crashes"))]),
        ("gave up", [_e(9005, "gave_up")]),
        ("disk over limit", [_e(9005, "limit", kind="disk", value=5e9, limit=1e9)]),
    ]
    out: list[Said] = []
    for when, entries in scenarios:
        match = evaluate(parse_condition(when), entries, NOW, P)
        assert match is not None, when
        out.append(match.detail)
    return out


class _Notes:
    def __init__(self) -> None:
        self.bodies: list[str] = []

    def notify(self, title: str, body: str = "", *, slot: str = "", kind: str = "",
               channels: tuple[str, ...] = ()) -> None:
        self.bodies.append(body)


class _Journal:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, event: str, program: str | None = None, **fields: Any) -> dict[str, Any]:
        self.entries.append({"event": event, "program": program, **fields})
        return self.entries[-1]


class _Clock:
    def monotonic(self) -> float:
        return NOW

    def time(self) -> float:
        return NOW


def alert_engine_words(mark: Mark) -> list[Said]:
    """A notification an alert sends, and the failure of a notify action with no notifier, as
    `trayapp history` would show it from the journal's Message."""
    from trayapp.alerts.engine import AlertEngine
    from trayapp.config.alerts import parse_rules

    out = []
    for notifier in (_Notes(), None):
        journal = _Journal()
        rules = parse_rules([{"when": "gave up", "name": "r1"}])
        engine = AlertEngine(rules, journal=journal, notifier=notifier, clock=_Clock(), threaded=False)
        engine.step(_e(9005, "gave_up", reason=mark("too many crashes")))
        entry = journal.entries[-1]
        out.append(Message.from_json(entry.get("detail_message")) or entry["detail"])
        if notifier is not None:
            out += notifier.bodies
        else:
            out.append(Message.from_json(entry.get("error_message")) or entry["error"])
    return out


class _Answer:
    def __init__(self, status: int) -> None:
        self.status = status

    def __enter__(self) -> _Answer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _opener(answer: BaseException | int) -> Callable[..., _Answer]:
    def open_(request: object, timeout: float) -> _Answer:
        if isinstance(answer, BaseException):
            raise answer
        return _Answer(answer)
    return open_


def alert_action_errors(mark: Mark) -> list[Said]:
    """Why a command or webhook action failed (real commands; webhooks with a scripted opener)."""
    from trayapp.alerts.actions import post_webhook, run_command

    said_error = f"import sys; print({mark('bad token')!r}, file=sys.stderr); sys.exit(3)"
    outcomes = [run_command((sys.executable, "-c", said_error), 10),
                run_command((sys.executable, "-c", "import sys; sys.exit(4)"), 10)]
    answers: list[BaseException | int] = [
        urllib.error.HTTPError("https://x", 500, mark("Server Error"), {}, None),  # type: ignore[arg-type]
        urllib.error.URLError(mark("connection refused")), urllib.error.URLError(TimeoutError()),
        TimeoutError(), 302]
    outcomes += [post_webhook("https://x", {}, 5, opener=_opener(a)) for a in answers]
    assert all(not o.ok for o in outcomes)
    return [o.error for o in outcomes]


# -- the backup engine -------------------------------------------------------------------------------

def make_database(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t(x)")
    db.execute("INSERT INTO t VALUES (1)")
    db.commit()
    db.close()


def backup_home(tmp: Path, mark: Mark) -> dict[str, str]:
    """A TRAYAPP_HOME whose assistant keeps a file and a real SQLite database in `d1`, one folder
    of [backup] paths that does not exist and a symlink that leaves its folder (two notes)."""
    data = tmp / "d1"
    (data / "s2").mkdir(parents=True)
    (data / "f1.txt").write_text("keep me")
    make_database(data / "db1.sqlite")
    (data / "s2" / "l1").symlink_to(tmp)
    home = tmp / "h1"
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text(
        f'[programs.assistant]\ncommand = ["x1"]\ndata_dirs = ["{data}"]\n'
        f'[backup]\npaths = ["{tmp / "m1"}"]\nverify = true\n')
    return {"TRAYAPP_HOME": str(home), "HOME": str(tmp)}


def _context(env: Mapping[str, str]) -> tuple[Any, Any]:
    from trayapp.config import load
    from trayapp.paths import AppPaths

    paths = AppPaths.discover(env)
    paths.ensure()
    return load(paths.config_file, environ=env), paths


def backup_results(tmp: Path, mark: Mark) -> list[Said]:
    """A good backup's notes, a refused one's error and fix, and the other errors a backup gives."""
    from trayapp.backup import archive, interrupted, service
    from trayapp.backup.interrupted import Interrupted
    from trayapp.backup.sqlite_copy import DatabaseLocked

    config, paths = _context(backup_home(tmp, mark))
    good = service.run_backup(config, paths)
    assert good.ok and len(good.notes) >= 2, good
    refused = service.run_backup(config, paths, disk_ok=lambda: False)
    out: list[Said] = [*good.notes, refused.error or "", refused.fix or ""]
    out += [interrupted.describe(exc) for exc in (Interrupted("SIGTERM"), KeyboardInterrupt(), SystemExit())]
    out += [interrupted.FIX]
    db = tmp / "d1" / "db1.sqlite"
    out += [DatabaseLocked(db, 30, [mark("sqlite3 (pid 5)")]).said, DatabaseLocked(db, 30, []).said,
            archive.DatabaseCopyError(db, OSError(mark("disk I/O error"))).said]
    return out


def nothing_to_back_up(tmp: Path) -> list[Said]:
    from trayapp.backup import service

    home = tmp / "h2"  # no config.toml (the defaults: nanobot's data folder, which does not exist)
    home.mkdir(mode=0o700)
    config, paths = _context({"TRAYAPP_HOME": str(home), "HOME": str(tmp / "h2")})
    result = service.run_backup(config, paths)
    assert not result.ok
    return [result.error or "", result.fix or ""]


def _rewrite(src: Path, dest: Path, change: Callable[[tarfile.TarInfo, bytes | None], Iterator[tuple[tarfile.TarInfo, bytes | None]]]) -> Path:
    """A copy of archive `src` with each member passed through `change` (which may drop, alter or add)."""
    with tarfile.open(src, "r:gz") as old, tarfile.open(dest, "w:gz", format=tarfile.PAX_FORMAT) as new:
        for member in old.getmembers():
            f = old.extractfile(member) if member.isreg() else None
            for info, data in change(member, f.read() if f else None):
                new.addfile(info, io.BytesIO(data) if data is not None else None)
    return dest


def _file(name: str, data: bytes, mode: int = 0o600) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    return info, data


def _special(name: str, kind: bytes, link: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info, None


def tampered_archive(good: Path, dest: Path) -> Path:
    """`good` with a file changed, the database and a folder's mode altered, members added that are
    unsafe, unlisted or twice there, and symlinks that lead out."""
    def change(member: tarfile.TarInfo, data: bytes | None) -> Iterator[tuple[tarfile.TarInfo, bytes | None]]:
        if member.name.endswith("f1.txt"):
            yield _file(member.name, b"changed", member.mode)
        elif member.name.endswith("db1.sqlite"):
            yield _file(member.name, b"not a database", member.mode)
        elif member.isdir():
            member.mode = 0o777
            yield member, None
        elif member.name == "manifest.json":
            yield from (_file("/e1/x1", b"x"), _file("d1/../x2", b"x"), _special("d1/h1", tarfile.LNKTYPE, "d1/f1.txt"),
                        _special("d1/p1", tarfile.FIFOTYPE), _special("d1/l2", tarfile.SYMTYPE, "../../x3"),
                        _special("d1/l3", tarfile.SYMTYPE, "/e1"), _special("d1/l4", tarfile.SYMTYPE, "s2"),
                        _file("d1/l4/f4", b"x"), _file("d1/x4", b"x"), _file("d1/x4", b"x"), (member, data))
        else:
            yield member, data
    return _rewrite(good, dest, change)


def verify_problems(tmp: Path, good: Path, mark: Mark) -> list[Said]:
    """Every problem verification finds in a tampered copy of a good archive, one by one and joined."""
    from trayapp.backup.verify import verify_archive

    report = verify_archive(tampered_archive(good, tmp / "t1.tar.gz"))
    no_manifest = verify_archive(_rewrite(good, tmp / "t2.tar.gz", lambda m, d: iter(
        [] if m.name == "manifest.json" else [(m, d)])))
    assert len(report.problems) >= 10, report.problems
    from trayapp.backup.service import _verify_new

    verified, failed = _verify_new(tmp / "t1.tar.gz")  # a new backup that fails its verification
    assert verified is False and failed is not None
    return [*report.problems, *no_manifest.problems, report.summary(), failed]


def manifest_errors(mark: Mark) -> list[Said]:
    from trayapp.backup import manifest

    source = {"label": "a1", "path": "/x1", "kind": "dir"}
    bad: list[object] = [
        "[1]", {"format": 1, "sources": [source, source], "files": [], "created_ts": 0},
        {"format": 1, "sources": [{"label": "a1"}], "files": [], "created_ts": 0},
        {"format": 1, "sources": [{**source, "label": "../x1"}], "files": [], "created_ts": 0},
        {"format": 1, "sources": [{**source, "kind": mark("pipe")}], "files": [], "created_ts": 0},
        {"format": 1, "sources": [{**source, "kind": "file", "path": "/"}], "files": [], "created_ts": 0},
        {"format": 1, "sources": [source], "files": [7], "created_ts": 0},
        {"format": 1, "sources": [source], "files": [{"path": "a1/x", "type": mark("fifo")}], "created_ts": 0},
    ]
    out: list[Said] = []
    for data in bad:
        try:
            manifest.parse((data if isinstance(data, str) else json.dumps(data)).encode())
        except ValueError as exc:
            out.append(manifest.said(exc))
    assert len(out) == len(bad)
    return out


class Instance:
    """A scripted running trayapp for restores: `statuses` answer in turn (the last one repeats)."""

    def __init__(self, statuses: Sequence[Mapping[str, Any] | None], after_start: Sequence[Mapping[str, Any]] = ()) -> None:
        self.statuses, self.after_start, self.started = list(statuses), list(after_start), False

    def status(self, program: str) -> Mapping[str, Any] | None:
        queue = self.after_start if self.started and self.after_start else self.statuses
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def stop(self, program: str) -> None:
        return None

    def start(self, program: str) -> None:
        self.started = True


class _Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def restore_words(tmp: Path, good: Path, mark: Mark) -> list[Said]:
    """A restore's plan, its refusals and its results: nothing running, owned elsewhere, never
    stopping, never healthy again (rolled back)."""
    from trayapp.backup import restore
    from trayapp.errors import BackupError

    env = {"TRAYAPP_HOME": str(tmp / "h1"), "HOME": str(tmp)}
    config, paths = _context(env)
    out: list[Said] = [*restore.prepare(good, config, paths).describe(),
                       *restore.prepare(good, config, paths, to=tmp / "r1").describe()]
    for attempt in (lambda: restore.prepare(good, config, paths, free=lambda folder: 0),
                    lambda: restore.prepare(tmp / "t1.tar.gz", config, paths)):
        try:
            attempt()
        except BackupError as exc:
            out += [exc.said, exc.fix_said or ""]
    running = {"state": mark("running"), "mode": "managed", "health": mark("unknown")}
    instances = [Instance([None]), Instance([{**running, "mode": "external", "owner": mark("pid 7")}]),
                 Instance([running]),
                 Instance([{"state": "running", "mode": "managed"}, {"state": "stopped"}],
                          after_start=[{"state": "starting"}, {"state": "given_up", "reason": mark("it kept crashing")}])]
    for instance in instances:
        ticks = _Ticks()
        result = restore.execute(restore.prepare(good, config, paths), instance, clock=ticks.clock, sleep=ticks.sleep)  # type: ignore[arg-type]
        out += [result.error or "", *result.notes]
    return out


def other_machine(tmp: Path, good: Path) -> list[Said]:
    """An archive whose folders are not this machine's backup sources."""
    from trayapp.backup import restore
    from trayapp.errors import BackupError

    home = tmp / "h3"
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text('[programs.assistant]\ncommand = ["x1"]\n')
    config, paths = _context({"TRAYAPP_HOME": str(home), "HOME": str(tmp)})
    try:
        restore.prepare(good, config, paths)
    except BackupError as exc:
        return [exc.said, exc.fix_said or ""]
    raise AssertionError("the restore was not refused")


def job_words(tmp: Path, mark: Mark) -> list[Said]:
    """What BackupJobs answers while one job runs, and its progress line."""
    from trayapp.backup.jobs import BackupBusy, BackupJobs
    from trayapp.backup.progress import Progress
    from trayapp.journal import Journal

    config, paths = _context({"TRAYAPP_HOME": str(tmp / "h1"), "HOME": str(tmp)})
    out: list[Said] = []
    for kind in ("backup", "verify", "restore"):
        jobs = BackupJobs(config, paths, Journal(paths.journal_file))
        jobs._claim(kind, mark("working"))
        try:
            jobs.start_backup()
        except BackupBusy as exc:
            out += [exc.said, exc.fix_said or "", jobs.request()]
        jobs._progress(Progress(kind, 500, 1000))
        out.append(str(jobs.info()["words"]))
    jobs = BackupJobs(config, paths, Journal(paths.journal_file))
    return [*out, jobs.start_backup()]


def lock_and_disk(tmp: Path, mark: Mark) -> list[Said]:
    import errno

    from trayapp.backup import service, sources
    from trayapp.backup.lock import destination_lock
    from trayapp.errors import BackupError

    out: list[Said] = []
    try:
        with destination_lock(tmp), destination_lock(tmp):
            pass
    except BackupError as exc:
        out += [exc.said, exc.fix_said or ""]
    for code in (errno.ENOSPC, errno.EACCES, errno.EIO):
        exc = OSError(code, mark("system error"))
        out += [service._disk_message(exc, tmp), service._disk_fix(exc)]
    fifo_home = tmp / "d3"
    fifo_home.mkdir()
    import os

    os.mkfifo(fifo_home / "p1")
    plan = sources.build_plan([sources.Source("d3", fifo_home, "dir", "extra")], sources.Filters.build())
    return out + plan.skipped


def schedule_words(mark: Mark) -> list[str]:
    from trayapp.backup.schedule import parse

    out = [parse("daily 03:00").describe(), parse("every 6h").describe()]
    for spec in (mark("hourly"), "every 1m", "daily 25:00"):
        try:
            parse(spec)
        except ValueError as exc:
            out.append(str(exc))
    return out


# -- autostart ---------------------------------------------------------------------------------------

def plan_lines(plan: Any) -> list[str]:
    """The dry-run text of a plan without the file bodies it would write (a .desktop file and a plist
    are read by the desktop, in their own keys)."""
    lines = [line for line in plan.describe().splitlines() if line.startswith("#")]
    for action in plan.actions:
        said = action.describe().splitlines()
        lines += [said[0], said[-1]] if len(said) > 1 else said
    return lines


def xdg_words(tmp: Path) -> list[str]:
    from trayapp.autostart.entry import LaunchCommand
    from trayapp.autostart.plan import apply
    from trayapp.autostart.xdg import XdgAutostart
    from trayapp.procs import NoRunner

    env = {"HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp / "c1"), "XDG_CONFIG_DIRS": str(tmp / "s1")}
    xdg = XdgAutostart(LaunchCommand((sys.executable, "-m", "trayapp", "run", "--autostart")), env)
    out = [xdg.status().detail, *plan_lines(xdg.plan_enable())]
    apply(xdg.plan_enable(), NoRunner())
    out += [xdg.status().detail, *plan_lines(xdg.plan_disable())]
    text = xdg.path.read_text()
    for changed in (text + "Hidden=true\n", text + "X-GNOME-Autostart-enabled=false\n",
                    text.replace(f"TryExec={sys.executable}", "TryExec=/n1/x1")):
        xdg.path.write_text(changed)
        out.append(xdg.status().detail)
    xdg.path.unlink()
    system = tmp / "s1" / "autostart"
    system.mkdir(parents=True)
    (system / xdg.path.name).write_text(text)
    return out + plan_lines(xdg.plan_disable())


def launchd_words(tmp: Path) -> list[str]:
    from tests.unit.test_autostart_launchd import PRINT_RUNNING, FakeLaunchctl, _backend

    out = []
    idle, running = FakeLaunchctl(), FakeLaunchctl(loaded=PRINT_RUNNING)
    out += [_backend(tmp, idle).status().detail, *plan_lines(_backend(tmp, idle).plan_enable()),
            *plan_lines(_backend(tmp, running).plan_enable()), *plan_lines(_backend(tmp, running, own_pid=4242).plan_disable()),
            *plan_lines(_backend(tmp, running).plan_disable())]
    agent = _backend(tmp, idle)
    agent.path.parent.mkdir(parents=True)
    agent.path.write_text("not a plist")
    out.append(agent.status().detail)
    from trayapp.autostart.plan import apply

    apply(agent.plan_enable(), idle)
    out.append(agent.status().detail)
    off = FakeLaunchctl(disabled=f'\tdisabled services = {{\n\t\t"{agent.label}" => disabled\n\t}}\n')
    return [*out, _backend(tmp, off).status().detail]


def windows_words() -> list[str]:
    from tests.unit.test_autostart_windows import FakeRegistry, _backend
    from trayapp.autostart.entry import LaunchCommand
    from trayapp.autostart.windows import APPROVED_KEY, VALUE_NAME, WindowsAutostart

    registry = FakeRegistry()
    out = [_backend(registry).status().detail]
    registry.values[(APPROVED_KEY, VALUE_NAME)] = bytes([3]) + bytes(11)
    with_home = WindowsAutostart(LaunchCommand(("C:\\t1.exe", "run"), env={"TRAYAPP_HOME": "C:\\h1"}), registry)
    out += plan_lines(with_home.plan_enable())
    from trayapp.autostart.plan import apply
    from trayapp.procs import NoRunner

    apply(with_home.plan_enable(), NoRunner(), registry)
    out.append(_backend(registry).status().detail)
    registry.values.pop((APPROVED_KEY, VALUE_NAME))
    return [*out, _backend(registry).status().detail, *plan_lines(_backend(registry).plan_disable())]


def autostart_errors(mark: Mark) -> list[str]:
    from trayapp.autostart.plan import MakeDir, Plan, RunCommand, SetRegistryValue, apply
    from trayapp.errors import AutostartError
    from trayapp.procs import CommandResult

    class Failing:
        def run(self, argv: Sequence[str]) -> CommandResult:
            return CommandResult(1, "", mark("Input/output error"))

    class Silent:
        def run(self, argv: Sequence[str]) -> CommandResult:
            return CommandResult(5, "", "")

    out = apply(Plan("linux", "enable", (RunCommand(("x1",), False),)), Silent())  # type: ignore[arg-type]
    for plan, runner in ((Plan("linux", "enable", (RunCommand(("x1", "a1"), True),)), Failing()),
                         (Plan("windows", "enable", (SetRegistryValue("k1", "n1", "v1"),)), Failing()),
                         (Plan("linux", "enable", (MakeDir(Path("/proc/1/n1"), 0o700),)), Failing())):
        try:
            apply(plan, runner)  # type: ignore[arg-type]
        except AutostartError as exc:
            out += [exc.message.replace("[Errno 2] No such file or directory", " "), exc.fix or ""]
    return out


# -- the disk watch ----------------------------------------------------------------------------------

class _Usage(NamedTuple):
    total: int
    used: int
    free: int


def disk_refusal(tmp: Path) -> str:
    from trayapp.config import DiskConfig
    from trayapp.diskwatch import DiskWatch

    watch = DiskWatch(DiskConfig(), [tmp], usage=lambda path: _Usage(10**11, 10**11 - 10**8, 10**8))
    watch.check()
    refusal = watch.refusal()
    assert refusal is not None
    return refusal



# -- the doctor's fixes ------------------------------------------------------------------------------

def doctor_fix_words(mark: Mark) -> list[Said]:
    """The Fix button's label, what applying a fix says, and a check group that could not run."""
    from trayapp.doctor import fixes, permissions
    from trayapp.doctor.report import Check, Level
    from trayapp.doctor.runner import _safely

    check = Check(permissions.GROUP, mark("config.toml"), Level.WARN, mark("readable by others"), mark("chmod"))
    done = Check(permissions.GROUP, mark("config.toml"), Level.OK, mark("private"), changed=(mark("0644 -> 0600"),))

    def broken(inp: object) -> list[Check]:
        raise RuntimeError(mark("boom"))

    failed = _safely(broken, None, "g1")  # type: ignore[arg-type]
    return [fixes.label(check), fixes.label(Check("g1", "n1", Level.WARN, "", "")),
            fixes.Applied(done, True).message, fixes.Applied(done, False).message,
            failed[0].evidence, failed[0].fix]
