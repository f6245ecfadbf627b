"""Cases for the pseudo-locale test: one of each thing a person reads. `mark` wraps data that comes
from elsewhere (an error text, a program's own words), which a real run shows as it came.

Reasons are never marked data here: they are what the supervisor's own code makes (`reasons`, from
tests/unit/reason_cases.py, or the same functions it calls), so one made without `_()` fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.unit.reason_cases import Collected
from trayapp.notify import messages
from trayapp.notify.messages import Message
from trayapp.status import CrashReport, ExitInfo, Health, Mode, State, Status
from trayapp.supervisor.policy import crash_loop
from trayapp.supervisor.program import stopped_by
from trayapp.triage.classify import Cause, Facts, classify
from trayapp.triage.excerpt import find_in
from trayapp.tray.view import Extras

Mark = Callable[[str], str]
NOW = 1_780_000_000.0


def statuses(mark: Mark) -> list[Status]:
    crash = CrashReport(program="nanobot", when=NOW - 60, exit="exit 1", cause=mark("cause"), fix=mark("fix"),
                        known=True, kind="python traceback", excerpt=("ValueError: bad token",),
                        headline="ValueError: bad token")
    base = dict(program="nanobot", display_name="nanobot", since_at=NOW - 100)
    up = dict(started_at=NOW - 8040, pid=42, restart_counts=((NOW - 30, 3),))
    return [
        Status(**base, state=State.STOPPED),  # type: ignore[arg-type]
        Status(**base, state=State.STOPPED, reason=stopped_by("user")),  # type: ignore[arg-type]
        Status(**base, state=State.STARTING),  # type: ignore[arg-type]
        Status(**base, state=State.STARTING, failures=2),  # type: ignore[arg-type]
        Status(**base, state=State.RUNNING, **up),  # type: ignore[arg-type]
        Status(**base, state=State.RUNNING, started_at=NOW - 0.5),  # type: ignore[arg-type]
        Status(**base, state=State.RUNNING, **up, health=Health.UNHEALTHY,  # type: ignore[arg-type]
               health_detail=mark("no answer")),
        Status(**base, state=State.RUNNING, **up, health=Health.UNHEALTHY),  # type: ignore[arg-type]
        Status(**base, state=State.RUNNING, **up, health=Health.DEGRADED,  # type: ignore[arg-type]
               health_detail=mark("no provider"), health_fix=mark("set one")),
        Status(**base, state=State.RUNNING, **up, mode=Mode.ATTACHED, owner="systemd"),  # type: ignore[arg-type]
        Status(**base, state=State.RUNNING, **up, mode=Mode.ATTACHED),  # type: ignore[arg-type]
        Status(**base, state=State.RUNNING, **up, mode=Mode.EXTERNAL, owner="pid 7"),  # type: ignore[arg-type]
        Status(**base, state=State.RUNNING, **up, mode=Mode.EXTERNAL),  # type: ignore[arg-type]
        Status(**base, state=State.RUNNING, **up, extra={"own_ui": "http://127.0.0.1:1/"}),  # type: ignore[arg-type]
        Status(**base, state=State.BACKOFF, last_exit=ExitInfo(1), retry_at=NOW + 4,  # type: ignore[arg-type]
               last_crash=crash, restart_counts=((NOW - 30, 1),)),
        Status(**base, state=State.BACKOFF, last_exit=ExitInfo(None, 9)),  # type: ignore[arg-type]
        Status(**base, state=State.BACKOFF),  # type: ignore[arg-type]
        Status(**base, state=State.STOPPING),  # type: ignore[arg-type]
        Status(**base, state=State.GIVEN_UP, reason=crash_loop(5, 120, ExitInfo(1)),  # type: ignore[arg-type]
               retry_at=NOW + 600, last_crash=crash),
        Status(**base, state=State.GIVEN_UP, last_exit=ExitInfo(78)),  # type: ignore[arg-type]
        Status(**base, state=State.GIVEN_UP),  # type: ignore[arg-type]
        Status(program="models", display_name="Ollama", state=State.RUNNING, started_at=NOW - 5),
    ]


def extras_cases(mark: Mark) -> list[Extras]:
    return [
        Extras(),
        Extras(on_quit="stop", autostart=True, backup=True, last_backup_at=NOW - 180, paused_until=NOW + 600),
        Extras(on_quit="leave", autostart=False, backup=True, backup_progress=mark("backing up"),
               disk_warning=mark("disk low")),
        Extras(config_problem=mark("programs.x: unknown key")),
    ]


def notifications(mark: Mark, reasons: Collected | None = None) -> list[Message]:
    report = {"program": "nanobot", "when": NOW, "exit": "exit 1", "cause": mark("c"), "fix": mark("Do it"),
              "known": True, "kind": "error lines", "excerpt": ["x"], "headline": "ValueError: bad token"}
    crash1 = {"code": 1, "last_stderr": "ERROR ValueError: bad token"}
    return [
        messages.crash("nanobot", crash1, delay=4.2),
        messages.crash("nanobot", {"code": 0}),
        messages.crash("nanobot", {"signal": 9}, report=report),
        messages.crash("nanobot", crash1, count=3, span=125, meaning=mark("meaning")),
        messages.spawn_failed("nanobot", {}, count=3),
        messages.gave_up("nanobot", {"retry_in": 600}, {"code": 1}, report),
        messages.recovered("nanobot", 2),
        messages.recovered("nanobot", 1),
        messages.recovered("nanobot", 0),
        messages.health("nanobot", {}, failing=True),
        messages.health("nanobot", {}, failing=False),
        messages.degraded("nanobot", {"detail": mark("no key"), "fix": mark("add one")}),
        messages.degraded("nanobot", {}),
        messages.answering("nanobot"),
        messages.limit("nanobot", {"kind": "memory", "value": 2e9, "limit": 1e9}),
        messages.limit("nanobot", {"kind": "memory", "value": 2e9, "limit": 1e9, "action": "notify"}),
        messages.limit("nanobot", {"kind": "cpu", "value": 150, "limit": 90}),
        messages.limit("nanobot", {"kind": "cpu", "value": 150, "limit": 90, "action": "notify"}),
        messages.limit("nanobot", {"kind": "disk", "value": 5e9, "limit": 1e9}),
        messages.disk({"level": "critical", "path": "/home", "free": 1e8, "total": 1e11}),
        messages.disk({"level": "warn", "path": "/home", "free": 1e9, "total": 1e11}),
        messages.disk({"level": "ok", "path": "/home", "free": 1e10, "total": 1e11}),
        messages.backup({"ok": True, "path": "/b/x.tar.gz", "size": 1.2e9}),
        messages.backup({"ok": False}),
        messages.external("nanobot", {"pid": 7}),
        messages.external("nanobot", {}),
        *(messages.gave_up("nanobot", e, None) for e in _of(reasons, "gave_up")),
        *(messages.spawn_failed("nanobot", e) for e in _of(reasons, "spawn_failed")),
    ]


def _of(reasons: Collected | None, kind: str) -> list[dict[str, Any]]:
    return [e for e in (reasons.entries if reasons else []) if e.get("event") == kind]


def journal_entries(mark: Mark, reasons: Collected | None = None) -> list[dict[str, Any]]:
    """One entry of each kind with every optional field and one without; with `reasons`, every entry
    the supervisor's code paths wrote too (their reasons are its own words, not marked data)."""
    p = {"program": "nanobot"}
    err = {"error": mark("boom")}
    return [
        {"event": "start", **p, "pid": 42}, {"event": "running", **p, "after_crash": True, "pid": 42},
        {"event": "running", **p},
        {"event": "exit", **p, "code": 1, "uptime": 8.2, "last_stderr": "ERROR ValueError: bad"},
        {"event": "exit", **p, "code": 0, "uptime": 0.2}, {"event": "exit", **p, "signal": 15, "expected": True},
        {"event": "exit", **p}, {"event": "exit", **p, "expected": True},
        {"event": "crash", **p, "exit": "exit 1", "headline": "ValueError: bad", "fix": mark("Fix"), "known": True},
        {"event": "crash", **p},
        {"event": "backoff", **p},
        *({"event": "restart", **p, "reason": who} for who in ("user", "quit", "health", "limit", "restart",
                                                                "reload", "dependency")),
        {"event": "restart", **p, "reason": "user", "via": "trayapp restart"}, {"event": "restart", **p},
        {"event": "stop", **p, "by": "user"}, {"event": "stop", **p},
        {"event": "gave_up", **p, "retry_in": 600},
        {"event": "spawn_failed", **p},
        {"event": "kill", **p},
        *({"event": "health", **p, "status": s, "detail": mark("d")} for s in
          ("healthy", "unhealthy", "degraded", "unknown", "none")),
        {"event": "health", **p}, {"event": "health", **p, "status": "weird"},
        {"event": "limit", **p, "kind": "memory", "value": 2e9, "limit": 1e9, "action": "restart"},
        {"event": "limit", **p, "kind": "cpu", "value": 150, "limit": 90, "action": "notify"},
        {"event": "limit", **p, "kind": "disk", "value": 5e9, "limit": 1e9},
        {"event": "external", **p, "owner": "pid 7"}, {"event": "external", **p},
        {"event": "orphan", **p, "pid": 9, "action": mark("killed")}, {"event": "orphan", **p},
        {"event": "adopt", **p, "pid": 9},
        {"event": "owner_command", **p, "action": "restart", **err}, {"event": "owner_command", **p},
        {"event": "attach", **p, "owner": "systemd", "pid": 3}, {"event": "attach", **p},
        {"event": "handoff", **p, "keeper": 77}, {"event": "handoff", **p},
        *({"event": "disk", "level": lv, "path": "/home", "free": 1e9, "total": 1e11} for lv in ("critical", "warn", "ok")),
        {"event": "disk", "free": 1e9, "total": 1e11},
        {"event": "backup", "ok": True, "size": 1.2e9, "files": 3, "databases": 1, "verified": True,
         "duration": 12.5, "path": "/b/x.tar.gz"},
        {"event": "backup", "ok": True, "files": 1, "databases": 2},
        {"event": "backup", "ok": False, **err, "fix": mark("Free space")}, {"event": "backup", "ok": False},
        {"event": "prune", "ok": True, "deleted": ["a", "b"], "kept": 5, "freed": 3e9},
        {"event": "prune", "ok": True, "deleted": [], "kept": 1}, {"event": "prune", "ok": False, **err},
        {"event": "restore", "ok": True, "archive": "x.tar.gz", "restored": ["a"], "duration": 3, "to": "/r",
         "healthy": True},
        {"event": "restore", "ok": True, "healthy": False}, {"event": "restore", "ok": False, **err},
        {"event": "verify", "ok": True, "archive": "/b/x.tar.gz", "files": 1, "databases": 2},
        {"event": "verify", "ok": False, "archive": "/b/x.tar.gz", "problems": [mark("bad")]},
        {"event": "verify", "ok": False},
        {"event": "alert", "rule": "r1", "detail": mark("fired")},
        {"event": "alert", "rule": "r1", "ok": False, "action": "webhook", **err}, {"event": "alert", "ok": False},
        {"event": "control_unavailable", **err}, {"event": "control_unavailable"},
        {"event": "dashboard_unavailable", "port": 8080, **err, "fix": mark("x")},
        {"event": "dashboard_unavailable"}, {"event": "dashboard_rotated"},
        {"event": "quit", "stop_programs": False}, {"event": "quit"},
        {"event": "fault", **p},
        {"event": "logs_refused", "folder": "/l"}, {"event": "logs_refused"},
        {"event": "reload", "changes": mark("x changed")}, {"event": "reload"},
        {"event": "reload_failed", "problems": [mark("bad")]}, {"event": "reload_failed"},
        {"event": "config_error", "problems": [mark("bad")]}, {"event": "config_error"},
        {"event": "held", **p},
        {"event": "depends", **p, "dependency": "models"}, {"event": "depends", **p},
        {"event": "channel_failed", "kind": "crash", "channel": "mailto://x", **err}, {"event": "channel_failed"},
        *({"event": "notice_action", "action": a} for a in ("restart", "logs", "snooze", "other")),
        *(reasons.entries if reasons else []),
    ]


def crash_causes() -> list[Cause]:
    def cause(lines: list[str], code: int | None = 1, signal: int | None = None, **facts: Any) -> Cause:
        return classify(find_in(lines), lines, Facts(exit=ExitInfo(code, signal), **facts))

    return [
        cause([], None, 9, memory=95, memory_limit=100), cause([], None, 9, oom_recorded=True),
        cause(["Container runtime is required"]), cause(["No provider is configured"]),
        cause(["OSError: [Errno 98] address already in use: port 8080"]),
        cause(["OSError: [Errno 98] address already in use: port 8080"], port_holder=lambda port: "pid 7 (python3)"),
        cause(["OSError: [Errno 98] address already in use"]),
        cause(["ModuleNotFoundError: No module named 'foo.bar'"]), cause(["Error: Cannot find module 'x'"]),
        cause(["ERROR 401 Unauthorized"]), cause(["ERROR status 429 Too Many Requests"]), cause([], 78),
        cause(["PermissionError: [Errno 13] Permission denied: '/etc/x'"]),
        cause(["ERROR Permission denied"]),
        cause(["FileNotFoundError: [Errno 2] No such file or directory: '/etc/x'"]),
        cause(["ERROR No such file or directory"]), cause(["something odd"]),
    ]
