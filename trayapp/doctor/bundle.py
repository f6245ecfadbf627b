"""`trayapp debug-bundle`: one zip with what a helper needs, and none of the user's secrets.

Contents: doctor.json (the doctor's report), trayapp-config.toml, the assistant's config, the last
N lines of each log, journal.jsonl, versions.json and processes.json (trayapp's and the
assistant's process trees). Every text goes through trayapp.redact: values under secret-looking
keys (token, password, secret, api_key, apiKey, ...) and key-shaped strings (sk-..., ghp_..., JWTs,
Bearer tokens, URL passwords) become [REDACTED]. Structured files are redacted by key first
(`redact_mapping`), then every member once more as text. The zip is written atomically, 0600.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trayapp import __version__
from trayapp.atomic import atomic_open
from trayapp.config import Config
from trayapp.paths import AppPaths
from trayapp.redact import redact, redact_mapping
from trayapp.units import format_size

if TYPE_CHECKING:
    import psutil

PACKAGES = ("psutil", "pystray", "pillow", "platformdirs", "jeepney", "plyer", "nanobot-ai")


@dataclass(frozen=True)
class BundleResult:
    path: Path
    size: int
    members: tuple[str, ...]

    @property
    def size_text(self) -> str:
        return format_size(self.size)


def default_name(now: float | None = None) -> str:
    return time.strftime("trayapp-debug-%Y%m%d-%H%M%S.zip", time.localtime(now))


def write_bundle(paths: AppPaths, target: Path, *, lines: int = 500,
                 report: Callable[[], dict[str, Any]] | None = None) -> BundleResult:
    """Collect, redact and write the bundle to `target` (0600, atomically). Blocking: seconds."""
    config, config_error = _load_config(paths)
    members = dict(_members(paths, config, config_error, lines, report))
    target = Path(target).absolute()
    with atomic_open(target, 0o600, binary=True) as f:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in members.items():
                zf.writestr(name, redact_text(text))
    return BundleResult(target, target.stat().st_size, tuple(members))


def redact_text(text: str) -> str:
    """Every line through redact(): the last net for anything a structured pass missed."""
    return "\n".join(redact(line) for line in text.split("\n"))


def _load_config(paths: AppPaths) -> tuple[Config, str | None]:
    from trayapp import config as config_mod
    from trayapp.errors import ConfigError

    try:
        return config_mod.load(paths.config_file), None
    except ConfigError as exc:
        return config_mod.default_config(), str(exc)


def _members(paths: AppPaths, config: Config, config_error: str | None, lines: int,
             report: Callable[[], dict[str, Any]] | None) -> Iterator[tuple[str, str]]:
    yield "README.txt", _readme()
    yield "doctor.json", _json(redact_mapping((report or (lambda: _doctor(paths)))()))
    if paths.config_file.exists():
        yield "trayapp-config.toml", _read(paths.config_file)
    if config_error:
        yield "trayapp-config-error.txt", config_error
    yield from _assistant_config(config)
    yield from _logs(paths, config, lines)
    yield "journal.jsonl", _journal(paths)
    yield "versions.json", _json(versions())
    yield "processes.json", _json(redact_mapping(process_trees(paths, config)))


def _readme() -> str:
    return ("trayapp debug bundle. Secrets (API keys, tokens, passwords) were replaced by [REDACTED]\n"
            "before anything was written here. Check the files before sharing them anyway.\n")


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(could not read {path}: {exc})\n"


def _doctor(paths: AppPaths) -> dict[str, Any]:
    from trayapp.doctor import diagnose

    return diagnose(paths).to_dict()


def _assistant_config(config: Config) -> Iterator[tuple[str, str]]:
    program = config.assistant
    if not program.info.config_file:
        return
    path = Path(os.path.expanduser(program.info.config_file))
    if not path.is_file():
        return
    from trayapp.doctor.configs import read_assistant_config

    name = f"assistant-config/{path.name}"
    try:
        yield name, _json(redact_mapping(read_assistant_config(path)))
    except (OSError, ValueError):
        yield name, _read(path)  # unparsable: redacted line by line on the way into the zip


def _logs(paths: AppPaths, config: Config, lines: int) -> Iterator[tuple[str, str]]:
    from trayapp.logs.read import tail

    names = sorted({p.name for p in paths.log_dir.glob("*.log")}) if paths.log_dir.is_dir() else []
    for name in names:
        yield f"logs/{name}", "\n".join(redact(line) for line in tail(paths.log_dir / name, lines)) + "\n"
    yield from _attached_logs(config, lines)


def _attached_logs(config: Config, lines: int) -> Iterator[tuple[str, str]]:
    """Programs in attach mode log elsewhere (journalctl, docker logs, a LaunchAgent's file)."""
    from trayapp.logs.attached import read_tail

    for program in config.programs.values():
        if program.attach is not None:
            text, _source = read_tail(program, lines)
            yield f"logs/{program.name}.attached.log", text


def _journal(paths: AppPaths) -> str:
    from trayapp import journal

    entries = journal.read(paths.journal_file)
    return "".join(json.dumps(redact_mapping(e), default=str, ensure_ascii=False) + "\n" for e in entries)


def versions() -> dict[str, Any]:
    from importlib import metadata

    found: dict[str, Any] = {"trayapp": __version__, "python": sys.version, "executable": sys.executable,
                             "platform": platform.platform()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def process_trees(paths: AppPaths, config: Config) -> dict[str, Any]:
    """trayapp's running instance and every running copy of each program, with their children."""
    from trayapp.doctor.assistant import running_copies
    from trayapp.instance import InstanceLock

    roots: dict[str, list[int]] = {}
    holder = InstanceLock(paths.lock_file).holder()
    if holder is not None and _alive(holder):
        roots["trayapp"] = [holder]
    for program in config.programs.values():
        roots[program.name] = running_copies(program.command, program.preset == "custom") if program.command else []
    return {label: [tree(pid) for pid in pids] for label, pids in roots.items()}


def _alive(pid: int) -> bool:
    import psutil

    return psutil.pid_exists(pid)


def tree(pid: int) -> dict[str, Any]:
    """One process and its descendants: pid, command, memory, CPU time, state."""
    import psutil

    try:
        root = psutil.Process(pid)
        return {**_describe(root), "children": [_describe(c) for c in root.children(recursive=True)]}
    except psutil.Error as exc:
        return {"pid": pid, "error": str(exc)}


def _describe(proc: psutil.Process) -> dict[str, Any]:
    import psutil

    try:
        with proc.oneshot():
            return {"pid": proc.pid, "ppid": proc.ppid(), "name": proc.name(), "cmdline": proc.cmdline(),
                    "status": proc.status(), "rss": proc.memory_info().rss,
                    "cpu_seconds": round(sum(proc.cpu_times()[:2]), 2), "started": proc.create_time()}
    except psutil.Error as exc:
        return {"pid": proc.pid, "error": str(exc)}
