"""Logs of a program in attach mode: they live with its owner, not in trayapp's log folder.

systemd --user: `journalctl --user -u UNIT`; Docker: `docker logs NAME`; a LaunchAgent: the files
its plist names in StandardOutPath / StandardErrorPath; or the `logs` command from
[programs.NAME.attach]. A program reached only by URL has no logs trayapp can read. Every line
shown goes through trayapp.redact.
"""

from __future__ import annotations

import plistlib
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from trayapp.procs import CommandRunner, SubprocessRunner
from trayapp.config import AttachConfig, ProgramConfig
from trayapp.redact import redact


def log_command(attach: AttachConfig, lines: int, follow: bool = False) -> list[str] | None:
    """The command that prints the owner's log, or None when the log is a file (launchd) or unreachable."""
    if attach.logs:
        return list(attach.logs)
    if attach.systemd_user:
        return ["journalctl", "--user", "-u", attach.systemd_user, "-n", str(lines), "--no-pager",
                "-o", "short-iso", *(["-f"] if follow else [])]
    if attach.docker:
        return ["docker", "logs", "--tail", str(lines), "--timestamps", *(["-f"] if follow else []), attach.docker]
    return None


def launchd_log_files(label: str, home: Path) -> list[Path]:
    """StandardOutPath and StandardErrorPath from ~/Library/LaunchAgents/LABEL.plist."""
    plist = home / "Library" / "LaunchAgents" / f"{label}.plist"
    try:
        data = plistlib.loads(plist.read_bytes())
    except (OSError, plistlib.InvalidFileException, ValueError):
        return []
    found = [data.get("StandardOutPath"), data.get("StandardErrorPath")]
    return list(dict.fromkeys(Path(p) for p in found if isinstance(p, str) and p))


def unreadable_reason(attach: AttachConfig) -> str:
    return (f"{attach.url} is reached over the network; trayapp cannot read its logs there. Add "
            "`logs = [\"...\"]` under [programs.NAME.attach] with a command that prints them.")


def source(program: ProgramConfig, home: Path | None = None) -> str:
    """Where the logs come from, in plain words."""
    attach = program.attach
    assert attach is not None
    command = log_command(attach, 50)
    if command:
        return " ".join(command[:4]) + (" ..." if len(command) > 4 else "")
    if attach.launchd:
        files = launchd_log_files(attach.launchd, home or Path.home())
        return ", ".join(map(str, files)) or f"no log files named in the plist of {attach.launchd}"
    return "none"


def read_tail(program: ProgramConfig, lines: int, *, runner: CommandRunner | None = None,
              home: Path | None = None) -> tuple[str, str]:
    """(redacted text of the last `lines` lines, where they came from). Never raises."""
    attach = program.attach
    assert attach is not None
    command = log_command(attach, lines)
    if command:
        done = (runner or SubprocessRunner(timeout=20.0)).run(command)
        body = done.stdout.splitlines()
        if done.ok:
            body += done.stderr.splitlines()  # `docker logs` replays the container's stderr on its own
        else:
            body.append(f"({' '.join(command)} exited {done.returncode}: {done.stderr.strip()[:300]})")
        return _redacted(body), " ".join(command)
    if attach.launchd:
        return _launchd_tail(attach.launchd, lines, home or Path.home())
    return unreadable_reason(attach) + "\n", "none"


def _launchd_tail(label: str, lines: int, home: Path) -> tuple[str, str]:
    from trayapp.logs.read import tail

    files = launchd_log_files(label, home)
    if not files:
        return f"the LaunchAgent {label} names no StandardOutPath, so its output is not kept\n", "none"
    parts = []
    for path in files:
        parts.append(f"==> {path} <==")
        parts.extend(tail(path, lines) if path.exists() else ["(does not exist yet)"])
    return _redacted(parts), ", ".join(map(str, files))


def _redacted(lines: list[str]) -> str:
    return "".join(redact(line) + "\n" for line in lines)


def stream(program: ProgramConfig, lines: int, follow: bool, *, out: Callable[[str], None] = print,
           home: Path | None = None, environ: Mapping[str, str] | None = None) -> int:
    """`trayapp logs NAME [-f]` for an attached program: print (redacted) until done or Ctrl-C."""
    attach = program.attach
    assert attach is not None
    command = log_command(attach, lines, follow)
    if command is None and attach.launchd:
        return _stream_files(attach.launchd, lines, follow, out, home or Path.home())
    if command is None:
        print(f"trayapp: {unreadable_reason(attach)}", file=sys.stderr)
        return 1
    return _stream_command(command, out, environ)


def _stream_command(command: list[str], out: Callable[[str], None], environ: Mapping[str, str] | None) -> int:
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                errors="replace", stdin=subprocess.DEVNULL,
                                env=dict(environ) if environ is not None else None)
    except OSError as exc:
        print(f"trayapp: cannot run {command[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            out(redact(line.rstrip("\n")))
    finally:
        if proc.poll() is None:
            proc.terminate()  # our own child (journalctl -f / docker logs -f), never the service
        proc.wait()
    return 0 if proc.returncode in (0, -15) else proc.returncode


def _stream_files(label: str, lines: int, follow: bool, out: Callable[[str], None], home: Path) -> int:
    import threading

    from trayapp.logs.read import follow as follow_file

    text, _ = _launchd_tail(label, lines, home)
    for line in text.splitlines():
        out(line)
    files = [p for p in launchd_log_files(label, home) if p.exists()]
    if follow and files:
        for line in follow_file(files[0], threading.Event()):
            out(redact(line))
    return 0
