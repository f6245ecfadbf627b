"""The assistant itself: binary, its config, its port, its health, its own service, duplicates."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from trayapp.i18n import N_, _
from trayapp.message import words
from trayapp.config import ProgramConfig
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.report import Check, fail, info, ok, warn
from trayapp.status import Health, Status
from trayapp.supervisor.health import port_of

GROUP = N_("assistant")
# Only these are asked for --version: running an unknown program with a flag might start it.
# NanoClaw has no --version (`node dist/index.js --version` would start it): its package.json says.
_VERSION_ARGS = {"nanobot": ("--version",), "openclaw": ("--version",)}


def checks(inp: Inputs) -> list[Check]:
    program = inp.config.assistant
    found: list[Check | None] = [_binary(inp, program)]
    if program.info.config_file:
        found.append(_own_config(inp, program))
    found += [_port(inp, program), _health(inp, program), _service(inp, program), _copies(inp, program)]
    return [c for c in found if c is not None]


def _binary(inp: Inputs, program: ProgramConfig) -> Check:
    name = f"{program.display_name} program"
    title = _("{name} program").format(name=program.display_name)
    if program.attach is not None:
        return info(GROUP, name, _("attach mode ({owner}): trayapp does not start it itself").format(
            owner=program.attach.owner), title=title)
    first = program.command[0]
    running = inp.instance_status(program.name)
    up = running is not None and running.is_up and running.pid is not None
    # What the running trayapp started wins: doctor's own PATH may differ from the instance's.
    resolved = (running.command_path if running is not None and up and running.command_path else
                inp.resolve(first, program.environment(inp.environ), program.cwd))
    if resolved is None:
        return fail(GROUP, name, _("{first} was not found on PATH").format(first=first), program.info.install_hint,
                    title=title)
    version = _version(inp, program, resolved)
    where = _(", running as pid {pid}").format(pid=running.pid) if running is not None and up else ""
    return ok(GROUP, name, f"{resolved}" + (f", {version}" if version else "") + where, title=title)


def _version(inp: Inputs, program: ProgramConfig, resolved: str) -> str:
    if program.info.version_file and program.cwd is not None:
        return _version_from_file(program.cwd / program.info.version_file)
    args = _VERSION_ARGS.get(program.preset)
    if args is None:
        return ""
    done = inp.runner.run([resolved, *args])
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip()[:80] if done.ok and lines else ""


def _version_from_file(path: Path) -> str:
    """"version 2.0.64" from a package.json; "" when it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    version = data.get("version") if isinstance(data, dict) else None
    return f"version {version}" if isinstance(version, str) and version else ""


def _own_config(inp: Inputs, program: ProgramConfig) -> Check:
    path = inp.expand(program.info.config_file or "", program)
    name = f"{program.display_name} config"
    title = _("{name} config").format(name=program.display_name)
    if path.is_file():
        return ok(GROUP, name, str(path), title=title)
    setup = {"nanobot": "run: nanobot onboard", "openclaw": "run: openclaw onboard"}.get(program.preset,
                                                                                    program.info.install_hint)
    return fail(GROUP, name, _("{path} does not exist, so {display_name} cannot start").format(
        path=path, display_name=program.display_name), setup, title=title)


def _port(inp: Inputs, program: ProgramConfig) -> Check | None:
    address = port_of(program.health.url) if program.health else None
    if address is None:
        return None
    host, port = address
    if not inp.port_open(host, port):
        return ok(GROUP, N_("port"), _("{host}:{port} is free").format(host=host, port=port))
    pid = inp.listener_pid(host, port)
    who = _describe_pid(pid) if pid else "a process this user cannot see"
    if program.attach is not None or _ours(inp, pid, program):
        return ok(GROUP, N_("port"), _("{host}:{port} is held by {who}, as expected").format(
            host=host, port=port, who=who))
    return warn(GROUP, N_("port"), _("{host}:{port} is held by {who}, which trayapp did not start").format(
        host=host, port=port, who=who),
                _("if it is your assistant, let trayapp attach to it ([programs.{name}.attach]); otherwise stop "
                  "that process or change the port").format(name=program.name))


def _ours(inp: Inputs, pid: int | None, program: ProgramConfig) -> bool:
    """Is `pid` one of the running trayapp's: a recorded child, one below it (a `uv run` or `sh -c`
    wrapper in between), or any process that carries its mark for this program (a daemon that
    double-forked away and re-parented to trayapp)?"""
    if pid is None:
        return False
    import psutil

    from trayapp.supervisor.marks import INSTANCE_VAR, PROGRAM_VAR, instance_id
    from trayapp.supervisor.pidfile import PidFile

    recorded = {r.pid for r in PidFile(inp.paths.pid_file).load().values()}
    recorded |= {s.pid for s in inp.instance or () if s.pid}
    try:
        proc = psutil.Process(pid)
        if {p.pid for p in (proc, *proc.parents())} & recorded:
            return True
        environ = proc.environ()
    except psutil.Error:
        return False
    return (environ.get(PROGRAM_VAR) == program.name
            and environ.get(INSTANCE_VAR) == instance_id(inp.paths.state_dir))


def _describe_pid(pid: int) -> str:
    import psutil

    try:
        cmd = " ".join(psutil.Process(pid).cmdline())[:120]
    except psutil.Error:
        cmd = ""
    return f"pid {pid}" + (f" ({cmd})" if cmd else "")


def _health(inp: Inputs, program: ProgramConfig) -> Check | None:
    cfg = program.health
    if cfg is None:
        return info(GROUP, N_("health"), _("no health check configured"),
                    _('add [programs.{name}.health] url = "http://127.0.0.1:PORT/health" if it has one').format(
                        name=program.name))
    running = inp.instance_status(program.name)
    if running is not None:
        return _health_as_seen(running)
    result = inp.probe(cfg, program.cwd, program.environment(inp.environ))
    what = cfg.url or cfg.tcp or " ".join(cfg.command or ())
    if result.ok:
        return ok(GROUP, N_("health"), _("{what}: {detail}").format(what=what, detail=words(result.detail)))
    return warn(GROUP, N_("health"), words(result.detail), _("trayapp is not running: start it with `trayapp run`"))


def _health_as_seen(status: Status) -> Check:
    """The running trayapp watches the program all the time: its word beats a one-off probe."""
    name = status.display_name
    if not status.is_up:
        state = status.state.value.replace("_", " ")
        said = (_("{name} is not running ({state}): {reason}") if status.reason else
                _("{name} is not running ({state})")).format(name=name, state=state, reason=words(status.reason))
        return warn(GROUP, N_("health"), said,
                    _("start it (`trayapp start`); `trayapp why` tells why it stopped"))
    if status.health is Health.HEALTHY:
        return ok(GROUP, N_("health"), _("{name} is healthy, as the running trayapp sees it").format(name=name))
    if status.health is Health.DEGRADED:
        said = words(status.health_detail) or _("{name} is running but cannot answer").format(name=name)
        return warn(GROUP, N_("health"), said, words(status.health_fix) or _("see `trayapp status`"))
    if status.health is Health.UNHEALTHY:
        return warn(GROUP, N_("health"), _("{name} is running but unhealthy: {health_detail}").format(
            name=name, health_detail=words(status.health_detail)),
                    _("read why: `trayapp logs` and `trayapp history`"))
    return ok(GROUP, N_("health"), _("{name} is starting; its first health check is still to come").format(name=name))


def _service(inp: Inputs, program: ProgramConfig) -> Check:
    from trayapp.supervisor.services import detect_service

    found = detect_service(program, environ=inp.environ, platform=inp.os_name)
    if program.attach is not None:
        return ok(GROUP, N_("own service"), _("attach mode: {owner} owns it").format(owner=program.attach.owner))
    if found is None:
        return ok(GROUP, N_("own service"), _("no systemd user service or LaunchAgent of its own is installed"))
    lines = found.attach_toml(program.name).strip().replace("\n", "  ")
    return warn(GROUP, N_("own service"), _("{service} is installed: trayapp must not start a second copy").format(
        service=found.describe()),
                _("use attach mode; add to config.toml: {lines}").format(lines=lines))


def _copies(inp: Inputs, program: ProgramConfig) -> Check | None:
    if not program.command:
        return None
    roots = running_copies(program.command, whole=program.preset == "custom")
    if len(roots) > 1:
        listed = ", ".join(_describe_pid(p) for p in roots[:4])
        return fail(GROUP, N_("copies"), _("{n} copies are running: {listed}").format(n=len(roots), listed=listed),
                    _("two copies answer the same chats twice and fight over the port: stop all but one"))
    if roots:
        return ok(GROUP, N_("copies"), _("one copy running ({process})").format(process=_describe_pid(roots[0])))
    return ok(GROUP, N_("copies"), _("no copy running"))


def running_copies(argv: Sequence[str], whole: bool = False) -> list[int]:
    """Pids of processes running `argv`, children left out. A known assistant is recognised by its
    program name and first argument (`nanobot gateway` however it was started); a custom command
    (`whole`) only by all of its arguments, since `python -c ...` alone says nothing."""
    import psutil

    found: dict[int, int] = {}
    me = os.getpid()
    for proc in psutil.process_iter(["pid", "ppid", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.info["pid"] != me and matches(cmdline, argv, whole):
            found[proc.info["pid"]] = proc.info.get("ppid") or 0
    return sorted(pid for pid, ppid in found.items() if ppid not in found)


def matches(cmdline: Sequence[str], argv: Sequence[str], whole: bool = False) -> bool:
    """Does `cmdline` run `argv`? `python -m nanobot gateway` matches ["nanobot", "gateway", ...]."""
    name, rest = os.path.basename(argv[0]), list(argv[1:] if whole else argv[1:2])
    for i, part in enumerate(cmdline):
        if os.path.basename(part) == name and list(cmdline[i + 1:i + 1 + len(rest)]) == rest:
            return True
    return False
