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

Plain files are read backwards in blocks. A .gz cannot be: it is decompressed forward a block at a
time, keeping only the newest `limit` hits, with the deadline checked between blocks; a search that
runs out of time there hands back a cursor that goes on from that block. Each hit's level is worked
out from the lines before it, so a matched traceback frame is an error as on the Logs page.
"""

from __future__ import annotations

import gzip
import io
import os
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Protocol

from trayapp.i18n import _
from trayapp.logs.levels import LevelTracker
from trayapp.logs.pages import CursorError, LogFile, Row, find, parse_cursor, to_row
from trayapp.paths import open_private

if TYPE_CHECKING:
    import regex

BLOCK = 1 << 20  # as fast as 8 MB blocks here, and a search holds 2 MB at a time, not 16
DEADLINE = 8.0  # seconds one request may search before it returns what it found and a cursor
_MIN_ANCHOR = 3  # bytes: a shorter anchor finds too many lines to decode
CONTEXT = 64  # lines before a hit read for its level: a traceback's frames are errors
CONTEXT_BYTES = 16_384  # and at most this much of them, so a search with many hits stays quick


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
            for _newline in range(text.count("\n", char_at, line_start)):
                byte_at = block.index(b"\n", byte_at) + 1
            char_at = line_start
            found.append(byte_at)
        return found


def matcher(query: str, is_regex: bool) -> Matcher:
    """The fastest correct matcher for a query; QueryError for an empty query or a bad pattern."""
    if not query:
        raise QueryError(_("there is nothing to search for"))
    if is_regex:
        import regex  # only a regular-expression search pays for it (about 1 MiB resident)

        try:
            return PatternMatcher(regex.compile(query, regex.IGNORECASE | regex.FULLCASE | regex.MULTILINE
                                                | regex.VERSION0))
        except regex.error as exc:
            raise QueryError(_("the regular expression does not work: {detail}").format(detail=exc)) from None
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
    """Matching lines newest first, from `cursor` (a line's cursor: lines before it; or where a .gz
    pass stopped) or the end."""
    index, end, resume = 0, None, 0
    if cursor is not None:
        ident, end, resume = _parse(cursor)
        found_at = find(files, ident)
        if found_at is None:  # its file was deleted by the size cap: nothing older is left
            return Found([], 0, True, None, False)
        index = found_at
    progress = _Progress(limit, clock() + deadline, clock, [])
    for i in range(index, len(files)):
        here = i == index
        if files[i].gz:
            _search_gz(files[i], query, end if here else None, resume if here else 0, progress)
        else:
            _search_file(files[i], query, end if here else None, progress)
        if progress.stopped_at is not None:
            break
    done = progress.stopped_at is None
    return Found(progress.rows, progress.scanned, done, progress.stopped_at, progress.timed_out)


def _parse(cursor: str) -> tuple[str, int, int]:
    """(file, end, resume): lines before `end`; in a .gz whose pass stopped at `resume`, the lines
    from `resume` to `end` first ("<line cursor>~<resume>")."""
    line, _, resume = cursor.partition("~")
    ident, end, _rest = parse_cursor(line)
    if not resume:
        return ident, end, 0
    if not resume.isdigit() or int(resume) > end:
        raise CursorError(cursor)
    return ident, end, int(resume)


def _search_file(file: LogFile, query: Matcher, end: int | None, progress: _Progress) -> None:
    for base, block, skip in _blocks_backwards(file, end):
        if progress.left() <= 0 and progress.scanned > 0:  # one block at least: "search on" gets further
            progress.stopped_at, progress.timed_out = _cursor(file, base + len(block)), True
            return
        try:
            hits = query.hits(block, skip, progress.left())
        except TimeoutError:
            progress.stopped_at, progress.timed_out = _cursor(file, base + len(block)), True
            return
        progress.scanned += len(block) - skip
        for start in reversed(hits):
            progress.rows.append(_row(file, base + start, block, start, skip))
            if progress.full():
                progress.stopped_at = progress.rows[-1].cursor
                return


def _search_gz(file: LogFile, query: Matcher, end: int | None, resume: int, progress: _Progress) -> None:
    """A .gz cannot be read backwards: it is streamed forward, keeping only the newest hits. A pass
    over [resume, end) comes first; then, when it found too few, one over what lies before it."""
    stop = (1 << 62) if end is None else end
    while True:
        kept: deque[tuple[int, bytes, bytes]] = deque(maxlen=progress.limit - len(progress.rows))
        stopped = _gz_pass(file, query, (resume, stop), kept, progress)
        if stopped is not None:  # the deadline: go on from there (what it found there is found again)
            progress.stopped_at = _cursor(file, stop) + (f"~{stopped}" if stopped else "")
            progress.timed_out = True
            return
        for offset, line, context in reversed(kept):
            progress.rows.append(_make_row(file, offset, line, context))
            if progress.full():
                progress.stopped_at = progress.rows[-1].cursor
                return
        if resume == 0:
            return
        resume, stop = 0, resume


def _gz_pass(file: LogFile, query: Matcher, span: tuple[int, int], kept: deque[tuple[int, bytes, bytes]],
             progress: _Progress) -> int | None:
    """Hits in span into `kept` (bounded: only the newest stay); where it stopped at the deadline,
    or None when it got to the end of the span. A request searches at least one block before it
    stops, so "search on" always gets further."""
    for base, block in _gz_blocks(file, span):
        if progress.left() <= 0 and (base > span[0] or progress.scanned > 0):
            return base
        try:
            hits = query.hits(block, 0, progress.left())
        except TimeoutError:
            return base
        progress.scanned += len(block)
        for start in hits[-(kept.maxlen or 1):]:  # older hits of the block would drop out of `kept` anyway
            end = block.find(b"\n", start)
            kept.append((base + start, block[start:end], _context(block, start, 0)))
    return None


def _row(file: LogFile, offset: int, block: bytes, start: int, floor: int) -> Row:
    end = block.find(b"\n", start)
    return _make_row(file, offset, block[start:len(block) if end < 0 else end], _context(block, start, floor))


def _context(block: bytes, start: int, floor: int) -> bytes:
    """The lines before block[start] (from `floor` on, at most CONTEXT of them and CONTEXT_BYTES),
    so a traceback frame that matched is an error as on the Logs page."""
    pos = start
    for _line in range(CONTEXT):
        if pos <= max(floor, start - CONTEXT_BYTES):
            break
        pos = max(floor, block.rfind(b"\n", floor, pos - 1) + 1)
    if pos < start - CONTEXT_BYTES:
        pos = block.find(b"\n", start - CONTEXT_BYTES) + 1  # cut at a whole line
    return block[pos:start]


def _make_row(file: LogFile, offset: int, line: bytes, context: bytes) -> Row:
    tracker = LevelTracker()
    for raw in context.split(b"\n")[:-1]:
        to_row(file, 0, raw, tracker)
    return to_row(file, offset, line, tracker)


def _cursor(file: LogFile, offset: int) -> str:
    return f"{file.ident}.{offset}.-1"


def _blocks_backwards(file: LogFile, end: int | None) -> Iterator[tuple[int, bytes, int]]:
    """(offset, bytes, skip) blocks of a plain file before `end`, newest block first: bytes[skip:]
    are whole lines."""
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


def _gz_blocks(file: LogFile, span: tuple[int, int]) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole lines of a .gz within span (uncompressed offsets), oldest first, decompressed
    a block at a time: never more than about two blocks (or one longer line) in memory."""
    with open(open_private(file.path, os.O_RDONLY), "rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as f:
        offset, carry = 0, b""
        while offset < span[1]:
            try:
                chunk = f.read(BLOCK)
            except (EOFError, zlib.error, OSError):
                return  # a damaged .gz: what came before the damage is all there is
            if not chunk:
                return  # a last line without its newline is not a whole line yet
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            block, carry, base = data[:cut], data[cut:], offset
            offset += cut
            if offset > span[0] and cut:
                yield from _within(base, block, span)


def _within(base: int, block: bytes, span: tuple[int, int]) -> Iterator[tuple[int, bytes]]:
    """The whole lines of a block (at `base`) that start within span."""
    low = max(0, span[0] - base)
    if low and block[low - 1:low] != b"\n":  # not at a line's start (a cursor this module did not make)
        low = block.find(b"\n", low) + 1 or len(block)
    high = len(block) if base + len(block) <= span[1] else block.rfind(b"\n", 0, span[1] - base) + 1
    if high > low:
        yield base + low, block[low:high]
