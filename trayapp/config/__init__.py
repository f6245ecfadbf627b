"""config.toml -> frozen dataclasses, validated with key paths and "did you mean".

Parsing is pure: `parse(text, ...)` takes the TOML text and an environment and either returns a
`Config` or raises `ConfigError` listing every problem found, each with its key path. Every
string in the file is expanded (${VAR}, a leading ~) once, before any key is read. `config check`
also passes a command check, so a command that cannot run is reported with the other problems.
"""

from __future__ import annotations

import difflib
import os
import re
import signal
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from trayapp.config.alerts import DEFAULT_CHANNEL_KINDS, Rule, channel_kinds, channel_urls, read_rules
from trayapp.config.presets import DEFAULT_PRESET, PRESETS, Preset
from trayapp.config.variables import expand, expand_document
from trayapp.i18n import N_, _, english, ngettext
from trayapp.errors import ConfigError
from trayapp.units import format_size, parse_duration, parse_size

RESTART_POLICIES = ("always", "on-failure", "never")
# Smaller log files rotate so often that rotation itself becomes the work (max_size = 0 made
# every line its own file); a memory limit smaller than any interpreter restarts every program.
MIN_LOG_SIZE = 64 * 1024
MIN_MEMORY_LIMIT = 16 * 1024 * 1024

# `config check` asks whether a program's command can run: (command, its env, cwd) -> the reason
# it cannot, or None. Parsing itself never looks at the file system.
CommandCheck = Callable[[tuple[str, ...], Mapping[str, str], Path | None], str | None]


@dataclass(frozen=True)
class BackoffConfig:
    initial: float = 1.0
    multiplier: float = 2.0
    max: float = 60.0
    jitter: float = 0.1
    reset_after: float = 60.0


@dataclass(frozen=True)
class HealthConfig:
    url: str | None = None
    expect: Mapping[str, Any] = field(default_factory=dict)  # JSON fields that must match
    tcp: str | None = None  # "host:port"
    command: tuple[str, ...] | None = None
    interval: float = 10.0
    timeout: float = 5.0
    failures: int = 3
    start_grace: float = 30.0
    action: str = "restart"  # restart | notify

    @property
    def kind(self) -> str:
        return "url" if self.url else "tcp" if self.tcp else "command" if self.command else "none"


@dataclass(frozen=True)
class LimitsConfig:
    memory: int | None = None  # bytes, whole process tree
    cpu: float | None = None  # percent of one core, whole tree
    samples: int = 3  # consecutive over-limit samples before acting
    interval: float = 10.0
    action: str = "restart"  # restart | notify
    open_files: int | None = None  # RLIMIT_NOFILE of the child (POSIX only)
    processes: int | None = None  # RLIMIT_NPROC: counts all of the user's processes, as the system does
    disk: int | None = None  # bytes over all data_dirs; notified once per episode, nothing is deleted
    disk_interval: float = 600.0  # measuring a big folder is slow work: seldom


@dataclass(frozen=True)
class AttachConfig:
    """Who owns the process when trayapp only watches it."""

    systemd_user: str | None = None
    launchd: str | None = None
    docker: str | None = None
    url: str | None = None
    start: tuple[str, ...] | None = None
    stop: tuple[str, ...] | None = None
    restart: tuple[str, ...] | None = None
    logs: tuple[str, ...] | None = None

    @property
    def owner(self) -> str:
        kinds = (("systemd_user", self.systemd_user), ("launchd", self.launchd), ("docker", self.docker),
                 ("url", self.url))
        return next((name for name, value in kinds if value), "command")

    def command_for(self, action: str) -> tuple[str, ...] | None:
        """The command configured for `action` (start, stop, restart), if any."""
        return {"start": self.start, "stop": self.stop, "restart": self.restart}.get(action)


@dataclass(frozen=True)
class DegradedPattern:
    """Output that means "running, but cannot answer": `pattern` is a regular expression over one line."""

    pattern: str
    reason: str
    fix: str = ""


@dataclass(frozen=True)
class ProgramConfig:
    name: str
    command: tuple[str, ...]
    display_name: str
    preset: str = "custom"
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    autostart: bool = True
    restart: str = "on-failure"
    startsecs: float = 2.0
    backoff: BackoffConfig = field(default_factory=BackoffConfig)
    max_restarts: int = 5
    window: float = 120.0
    retry_after_give_up: float = 600.0
    stop_signal: str = "TERM"
    stop_timeout: float = 10.0
    health: HealthConfig | None = None
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    exit_codes: tuple[int, ...] = (0,)
    no_restart_exit_codes: tuple[int, ...] = (78,)
    data_dirs: tuple[Path, ...] = ()
    attach: AttachConfig | None = None
    ready_log_line: str | None = None  # a regex: the first output line that matches marks it ready
    ui_url: str | None = None  # its own web UI ("Open nanobot's own UI"), http(s)
    degraded_patterns: tuple[DegradedPattern, ...] = ()  # besides the preset's own
    depends_on: Mapping[str, str] = field(default_factory=dict)  # program -> started | healthy | completed_successfully
    depends_timeout: float = 120.0  # then it is put on hold, with the reason shown
    restart_with_dependencies: bool = False  # restart after a dependency restarted and is ready again

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """The environment this program runs in, and its health command with it: `base` plus its env."""
        return {**base, **self.env}

    @property
    def signal_number(self) -> int:
        return int(getattr(signal, "SIG" + self.stop_signal))

    @property
    def info(self) -> Preset:
        return PRESETS.get(self.preset, PRESETS["custom"])


@dataclass(frozen=True)
class LogConfig:
    max_size: int = 10_000_000
    keep: int = 5
    total_cap: int = 200_000_000
    redact: bool = True


@dataclass(frozen=True)
class NotifyConfig:
    enabled: bool = True
    paused_until: str | None = None  # ISO time; the tray's "Pause notifications" writes state, not this
    quiet_after_crash: float = 600.0  # "restarting" is told only for the first crash in this long
    channels: tuple[str, ...] = ()  # apprise URLs: mailto://, slack://, feishu://, dingtalk://, ntfy://, ...
    channel_kinds: tuple[str, ...] = DEFAULT_CHANNEL_KINDS  # which notices also go to the channels
    channel_timeout: float = 10.0  # one channel's delivery gives up after this long


@dataclass(frozen=True)
class DiskConfig:
    warn_percent: float = 10.0
    warn_free: int = 2_000_000_000
    critical_percent: float = 3.0
    critical_free: int = 500_000_000
    interval: float = 60.0


@dataclass(frozen=True)
class BackupConfig:
    dest: Path | None = None
    paths: tuple[Path, ...] = ()
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # globs kept even when an exclude matches
    include_logs: bool = False
    verify: bool = False  # re-read and check every new archive right after writing it
    schedule: str | None = None  # "daily 03:00" | "every 6h"
    keep_last: int = 5
    keep_daily: int = 7
    keep_weekly: int = 4
    locked: str = "fail"  # a database another program keeps locked: "fail" the backup or "skip" it
    lock_timeout: float = 30.0  # how long to wait for that lock


@dataclass(frozen=True)
class TrayConfig:
    on_quit: str = "ask"  # ask | stop | leave


@dataclass(frozen=True)
class UiConfig:
    language: str = "auto"  # auto (the OS's) | en | zh_CN


@dataclass(frozen=True)
class DashboardConfig:
    enabled: bool = True
    port: int = 0  # 0: pick a free port once, then keep it (state folder) so a bookmarked tab works


@dataclass(frozen=True)
class Config:
    programs: Mapping[str, ProgramConfig]
    logs: LogConfig = field(default_factory=LogConfig)
    notifications: NotifyConfig = field(default_factory=NotifyConfig)
    disk: DiskConfig = field(default_factory=DiskConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    tray: TrayConfig = field(default_factory=TrayConfig)
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    alerts: tuple[Rule, ...] = ()
    source: Path | None = None  # None: built from the default preset, no file

    @property
    def assistant(self) -> ProgramConfig:
        """The main program: the one named "assistant", else the first."""
        return self.programs.get("assistant") or next(iter(self.programs.values()))


class _Problems:
    """Collects every validation problem so the user sees them all at once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, reason: str) -> None:
        self.items.append(_("{where}: {problem}").format(where=path, problem=reason))


class _Reader:
    """Reads one TOML table (its strings already expanded) with type checks, recording problems
    under its key path."""

    def __init__(self, table: Mapping[str, Any], path: str, problems: _Problems, known: tuple[str, ...]) -> None:
        self.table, self.path, self.problems = table, path, problems
        for key in table:
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                problems.add(f"{path}.{key}", _("unknown key; did you mean {hint!r}?").format(hint=hint[0]) if hint
                             else _("unknown key; known keys: {keys}").format(keys=", ".join(known)))

    def _key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any, convert: Callable[[Any], Any]) -> Any:
        if key not in self.table:
            return default
        try:
            return convert(self.table[key])
        except (ValueError, TypeError) as exc:
            self.problems.add(self._key(key), str(exc))
            return default

    def duration(self, key: str, default: float, minimum: float = 0.0) -> float:
        """A human duration; `minimum` keeps timers from spinning (an interval of 0 would)."""
        return self.get(key, default, lambda v: _at_least(parse_duration(v), minimum))

    def size(self, key: str, default: int | None, minimum: int = 0) -> int | None:
        return self.get(key, default, lambda v: _size(v, minimum))

    def boolean(self, key: str, default: bool) -> bool:
        return self.get(key, default, _boolean)

    def number(self, key: str, default: float, minimum: float = 0) -> float:
        return self.get(key, default, lambda v: _number(v, minimum))

    def integer(self, key: str, default: int, minimum: int = 0) -> int:
        return self.get(key, default, lambda v: int(_number(v, minimum, whole=True)))

    @overload
    def string(self, key: str, default: str, choices: tuple[str, ...] = ()) -> str: ...

    @overload
    def string(self, key: str, default: None, choices: tuple[str, ...] = ()) -> str | None: ...

    def string(self, key: str, default: str | None, choices: tuple[str, ...] = ()) -> str | None:
        return self.get(key, default, lambda v: _string(v, choices))

    def argv(self, key: str, default: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return self.get(key, default, _argv)

    def paths(self, key: str, default: tuple[Path, ...] = ()) -> tuple[Path, ...]:
        return self.get(key, default, lambda v: tuple(Path(s) for s in _strings(v)))

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        return self.get(key, default, _strings)

    def ints(self, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
        return self.get(key, default, lambda v: tuple(int(_number(x, 0, whole=True)) for x in _list(v)))

    def table_at(self, key: str, known: tuple[str, ...]) -> "_Reader | None":
        if key not in self.table:
            return None
        value = self.table[key]
        if not isinstance(value, dict):
            self.problems.add(self._key(key), _("expected a table like [{key}], got {kind}").format(
                key=self._key(key), kind=_kind(value)))
            return None
        return _Reader(value, self._key(key), self.problems, known)


_KINDS = {bool: N_("true/false"), int: N_("a number"), float: N_("a number"), str: N_("a string"),
          list: N_("a list"), dict: N_("a table")}


def _kind(value: Any) -> str:
    kind = _KINDS.get(type(value))
    return _(kind) if kind else type(value).__name__


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(_("expected true or false, got {kind}").format(kind=_kind(value)))
    return value


def _at_least(seconds: float, minimum: float) -> float:
    if seconds < minimum:
        raise ValueError(_("must be at least {minimum}, got {value}").format(
            minimum=f"{minimum:g}s", value=f"{seconds:g}s"))
    return seconds


def _size(value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(_('expected a size such as "50MB" or "1GB", got {kind}').format(kind=_kind(value)))
    size = parse_size(value)
    if size < minimum:
        raise ValueError(_("must be at least {minimum}, got {value}").format(minimum=_binary_size(minimum),
                                                                             value=format_size(size)))
    return size


def _binary_size(size: int) -> str:
    """The minimums are whole KiB/MiB: say them that way ("64KiB", not "65KB")."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return format_size(size)


def _number(value: Any, minimum: float, whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
        raise ValueError((_("expected a whole number, got {kind}") if whole else
                          _("expected a number, got {kind}")).format(kind=_kind(value)))
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(_("must be a finite number"))
    if value < minimum:
        raise ValueError(_("must be at least {minimum}, got {value}").format(minimum=f"{minimum:g}", value=value))
    return value


def _string(value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise ValueError(_("expected a string, got {kind}").format(kind=_kind(value)))
    if choices and value not in choices:
        hint = difflib.get_close_matches(value, choices, n=1)
        message = (_("must be one of {choices}, got {value!r}; did you mean {hint!r}?") if hint
                   else _("must be one of {choices}, got {value!r}"))
        raise ValueError(message.format(choices=", ".join(choices), value=value, hint=hint[0] if hint else ""))
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(_("expected a list, got {kind}").format(kind=_kind(value)))
    return value


def _strings(value: Any) -> tuple[str, ...]:
    items = _list(value)
    if not all(isinstance(s, str) for s in items):
        raise ValueError(_("expected a list of strings"))
    return tuple(items)


def _argv(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ValueError(_('expected a list of strings such as ["nanobot", "gateway"], not one string '
                           "(trayapp never runs a shell)"))
    items = _strings(value)
    if not items:
        raise ValueError(_("the command is empty; name the program to run first"))
    if not items[0].strip():
        raise ValueError(_("the program to run (the first item) is empty; if it is a ${VARIABLE}, set that "
                           "variable in trayapp's environment, or write the program's name or path"))
    return items


_PROGRAM_KEYS = ("preset", "display_name", "command", "cwd", "env", "autostart", "restart", "startsecs",
                 "backoff", "max_restarts", "window", "retry_after_give_up", "stop_signal",
                 "stop_timeout", "health", "limits", "exit_codes", "no_restart_exit_codes",
                 "data_dirs", "attach", "ready_log_line", "degraded_patterns", "ui_url",
                 "depends_on", "depends_timeout", "restart_with_dependencies")
_BACKOFF_KEYS = ("initial", "multiplier", "max", "jitter", "reset_after")
_HEALTH_KEYS = ("url", "expect", "tcp", "command", "interval", "timeout", "failures", "start_grace", "action")
_LIMIT_KEYS = ("memory", "cpu", "samples", "interval", "action", "open_files", "processes", "disk",
               "disk_interval")
# What the system limits are called, for the problem said where a platform has no such limit.
_RLIMIT_NAMES = {"open_files": "RLIMIT_NOFILE", "processes": "RLIMIT_NPROC"}
_ATTACH_KEYS = ("systemd_user", "launchd", "docker", "url", "start", "stop", "restart", "logs")
_SIGNALS = ("TERM", "INT", "HUP", "QUIT", "KILL", "USR1", "USR2")


def _program(name: str, table: Mapping[str, Any], problems: _Problems, environ: Mapping[str, str]) -> ProgramConfig | None:
    """One [programs.NAME] table; None when its command is unusable (every other key is still
    read, so all of the program's problems are reported at once)."""
    r = _Reader(table, f"programs.{name}", problems, _PROGRAM_KEYS)
    preset_name = r.string("preset", "custom" if "command" in table else DEFAULT_PRESET, tuple(PRESETS))
    preset = PRESETS[preset_name or "custom"]
    command = r.argv("command", preset.command or None)
    if command is None and "command" not in table:
        problems.add(f"programs.{name}.command", _("missing; name the program to run, e.g. {example}").format(
            example='`command = ["nanobot", "gateway", "--foreground"]`'))
    env = r.get("env", {}, _env)
    cwd = _cwd(r, preset, environ)
    program = ProgramConfig(
        name=name,
        command=command or (),
        display_name=r.string("display_name", preset.display_name if preset.name != "custom" else name),
        preset=preset.name,
        cwd=cwd,
        env=env,
        autostart=r.boolean("autostart", True),
        restart=r.string("restart", "on-failure", RESTART_POLICIES),
        startsecs=r.duration("startsecs", parse_duration(preset.startsecs)),
        backoff=_backoff(r),
        max_restarts=r.integer("max_restarts", 5),
        window=r.duration("window", 120.0),
        retry_after_give_up=r.duration("retry_after_give_up", 600.0, minimum=1.0),
        stop_signal=r.string("stop_signal", "TERM", _SIGNALS),
        stop_timeout=r.duration("stop_timeout", parse_duration(preset.stop_timeout)),
        health=_health(r, preset),
        limits=_limits(r),
        exit_codes=r.ints("exit_codes", (0,)),
        no_restart_exit_codes=r.ints("no_restart_exit_codes", (78,)),
        data_dirs=r.paths("data_dirs", _preset_dirs(preset, cwd, environ)),
        attach=_attach(r),
        ready_log_line=r.get("ready_log_line", None, _pattern),
        ui_url=r.get("ui_url", None, _ui_url),
        degraded_patterns=r.get("degraded_patterns", (), _degraded_patterns),
        depends_on=r.get("depends_on", {}, _depends_on),
        depends_timeout=r.duration("depends_timeout", 120.0, minimum=1.0),
        restart_with_dependencies=r.boolean("restart_with_dependencies", False),
    )
    if program.limits.disk is not None and not program.data_dirs:
        problems.add(f"programs.{name}.limits.disk", _(
            "there are no data_dirs to measure; add {example} (the folders it writes) or remove limits.disk"
        ).format(example='`data_dirs = ["~/.nanobot"]`'))
    return program if command else None


def _depends_on(value: Any) -> dict[str, str]:
    """{ ollama = "healthy" }: "ready" is another word for "healthy"."""
    from trayapp.supervisor.deps import CONDITIONS, HEALTHY

    if not isinstance(value, dict):
        raise ValueError(_("expected a table of program names and conditions, e.g. {example}").format(
            example='`depends_on = { ollama = "healthy" }`'))
    for name, condition in value.items():
        if condition not in CONDITIONS:
            raise ValueError(_("{where}: {problem}").format(where=name, problem=_(
                "the condition must be one of {choices}, got {value!r}").format(
                    choices=", ".join(CONDITIONS), value=condition)))
    return {name: HEALTHY if condition == "ready" else condition for name, condition in value.items()}


def _check_dependencies(programs: Mapping[str, ProgramConfig], problems: _Problems) -> None:
    """Unknown names and cycles: a program that could never start is a config error."""
    from trayapp.supervisor.deps import problems as dependency_problems

    problems.items.extend(dependency_problems({n: p.depends_on for n, p in programs.items()}))


def _cwd(r: _Reader, preset: Preset, environ: Mapping[str, str]) -> Path | None:
    """The file's cwd (already expanded), else the preset's, expanded here: it is not from the file."""
    if "cwd" in r.table:
        cwd = r.string("cwd", None)
        return Path(cwd) if cwd else None
    return Path(expand(preset.cwd, environ)) if preset.cwd else None


def _degraded_patterns(value: Any) -> tuple[DegradedPattern, ...]:
    """[{ pattern = "invalid api key", reason = "the key was refused", fix = "..." }, ...]"""
    example = '`degraded_patterns = [{ pattern = "invalid api key", reason = "the provider refuses the key" }]`'
    if not isinstance(value, list):
        raise ValueError(_("expected a list of tables, e.g. {example}").format(example=example))
    found = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"pattern", "reason", "fix"} or "pattern" not in item:
            raise ValueError(_("each entry needs pattern and reason (and may have fix), e.g. {example}").format(
                example=example))
        reason, fix = item.get("reason", ""), item.get("fix", "")
        if not isinstance(reason, str) or not reason or not isinstance(fix, str):
            raise ValueError(_("reason and fix must be text, e.g. {example}").format(example=example))
        pattern = _pattern(item["pattern"])
        _check_reason(pattern, reason)
        found.append(DegradedPattern(pattern, reason, fix))
    return tuple(found)


def _check_reason(pattern: str, reason: str) -> None:
    """A reason may name the pattern's groups, "{detail}", and nothing else."""
    groups = set(re.compile(pattern).groupindex)
    try:
        fields = [f for _text, f, _spec, _conv in string.Formatter().parse(reason) if f is not None]
    except ValueError as exc:
        raise ValueError(_("reason {reason!r} has a stray brace ({cause}); write {{{{ and }}}} for a brace").format(
            reason=reason, cause=exc)) from None
    for name in fields:
        if name not in groups:
            raise ValueError(_("reason {reason!r} uses {{{group}}}, which is not a named group of its pattern "
                               "(name one with (?P<name>...); write {{{{ and }}}} for a brace)").format(
                reason=reason, group=name))


def _pattern(value: Any) -> str:
    """A regular expression, checked now so that a typo is reported by `config check`."""
    if value == "":
        raise ValueError(_("an empty pattern matches every line; write the words to look for"))
    if not isinstance(value, str):
        raise ValueError(_("expected a regular expression in a string, got {kind}").format(kind=_kind(value)))
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(_("not a valid regular expression ({cause})").format(cause=exc)) from None
    return value


def _preset_dirs(preset: Preset, cwd: Path | None, environ: Mapping[str, str]) -> tuple[Path, ...]:
    """Preset data dirs; relative ones (NanoClaw's) live inside the checkout."""
    return tuple(Path(expand(d, environ)) if d.startswith("~") or cwd is None else cwd / d
                 for d in preset.data_dirs)


def _env(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError('expected a table of strings, e.g. env = { OLLAMA_HOST = "127.0.0.1" }')
    return dict(value)


def _backoff(r: _Reader) -> BackoffConfig:
    b = r.table_at("backoff", _BACKOFF_KEYS)
    if b is None:
        return BackoffConfig()
    d = BackoffConfig()
    return BackoffConfig(
        initial=b.duration("initial", d.initial),
        multiplier=b.number("multiplier", d.multiplier, minimum=1),
        max=b.duration("max", d.max),
        jitter=b.get("jitter", d.jitter, lambda v: min(_number(v, 0), 1.0)),
        reset_after=b.duration("reset_after", d.reset_after),
    )


def _health(r: _Reader, preset: Preset) -> HealthConfig | None:
    h = r.table_at("health", _HEALTH_KEYS)
    grace = parse_duration(preset.start_grace)
    if h is None:
        if "health" in r.table:
            return None
        if preset.health_url:
            return HealthConfig(url=preset.health_url, start_grace=grace)
        if preset.health_command:
            return HealthConfig(command=preset.health_command, start_grace=grace)
        return None
    d = HealthConfig()
    cfg = HealthConfig(
        url=h.string("url", None),
        expect=h.get("expect", {}, lambda v: dict(v) if isinstance(v, dict) else _bad(_("expected a table"))),
        tcp=h.get("tcp", None, _tcp),
        command=h.argv("command", None),
        interval=h.duration("interval", d.interval, minimum=0.5),
        timeout=h.duration("timeout", d.timeout, minimum=0.1),
        failures=h.integer("failures", d.failures, minimum=1),
        start_grace=h.duration("start_grace", grace),
        action=h.string("action", d.action, ("restart", "notify")),
    )
    if sum(x is not None for x in (cfg.url, cfg.tcp, cfg.command)) > 1:
        r.problems.add(h.path, _("give only one of url, tcp or command"))
    if cfg.url is not None and (problem := _url_problem(cfg.url)):  # "" too: an unset ${VAR}
        r.problems.add(f"{h.path}.url", problem)
    return cfg if cfg.kind != "none" else None


def _url_problem(url: str) -> str | None:
    from urllib.parse import urlsplit

    if not url.startswith(("http://", "https://")):
        return _("must start with http:// or https://, got {value!r}").format(value=url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        return _("{url!r} is not a usable URL ({cause})").format(url=url, cause=exc)
    return None if parts.hostname else _("{url!r} names no host").format(url=url)


def _ui_url(value: Any) -> str:
    problem = _url_problem(value) if isinstance(value, str) else _("expected a URL such as {example}").format(
        example='`"http://127.0.0.1:8765"`')
    if problem:
        raise ValueError(problem)
    return str(value)


def _bad(problem: str) -> Any:
    raise ValueError(problem)


def _tcp(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"127.0.0.1:{value}"
    if not isinstance(value, str) or not re.fullmatch(r"[^:\s]+:\d{1,5}", value) \
            or not 1 <= int(value.rpartition(":")[2]) <= 65535:
        raise ValueError(_('expected "host:port" or a port number (1-65535), e.g. {example}').format(
            example='`tcp = "127.0.0.1:11434"`'))
    return value


def _limits(r: _Reader) -> LimitsConfig:
    t = r.table_at("limits", _LIMIT_KEYS)
    if t is None:
        return LimitsConfig()
    d = LimitsConfig()
    return LimitsConfig(
        memory=t.size("memory", None, minimum=MIN_MEMORY_LIMIT),
        cpu=t.get("cpu", None, lambda v: _number(v, 1)),
        samples=t.integer("samples", d.samples, minimum=1),
        interval=t.duration("interval", d.interval, minimum=0.5),
        action=t.string("action", d.action, ("restart", "notify")),
        open_files=_rlimit(t, "open_files", 16),
        processes=_rlimit(t, "processes", 1),
        disk=t.size("disk", None, minimum=1_000_000),
        disk_interval=t.duration("disk_interval", d.disk_interval, minimum=10.0),
    )


def _rlimit(t: _Reader, key: str, minimum: int) -> int | None:
    """A per-process system limit; where the platform has none (Windows), saying so is a problem,
    not a silent no-op the user would trust."""
    import sys

    if key not in t.table:
        return None
    if sys.platform == "win32":  # Linux, macOS and the BSDs all have both
        t.problems.add(f"{t.path}.{key}", _("not available on Windows (it has no {limit}); remove it").format(
            limit=_RLIMIT_NAMES[key]))
        return None
    return t.get(key, None, lambda v: int(_number(v, minimum, whole=True)))


def _attach(r: _Reader) -> AttachConfig | None:
    t = r.table_at("attach", _ATTACH_KEYS)
    if t is None:
        return None
    cfg = AttachConfig(
        systemd_user=t.string("systemd_user", None), launchd=t.string("launchd", None),
        docker=t.string("docker", None), url=t.string("url", None),
        start=t.argv("start", None), stop=t.argv("stop", None),
        restart=t.argv("restart", None), logs=t.argv("logs", None),
    )
    owners = [k for k in ("systemd_user", "launchd", "docker", "url") if getattr(cfg, k)]
    if len(owners) > 1:
        r.problems.add(t.path, _("name one owner, not several: {owners}").format(owners=", ".join(owners)))
    return cfg


def _section(root: _Reader, key: str, cls: type, spec: dict[str, str]) -> Any:
    """Read a flat [section] whose keys are described as kind names ("duration", "size", ...)."""
    t = root.table_at(key, tuple(spec))
    if t is None:
        return cls()
    d = cls()
    values: dict[str, Any] = {}
    for name, kind in spec.items():
        default = getattr(d, name)
        if "|" in kind:  # "skip|fail": one of these words
            values[name] = t.string(name, default, tuple(kind.split("|")))
            continue
        values[name] = {
            "duration": lambda n=name, dv=default: t.duration(n, dv),
            "interval": lambda n=name, dv=default: t.duration(n, dv, minimum=1.0),
            "size": lambda n=name, dv=default: t.size(n, dv),
            "bool": lambda n=name, dv=default: t.boolean(n, dv),
            "number": lambda n=name, dv=default: t.number(n, dv),
            "percent": lambda n=name, dv=default: t.get(n, dv, _percent),
            "int": lambda n=name, dv=default: t.integer(n, dv),
            "string": lambda n=name, dv=default: t.string(n, dv),
            "path": lambda n=name, dv=default: (Path(v) if (v := t.string(n, None)) else dv),
            "paths": lambda n=name, dv=default: t.paths(n, dv),
            "strings": lambda n=name, dv=default: t.strings(n, dv),
        }[kind]()
    return cls(**values)


_TOP_KEYS = ("programs", "logs", "notifications", "disk", "backup", "tray", "dashboard", "ui", "alerts")


def parse(text: str, *, source: Path | None = None, environ: Mapping[str, str] | None = None,
          commands: CommandCheck | None = None) -> Config:
    """Parse and validate config text. Raises ConfigError listing every problem.

    The error reads in the active language and carries its English twin (`in_english()`) for the
    journal and --json: the problems are sentences made as they are found, so a broken file is
    simply read once more under english(). `commands`, when given, is asked about every managed
    program's command (see CommandCheck)."""
    env = os.environ if environ is None else environ
    return _raising_in_both(lambda: _parse(text, source, env, commands))


def in_both_languages(make: Callable[[], ConfigError]) -> ConfigError:
    """`make()`'s error in the active language, with the same error in English as its twin."""
    shown = make()
    with english():
        shown.english = make()
    return shown


def _raising_in_both(read: Callable[[], Config]) -> Config:
    try:
        return read()
    except ConfigError as exc:
        with english():
            try:
                read()
            except ConfigError as twin:
                exc.english = twin
        raise


def _parse(text: str, source: Path | None, env: Mapping[str, str], commands: CommandCheck | None) -> Config:
    where = str(source) if source else "config"
    try:
        data = expand_document(tomllib.loads(text), env)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("{where} is not valid TOML: {error}").format(where=where, error=exc),
                          fix=_("correct the line named above; `trayapp config check` re-checks it")) from exc
    problems = _Problems()
    root = _Reader(data, "", problems, _TOP_KEYS)
    programs = _programs(data.get("programs"), problems, env)
    config = Config(
        programs=programs,
        logs=_logs(root),
        notifications=_notifications(root),
        disk=_section(root, "disk", DiskConfig, {"warn_percent": "percent", "warn_free": "size",
                                                 "critical_percent": "percent", "critical_free": "size",
                                                 "interval": "interval"}),
        backup=_section(root, "backup", BackupConfig, {"dest": "path", "paths": "paths", "exclude": "strings",
                                                       "include": "strings", "verify": "bool",
                                                       "include_logs": "bool", "schedule": "string",
                                                       "keep_last": "int", "keep_daily": "int", "keep_weekly": "int",
                                                       "locked": "skip|fail", "lock_timeout": "duration"}),
        tray=_tray(root),
        dashboard=_dashboard(root),
        ui=_ui(root),
        alerts=_rules(root, _program_names(data.get("programs"), programs)),
        source=source,
    )
    _check_schedule(config.backup.schedule, problems)
    _check_dependencies(programs, problems)
    _check_retention(config.backup, problems)
    if commands is not None:
        _check_commands(config, commands, env, problems)
    if problems.items:
        n = len(problems.items)
        raise ConfigError(ngettext("{where} has {n} problem:", "{where} has {n} problems:", n).format(where=where, n=n),
                          problems=problems.items,
                          fix=_("edit the file, then run `trayapp config check`"))
    return config


def _notifications(root: _Reader) -> NotifyConfig:
    """[notifications]; channel URLs and kinds are checked by the same rules as [[alerts]] channels."""
    t = root.table_at("notifications", _NOTIFY_KEYS)
    if t is None:
        return NotifyConfig()
    d = NotifyConfig()
    return NotifyConfig(enabled=t.boolean("enabled", d.enabled), paused_until=t.string("paused_until", None),
                        quiet_after_crash=t.duration("quiet_after_crash", d.quiet_after_crash),
                        channels=t.get("channels", (), channel_urls),
                        channel_kinds=t.get("channel_kinds", d.channel_kinds, channel_kinds),
                        channel_timeout=t.duration("channel_timeout", d.channel_timeout, minimum=1.0))


_NOTIFY_KEYS = ("enabled", "paused_until", "quiet_after_crash", "channels", "channel_kinds", "channel_timeout")


def _check_schedule(spec: str | None, problems: _Problems) -> None:
    from trayapp.backup.schedule import parse as parse_schedule

    try:
        if spec is not None:
            parse_schedule(spec)
    except ValueError as exc:
        problems.add("backup.schedule", str(exc))


def _check_retention(backup: BackupConfig, problems: _Problems) -> None:
    if backup.keep_last == backup.keep_daily == backup.keep_weekly == 0:
        problems.add("backup", _("keep_last, keep_daily and keep_weekly are all 0, so every backup would be "
                                 "deleted as soon as it is made; set keep_last = 1 or more"))


def _check_commands(config: Config, check: CommandCheck, env: Mapping[str, str], problems: _Problems) -> None:
    """Managed programs only: an attached program's command is never run by trayapp."""
    for name, program in config.programs.items():
        if program.attach is None and (reason := check(program.command, {**env, **program.env}, program.cwd)):
            problems.add(f"programs.{name}.command", reason)


def _logs(root: _Reader) -> LogConfig:
    t = root.table_at("logs", ("max_size", "keep", "total_cap", "redact"))
    if t is None:
        return LogConfig()
    d = LogConfig()
    logs = LogConfig(max_size=t.size("max_size", d.max_size, minimum=MIN_LOG_SIZE) or d.max_size,
                     keep=t.integer("keep", d.keep),
                     total_cap=t.size("total_cap", d.total_cap, minimum=MIN_LOG_SIZE) or d.total_cap,
                     redact=t.boolean("redact", d.redact))
    if logs.total_cap < logs.max_size:
        given = "total_cap" in t.table
        t.problems.add(f"logs.{'total_cap' if given else 'max_size'}", (
            _("total_cap ({cap}) is smaller than max_size ({size}), so every rotated log would be deleted "
              "at once; raise total_cap or lower max_size") if given else
            _("total_cap ({cap}, the default) is smaller than max_size ({size}), so every rotated log would be "
              "deleted at once; raise total_cap or lower max_size")
        ).format(cap=format_size(logs.total_cap), size=format_size(logs.max_size)))
    return logs


def _percent(value: Any) -> float:
    if _number(value, 0) > 100:
        raise ValueError(_("a percentage is at most 100, got {value}").format(value=value))
    return float(value)


def _rules(root: _Reader, programs: list[str]) -> tuple[Rule, ...]:
    """[[alerts]] tables -> typed rules; their problems join the others (alerts[0].when: ...)."""
    rules, problems = read_rules(root.get("alerts", (), _alerts), programs=programs)
    root.problems.items.extend(problems)
    return rules


def _program_names(tables: Any, programs: Mapping[str, ProgramConfig]) -> list[str]:
    """Every program the file names, even one with problems: an alert naming it is not a second problem."""
    return list(tables) if isinstance(tables, dict) and tables else list(programs)


def _tray(root: _Reader) -> TrayConfig:
    t = root.table_at("tray", ("on_quit",))
    return TrayConfig(on_quit=t.string("on_quit", "ask", ("ask", "stop", "leave"))) if t else TrayConfig()


def _ui(root: _Reader) -> UiConfig:
    t = root.table_at("ui", ("language",))
    return UiConfig(language=t.string("language", "auto", ("auto", "en", "zh_CN"))) if t else UiConfig()


def _dashboard(root: _Reader) -> DashboardConfig:
    t = root.table_at("dashboard", ("enabled", "port"))
    if t is None:
        return DashboardConfig()
    port = t.integer("port", 0)
    if port > 65535 or 0 < port < 1024:
        t.problems.add("dashboard.port", _("{port} is not a port trayapp can use: choose 1024 to 65535, "
                                           "or 0 to let trayapp pick a free one").format(port=port))
        port = 0
    return DashboardConfig(enabled=t.boolean("enabled", True), port=port)


def _alerts(value: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError('expected [[alerts]] tables, e.g. [[alerts]] when = "restarts > 3 in 1h"')
    return tuple(value)


def _programs(value: Any, problems: _Problems, env: Mapping[str, str]) -> dict[str, ProgramConfig]:
    if value is None:
        return {"assistant": _default_program(env)}
    if not isinstance(value, dict) or not value:
        problems.add("programs", _("expected at least one [programs.NAME] table"))
        return {}
    programs = {}
    for name, table in value.items():
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
            problems.add(f"programs.{name}", _("a program name may hold letters, digits, '-', '_' and '.'"))
        elif name.casefold() == "trayapp":  # its log would be trayapp's own trayapp.log (in any case on macOS and Windows)
            problems.add(f"programs.{name}", _("the name 'trayapp' is trayapp's own; rename the program, "
                                               "e.g. [programs.assistant]"))
        elif not isinstance(table, dict):
            problems.add(f"programs.{name}", _("expected a table, got {kind}").format(kind=_kind(table)))
        elif (program := _program(name, table, problems, env)) is not None:
            programs[name] = program
    return programs


def _default_program(env: Mapping[str, str]) -> ProgramConfig:
    problems = _Problems()
    program = _program("assistant", {"preset": DEFAULT_PRESET}, problems, env)
    assert program is not None and not problems.items, problems.items
    return program


def default_config(environ: Mapping[str, str] | None = None) -> Config:
    """What trayapp runs with when there is no config file: the nanobot preset."""
    return Config(programs={"assistant": _default_program(os.environ if environ is None else environ)})


def load(path: Path, environ: Mapping[str, str] | None = None, commands: CommandCheck | None = None) -> Config:
    """Read `path`; a missing file means the default config. Raises ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default_config(environ)
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from exc
    return parse(text, source=path, environ=environ, commands=commands)


def _unreadable(path: Path, error: Exception) -> ConfigError:
    return in_both_languages(lambda: ConfigError(_("cannot read {path}: {error}").format(path=path, error=error),
                                                 fix=_("check the file's permissions and encoding (UTF-8)")))
