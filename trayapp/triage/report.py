"""The crash report of one unexpected exit: what it printed, how it ended, why, and what to do."""

from __future__ import annotations

import signal as signals
from collections.abc import Sequence

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
    headline = found.headline or (cause.cause if cause.known else _quiet(exit_info))
    return CrashReport(program=program, when=when, exit=exit_words(exit_info), cause=cause.cause,
                       fix=cause.fix, known=cause.known, kind=str(found.kind), excerpt=found.lines,
                       headline=_short(headline), code=exit_info.code, signal=exit_info.signal)


def _structured(streams: Sequence[Sequence[str]]) -> excerpts.Excerpt | None:
    """A traceback, stack or panic found whole in one stream, if any is."""
    for lines in streams:
        found = excerpts.find_in([excerpts.clean(line) for line in lines])
        if found.kind in (excerpts.Kind.PYTHON, excerpts.Kind.NODE, excerpts.Kind.GO):
            return found
    return None


def _quiet(info: ExitInfo) -> str:
    """The headline of a program that died without printing an error."""
    if info.signal is None and info.code is not None:
        return f"Exited with code {info.code} without an error message."
    words = exit_words(info)
    return f"{words[:1].upper()}{words[1:]} without an error message."


def _short(line: str) -> str:
    return line if len(line) <= HEADLINE_CHARS else line[: HEADLINE_CHARS - 1].rstrip() + "…"



def render_text(report: CrashReport, display: str) -> str:
    """The whole report for a person (`trayapp why`, the status window's Copy button)."""
    import time

    at = time.strftime(" at %Y-%m-%d %H:%M", time.localtime(report.when)) if report.when else ""
    lines = [f"{display} crashed{at} ({report.exit or 'exit status unknown'})",
             f"cause: {report.cause or 'not known'}"]
    if report.fix:
        lines.append(f"fix: {report.fix}")
    if report.excerpt:
        lines += ["", "what it printed last:", *(f"    {line}" for line in report.excerpt)]
    return "\n".join(lines)
