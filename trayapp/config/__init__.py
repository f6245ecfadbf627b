"""config.toml -> frozen dataclasses, validated with key paths and "did you mean".

Parsing is pure: `parse(text, ...)` takes the TOML text and an environment and either returns a
`Config` or raises `ConfigError` listing every problem found, each with its key path.
"""

from __future__ import annotations

import difflib
import os
import re
import signal
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trayapp.errors import ConfigError
from trayapp.config.presets import DEFAULT_PRESET, PRESETS, Preset
from trayapp.units import parse_duration, parse_size

RESTART_POLICIES = ("always", "on-failure", "never")


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
        for name in ("systemd_user", "launchd", "docker", "url"):
            if getattr(self, name):
                return name
        return "command"


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


@dataclass(frozen=True)
class TrayConfig:
    on_quit: str = "ask"  # ask | stop | leave


@dataclass(frozen=True)
class Config:
    programs: Mapping[str, ProgramConfig]
    logs: LogConfig = field(default_factory=LogConfig)
    notifications: NotifyConfig = field(default_factory=NotifyConfig)
    disk: DiskConfig = field(default_factory=DiskConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    tray: TrayConfig = field(default_factory=TrayConfig)
    alerts: tuple[Mapping[str, Any], ...] = ()
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
        self.items.append(f"{path}: {reason}")


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand(value: str, environ: Mapping[str, str]) -> str:
    """${VAR} and ${VAR:-default} from `environ`, then a leading ~. Unknown variables -> ""."""
    text = _VAR.sub(lambda m: environ.get(m.group(1), m.group(2) or ""), value)
    if text.startswith("~"):
        home = environ.get("HOME") or os.path.expanduser("~")
        text = home + text[1:] if text == "~" or text[1] in "/\\" else os.path.expanduser(text)
    return text


class _Reader:
    """Reads one TOML table with type checks, recording problems under its key path."""

    def __init__(self, table: Mapping[str, Any], path: str, problems: _Problems,
                 environ: Mapping[str, str], known: tuple[str, ...]) -> None:
        self.table, self.path, self.problems, self.environ = table, path, problems, environ
        for key in table:
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                tail = f"; did you mean {hint[0]!r}?" if hint else f"; known keys: {', '.join(known)}"
                problems.add(f"{path}.{key}", f"unknown key{tail}")

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

    def size(self, key: str, default: int | None) -> int | None:
        return self.get(key, default, parse_size)

    def boolean(self, key: str, default: bool) -> bool:
        return self.get(key, default, _boolean)

    def number(self, key: str, default: float, minimum: float = 0) -> float:
        return self.get(key, default, lambda v: _number(v, minimum))

    def integer(self, key: str, default: int, minimum: int = 0) -> int:
        return self.get(key, default, lambda v: int(_number(v, minimum, whole=True)))

    def string(self, key: str, default: str | None, choices: tuple[str, ...] = ()) -> str | None:
        return self.get(key, default, lambda v: _string(v, choices, self.environ))

    def argv(self, key: str, default: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return self.get(key, default, lambda v: _argv(v, self.environ))

    def paths(self, key: str, default: tuple[Path, ...] = ()) -> tuple[Path, ...]:
        return self.get(key, default, lambda v: tuple(Path(expand(s, self.environ)) for s in _strings(v)))

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        return self.get(key, default, _strings)

    def ints(self, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
        return self.get(key, default, lambda v: tuple(int(_number(x, 0, whole=True)) for x in _list(v)))

    def table_at(self, key: str, known: tuple[str, ...]) -> "_Reader | None":
        if key not in self.table:
            return None
        value = self.table[key]
        if not isinstance(value, dict):
            self.problems.add(self._key(key), f"expected a table like [{self._key(key)}], got {_kind(value)}")
            return None
        return _Reader(value, self._key(key), self.problems, self.environ, known)


def _kind(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_kind(value)}")
    return value


def _at_least(seconds: float, minimum: float) -> float:
    if seconds < minimum:
        raise ValueError(f"must be at least {minimum:g}s, got {seconds:g}s")
    return seconds


def _number(value: Any, minimum: float, whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
        raise ValueError(f"expected {'a whole number' if whole else 'a number'}, got {_kind(value)}")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number")
    if value < minimum:
        raise ValueError(f"must be at least {minimum:g}, got {value}")
    return value


def _string(value: Any, choices: tuple[str, ...], environ: Mapping[str, str]) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_kind(value)}")
    if choices and value not in choices:
        hint = difflib.get_close_matches(value, choices, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}{extra}")
    return expand(value, environ) if not choices else value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {_kind(value)}")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    items = _list(value)
    if not all(isinstance(s, str) for s in items):
        raise ValueError("expected a list of strings")
    return tuple(items)


def _argv(value: Any, environ: Mapping[str, str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ValueError('expected a list of strings such as ["nanobot", "gateway"], not one string '
                         "(trayapp never runs a shell)")
    items = _strings(value)
    if not items or not items[0]:
        raise ValueError("the command is empty; name the program to run first")
    return tuple(expand(s, environ) for s in items)


_PROGRAM_KEYS = ("preset", "display_name", "command", "cwd", "env", "autostart", "restart", "startsecs",
                 "backoff", "max_restarts", "window", "retry_after_give_up", "stop_signal",
                 "stop_timeout", "health", "limits", "exit_codes", "no_restart_exit_codes",
                 "data_dirs", "attach", "ready_log_line")
_BACKOFF_KEYS = ("initial", "multiplier", "max", "jitter", "reset_after")
_HEALTH_KEYS = ("url", "expect", "tcp", "command", "interval", "timeout", "failures", "start_grace", "action")
_LIMIT_KEYS = ("memory", "cpu", "samples", "interval", "action")
_ATTACH_KEYS = ("systemd_user", "launchd", "docker", "url", "start", "stop", "restart", "logs")
_SIGNALS = ("TERM", "INT", "HUP", "QUIT", "KILL", "USR1", "USR2")


def _program(name: str, table: Mapping[str, Any], problems: _Problems, environ: Mapping[str, str]) -> ProgramConfig | None:
    r = _Reader(table, f"programs.{name}", problems, environ, _PROGRAM_KEYS)
    preset_name = r.string("preset", "custom" if "command" in table else DEFAULT_PRESET, tuple(PRESETS))
    preset = PRESETS[preset_name or "custom"]
    command = r.argv("command", preset.command or None)
    if not command:
        problems.add(f"programs.{name}.command", "missing; name the program to run, e.g. "
                     'command = ["nanobot", "gateway", "--foreground"]')
        return None
    env = r.get("env", {}, lambda v: _env(v, environ))
    cwd = r.string("cwd", preset.cwd)
    return ProgramConfig(
        name=name,
        command=command,
        display_name=r.string("display_name", preset.display_name if preset.name != "custom" else name),
        preset=preset.name,
        cwd=Path(expand(cwd, environ)) if cwd else None,
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
        health=_health(r, preset, environ),
        limits=_limits(r),
        exit_codes=r.ints("exit_codes", (0,)),
        no_restart_exit_codes=r.ints("no_restart_exit_codes", (78,)),
        data_dirs=r.paths("data_dirs", tuple(Path(expand(d, environ)) for d in _preset_dirs(preset, cwd))),
        attach=_attach(r),
        ready_log_line=r.get("ready_log_line", None, _pattern),
    )


def _pattern(value: Any) -> str:
    """A regular expression, checked now so that a typo is reported by `config check`."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a regular expression in a string, got {_kind(value)}")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None
    return value


def _preset_dirs(preset: Preset, cwd: str | None) -> tuple[str, ...]:
    """Preset data dirs; relative ones (NanoClaw's) live inside the checkout."""
    return tuple(d if d.startswith("~") or not cwd else f"{cwd}/{d}" for d in preset.data_dirs)


def _env(value: Any, environ: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError('expected a table of strings, e.g. env = { OLLAMA_HOST = "127.0.0.1" }')
    return {k: expand(v, environ) for k, v in value.items()}


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


def _health(r: _Reader, preset: Preset, environ: Mapping[str, str]) -> HealthConfig | None:
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
        expect=h.get("expect", {}, lambda v: dict(v) if isinstance(v, dict) else _bad("a table")),
        tcp=h.get("tcp", None, _tcp),
        command=h.argv("command", None),
        interval=h.duration("interval", d.interval, minimum=0.5),
        timeout=h.duration("timeout", d.timeout, minimum=0.1),
        failures=h.integer("failures", d.failures, minimum=1),
        start_grace=h.duration("start_grace", grace),
        action=h.string("action", d.action, ("restart", "notify")),
    )
    if sum(x is not None for x in (cfg.url, cfg.tcp, cfg.command)) > 1:
        r.problems.add(h.path, "give only one of url, tcp or command")
    if cfg.url and (problem := _url_problem(cfg.url)):
        r.problems.add(f"{h.path}.url", problem)
    return cfg if cfg.kind != "none" else None


def _url_problem(url: str) -> str | None:
    from urllib.parse import urlsplit

    if not url.startswith(("http://", "https://")):
        return f"must start with http:// or https://, got {url!r}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        return f"{url!r} is not a usable URL ({exc})"
    return None if parts.hostname else f"{url!r} names no host"


def _bad(expected: str) -> Any:
    raise ValueError(f"expected {expected}")


def _tcp(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"127.0.0.1:{value}"
    if not isinstance(value, str) or not re.fullmatch(r"[^:\s]+:\d{1,5}", value) \
            or not 1 <= int(value.rpartition(":")[2]) <= 65535:
        raise ValueError('expected "host:port" or a port number (1-65535), e.g. tcp = "127.0.0.1:11434"')
    return value


def _limits(r: _Reader) -> LimitsConfig:
    t = r.table_at("limits", _LIMIT_KEYS)
    if t is None:
        return LimitsConfig()
    d = LimitsConfig()
    return LimitsConfig(
        memory=t.size("memory", None),
        cpu=t.number("cpu", None, minimum=1) if "cpu" in t.table else None,
        samples=t.integer("samples", d.samples, minimum=1),
        interval=t.duration("interval", d.interval, minimum=0.5),
        action=t.string("action", d.action, ("restart", "notify")),
    )


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
        r.problems.add(t.path, f"name one owner, not {' and '.join(owners)}")
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
        values[name] = {
            "duration": lambda n=name, dv=default: t.duration(n, dv),
            "interval": lambda n=name, dv=default: t.duration(n, dv, minimum=1.0),
            "size": lambda n=name, dv=default: t.size(n, dv),
            "bool": lambda n=name, dv=default: t.boolean(n, dv),
            "number": lambda n=name, dv=default: t.number(n, dv),
            "int": lambda n=name, dv=default: t.integer(n, dv),
            "string": lambda n=name, dv=default: t.string(n, dv),
            "path": lambda n=name, dv=default: (Path(v) if (v := t.string(n, None)) else dv),
            "paths": lambda n=name, dv=default: t.paths(n, dv),
            "strings": lambda n=name, dv=default: t.strings(n, dv),
        }[kind]()
    return cls(**values)


_TOP_KEYS = ("programs", "logs", "notifications", "disk", "backup", "tray", "alerts")


def parse(text: str, *, source: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Parse and validate config text. Raises ConfigError listing every problem."""
    env = os.environ if environ is None else environ
    where = str(source) if source else "config"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}",
                          fix="correct the line named above; `trayapp config check` re-checks it") from exc
    problems = _Problems()
    root = _Reader(data, "", problems, env, _TOP_KEYS)
    programs = _programs(data.get("programs"), problems, env)
    config = Config(
        programs=programs,
        logs=_section(root, "logs", LogConfig, {"max_size": "size", "keep": "int", "total_cap": "size", "redact": "bool"}),
        notifications=_section(root, "notifications", NotifyConfig,
                               {"enabled": "bool", "paused_until": "string", "quiet_after_crash": "duration"}),
        disk=_section(root, "disk", DiskConfig, {"warn_percent": "number", "warn_free": "size",
                                                 "critical_percent": "number", "critical_free": "size",
                                                 "interval": "interval"}),
        backup=_section(root, "backup", BackupConfig, {"dest": "path", "paths": "paths", "exclude": "strings",
                                                       "include": "strings", "verify": "bool",
                                                       "include_logs": "bool", "schedule": "string",
                                                       "keep_last": "int", "keep_daily": "int", "keep_weekly": "int"}),
        tray=_tray(root),
        alerts=root.get("alerts", (), _alerts),
        source=source,
    )
    if config.backup.dest is not None:
        config = _replace_backup_dest(config, env)
    _check_schedule(config.backup.schedule, problems)
    _check_alerts(config, problems, env)
    if problems.items:
        raise ConfigError(f"{where} has {len(problems.items)} problem{'s' if len(problems.items) > 1 else ''}:",
                          problems=problems.items,
                          fix="edit the file, then run `trayapp config check`")
    return config


def _check_schedule(spec: str | None, problems: _Problems) -> None:
    from trayapp.backup.schedule import parse as parse_schedule

    try:
        if spec is not None:
            parse_schedule(spec)
    except ValueError as exc:
        problems.add("backup.schedule", str(exc))


def _check_alerts(config: Config, problems: _Problems, env: Mapping[str, str]) -> None:
    """[[alerts]] rules are read by trayapp.alerts; their problems join the others (alerts[0].when: ...)."""
    from trayapp.alerts.rules import rule_problems  # imported here: trayapp.alerts imports this module

    problems.items.extend(rule_problems(config.alerts, programs=list(config.programs), environ=env))


def _replace_backup_dest(config: Config, env: Mapping[str, str]) -> Config:
    from dataclasses import replace

    dest = Path(expand(str(config.backup.dest), env))
    return replace(config, backup=replace(config.backup, dest=dest))


def _tray(root: _Reader) -> TrayConfig:
    t = root.table_at("tray", ("on_quit",))
    return TrayConfig(on_quit=t.string("on_quit", "ask", ("ask", "stop", "leave"))) if t else TrayConfig()


def _alerts(value: Any) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError('expected [[alerts]] tables, e.g. [[alerts]] when = "restarts > 3 in 1h"')
    return tuple(value)


def _programs(value: Any, problems: _Problems, env: Mapping[str, str]) -> dict[str, ProgramConfig]:
    if value is None:
        return {"assistant": _default_program(env)}
    if not isinstance(value, dict) or not value:
        problems.add("programs", "expected at least one [programs.NAME] table")
        return {}
    programs = {}
    for name, table in value.items():
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
            problems.add(f"programs.{name}", "a program name may hold letters, digits, '-', '_' and '.'")
        elif not isinstance(table, dict):
            problems.add(f"programs.{name}", f"expected a table, got {_kind(table)}")
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


def load(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read `path`; a missing file means the default config. Raises ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default_config(environ)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", fix="check the file's permissions and encoding (UTF-8)") from exc
    return parse(text, source=path, environ=environ)
