"""Search one program's log on the server: plain text or a regular expression, case-insensitive in
any script (emoji and CJK included), newest first, across the live file and the rotated .gz files.

Speed comes from scanning bytes, not decoded lines. Plain text is folded with str.casefold(); the
longest run of the folded needle whose characters fold from no other character but their ASCII
capital (digits, punctuation, emoji, CJK, most Latin letters) is searched with bytes.find in 1 MB
blocks (after bytes.lower() when it holds letters), and only the lines it hits are decoded and
checked. Letters that other characters fold into ("k" from the Kelvin sign, "s" from "ß" and "ſ",
"i" from "İ") cannot be found that way; a needle made only of those goes the slow way: the block is
decoded and casefolded whole. Regular expressions are matched on decoded blocks by the third-party
`regex` module (Python's syntax, full case folding) because its searches take a timeout: a
catastrophic pattern stops at the request's deadline instead of holding a server thread forever.
"""

from __future__ import annotations

import io
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Protocol

from trayapp.logs.levels import LevelTracker
from trayapp.logs.pages import LogFile, Row, find, lines_from, parse_cursor, to_row
from trayapp.paths import open_private

if TYPE_CHECKING:
    import regex

BLOCK = 1 << 20  # as fast as 8 MB blocks here, and a search holds 2 MB at a time, not 16
DEADLINE = 8.0  # seconds one request may search before it returns what it found and a cursor
_MIN_ANCHOR = 3  # bytes: a shorter anchor finds too many lines to decode


class QueryError(ValueError):
    """A query that cannot be searched for, in words."""


class Matcher(Protocol):
    def hits(self, block: bytes, start: int, timeout: float) -> list[int]:
        """Starts of the lines of block[start:] that match, ascending (`start` saves copying a block
        whose first bytes belong to a line cut in two)."""


@dataclass(frozen=True)
class AnchorMatcher:
    """Finds a case-safe piece of the folded needle with bytes.find; checks the whole needle on the
    lines it finds."""

    folded: str
    anchor: bytes
    lower: bool  # the anchor holds ASCII letters: search block.lower()

    def hits(self, block: bytes, start: int, timeout: float) -> list[int]:
        hay = block.lower() if self.lower else block
        found: list[int] = []
        at = hay.find(self.anchor, start)
        while at >= 0:
            line, end = _line_around(block, at)
            if self.folded in block[line:end].decode("utf-8", "replace").casefold():
                found.append(line)
            at = hay.find(self.anchor, end + 1)
        return found


@dataclass(frozen=True)
class FoldMatcher:
    """The slow way for plain text: decode and casefold whole blocks; split only the blocks that
    hold the needle into lines, to find which lines do."""

    folded: str

    def hits(self, block: bytes, start: int, timeout: float) -> list[int]:
        if self.folded not in block[start:].decode("utf-8", "replace").casefold():
            return []
        found: list[int] = []
        offset = start
        for line in block[start:].split(b"\n"):
            if self.folded in line.decode("utf-8", "replace").casefold():
                found.append(offset)
            offset += len(line) + 1
        return found


@dataclass(frozen=True)
class PatternMatcher:
    """A `regex` pattern over the decoded block (full case folding); raises TimeoutError past `timeout`."""

    pattern: regex.Pattern[str]

    def hits(self, block: bytes, start: int, timeout: float) -> list[int]:
        text = block[start:].decode("utf-8", "replace")
        found: list[int] = []
        char_at, byte_at = 0, start  # the same line start in the text and in the bytes
        for match in self.pattern.finditer(text, timeout=max(0.001, timeout)):
            line_start = text.rfind("\n", 0, match.start()) + 1
            if (found and line_start == char_at) or line_start >= len(text):
                continue  # a second match on a line already found, or the empty end
            # Count newlines, not characters: bytes that are not UTF-8 decode to a U+FFFD of another length.
            for _ in range(text.count("\n", char_at, line_start)):
                byte_at = block.index(b"\n", byte_at) + 1
            char_at = line_start
            found.append(byte_at)
        return found


def matcher(query: str, is_regex: bool) -> Matcher:
    """The fastest correct matcher for a query; QueryError for an empty query or a bad pattern."""
    if not query:
        raise QueryError("there is nothing to search for")
    if is_regex:
        import regex  # only a regular-expression search pays for it (about 1 MiB resident)

        try:
            return PatternMatcher(regex.compile(query, regex.IGNORECASE | regex.FULLCASE | regex.MULTILINE
                                                | regex.VERSION0))
        except regex.error as exc:
            raise QueryError(f"the regular expression does not work: {exc}") from None
    folded = query.casefold()
    anchor = _anchor(folded)
    if len(anchor.encode("utf-8")) >= _MIN_ANCHOR:
        return AnchorMatcher(folded, anchor.encode("utf-8"), any(c.isascii() and c.isalpha() for c in anchor))
    return FoldMatcher(folded)


def _anchor(folded: str) -> str:
    """The longest run of `folded` made of characters bytes.lower() finds exactly."""
    best, run = "", ""
    for char in folded:
        run = run + char if _byte_safe(char) else ""
        if len(run.encode("utf-8")) > len(best.encode("utf-8")):
            best = run
    return best


def _byte_safe(char: str) -> bool:
    """No other character folds into `char` (but its ASCII capital), and none folds into several
    characters that include it (as "ß" -> "ss"), so its bytes find it exactly."""
    if char in _multi_fold_parts():
        return False
    others = _fold_sources().get(char, frozenset())
    return not (others - {char.upper()}) if char.isascii() else not others


@cache
def _fold_sources() -> dict[str, frozenset[str]]:
    """character -> the other single characters that casefold to it ("k" -> {"K", "\u212a"})."""
    sources: dict[str, set[str]] = {}
    for code in range(0x20000):  # no cased letters above this
        char = chr(code)
        folded = char.casefold()
        if folded != char and len(folded) == 1:
            sources.setdefault(folded, set()).add(char)
    return {k: frozenset(v) for k, v in sources.items()}


@cache
def _multi_fold_parts() -> frozenset[str]:
    """Every character that is part of a fold of one character into several ("ß" -> "ss": "s")."""
    return frozenset(c for code in range(0x20000) if len(f := chr(code).casefold()) > 1 for c in f)


def _line_around(block: bytes, at: int) -> tuple[int, int]:
    start = block.rfind(b"\n", 0, at) + 1
    end = block.find(b"\n", at)
    return start, len(block) if end < 0 else end


# -- the search itself ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Found:
    rows: list[Row]  # newest first
    scanned_bytes: int
    done: bool  # False: stopped at the limit or the deadline; `cursor` goes on from there
    cursor: str | None
    timed_out: bool


@dataclass
class _Progress:
    limit: int
    deadline: float
    clock: Callable[[], float]
    rows: list[Row]
    scanned: int = 0
    stopped_at: str | None = None
    timed_out: bool = False

    def left(self) -> float:
        return self.deadline - self.clock()

    def full(self) -> bool:
        return len(self.rows) >= self.limit


def search(files: Sequence[LogFile], query: Matcher, *, limit: int = 200, cursor: str | None = None,
           clock: Callable[[], float] = time.monotonic, deadline: float = DEADLINE) -> Found:
    """Matching lines newest first, from `cursor` (a line's cursor: lines before it) or the end."""
    index, end = 0, None
    if cursor is not None:
        ident, end, _ = parse_cursor(cursor)
        found_at = find(files, ident)
        if found_at is None:  # its file was deleted by the size cap: nothing older is left
            return Found([], 0, True, None, False)
        index = found_at
    progress = _Progress(limit, clock() + deadline, clock, [])
    for i in range(index, len(files)):
        _search_file(files[i], query, end if i == index else None, progress)
        if progress.stopped_at is not None:
            break
    done = progress.stopped_at is None
    return Found(progress.rows, progress.scanned, done, progress.stopped_at, progress.timed_out)


def _search_file(file: LogFile, query: Matcher, end: int | None, progress: _Progress) -> None:
    for base, block, skip in _blocks_backwards(file, end):
        if progress.left() <= 0:
            progress.stopped_at, progress.timed_out = _cursor(file, base + len(block)), True
            return
        try:
            hits = query.hits(block, skip, progress.left())
        except TimeoutError:
            progress.stopped_at, progress.timed_out = _cursor(file, base + len(block)), True
            return
        progress.scanned += len(block) - skip
        for start in reversed(hits):
            progress.rows.append(_row(file, base + start, block, start))
            if progress.full():
                progress.stopped_at = progress.rows[-1].cursor
                return


def _row(file: LogFile, offset: int, block: bytes, start: int) -> Row:
    end = block.find(b"\n", start)
    return to_row(file, offset, block[start:len(block) if end < 0 else end], LevelTracker())


def _cursor(file: LogFile, offset: int) -> str:
    return f"{file.ident}.{offset}.-1"


def _blocks_backwards(file: LogFile, end: int | None) -> Iterator[tuple[int, bytes, int]]:
    """(offset, bytes, skip) blocks before `end`, newest block first: bytes[skip:] are whole lines."""
    if file.gz:
        yield from ((base, block, 0) for base, block in reversed(list(_gz_blocks(file, end))))
        return
    with open(open_private(file.path, os.O_RDONLY), "rb", buffering=0) as f:  # never through a link
        pos = file.end if end is None else min(end, file.end)
        while pos > 0:
            start, data, cut = _whole_lines_before(f, pos)
            yield start, data, cut
            pos = start + cut


def _whole_lines_before(f: io.FileIO, pos: int) -> tuple[int, bytes, int]:
    """A block ending at `pos` and where its first whole line starts; a line longer than a block
    makes the block reach back to that line's start."""
    start = max(0, pos - BLOCK)
    while True:
        f.seek(start)
        data = f.read(pos - start)
        cut = data.find(b"\n") + 1 if start > 0 else 0
        if start == 0 or 0 < cut < len(data):
            return start, data, cut
        start = max(0, start - BLOCK)


def _gz_blocks(file: LogFile, end: int | None) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole lines of a .gz, oldest first, up to `end` (held to hand them back newest first;
    a rotated file is one max_size piece)."""
    lines: deque[bytes] = deque()
    base = size = 0
    for offset, raw in lines_from(file, 0):
        if end is not None and offset >= end:
            break
        if not lines:
            base = offset
        lines.append(raw)
        size += len(raw) + 1
        if size >= BLOCK:
            yield base, b"\n".join(lines) + b"\n"
            lines.clear()
            size = 0
    if lines:
        yield base, b"\n".join(lines) + b"\n"
