"""Find the part of a program's output that says why it died.

In order of trust: the last Python traceback (with the tracebacks chained to it), the last Node
stack, the last Go panic; else the last lines that read as errors (never INFO or DEBUG lines); else
the last few lines. Lines are cleaned first: ANSI colour codes and control characters stripped,
secrets redacted. The result is capped, so a report stays readable in a notification or a window.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from trayapp.redact import redact

MAX_LINES = 40
MAX_LINE_CHARS = 300
ERROR_LINES = 8  # when there is no traceback: this many of the last error lines
TAIL_LINES = 5  # when nothing reads as an error: the last lines, for the reader to judge

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

_PY_START = "Traceback (most recent call last):"
_PY_CHAIN = ("During handling of the above exception, another exception occurred:",
             "The above exception was the direct cause of the following exception:")
# Frames are indented; loguru's annotated tracebacks mark frames with "> " and box-drawing lines.
_PY_FRAME = re.compile(r"^(?:\s|> |[│└├─])")
_PY_MARGIN = re.compile(r"^\s*[|+]\s")  # inside an exception group (Python 3.11+)
_GROUP_RULE = re.compile(r"^\s*\+-")
_NODE_AT = re.compile(r"^\s+at \S")
_NODE_ERROR = re.compile(r"^(?:Uncaught )?(?:[A-Z]\w*(?:Error|Exception)|Error)(?: \[[\w-]+\])?(?::|$)")
_NODE_CARET = re.compile(r"^\s*\^+\s*$")
_GO_PANIC = re.compile(r"^(?:panic: |fatal error: )")
_GO_STOP = re.compile(r"^(?:exit status \d+|\[process exited)")

_LEVEL = re.compile(r"\b(TRACE|DEBUG|INFO|SUCCESS|NOTICE|WARN|WARNING|ERROR|ERR|CRITICAL|FATAL|PANIC)\b")
_QUIET = {"TRACE", "DEBUG", "INFO", "SUCCESS", "NOTICE"}
_LOUD = {"ERROR", "ERR", "CRITICAL", "FATAL", "PANIC"}
_ERROR_WORDS = re.compile(
    r"\b(?:error|exception|fatal|cannot|can't|could not|couldn't|unable to|failed|failure|denied|refused|"
    r"not found|no such|missing|invalid|unauthori[sz]ed|forbidden|traceback|panic|abort(?:ed)?|killed)\b", re.IGNORECASE)
# Log prefixes that are not the message: loguru "2026-01-01 10:00:00.000 | ERROR    | mod:fn:12 - ",
# nanobot's loguru "2026-01-01 10:00:00 | ERROR | channel | ", logging "ERROR:name:", bracketed
# "[10:00:00] [ERROR] " or "[ERROR] ", pino-pretty (NanoClaw) "[10:00:00.000] FATAL (4242): ",
# "2026-01-01T10:00:00Z ERROR ".
_PREFIXES = (
    re.compile(r"^[^|]*\|\s*[A-Z]+\s*\|\s*[\w.:<>-]+\s+-\s+"),
    re.compile(r"^[^|]*\|\s*[A-Z]+\s*\|[^|]*\|\s*"),
    re.compile(r"^(?:TRACE|DEBUG|INFO|WARNING|ERROR|CRITICAL):[\w.]*:"),
    re.compile(r"^\[[^\]]*\]\s*[A-Z]+\s*(?:\(\d+\))?:\s*"),
    re.compile(r"^(?:\[[^\]]*\]\s*)+"),
    re.compile(r"^\d{4}-\d\d-\d\d[T ][\d:.,]+\S*\s+(?:[A-Z]+\s+)?"),
)


class Kind(enum.StrEnum):
    PYTHON = "python traceback"
    NODE = "node stack"
    GO = "go panic"
    ERRORS = "error lines"
    TAIL = "last lines"
    NONE = "no output"


@dataclass(frozen=True)
class Excerpt:
    kind: Kind
    lines: tuple[str, ...]  # cleaned, redacted, capped
    headline: str  # the exception line, or the message of the last error line

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def strip_ansi(text: str) -> str:
    """`text` without terminal colour and control sequences (CSI, OSC, two-byte escapes)."""
    return _ANSI.sub("", text)


def clean(line: str) -> str:
    """One line as a person should read it: no colour codes or control characters, no secrets."""
    line = redact(_CONTROL.sub("", _ANSI.sub("", line.replace("\t", "    "))).rstrip())  # whole, then cut:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"  # a cut key escapes


def message_of(line: str) -> str:
    """The message of a log line, without its timestamp, level and logger prefix."""
    text = line.strip()
    for prefix in _PREFIXES:
        stripped = prefix.sub("", text, count=1).strip()
        if stripped and stripped != text:
            return stripped
    return text


def find(raw: Sequence[str]) -> Excerpt:
    """The excerpt that best explains the end of this run. `raw`: the run's output lines, in order."""
    return find_in([clean(line) for line in raw])


def find_in(lines: Sequence[str]) -> Excerpt:
    """As `find`, for lines already cleaned."""
    for finder in (_python, _node, _go):
        found = finder(lines)
        if found is not None:
            return found
    return _error_lines(lines)


def _capped(kind: Kind, lines: Sequence[str], headline: str) -> Excerpt:
    """Too long: keep the start (where it was raised from) and the end (what was raised)."""
    kept = list(lines)
    if len(kept) > MAX_LINES:
        head = MAX_LINES // 4
        cut = len(kept) - MAX_LINES + 1
        kept = [*kept[:head], f"… ({cut} lines left out)", *kept[head + cut:]]
    return Excerpt(kind, tuple(kept), headline)


# -- Python -----------------------------------------------------------------------------------------

def _python(lines: Sequence[str]) -> Excerpt | None:
    starts = [i for i, line in enumerate(lines) if line.strip().endswith(_PY_START)]
    if not starts:
        return None
    start = starts[-1]
    margin = _PY_MARGIN.match(lines[start])
    end, headline = _python_end(lines, start, margin.group(0) if margin else "")
    start = _group_start(lines, start) if margin else _python_chain_start(lines, start, starts)
    return _capped(Kind.PYTHON, lines[start:end], headline)


def _python_end(lines: Sequence[str], start: int, margin: str) -> tuple[int, str]:
    """(index after the exception line, the exception line) of the traceback starting at `start`.
    `margin`: the "    | " an exception group draws before each line of a sub-exception."""
    for i in range(start + 1, len(lines)):
        if not lines[i].startswith(margin):
            return i, "the traceback was cut off before its exception line"
        body = lines[i][len(margin):]
        if body.strip() and not _PY_FRAME.match(body):
            return _past_group_rules(lines, i + 1) if margin else i + 1, body.strip()
    return len(lines), "the traceback was cut off before its exception line"


def _past_group_rules(lines: Sequence[str], index: int) -> int:
    """Include the "+------" rules that close an exception group."""
    while index < len(lines) and _GROUP_RULE.match(lines[index]):
        index += 1
    return index


def _group_start(lines: Sequence[str], start: int) -> int:
    """A sub-exception's traceback: start at its exception group's own traceback."""
    found = start
    for i in range(start - 1, -1, -1):
        if not lines[i].lstrip().startswith(("|", "+")):
            break
        if lines[i].strip().endswith("Exception Group " + _PY_START):
            found = i
    return found


def _python_chain_start(lines: Sequence[str], start: int, starts: Sequence[int]) -> int:
    """Walk back over "During handling of the above exception…" to the first traceback of the chain."""
    earlier = [s for s in starts if s < start]
    while earlier:
        before = _previous_text(lines, start)
        if before is None or lines[before].strip() not in _PY_CHAIN:
            break
        start = earlier.pop()
    return start


def _previous_text(lines: Sequence[str], index: int) -> int | None:
    for i in range(index - 1, -1, -1):
        if lines[i].strip():
            return i
    return None


# -- Node -------------------------------------------------------------------------------------------

def _node(lines: Sequence[str]) -> Excerpt | None:
    ats = [i for i, line in enumerate(lines) if _NODE_AT.match(line)]
    if not ats:
        return None
    error = _node_error_line(lines, ats[-1])
    if error is None:
        return None
    start = _node_throw_site(lines, error)
    return _capped(Kind.NODE, lines[start:_node_end(lines, ats[-1])], lines[error].strip())


def _node_error_line(lines: Sequence[str], last_at: int) -> int | None:
    """The "Error: …" line above a stack: back over frames, "Require stack:" and "Emitted…" lines."""
    for i in range(last_at, -1, -1):
        if not lines[i].strip():
            return None
        if _NODE_ERROR.match(lines[i]):
            return i
    return None


def _node_throw_site(lines: Sequence[str], error: int) -> int:
    """Include node's "file:line / code / ^" block above the error when it is there."""
    above = _previous_text(lines, error)
    if above is not None and _NODE_CARET.match(lines[above]) and above >= 2:
        return above - 2
    return error


def _node_end(lines: Sequence[str], last_at: int) -> int:
    """After the stack: the "{ code: … }" block and the "Node.js v20…" line."""
    end = last_at + 1
    while end < len(lines) and lines[end].strip() and not _NODE_AT.match(lines[end]):
        if not (lines[end].startswith((" ", "}"))):
            break
        end += 1
    after = _next_text(lines, end)
    if after is not None and lines[after].startswith("Node.js v"):
        end = after + 1
    return end


def _next_text(lines: Sequence[str], index: int) -> int | None:
    for i in range(index, len(lines)):
        if lines[i].strip():
            return i
    return None


# -- Go ---------------------------------------------------------------------------------------------

def _go(lines: Sequence[str]) -> Excerpt | None:
    panics = [i for i, line in enumerate(lines) if _GO_PANIC.match(line)]
    if not panics:
        return None
    start = panics[-1]
    end = start + 1
    while end < len(lines) and not _GO_STOP.match(lines[end]):
        end += 1
    return _capped(Kind.GO, lines[start:end], lines[start].strip())


# -- plain error lines ------------------------------------------------------------------------------

def is_error_line(line: str) -> bool:
    """True when the line reads as an error: an ERROR/FATAL/CRITICAL level, or error words and no
    quieter level (an INFO line saying "cannot find the cache, creating it" is not an error)."""
    level = _LEVEL.search(line)
    if level is not None and level.group(1) in _LOUD:
        return True
    if level is not None and level.group(1) in _QUIET:
        return False
    return _ERROR_WORDS.search(line) is not None


def _error_lines(lines: Sequence[str]) -> Excerpt:
    errors = [i for i, line in enumerate(lines) if line.strip() and is_error_line(line)]
    if errors:
        kept = [_with_continuation(lines, i) for i in errors[-ERROR_LINES:]]
        return Excerpt(Kind.ERRORS, tuple(kept), message_of(kept[-1]))
    tail = [line for line in lines if line.strip()][-TAIL_LINES:]
    if not tail:
        return Excerpt(Kind.NONE, (), "")
    return Excerpt(Kind.TAIL, tuple(tail), "")


def _with_continuation(lines: Sequence[str], index: int) -> str:
    """The error line joined with the next when a console wrapped one sentence over two lines
    (rich does at 80 columns: "Gateway cannot start: No provider is configured for model" / "'x/y'.")."""
    line = lines[index]
    after = lines[index + 1] if index + 1 < len(lines) else ""
    wrapped = not line.rstrip().endswith((".", ":", "!", "?", ")", "]", "}")) and after.strip()
    if not wrapped or after[0].isspace() or _LEVEL.search(after) or _ERROR_WORDS.search(after):
        return line
    return f"{line.rstrip()} {after.strip()}"
