"""The log viewer's pure part: which lines to show and how to mark them. No Tk here."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

ERROR = re.compile(r"\b(error|errors|exception|traceback|fatal|critical|panic|failed)\b", re.IGNORECASE)
WARNING = re.compile(r"\b(warn|warning|warnings|deprecated)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    raw: str  # the line as written in the file, without its newline
    stream: str  # "stdout" | "stderr" | "" when the line does not follow trayapp's format
    text: str

    @property
    def level(self) -> str:
        """"error", "warning" or "" — what the highlighting and the problems filter use."""
        if ERROR.search(self.text):
            return "error"
        if WARNING.search(self.text):
            return "warning"
        return ""


def parse(raw: str, parse_line: Callable[[str], tuple[object, str, str] | None]) -> Line:
    """`parse_line` is trayapp.logs.read.parse_line: (timestamp, stream, text), or None (or raises) on odd lines."""
    raw = raw.rstrip("\r\n")
    try:
        parsed = parse_line(raw)
    except (ValueError, TypeError, IndexError):
        parsed = None
    if parsed is None:
        return Line(raw, "", raw)
    _, stream, text = parsed
    return Line(raw, stream or "", text)


def keep(line: Line, stderr_only: bool, problems_only: bool) -> bool:
    if stderr_only and line.stream != "stderr":
        return False
    return not problems_only or line.level != ""


def tags(line: Line) -> tuple[str, ...]:
    """Text widget tags for one line."""
    out = [line.level] if line.level else []
    if line.stream == "stderr":
        out.append("stderr")
    return tuple(out)
