"""The Logs page's API: pages (load more, tail, jump to a time or the last crash) with journal
marks, server-side search, download of a range, and a live follow stream.

A request names a program (a configured one, or "trayapp" for trayapp.log), never a path; every
file read is a regular file directly inside the log folder (trayapp.logs.pages.log_files).

    GET /api/logs?program=X[&before=C | &after=C | &at=EPOCH|last_crash][&limit=N][&stream=][&level=]
        -> {"lines": [line], "before": C|null, "after": C|null, "file_count": n}
        line = {"cursor", "ts", "time", "stream", "level", "text", "mark": null|"start"|"exit"|"crash"}
        A filtered page looks at up to 200,000 lines: few or no lines with a `before` cursor means
        "nothing more matched in that stretch; ask again with it". `before` is null at the log's start.
    GET /api/logs/search?program=X&q=...[&regex=1][&limit=200][&cursor=C]
        -> {"matches": [line + "file"], "scanned_bytes", "done", "cursor", "took_words"}
    GET /api/logs/download?program=X[&from=EPOCH][&to=EPOCH] -> text/plain attachment, streamed
    GET /api/logs/stream?program=X -> server-sent `line` events (a line as above), from now on;
        one `error` event ({"error", "fix"}) when the log file cannot be read
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from trayapp import journal
from trayapp.dashboard.dates import time_words as time_label
from trayapp.dashboard.host import DashboardHost
from trayapp.errors import TrayAppError
from trayapp.dashboard.http import EVENT_STREAM, TEXT, HttpError, Request, Response, Router, Write
from trayapp.i18n import _
from trayapp.logs import search as finder
from trayapp.logs.levels import LevelTracker, at_least
from trayapp.logs.pages import (
    CursorError,
    LogFile,
    Page,
    Row,
    lines_from,
    log_files,
    page_after,
    page_around,
    page_before,
    seek_time,
)
from trayapp.logs.read import follow, parse_line
from trayapp.units import format_size, format_took

MAX_LIMIT = 2000
_MARKS = {"start": "start", "restart": "start", "exit": "exit", "crash": "crash", "gave_up": "crash"}
_KEEPALIVE = 15.0  # seconds of quiet before the follow stream sends a comment (finds a gone client)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def register(router: Router, host: DashboardHost) -> None:
    """Adds /api/logs, /api/logs/search, /api/logs/download and /api/logs/stream."""
    router.get("/api/logs", lambda request: _page(host, request))
    router.get("/api/logs/search", lambda request: _search(host, request))
    router.get("/api/logs/download", lambda request: _download(host, request))
    router.get("/api/logs/stream", lambda request: _stream(host, request))


# -- which files -----------------------------------------------------------------------------------

def _program(host: DashboardHost, request: Request) -> str:
    name = request.arg("program")
    if name != "trayapp" and name not in host.config.programs:
        known = ", ".join(["trayapp", *host.config.programs])
        raise HttpError(404, _("there is no log called {name}").format(name=repr(name[:60])),
                        _("ask for one of: {names}").format(names=known))
    return name


def _live_file(host: DashboardHost, program: str) -> Path:
    path = host.paths.trayapp_log if program == "trayapp" else host.log_file(program)
    if path.parent.resolve() != host.paths.log_dir.resolve():
        raise HttpError(404, _("the log of {program} is not in trayapp's log folder").format(program=program),
                        _("trayapp only shows files in {folder}").format(folder=host.paths.log_dir))
    return path


def _files(host: DashboardHost, program: str) -> list[LogFile]:
    return log_files(_live_file(host, program), host.paths.log_dir)


# -- pages -----------------------------------------------------------------------------------------

def _page(host: DashboardHost, request: Request) -> Response:
    program = _program(host, request)
    files = _files(host, program)
    limit = request.int_arg("limit", 500, 1, MAX_LIMIT)
    keep = _filter(request.arg("stream"), request.arg("level"))
    try:
        page = _read_page(host, program, files, request, limit, keep)
    except CursorError:
        raise HttpError(400, _("that position in the log is not one this page gave out"),
                        _("reload the page to start from the end of the log")) from None
    now = time.time()
    lines = merge_marks([line_json(row, now) for row in page.rows],
                        marks(host, program, page.low, page.high, now) if _marks_wanted(request) else [])
    return Response.json({"lines": lines, "before": page.before, "after": page.after, "file_count": len(files)})


def _read_page(host: DashboardHost, program: str, files: Sequence[LogFile], request: Request, limit: int,
               keep: Callable[[Row], bool]) -> Page:
    at = request.arg("at")
    if at:
        return page_around(files, _when(host, program, at), limit, keep)
    after = request.arg("after")
    if after:
        return page_after(files, after, limit, keep)
    return page_before(files, request.arg("before") or None, limit, keep)


def _marks_wanted(request: Request) -> bool:
    return request.arg("stream") in ("", "trayapp")


def _filter(stream: str, level: str) -> Callable[[Row], bool]:
    if stream not in ("", "stdout", "stderr", "trayapp"):
        raise HttpError(400, _("there is no stream called {name}").format(name=repr(stream[:40])),
                        _("use stdout, stderr or leave it out"))
    if level not in ("", "error", "warning"):
        raise HttpError(400, _("there is no level filter called {name}").format(name=repr(level[:40])),
                        _("use error, warning or leave it out"))
    return lambda row: (not stream or row.stream == stream) and at_least(row.level, level)


def _when(host: DashboardHost, program: str, at: str) -> float:
    if at == "last_crash":
        return _last_crash(host, program)
    when = _epoch(at)
    if when is None:
        raise HttpError(400, _("{value} is not a time").format(value=repr(at[:40])),
                        _("give seconds since 1970, or last_crash"))
    return when


def _last_crash(host: DashboardHost, program: str) -> float:
    for status in host.statuses():
        if status.program == program and status.last_crash is not None and status.last_crash.when:
            return status.last_crash.when
    for entry in reversed(journal.read(host.journal.path, program=program)):
        if entry.get("program") == program and _is_crash(entry):
            when = _entry_time(entry)
            if when is not None:
                return when
    raise HttpError(404, _("no crash of {program} is on record").format(program=program),
                    _("the page shows the end of the log instead"))


def _is_crash(entry: Mapping[str, Any]) -> bool:
    return entry.get("event") == "crash" or (entry.get("event") == "exit" and entry.get("expected") is False)


def line_json(row: Row, now: float) -> dict[str, Any]:
    return {"cursor": row.cursor, "ts": row.ts, "time": "" if row.ts is None else time_label(row.ts, now),
            "stream": row.stream, "level": row.level, "text": row.text, "mark": None}


# -- journal marks ---------------------------------------------------------------------------------

def marks(host: DashboardHost, program: str, low: float | None, high: float | None, now: float) -> list[dict[str, Any]]:
    """Starts, exits and crashes of `program` from the journal with low <= time < high (None: open)."""
    names = {key: p.display_name for key, p in host.config.programs.items()}
    found = []
    for entry in journal.read(host.journal.path, program=program):
        kind = mark_kind(entry)
        when = _entry_time(entry)
        if kind is None or when is None or entry.get("program") != program:
            continue
        if (low is None or when >= low) and (high is None or when < high):
            found.append(mark_json(kind, when, journal.describe(entry, names), now))
    return found


def mark_kind(entry: Mapping[str, Any]) -> str | None:
    """"start" | "exit" | "crash" for the journal kinds a log marks; an unexpected exit that was not
    a clean exit 0 (a signal, a code, or a service that went down) is a crash."""
    kind = _MARKS.get(str(entry.get("event")))
    if kind == "exit" and entry.get("expected") is False and entry.get("code") != 0:
        return "crash"
    return kind


def _entry_time(entry: Mapping[str, Any]) -> float | None:
    raw = entry.get("ts")
    try:
        return datetime.fromisoformat(raw).timestamp() if isinstance(raw, str) else None
    except ValueError:
        return None


def mark_json(kind: str, when: float, sentence: str, now: float) -> dict[str, Any]:
    return {"cursor": None, "ts": when, "time": time_label(when, now), "stream": "trayapp",
            "level": "error" if kind == "crash" else "info", "text": sentence, "mark": kind}


def merge_marks(lines: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines and marks in time order; a mark goes before the first line written after it, and a
    line without a time keeps its place after the line before it."""
    pending = sorted(found, key=lambda mark: mark["ts"])
    merged: list[dict[str, Any]] = []
    for line in lines:
        while pending and line["ts"] is not None and pending[0]["ts"] <= line["ts"]:
            merged.append(pending.pop(0))
        merged.append(line)
    return merged + pending


# -- search ----------------------------------------------------------------------------------------

def _search(host: DashboardHost, request: Request) -> Response:
    program = _program(host, request)
    files = _files(host, program)
    try:
        query = finder.matcher(request.arg("q"), request.flag("regex"))
    except finder.QueryError as exc:
        raise HttpError(400, str(exc), _("change the search and try again")) from None
    began = time.monotonic()
    try:
        found = finder.search(files, query, limit=request.int_arg("limit", 200, 1, MAX_LIMIT),
                              cursor=request.arg("cursor") or None)
    except CursorError:
        raise HttpError(400, _("that place to go on searching from is not one this page gave out"),
                        _("start the search again")) from None
    now = time.time()
    matches = [{**line_json(row, now), "file": row.file.path.name} for row in found.rows]
    return Response.json({"matches": matches, "scanned_bytes": found.scanned_bytes, "done": found.done,
                          "cursor": found.cursor, "took_words": _took(time.monotonic() - began, found)})


def _took(seconds: float, found: finder.Found) -> str:
    size, took = format_size(found.scanned_bytes), format_took(seconds)
    if found.timed_out:
        return _("searched {size} in {took}; stopped there to stay quick — search on to go further").format(
            size=size, took=took)
    return _("searched {size} in {took}").format(size=size, took=took)


# -- download --------------------------------------------------------------------------------------

def _download(host: DashboardHost, request: Request) -> Response:
    program = _program(host, request)
    files = _files(host, program)
    low, high = _time_arg(request, "from"), _time_arg(request, "to")
    name = _SAFE_NAME.sub("-", program) or "log"
    headers = (("Content-Disposition", f'attachment; filename="{name}.log"'),)
    return Response(200, b"", TEXT, headers, lambda write, stop: send_range(files, low, high, write, stop))


def _time_arg(request: Request, name: str) -> float | None:
    raw = request.arg(name)
    if not raw:
        return None
    when = _epoch(raw)
    if when is None:
        raise HttpError(400, _("{name} must be a time in seconds since 1970, not {value}").format(
            name=name, value=repr(raw[:40])))
    return when


def _epoch(raw: str) -> float | None:
    """Seconds since 1970 between 1970 and the year 5000; None for anything else (nan, inf, words)."""
    try:
        when = float(raw)
    except ValueError:
        return None
    return when if 0 <= when <= 95_617_584_000 else None


def send_range(files: Sequence[LogFile], low: float | None, high: float | None, write: Write,
               stop: threading.Event) -> None:
    """Every line with low <= time <= high (None: open), oldest first, in 64 KiB writes."""
    batch: list[bytes] = []
    size = 0
    for raw in lines_in_range(files, low, high):
        batch.append(raw + b"\n")
        size += len(raw) + 1
        if size >= 1 << 16:
            if stop.is_set():
                return
            write(b"".join(batch))
            batch, size = [], 0
    if batch:
        write(b"".join(batch))


def lines_in_range(files: Sequence[LogFile], low: float | None, high: float | None) -> Iterator[bytes]:
    """The raw lines from the first at or after `low` to the last at or before `high`, across files."""
    if not files:
        return
    index, offset = seek_time(files, low) if low is not None else (len(files) - 1, 0)
    for i in range(index, -1, -1):
        for _start, raw in lines_from(files[i], offset if i == index else 0):
            parsed = parse_line(raw[:64].decode("utf-8", "replace") + " ")
            if high is not None and parsed is not None and parsed.time.timestamp() > high:
                return
            yield raw


# -- follow ----------------------------------------------------------------------------------------

def _stream(host: DashboardHost, request: Request) -> Response:
    path = _live_file(host, _program(host, request))
    return Response(200, b"", EVENT_STREAM, (),
                    lambda write, stop: send_follow(path, write, stop))


class _Until(threading.Event):
    """Set when the server stops or the client has gone. follow() waits on it between looks at a
    quiet file; after _KEEPALIVE seconds of quiet it sends a comment, the only way to see a client
    that left while nothing was written. Runs on the request's thread only."""

    def __init__(self, server_stop: threading.Event, write: Write) -> None:
        super().__init__()
        self._server_stop, self._write = server_stop, write
        self._quiet = 0.0

    def is_set(self) -> bool:
        return super().is_set() or self._server_stop.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        step = 0.25 if timeout is None else timeout
        self._server_stop.wait(step)
        self._quiet += step
        if self._quiet >= _KEEPALIVE:
            self.send(b": still here\n\n")
        return self.is_set()

    def send(self, data: bytes) -> None:
        self._quiet = 0.0
        try:
            self._write(data)
        except OSError:
            self.set()


def send_follow(path: Path, write: Write, stop: threading.Event) -> None:
    """SSE `line` events for every line added to the log from now on, across rotation."""
    until = _Until(stop, write)
    try:
        _follow_lines(path, until)
    except TrayAppError as exc:  # a link or a foreign file where the log should be
        problem = {"error": exc.message, "fix": exc.fix or ""}
        until.send(f"event: error\ndata: {json.dumps(problem, ensure_ascii=False)}\n\n".encode("utf-8"))


def _follow_lines(path: Path, until: _Until) -> None:
    tracker = LevelTracker()
    for line in follow(path, until):
        parsed = parse_line(line)
        ts = parsed.time.timestamp() if parsed is not None else None
        text = parsed.text if parsed is not None else line
        data = {"cursor": None, "ts": ts, "time": "" if ts is None else time_label(ts, time.time()),
                "stream": parsed.stream if parsed is not None else "", "level": tracker.level(text),
                "text": text, "mark": None}
        until.send(f"event: line\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode("utf-8"))
        if until.is_set():
            return
