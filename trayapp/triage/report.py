"""The crash report of one unexpected exit: what it printed, how it ended, why, and what to do."""

from __future__ import annotations

import signal as signals
from collections.abc import Sequence

from trayapp.i18n import N_, _
from trayapp.message import Message, words
from trayapp.status import CrashReport, ExitInfo
from trayapp.triage import excerpt as excerpts
from trayapp.triage.classify import Facts, PortHolder, classify

HEADLINE_CHARS = 200


def exit_words(info: ExitInfo) -> str:
    """"exit 1", "killed by SIGKILL (signal 9)", "killed by signal 64"."""
    if info.signal is None:
        return "exit status unknown" if info.code is None else f"exit {info.code}"
    try:
        return f"killed by {signals.Signals(info.signal).name} (signal {info.signal})"
    except ValueError:
        return f"killed by signal {info.signal}"


def build(lines: Sequence[str], exit_info: ExitInfo, *, program: str, when: float, memory: int | None = None,
          memory_limit: int | None = None, port_holder: PortHolder | None = None,
          oom_recorded: bool = False, streams: Sequence[Sequence[str]] = ()) -> CrashReport:
    """The report for one exit. `lines`: the run's output, both streams in order, as captured;
    `streams`: the same lines per stream (stderr first), where a traceback is never interleaved
    with the other stream's lines (two pumps, two threads)."""
    cleaned = [excerpts.clean(line) for line in lines]
    found = _structured(streams) or excerpts.find_in(cleaned)
    cause = classify(found, cleaned, Facts(exit_info, memory, memory_limit, port_holder, oom_recorded))
    headline: Message | str = found.headline or (cause.cause if cause.known else _quiet(exit_info))
    return CrashReport(program=program, when=when, exit=exit_words(exit_info), cause=cause.cause,
                       fix=cause.fix, known=cause.known, kind=str(found.kind), excerpt=found.lines,
                       headline=_short(headline) if isinstance(headline, str) else headline, code=exit_info.code,
                       signal=exit_info.signal)


def _structured(streams: Sequence[Sequence[str]]) -> excerpts.Excerpt | None:
    """A traceback, stack or panic found whole in one stream, if any is."""
    for lines in streams:
        found = excerpts.find_in([excerpts.clean(line) for line in lines])
        if found.kind in (excerpts.Kind.PYTHON, excerpts.Kind.NODE, excerpts.Kind.GO):
            return found
    return None


def _quiet(info: ExitInfo) -> Message:
    """The headline of a program that died without printing an error."""
    if info.signal is None and info.code is not None:
        return Message(N_("Exited with code {code} without an error message."), code=info.code)
    if info.signal is None:
        return Message(N_("Ended without an error message (exit status unknown)."))
    try:
        return Message(N_("Killed by {signal} (signal {number}) without an error message."),
                       signal=signals.Signals(info.signal).name, number=info.signal)
    except ValueError:
        return Message(N_("Killed by signal {number} without an error message."), number=info.signal)


def _short(line: str) -> str:
    return line if len(line) <= HEADLINE_CHARS else line[: HEADLINE_CHARS - 1].rstrip() + "…"



def render_text(report: CrashReport, display: str) -> str:
    """The whole report for a person (`trayapp why`, the status window's Copy button)."""
    import time

    how = report.exit_said() or _("exit status unknown")
    lines = [_("{name} crashed at {time} ({exit})").format(
                 name=display, time=time.strftime("%Y-%m-%d %H:%M", time.localtime(report.when)), exit=how)
             if report.when else _("{name} crashed ({exit})").format(name=display, exit=how),
             _("cause: {cause}").format(cause=words(report.cause) or _("not known"))]
    if report.fix:
        lines.append(_("fix: {fix}").format(fix=words(report.fix)))
    if report.excerpt:
        lines += ["", _("what it printed last:"), *(f"    {line}" for line in report.excerpt)]
    return "\n".join(lines)
