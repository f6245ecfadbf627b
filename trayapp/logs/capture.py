"""Child output -> timestamped, tagged, redacted lines in <logs>/<program>.log, rotated and gzipped.

On-disk line format (trayapp.logs.read parses it):

    2026-11-21T23:59:01.123+01:00 stdout the text

local time with milliseconds and UTC offset, the stream tag (stdout | stderr | trayapp), the text.

Speed is the point of the shape of this module. A pump thread reads its pipe in 64 KiB chunks,
never line by line, and frames a whole chunk with C-level bytes operations: one timestamp per chunk
(the time trayapp read it, formatted at most once per millisecond), `replace(b"\\n", b"\\n" + prefix)`
to tag every line, one redaction pre-check per chunk, one write(). So the child never waits on a
full pipe for long, and no line is lost or reordered within its stream.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import sys
import threading
import time
import typing
from collections import deque
from collections.abc import Callable
from pathlib import Path

from trayapp.clock import Clock, SystemClock
from trayapp.logs.rotation import RotatingFile
from trayapp.redact import redact_lines

log = logging.getLogger(__name__)

READ_SIZE = 1 << 16
MAX_LINE = 1 << 16  # longer lines are split; must stay >= READ_SIZE (see _split_long)
_RETRY_DISK = 5.0  # seconds between attempts to write again after a disk error
_F_SETPIPE_SZ = 1031  # Linux: grow the pipe so a fast child runs ahead instead of blocking
_PIPE_SIZE = 1 << 20


class Stamp:
    """Formats wall time as 2026-11-21T23:59:01.123+01:00, at most once per millisecond."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._ms = -1
        self._sec = -1
        self._head = ""
        self._tail = ""
        self.text = ""

    def now(self) -> str:
        t = self._clock()
        ms = int(t * 1000)
        if ms != self._ms:
            self._ms = ms
            sec, frac = divmod(ms, 1000)
            if sec != self._sec:
                self._sec = sec
                lt = time.localtime(sec)
                self._head = time.strftime("%Y-%m-%dT%H:%M:%S", lt)
                self._tail = _offset(lt.tm_gmtoff)
            self.text = f"{self._head}.{frac:03d}{self._tail}"
        return self.text


def _offset(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


class ProgramLog:
    """One program's log file <logs>/<program>.log; thread-safe.

    pump() threads, write() callers and the readers of tail() may all run at once; one lock orders
    the disk writes and the in-memory tail.
    """

    def __init__(self, path: Path, *, max_size: int = 10_000_000, keep: int = 5, total_cap: int = 200_000_000,
                 redact: bool = True, tail_lines: int = 200, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self._file = RotatingFile(self.path, max_size=max_size, keep=keep, total_cap=total_cap)
        self._redact = redact
        self._lock = threading.Lock()
        self._clock = clock or SystemClock()
        self._stamp = Stamp(self._clock.time)
        # Recent output as framed blocks (not lines): the hot path appends one block and counts
        # its newlines; splitting into lines happens only when somebody reads the tail.
        self._tail = _Recent(tail_lines)
        self._tails: dict[str, _Recent] = {}
        self._tail_lines = tail_lines
        self._paused = False
        self._disk_error: str | None = None
        self._retry_at = 0.0
        self._dropped = 0
        self._pumps: list[threading.Thread] = []
        self._detaching = False
        # A wake-up pipe lets detach() stop a pump blocked on its child's pipe (POSIX only).
        self._wake = os.pipe() if os.name == "posix" else None

    def configure(self, max_size: int, keep: int, total_cap: int, redact: bool) -> None:
        """A reload changed [logs]: rotation and redaction apply from the next line on (any thread)."""
        with self._lock:
            self._file.max_size, self._file.keep, self._file.total_cap = max(1, max_size), max(0, keep), total_cap
            self._redact = redact

    # -- producers ---------------------------------------------------------------------------

    def pump(self, stream: str, pipe: typing.IO[bytes], on_line: Callable[[str], None] | None = None) -> threading.Thread:
        """Start a daemon thread that drains `pipe` until EOF, writing each line tagged `stream`.

        on_line (called on the pump thread) gets each redacted line's text. Returns the thread; the
        supervisor joins it after the child exits. The pipe is closed at EOF.
        """
        thread = threading.Thread(target=self._drain, args=(stream, pipe, on_line),
                                  name=f"log {self.path.stem} {stream}", daemon=True)
        self._pumps = [t for t in self._pumps if t.is_alive()] + [thread]
        thread.start()
        return thread

    def detach(self, timeout: float = 2.0) -> None:
        """Stop the pumps without closing their pipes (POSIX): another process (the log keeper)
        takes the pipes over, and no two readers ever share them. A partial line is written out."""
        if self._wake is None:
            return
        self._detaching = True
        os.write(self._wake[1], b"x")
        for pump in self._pumps:
            pump.join(timeout)

    def write(self, stream: str, text: str) -> None:
        """trayapp's own annotation, e.g. write("trayapp", "started pid 123"). Any thread."""
        body = text.rstrip("\n").encode("utf-8", "replace")
        self._emit(stream, _split_long(body.replace(b"\r\n", b"\n")), None)

    # -- readers -----------------------------------------------------------------------------

    def tail(self, n: int = 20, stream: str | None = None) -> list[str]:
        """The last n lines as written to disk (timestamp, tag, text), from memory. Any thread."""
        with self._lock:
            recent = self._tails.get(stream) if stream else self._tail
            lines = recent.lines() if recent is not None else []
        return [b.decode("utf-8", "replace") for b in lines[-n:]] if n > 0 else []

    def last_line(self, stream: str = "stderr") -> str:
        """The text (no timestamp or tag) of the last line of `stream`, or "" if there is none."""
        with self._lock:
            recent = self._tails.get(stream)
            last = recent.last() if recent is not None else b""
        return last.decode("utf-8", "replace").split(" ", 2)[-1] if last else ""

    # -- disk control --------------------------------------------------------------------------

    def pause_disk(self, paused: bool) -> None:
        """Critical disk space: stop writing (the tail stays in memory). On resume, one line tells how
        many lines were dropped. Any thread."""
        with self._lock:
            if paused == self._paused:
                return
            self._paused = paused
            warning = None if paused else self._write_disk(b"", "disk space was critically low")
        if warning:
            log.warning("%s", warning)

    def close(self) -> None:
        """Flush and wait for background compression. Call after the pump threads are joined."""
        with self._lock:  # close the file under the lock, wait for compression outside it:
            wait = self._file.close_file()  # the compressor may log, and logging may land here
            wake, self._wake = self._wake, None
        if wake is not None:
            for fd in wake:
                os.close(fd)
        wait()

    # -- the pump thread -----------------------------------------------------------------------

    def _drain(self, stream: str, pipe: typing.IO[bytes], on_line: Callable[[str], None] | None) -> None:
        """Pump thread: read big chunks until EOF; hand over complete lines, carry the partial one."""
        fd = pipe.fileno()
        _grow_pipe(fd)
        carry = b""
        woken = _wake_watch(fd, self._wake[0] if self._wake is not None else -1)
        try:
            while True:
                if woken():
                    break  # detach(): the log keeper takes the pipe from here on
                try:
                    data = os.read(fd, READ_SIZE)
                except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for old kernels
                    continue
                except OSError as exc:
                    if exc.errno == errno.EBADF:
                        break
                    raise
                if not data:
                    break
                buf = carry + data if carry else data
                cut = buf.rfind(b"\n")
                if cut < 0:
                    carry = self._flush_overlong(stream, buf, on_line)
                    continue
                carry = buf[cut + 1:]
                self._emit(stream, _split_long(buf[:cut]), on_line)
            if carry:
                self._emit(stream, _split_long(carry), on_line)
        except Exception:  # never let the pump die silently: the child would block on a full pipe
            log.exception("log pump for %s %s failed", self.path.name, stream)
            _discard_rest(fd)
        finally:
            if not self._detaching:
                pipe.close()

    def _flush_overlong(self, stream: str, buf: bytes, on_line: Callable[[str], None] | None) -> bytes:
        """A partial line is held until its newline, but never beyond MAX_LINE bytes."""
        *full, rest = _pieces(buf)
        for piece in full:
            self._emit(stream, piece, on_line)
        return rest

    def _emit(self, stream: str, body: bytes, on_line: Callable[[str], None] | None) -> None:
        """Frame a block of complete lines (b"\\n"-separated, no final newline) and record it."""
        if b"\r" in body:
            body = body.replace(b"\r\n", b"\n")
            if body.endswith(b"\r"):
                body = body[:-1]
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            body = body.decode("utf-8", "replace").encode("utf-8")
        if self._redact:
            body = redact_lines(body)
        with self._lock:
            prefix = f"{self._stamp.now()} {stream} ".encode()
            framed = b"".join((prefix, body.replace(b"\n", b"\n" + prefix), b"\n"))  # one copy, not two
            # Every line grew by the prefix: the lengths count the lines, no second pass over the bytes.
            self._remember(stream, framed, (len(framed) - len(body)) // len(prefix))
            warning = self._write_disk(framed, None)
        if warning:
            log.warning("%s", warning)
        if on_line is not None:
            for line in body.decode("utf-8").split("\n"):
                on_line(line)

    def _remember(self, stream: str, framed: bytes, lines: int) -> None:
        """Keep at least the last tail_lines lines (`framed` holds `lines`), overall and per stream.
        Under the lock."""
        self._tail.add(framed, lines)
        per_stream = self._tails.get(stream)
        if per_stream is None:
            per_stream = self._tails[stream] = _Recent(self._tail_lines)
        per_stream.add(framed, lines)

    def _write_disk(self, framed: bytes, resumed_because: str | None) -> str | None:
        """Under the lock. Drops (and counts) lines while paused or while the disk refuses them.
        Returns a warning for the caller to log after releasing the lock, or None."""
        if self._paused or (self._disk_error and self._clock.monotonic() < self._retry_at):
            self._dropped += framed.count(b"\n")
            return None
        reason = resumed_because or self._disk_error
        note = b""
        if self._dropped and reason:
            note = (f"{self._stamp.now()} trayapp dropped {self._dropped} lines while {reason}\n").encode()
        try:
            self._file.write(note + framed)
        except OSError as exc:
            first = self._disk_error is None
            self._disk_error = f"the log could not be written ({exc.strerror or exc})"
            self._retry_at = self._clock.monotonic() + _RETRY_DISK
            self._dropped += framed.count(b"\n")
            # Logged by the caller once the lock is released: trayapp.log goes through a ProgramLog
            # too, and logging from here would take this very lock again.
            return f"cannot write {self.path}: {exc.strerror or exc}; dropping lines for now" if first else None
        self._disk_error = None
        if note:
            self._dropped = 0
        return None


class _Recent:
    """The newest framed blocks holding at least `keep` lines. Not thread-safe: callers lock."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._blocks: deque[tuple[bytes, int]] = deque()
        self._count = 0

    def add(self, framed: bytes, n: int) -> None:
        """`n`: the newlines in `framed` (the caller counts once for every _Recent)."""
        self._blocks.append((framed, n))
        self._count += n
        while self._blocks and self._count - self._blocks[0][1] >= self.keep:
            self._count -= self._blocks.popleft()[1]

    def lines(self) -> list[bytes]:
        return b"".join(b for b, _ in self._blocks).split(b"\n")[:-1][-self.keep:] if self.keep else []

    def last(self) -> bytes:
        if not self._blocks:
            return b""
        block = self._blocks[-1][0]
        return block[block.rfind(b"\n", 0, len(block) - 1) + 1:-1]


def _split_long(body: bytes) -> bytes:
    """Cut lines longer than MAX_LINE into MAX_LINE pieces.

    The pump's bodies are at most 2 * MAX_LINE bytes (carry <= MAX_LINE plus one read), so a line
    longer than MAX_LINE would have to cover the middle byte: checking that one line is enough.
    """
    if len(body) <= MAX_LINE:
        return body
    if len(body) > 2 * MAX_LINE:  # write() text can be any length: go line by line
        return b"\n".join(b"\n".join(_pieces(line)) for line in body.split(b"\n"))
    mid = len(body) // 2
    start = body.rfind(b"\n", 0, mid) + 1
    end = body.find(b"\n", mid)
    end = len(body) if end < 0 else end
    if end - start <= MAX_LINE:
        return body
    return body[:start] + b"\n".join(_pieces(body[start:end])) + body[end:]


def _pieces(line: bytes) -> list[bytes]:
    pieces = []
    while len(line) > MAX_LINE:
        cut = _utf8_cut(line, MAX_LINE)
        pieces.append(line[:cut])
        line = line[cut:]
    pieces.append(line)
    return pieces


def _utf8_cut(data: bytes, limit: int) -> int:
    """An index <= limit that does not split a UTF-8 character (falls back to limit)."""
    cut = limit
    while cut > limit - 4 and cut > 0 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return cut if cut > limit - 4 and cut > 0 else limit


def _wake_watch(fd: int, wake: int) -> Callable[[], bool]:
    """A function that blocks until `fd` or `wake` is readable and tells whether `wake` was."""
    if sys.platform == "win32" or wake < 0:
        return lambda: False  # no wake-up pipe: detach() is POSIX only
    poller = select.poll()  # poll, not select: any fd number works
    poller.register(fd, select.POLLIN)
    poller.register(wake, select.POLLIN)
    return lambda: any(ready == wake for ready, _ in poller.poll())


def _grow_pipe(fd: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            import fcntl

            fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_SIZE)
        except OSError:
            pass  # not a pipe, or over /proc/sys/fs/pipe-max-size: the default 64 KiB works too


def _discard_rest(fd: int) -> None:
    """Last resort after a bug in the pump: keep the child unblocked by reading and dropping."""
    try:
        while os.read(fd, READ_SIZE):
            pass
    except OSError:
        pass


# -- trayapp's own log ------------------------------------------------------------------------

class ProgramLogHandler(logging.Handler):
    """A logging handler writing `LEVEL logger: message` lines, tagged trayapp, through a ProgramLog."""

    def __init__(self, program_log: ProgramLog, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.program_log = program_log
        self._inside = threading.local()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._inside, "active", False):
            return  # logged while writing trayapp.log itself (a full disk, say): drop it, never deadlock
        self._inside.active = True
        try:
            self.program_log.write("trayapp", self.format(record))
        except Exception:  # a logging handler must never raise into the caller
            self.handleError(record)
        finally:
            self._inside.active = False

    def close(self) -> None:
        self.program_log.close()
        super().close()


_installed: ProgramLogHandler | None = None


def setup_trayapp_logging(path: Path, *, level: int = logging.INFO, max_size: int = 10_000_000, keep: int = 5,
                          redact: bool = True, total_cap: int = 200_000_000) -> None:
    """Send the `trayapp` logger to `path` (trayapp.log), rotated and redacted like program logs.

    Calling it again replaces the previous handler (e.g. after a config reload).
    """
    global _installed
    logger = logging.getLogger("trayapp")
    if _installed is not None:
        logger.removeHandler(_installed)
        _installed.close()
    _installed = ProgramLogHandler(ProgramLog(path, max_size=max_size, keep=keep, total_cap=total_cap,
                                              redact=redact, tail_lines=50), level)
    logger.addHandler(_installed)
    logger.setLevel(level)


def pause_trayapp_log(paused: bool) -> None:
    """Critical disk: trayapp's own log stops writing too, and says what it dropped afterwards."""
    if _installed is not None:
        _installed.program_log.pause_disk(paused)
