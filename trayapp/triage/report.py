"""The crash report of one unexpected exit: what it printed, how it ended, why, and what to do."""

from __future__ import annotations

import signal as signals
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trayapp.status import ExitInfo
from trayapp.triage import excerpt as excerpts
from trayapp.triage.classify import Facts, PortHolder, classify

HEADLINE_CHARS = 200


@dataclass(frozen=True)
class CrashReport:
    program: str
    when: float  # wall-clock epoch seconds of the exit
    exit: str  # in words: "exit 1", "killed by SIGKILL (signal 9)"
    cause: str  # one line; says so when the cause is unknown
    fix: str  # one line
    known: bool  # False: trayapp does not recognise the cause; the excerpt is all there is
    kind: str  # what the excerpt is: "python traceback", "node stack", "go panic", "error lines", …
    excerpt: tuple[str, ...]
    headline: str  # the exception line, else the last error message, else the cause
    code: int | None = None  # the raw exit, for `--json`
    signal: int | None = None

    def notice(self) -> str:
        """One line for a notification body: "ValueError: bad token — fix: …"."""
        fix = self.fix[:1].lower() + self.fix[1:] if self.fix else ""
        return f"{self.headline} — fix: {fix}" if fix and self.known else self.headline

    def to_dict(self) -> dict[str, Any]:
        return {"program": self.program, "when": self.when, "exit": self.exit, "cause": self.cause,
                "fix": self.fix, "known": self.known, "kind": self.kind, "excerpt": list(self.excerpt),
                "headline": self.headline, "code": self.code, "signal": self.signal}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CrashReport:
        """Tolerant of what an older or damaged file holds: wrong types become empty values."""
        lines = data.get("excerpt")
        when = data.get("when")
        return cls(program=_text(data.get("program")),
                   when=float(when) if isinstance(when, (int, float)) and not isinstance(when, bool) else 0.0,
                   exit=_text(data.get("exit")), cause=_text(data.get("cause")), fix=_text(data.get("fix")),
                   known=data.get("known") is True, kind=_text(data.get("kind")),
                   excerpt=tuple(str(x) for x in lines) if isinstance(lines, list) else (),
                   headline=_text(data.get("headline")), code=_int(data.get("code")),
                   signal=_int(data.get("signal")))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def exit_words(info: ExitInfo) -> str:
    """"exit 1", "killed by SIGKILL (signal 9)", "killed by signal 64"."""
    if info.signal is None:
        return "exit status unknown" if info.code is None else f"exit {info.code}"
    try:
        return f"killed by {signals.Signals(info.signal).name} (signal {info.signal})"
    except ValueError:
        return f"killed by signal {info.signal}"


def build(lines: Sequence[str], exit_info: ExitInfo, *, program: str, when: float, memory: int | None = None,
          memory_limit: int | None = None, port_holder: PortHolder | None = None) -> CrashReport:
    """The report for one exit. `lines`: the run's output, both streams in order, as captured."""
    cleaned = [excerpts.clean(line) for line in lines]
    found = excerpts.find_in(cleaned)
    cause = classify(found, cleaned, Facts(exit_info, memory, memory_limit, port_holder))
    headline = found.headline or (cause.cause if cause.known else _quiet(exit_info))
    return CrashReport(program=program, when=when, exit=exit_words(exit_info), cause=cause.cause,
                       fix=cause.fix, known=cause.known, kind=str(found.kind), excerpt=found.lines,
                       headline=_short(headline), code=exit_info.code, signal=exit_info.signal)


def _quiet(info: ExitInfo) -> str:
    """The headline of a program that died without printing an error."""
    if info.signal is None and info.code is not None:
        return f"Exited with code {info.code} without an error message."
    words = exit_words(info)
    return f"{words[:1].upper()}{words[1:]} without an error message."


def _short(line: str) -> str:
    return line if len(line) <= HEADLINE_CHARS else line[: HEADLINE_CHARS - 1].rstrip() + "…"

