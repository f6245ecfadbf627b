"""The level of a log line where the line says one: "error" | "warning" | "info" | "debug" | "".

Programs spell levels many ways (Python logging, loguru, `[error]`, `level=error`, Android `E/`,
Go's `panic:`, Node's `Error:`, JSON lines). The stream says nothing: nanobot's loguru sends all its
INFO output to stderr. A line with no level of its own that says a start failed ("Gateway cannot
start") is an error, so an "errors only" filter is never empty after a failed start. Tracebacks
span lines; `LevelTracker` carries that state from one line to the next.
"""

from __future__ import annotations

import re
from typing import Literal

Level = Literal["error", "warning", "info", "debug", ""]

_WORDS: dict[str, Level] = {
    "error": "error", "err": "error", "fatal": "error", "critical": "error", "crit": "error",
    "panic": "error", "emerg": "error", "emergency": "error", "severe": "error",
    "warning": "warning", "warn": "warning",
    "info": "info", "information": "info", "notice": "info",
    "debug": "debug", "trace": "debug", "verbose": "debug",
}
_NAMES = "|".join(sorted(_WORDS, key=len, reverse=True))
# Spellings that name a level on purpose, most specific first.
_MARKED = (
    re.compile(rf"\|\s*({_NAMES})\s*\|", re.IGNORECASE),  # loguru: "| ERROR    |"
    re.compile(rf"^({_NAMES}):", re.IGNORECASE),  # Python logging: "ERROR:root:..."
    re.compile(rf"\[({_NAMES})\]", re.IGNORECASE),  # "[error]", "[WARN]"
    re.compile(rf"\blevel=\"?({_NAMES})\b", re.IGNORECASE),  # logfmt
    re.compile(rf"\b({_NAMES})\b\s*(?:\(\d+\))?:"),  # pino-pretty "FATAL (42):", "WARNING: ..." (as written)
    re.compile(r"\b(ERROR|ERR|WARN|WARNING|FATAL|CRITICAL|INFO|DEBUG|TRACE|NOTICE|PANIC)\b"),  # shouted
)
_ANDROID = re.compile(r"^([EWIDVF])/[\w.$-]+(?:\(\s*\d+\))?: ")  # "E/Tag( 123): ..."; not "I/O error"
_ANDROID_LEVELS: dict[str, Level] = {"E": "error", "F": "error", "W": "warning", "I": "info", "D": "debug", "V": "debug"}
_STARTS_AS_ERROR = re.compile(r"^(?:panic: |fatal error: |Uncaught |(?:[A-Z]\w*)?(?:Error|Exception)(?: \[[\w-]+\])?: )")
_JSON_LEVEL = re.compile(r'"(?:level|levelname|severity|lvl)"\s*:\s*("?\w+"?)', re.IGNORECASE)
_PINO_NUMBERS: dict[int, Level] = {10: "debug", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "error"}
_FAILURE_WORDS = re.compile(
    r"\b(?:cannot start|can't start|could not start|unable to start|failed|failure|fatal)\b", re.IGNORECASE)
_TRACEBACK = "Traceback (most recent call last):"
_NODE_FRAME = re.compile(r"^\s+at \S")


def level_of(text: str) -> Level:
    """The level one line states, or "error" for failure words with no level; "" when unknown."""
    stated = stated_level(text)
    if stated:
        return stated
    return "error" if _FAILURE_WORDS.search(text) else ""


def stated_level(text: str) -> Level:
    """The level the line names in one of the usual spellings; "" when it names none."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        from_json = _json_level(stripped)
        if from_json:
            return from_json
    android = _ANDROID.match(stripped)
    if android:
        return _ANDROID_LEVELS[android.group(1)]
    if _STARTS_AS_ERROR.match(stripped):
        return "error"
    for pattern in _MARKED:
        found = pattern.search(text)
        if found:
            return _WORDS.get(found.group(1).lower(), "")
    return ""


def _json_level(text: str) -> Level:
    found = _JSON_LEVEL.search(text)
    if found is None:
        return ""
    value = found.group(1).strip('"')
    if value.isdigit():
        return _PINO_NUMBERS.get(int(value), "")
    return _WORDS.get(value.lower(), "")


class LevelTracker:
    """Levels of consecutive lines of one log, oldest first: a traceback's frames and its final
    "XyzError: ..." line are errors, and so are the "    at ..." lines under a Node error."""

    def __init__(self) -> None:
        self._in_traceback = False
        self._last: Level = ""

    def level(self, text: str) -> Level:
        self._last = self._next(text)
        return self._last

    def _next(self, text: str) -> Level:
        if text.startswith(_TRACEBACK) or text.endswith(_TRACEBACK):
            self._in_traceback = True
            return "error"
        if self._in_traceback:
            if not text[:1].isspace():  # the final "XyzError: message" line closes it
                self._in_traceback = False
            return "error"
        if self._last == "error" and _NODE_FRAME.match(text):
            return "error"
        return level_of(text)


def at_least(level: Level, wanted: str) -> bool:
    """The filter: "error" keeps errors, "warning" keeps warnings and errors, anything else keeps all."""
    if wanted == "error":
        return level == "error"
    if wanted == "warning":
        return level in ("error", "warning")
    return True

