"""The state vocabulary every part shares: State, Health, Mode, ExitInfo and the immutable Status snapshot.

It sits below the event bus and the supervisor alike; the transition table lives in supervisor/state.py.
"""

from __future__ import annotations

import enum
import signal
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from trayapp.i18n import N_, _
from trayapp.message import Message, words


class State(enum.StrEnum):
    STOPPED = "stopped"  # not running: never started, stopped by the user, or exited for good
    STARTING = "starting"  # spawned; counts as started once up for `startsecs`
    RUNNING = "running"
    BACKOFF = "backoff"  # exited; waiting until `retry_at` to start again
    STOPPING = "stopping"  # stop signal sent; SIGKILL to the tree at the deadline
    GIVEN_UP = "given_up"  # too many restarts or a no-restart exit; slow retry only


class Health(enum.StrEnum):
    NONE = "none"  # no health check configured
    UNKNOWN = "unknown"  # not checked yet, or within the start grace
    HEALTHY = "healthy"
    DEGRADED = "degraded"  # running and answering its health check, but cannot do its job
    UNHEALTHY = "unhealthy"


class Control(enum.StrEnum):
    """Who may start, stop and restart the program: decided by the program classes, read by everybody."""

    FULL = "full"  # trayapp spawned it (or its own child from before a crash of trayapp)
    THROUGH_OWNER = "through_owner"  # a service manager owns it; trayapp asks the owner
    NONE = "none"  # somebody else's copy, or an owner trayapp cannot command: watched only


class Mode(enum.StrEnum):
    MANAGED = "managed"  # trayapp spawned it and owns it
    ADOPTED = "adopted"  # our own child from before a crash of trayapp; watched by polling
    ATTACHED = "attached"  # owned by a service manager; controlled through it
    EXTERNAL = "external"  # somebody else runs it; trayapp only watches


@dataclass(frozen=True)
class ExitInfo:
    """How a process ended: an exit code, or the signal that killed it."""

    code: int | None = None
    signal: int | None = None

    @classmethod
    def from_returncode(cls, returncode: int | None) -> "ExitInfo":
        """subprocess style: negative means killed by that signal; None: not ours to wait() on."""
        if returncode is None:
            return cls()
        return cls(signal=-returncode) if returncode < 0 else cls(code=returncode)

    def message(self) -> Message:
        """How it ended, kept as a Message: "exit 1", "killed by SIGKILL"."""
        if self.signal is not None:
            try:
                return Message(N_("killed by {signal}"), signal=signal.Signals(self.signal).name)
            except ValueError:
                return Message(N_("killed by signal {signal}"), signal=self.signal)
        return Message(N_("exit status unknown")) if self.code is None else Message(N_("exit {code}"), code=self.code)

    def describe(self) -> str:
        """"exit 1", "killed by SIGKILL", in English (journal JSON, `--json`)."""
        return str(self.message())

    def said(self) -> str:
        """`describe()` in the user's language, for a person."""
        return self.message().words()


@dataclass(frozen=True)
class CrashReport:
    """The crash report of one unexpected exit (built by trayapp/triage): shared by status, journal and notices."""

    program: str
    when: float  # wall-clock epoch seconds of the exit
    exit: str  # in English words: "exit 1", "killed by SIGKILL (signal 9)" (people read it from code/signal)
    # cause, fix and a headline trayapp wrote are Messages; a headline the program printed is its own str
    cause: Message | str  # one line; says so when the cause is unknown
    fix: Message | str  # one line
    known: bool  # False: trayapp does not recognise the cause; the excerpt is all there is
    kind: str  # what the excerpt is: "python traceback", "node stack", "go panic", "error lines", …
    excerpt: tuple[str, ...]
    headline: Message | str  # the exception line, else the last error message, else the cause
    code: int | None = None  # the raw exit, for `--json`
    signal: int | None = None

    def notice(self) -> str:
        """One line for a notification body: "ValueError: bad token — fix: …"."""
        said = words(self.fix)
        fix = said[:1].lower() + said[1:]
        return _("{headline} — fix: {fix}").format(
            headline=words(self.headline), fix=fix) if fix and self.known else words(self.headline)

    def exit_said(self) -> str:
        """How it ended, in the user's language (`exit` is English: the journal's JSON)."""
        if self.code is None and self.signal is None:
            return self.exit
        return ExitInfo(self.code, self.signal).said()

    def to_dict(self) -> dict[str, Any]:
        """English words for machines; a Message's JSON beside each field that is one ("cause_message")."""
        data: dict[str, Any] = {"program": self.program, "when": self.when, "exit": self.exit, "known": self.known,
                                "kind": self.kind, "excerpt": list(self.excerpt), "code": self.code,
                                "signal": self.signal}
        for key, value in (("cause", self.cause), ("fix", self.fix), ("headline", self.headline)):
            data[key] = str(value)
            if isinstance(value, Message):
                data[f"{key}_message"] = value.to_json()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CrashReport:
        """Tolerant of what an older or damaged file holds: wrong types become empty values."""
        lines = data.get("excerpt")
        when = data.get("when")
        return cls(program=_text(data.get("program")),
                   when=float(when) if isinstance(when, (int, float)) and not isinstance(when, bool) else 0.0,
                   exit=_text(data.get("exit")), cause=reason_of(data, "cause"), fix=reason_of(data, "fix"),
                   known=data.get("known") is True, kind=_text(data.get("kind")),
                   excerpt=tuple(str(x) for x in lines) if isinstance(lines, list) else (),
                   headline=reason_of(data, "headline"), code=_int(data.get("code")),
                   signal=_int(data.get("signal")))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Status:
    """What one program is doing, as of `since`. Safe to share between threads.

    Times named *_at are wall-clock epoch seconds (for display, JSON and other processes);
    the supervisor schedules on the monotonic clock and never exposes it here.
    """

    program: str
    display_name: str
    state: State = State.STOPPED
    mode: Mode = Mode.MANAGED
    since_at: float = 0.0
    pid: int | None = None
    started_at: float | None = None  # when the current process started
    retry_at: float | None = None  # BACKOFF / GIVEN_UP: when the next start is due
    restarts: int = 0  # automatic restarts since trayapp started
    # Automatic restarts per quarter hour of the last day, as (bucket start wall time, count):
    # at most 97 pairs however often it restarts (supervisor/history.py keeps them).
    restart_counts: tuple[tuple[float, int], ...] = ()
    failures: int = 0  # consecutive failed starts; resets after a stable period
    last_exit: ExitInfo | None = None
    last_exit_at: float | None = None
    # Why it is in this state: a Message (English for `--json`, the user's language for people); a
    # plain str only for words from outside (an owner's own status line, an OS error).
    reason: Message | str = ""
    last_stderr: str = ""
    last_crash: CrashReport | None = None  # the report of the last unexpected exit (replaces "last error")
    command_path: str = ""  # the program file the current run was started from (its PATH resolved)  # last line the program wrote to stderr
    health: Health = Health.NONE
    health_detail: Message | str = ""  # why it is unhealthy or degraded (a probe's own words are str)
    health_fix: Message | str = ""  # DEGRADED: what the user can do about it
    memory: int | None = None  # RSS of the whole tree, bytes
    cpu: float | None = None  # percent of one core, whole tree
    owner: str = ""  # for ATTACHED/EXTERNAL: "systemd --user nanobot-gateway.service", "pid 1234"
    control: Control = Control.FULL
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_up(self) -> bool:
        return self.state in (State.STARTING, State.RUNNING)

    def restarts_since(self, wall: float) -> int:
        """Automatic restarts from `wall` on (a local midnight is always a bucket boundary)."""
        return sum(n for start, n in self.restart_counts if start >= wall)

    def uptime(self, now: float) -> float | None:
        return None if self.started_at is None or not self.is_up else max(0.0, now - self.started_at)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for `status --json`, the control channel and the status window."""
        data = asdict(self)
        data["state"], data["mode"], data["health"] = str(self.state), str(self.mode), str(self.health)
        data["control"] = str(self.control)
        data["restart_counts"] = [[start, n] for start, n in self.restart_counts]
        data["extra"] = dict(self.extra)
        if self.last_exit is not None:
            data["last_exit"]["text"] = self.last_exit.describe()
        data["last_crash"] = None if self.last_crash is None else self.last_crash.to_dict()
        for key, said in (("reason", self.reason), ("health_detail", self.health_detail),
                          ("health_fix", self.health_fix)):
            data[key] = str(said)  # machine output stays English; the Message beside it for people
            if isinstance(said, Message):
                data[f"{key}_message"] = said.to_json()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Status":
        values = dict(data)
        values["state"], values["mode"] = State(values["state"]), Mode(values["mode"])
        values["health"] = Health(values["health"])
        values["control"] = Control(values.get("control", Control.FULL))
        values["restart_counts"] = tuple((float(start), int(n)) for start, n in values.get("restart_counts", ()))
        exit_info = values.get("last_exit")
        values["last_exit"] = None if exit_info is None else ExitInfo(exit_info.get("code"), exit_info.get("signal"))
        crash = values.get("last_crash")
        values["last_crash"] = CrashReport.from_dict(crash) if isinstance(crash, Mapping) else None
        for key in ("reason", "health_detail", "health_fix"):
            values[key] = reason_of(values, key)
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in values.items() if k in known})


def reason_of(data: Mapping[str, Any], key: str = "reason") -> Message | str:
    """The reason a to_dict() (or a journal entry) carries: its Message when it kept one, else the
    English words (an older trayapp's, or words from outside)."""
    said = Message.from_json(data.get(f"{key}_message"))
    if said is not None:
        return said
    text = data.get(key)
    return text if isinstance(text, str) else ""


# A degraded reason that names the program: the tray's phrase already says "running but", so it
# shows only {what} (cannot_answer).
RUNNING_BUT = N_("{name} is running but {what}")
# A stopped program's reasons that say "stopped" themselves: the tray shows them as they are, not
# after "stopped: ".
STOPPED_EXIT = N_("stopped ({exit})")
STOPPED_BY = {"user": N_("stopped by you"), "quit": N_("stopped because trayapp quit"),
              "reload": N_("stopped by a config reload"),
              "dependency": N_("stopped because a program it depends on went down")}
STOPPED_BY_WHO = N_("stopped by {who}")
SAYS_STOPPED = frozenset({STOPPED_EXIT, STOPPED_BY_WHO, *STOPPED_BY.values()})
# A given-up program's reason when trayapp will try again later: the tray counts down to the try itself.
TRYING_AGAIN = N_("{reason}; trying again in {wait}")


def cannot_answer(detail: Message | str, name: str) -> str:
    """A degraded reason without its own "NAME is running but" lead-in, in the user's language."""
    if isinstance(detail, Message):
        what = detail.values.get("what") if detail.message == RUNNING_BUT else None
        return words(what) if isinstance(what, (Message, str)) else detail.words()
    for lead in (f"{name} is running but ", "is running but "):  # words from config.toml's degraded_patterns
        if detail.startswith(lead):
            return detail[len(lead):]
    return detail


CONTROL_ACTIONS = ("start", "stop", "restart")


def refusal(status: Status, action: str) -> str | None:
    """Why trayapp will not `action` (start, stop, restart) this program, in one sentence; None: it may.

    The one place that says "never control what trayapp did not start": the control channel, the tray
    menu, the status window and the attached program's automatic restarts all ask here."""
    if status.control is not Control.NONE or action not in CONTROL_ACTIONS:
        return None
    if status.mode is Mode.EXTERNAL:
        return _outside(status, action)
    return _(_ATTACHED[action]).format(name=status.display_name, owner=status.owner, program=status.program)


# One sentence per action (and with or without the owner), so each reads whole in every language.
_ATTACHED = {
    "start": N_("{name} is only reached at {owner}; trayapp cannot start it there. Start it where it runs, or "
                "name the commands (start = [...], stop = [...], restart = [...]) under "
                "[programs.{program}.attach] in config.toml."),
    "stop": N_("{name} is only reached at {owner}; trayapp cannot stop it there. Stop it where it runs, or "
               "name the commands (start = [...], stop = [...], restart = [...]) under "
               "[programs.{program}.attach] in config.toml."),
    "restart": N_("{name} is only reached at {owner}; trayapp cannot restart it there. Restart it where it "
                  "runs, or name the commands (start = [...], stop = [...], restart = [...]) under "
                  "[programs.{program}.attach] in config.toml."),
}
_OUTSIDE = {
    "start": (N_("{name} already runs outside trayapp ({owner}); trayapp does not start a second copy."),
              N_("{name} already runs outside trayapp; trayapp does not start a second copy.")),
    "stop": (N_("{name} runs outside trayapp ({owner}); trayapp never signals a process it did not start. "
                "Stop it where it was started."),
             N_("{name} runs outside trayapp; trayapp never signals a process it did not start. "
                "Stop it where it was started.")),
    "restart": (N_("{name} runs outside trayapp ({owner}); trayapp never signals a process it did not start. "
                   "Restart it where it was started."),
                N_("{name} runs outside trayapp; trayapp never signals a process it did not start. "
                   "Restart it where it was started.")),
}


def _outside(status: Status, action: str) -> str:
    with_owner, without = _OUTSIDE[action]
    said = with_owner if status.owner else without
    return _(said).format(name=status.display_name, owner=status.owner)
