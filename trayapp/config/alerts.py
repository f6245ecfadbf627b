"""[[alerts]] tables -> typed rules, with key paths for every problem.

    [[alerts]]
    name = "crash loop"               # optional; defaults to the `when` text
    when = "restarts > 3 in 1h"       # see FORMS
    program = "assistant"             # optional; default: every program
    action = "notify"                 # notify | command | webhook (default: notify)
    command = ["notify-me", "--urgent"]   # for action = "command": argv, never a shell
    url = "https://ntfy.sh/${TOPIC}"  # for action = "webhook": POST JSON
    timeout = "10s"                   # for command and webhook
    repeat = "1h"                     # fire again for the same program no sooner than this
    channels = ["mailto://..."]       # for action = "notify": where this alert goes besides the
                                      # desktop (apprise URLs), instead of [notifications] channels

The config reader calls this with tables whose strings it has already expanded (${VAR}, ~), so
nothing here expands again. Evaluation lives in trayapp.alerts.rules, which imports these types:
config sits below alerts, never the other way round.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from trayapp.errors import ConfigError
from trayapp.i18n import _, ngettext
from trayapp.units import parse_duration, parse_size

FORMS = ('"restarts > 3 in 1h"', '"crashes >= 5 in 10m"', '"uptime < 5m after restart"',
         '"memory > 1GB for 10m"', '"cpu > 90% for 5m"', '"health failing for 2m"', '"gave up"',
         '"disk over limit"')
ACTIONS = ("notify", "command", "webhook")
KEYS = ("name", "when", "program", "action", "command", "url", "timeout", "repeat", "channels")
# The notices a channel can be given (trayapp.notify.policy's kinds); "running again" chatter is not
# in the default.
CHANNEL_KINDS = ("crash", "spawn_failed", "gave_up", "recovered", "health_failing", "degraded", "health_ok",
                 "limit", "external", "disk", "disk_ok", "backup", "backup_failed", "alert")
DEFAULT_CHANNEL_KINDS = ("crash", "gave_up", "degraded", "disk", "backup_failed", "alert")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")

T = TypeVar("T")


# -- conditions ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Count:
    """`restarts > 3 in 1h`: how many restarts (or crashes) fell within the window."""

    what: str  # restarts | crashes
    at_least: int  # "> 3" is stored as at_least 4
    window: float


@dataclass(frozen=True)
class ShortRun:
    """`uptime < 5m after restart`: a run that followed an automatic restart ended this soon."""

    under: float


@dataclass(frozen=True)
class Over:
    """`memory > 1GB for 10m`: every sample over the limit for this long."""

    metric: str  # memory | cpu
    limit: float
    duration: float


@dataclass(frozen=True)
class Failing:
    """`health failing for 2m`."""

    duration: float


@dataclass(frozen=True)
class GaveUp:
    """`gave up`: trayapp stopped restarting the program."""


@dataclass(frozen=True)
class DiskOver:
    """`disk over limit`: the program's data folders went past limits.disk (once per episode)."""


Condition = Count | ShortRun | Over | Failing | GaveUp | DiskOver
_NEVER_READ: Condition = GaveUp()  # stands in while a rule with problems is read; never returned


@dataclass(frozen=True)
class Rule:
    name: str
    when: str
    condition: Condition
    program: str | None = None
    action: str = "notify"
    command: tuple[str, ...] = ()
    url: str = ""
    timeout: float = 10.0
    repeat: float = 3600.0
    channels: tuple[str, ...] = ()


# -- conditions from text ------------------------------------------------------------------

_COUNT = re.compile(r"(restarts|crashes)\s*(>=|>)\s*(\d+)\s+in\s+(.+)")
_SHORT = re.compile(r"uptime\s*<\s*(.+?)\s+after\s+(?:a\s+)?restarts?")
_MEMORY = re.compile(r"(?:memory|mem|rss)\s*>\s*(.+?)\s+for\s+(.+)")
_CPU = re.compile(r"cpu\s*>\s*(\d+(?:\.\d+)?)\s*%?\s+for\s+(.+)")
_FAILING = re.compile(r"health\s+(?:failing|unhealthy|fails)\s+for\s+(.+)")
_GAVE_UP = re.compile(r"gave[\s_-]?up|given[\s_-]?up")
_DISK_OVER = re.compile(r"disk\s+(?:over|past|above)\s+(?:its\s+|the\s+)?limit")


def parse_condition(text: str) -> Condition:
    """`when` text -> Condition. Raises ValueError naming the accepted forms."""
    t = " ".join(str(text).lower().split())
    try:
        found = _condition(t)
    except ValueError as exc:
        raise ValueError(_("{text!r}: {error}").format(text=text, error=exc)) from exc
    if found is None:
        raise ValueError(_("cannot read {text!r}; write one of: {forms}").format(text=text, forms=", ".join(FORMS)))
    return found


def _condition(t: str) -> Condition | None:
    if m := _COUNT.fullmatch(t):
        n = int(m.group(3))
        return Count(m.group(1), n + 1 if m.group(2) == ">" else max(1, n), parse_duration(m.group(4)))
    if m := _SHORT.fullmatch(t):
        return ShortRun(parse_duration(m.group(1)))
    if m := _MEMORY.fullmatch(t):
        return Over("memory", float(parse_size(m.group(1).replace(" ", ""))), parse_duration(m.group(2)))
    if m := _CPU.fullmatch(t):
        return Over("cpu", float(m.group(1)), parse_duration(m.group(2)))
    if m := _FAILING.fullmatch(t):
        return Failing(parse_duration(m.group(1)))
    if _DISK_OVER.fullmatch(t):
        return DiskOver()
    return GaveUp() if _GAVE_UP.fullmatch(t) else None


# -- rules from tables ---------------------------------------------------------------------

def read_rules(tables: Sequence[Any], *, programs: Sequence[str] | None = None
               ) -> tuple[tuple[Rule, ...], list[str]]:
    """Every [[alerts]] table -> Rule, and every problem as "alerts[0].when: ..." (all at once)."""
    rules: list[Rule] = []
    problems: list[str] = []
    for index, table in enumerate(tables):
        rule = _rule(f"alerts[{index}]", table, programs, problems)
        if rule is not None:
            rules.append(rule)
    return tuple(rules), problems


def parse_rules(tables: Sequence[Any], *, programs: Sequence[str] | None = None) -> tuple[Rule, ...]:
    """Like `read_rules`, but any problem raises ConfigError listing them all."""
    rules, problems = read_rules(tables, programs=programs)
    if problems:
        raise ConfigError(ngettext("the [[alerts]] rules have {n} problem:", "the [[alerts]] rules have {n} problems:",
                                   len(problems)).format(n=len(problems)),
                          problems=problems, fix=_("edit the [[alerts]] tables in config.toml, "
                                                   "then run `trayapp config check`"))
    return rules


class _Fields:
    """The keys of one [[alerts]] table, each read with its problem recorded under its key path."""

    def __init__(self, path: str, table: Mapping[str, Any], problems: list[str]) -> None:
        self.path, self.table, self.problems = path, table, problems

    def read(self, key: str, convert: Callable[[Any], T], default: T) -> T:
        try:
            return convert(self.table.get(key))
        except (ValueError, TypeError) as exc:
            self.problems.append(_("{where}: {problem}").format(where=f"{self.path}.{key}", problem=exc))
            return default


def _rule(path: str, table: Any, programs: Sequence[str] | None, problems: list[str]) -> Rule | None:
    if not isinstance(table, Mapping):
        problems.append(_('{where}: expected a table like [[alerts]] when = "restarts > 3 in 1h"').format(where=path))
        return None
    before = len(problems)
    _unknown_keys(path, table, problems)
    f = _Fields(path, table, problems)
    when, action = f.read("when", _when, ""), f.read("action", _action, "notify")
    rule = Rule(
        name=f.read("name", lambda v: _name(v, when), when.strip()), when=when,
        condition=f.read("when", _condition_of, _NEVER_READ) if when else _NEVER_READ,
        program=f.read("program", lambda v: _program(v, programs), None), action=action,
        command=f.read("command", lambda v: _argv(v, action), ()), url=f.read("url", lambda v: _url(v, action), ""),
        timeout=max(0.1, f.read("timeout", lambda v: _duration(v, 10.0), 10.0)),
        repeat=f.read("repeat", lambda v: _duration(v, 3600.0), 3600.0),
        channels=f.read("channels", lambda v: _rule_channels(v, action), ()),
    )
    return rule if len(problems) == before else None


def _unknown_keys(path: str, table: Mapping[str, Any], problems: list[str]) -> None:
    for key in table:
        if key not in KEYS:
            hint = difflib.get_close_matches(key, KEYS, n=1)
            said = (_("unknown key; did you mean {hint!r}?").format(hint=hint[0]) if hint
                    else _("unknown key; known keys: {keys}").format(keys=", ".join(KEYS)))
            problems.append(_("{where}: {problem}").format(where=f"{path}.{key}", problem=said))


def _when(value: Any) -> str:
    if value is None:
        raise ValueError(_("missing; e.g. when = {form}").format(form=FORMS[0]))
    if not isinstance(value, str):
        raise ValueError(_("expected a string such as {form}").format(form=FORMS[0]))
    if not value.strip():
        raise ValueError(_("empty; write one of: {forms}").format(forms=", ".join(FORMS)))
    return value


def _condition_of(value: Any) -> Condition:
    return parse_condition(str(value))


def _name(value: Any, when: str) -> str:
    """The rule's own name, else its condition in one line."""
    if value is not None and not isinstance(value, str):
        raise ValueError(_('expected a string such as "crash loop"'))
    return value or " ".join(when.split())


def _action(value: Any) -> str:
    if value is None:
        return "notify"
    if value not in ACTIONS:
        hint = difflib.get_close_matches(str(value), ACTIONS, n=1)
        if hint:
            raise ValueError(_("must be one of {choices}, got {value!r}; did you mean {hint!r}?").format(
                choices=", ".join(ACTIONS), value=value, hint=hint[0]))
        raise ValueError(_("must be one of {choices}, got {value!r}").format(choices=", ".join(ACTIONS), value=value))
    return str(value)


def _program(value: Any, programs: Sequence[str] | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(_("expected a program name (a string)"))
    if programs is not None and value not in programs:
        hint = difflib.get_close_matches(value, list(programs), n=1)
        if hint:
            raise ValueError(_("no program named {value!r}; did you mean {hint!r}?").format(value=value, hint=hint[0]))
        raise ValueError(_("no program named {value!r}; programs: {programs}").format(value=value,
                                                                                      programs=", ".join(programs)))
    return value


def _duration(value: Any, default: float) -> float:
    return default if value is None else parse_duration(value)


def _argv(value: Any, action: str) -> tuple[str, ...]:
    if value is None:
        if action == "command":
            raise ValueError(_('missing; action = "command" needs command = ["program", "arg", ...]'))
        return ()
    if isinstance(value, str):
        raise ValueError(_('expected a list of strings such as ["notify-me", "--urgent"], not one string '
                           "(trayapp never runs a shell)"))
    if not isinstance(value, list) or not value or not all(isinstance(s, str) and s for s in value):
        raise ValueError(_('expected a non-empty list of strings such as ["notify-me", "--urgent"]; '
                           "an item that is a ${VARIABLE} needs that variable set"))
    return tuple(value)


def _url(value: Any, action: str) -> str:
    if value is None:
        if action == "webhook":
            raise ValueError(_('missing; action = "webhook" needs url = "https://..."'))
        return ""
    if not isinstance(value, str):
        raise ValueError(_('expected a string such as "https://example.org/hook"'))
    if not value.startswith(("http://", "https://")):
        raise ValueError(_("must start with http:// or https://, got {value!r}").format(value=value))
    return value


def _rule_channels(value: Any, action: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if action != "notify":
        raise ValueError(_('channels are where a notify action goes; this rule has action = "{action}"').format(
            action=action))
    return channel_urls(value)


def channel_urls(value: Any) -> tuple[str, ...]:
    """A list of apprise URLs ("mailto://...", "slack://..."). Problems never repeat a URL whole:
    it holds tokens and passwords."""
    from trayapp.redact import redact_url

    example = 'channels = ["mailto://me:app-password@gmail.com", "ntfy://ntfy.sh/my-topic"]'
    if not isinstance(value, list):
        raise ValueError(_("expected a list of notification URLs, e.g. {example}").format(example=example))
    for index, url in enumerate(value):
        if not isinstance(url, str) or not _SCHEME.fullmatch(url.strip()):
            shown = redact_url(url) if isinstance(url, str) else type(url).__name__
            raise ValueError(_("item {n} ({shown}) is not a URL like service://...; e.g. {example}").format(
                n=index + 1, shown=shown, example=example))
    return tuple(url.strip() for url in value)


def channel_kinds(value: Any) -> tuple[str, ...]:
    """Which notices go to the channels: words from CHANNEL_KINDS."""
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ValueError(_('expected a list of words such as ["crash", "gave_up"]; known: {kinds}').format(
            kinds=", ".join(CHANNEL_KINDS)))
    for kind in value:
        if kind not in CHANNEL_KINDS:
            hint = difflib.get_close_matches(kind, CHANNEL_KINDS, n=1)
            if hint:
                raise ValueError(_("unknown kind {kind!r}; did you mean {hint!r}?").format(kind=kind, hint=hint[0]))
            raise ValueError(_("unknown kind {kind!r}; known: {kinds}").format(kind=kind, kinds=", ".join(CHANNEL_KINDS)))
    return tuple(value)
