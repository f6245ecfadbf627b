"""The Logs page's API through the Router, on files written by the real ProgramLog (rotated and
gzipped by it), with the real journal; a link planted in the log folder is never read."""

from __future__ import annotations

import gzip
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from trayapp.config import Config, parse
from trayapp.dashboard import logs_api
from trayapp.dashboard.http import Request, Response, Router
from trayapp.events import EventBus
from trayapp.journal import Journal
from trayapp.logs.capture import ProgramLog
from trayapp.paths import AppPaths, private_dir
from trayapp.status import Status

CONFIG = """
[programs.nanobot]
command = ["nanobot", "gateway"]
"""


class Host:
    """The parts of DashboardHost the Logs API uses, on real files; the rest is never called."""

    def __init__(self, home: Path) -> None:
        self.paths = AppPaths.discover({"TRAYAPP_HOME": str(home)})
        private_dir(self.paths.log_dir)
        private_dir(self.paths.state_dir)
        self.config: Config = parse(CONFIG, environ={"HOME": str(home)})
        self.bus = EventBus()
        self.journal = Journal(self.paths.journal_file, self.bus)
        self.crash_statuses: list[Status] = []

    def statuses(self) -> list[Status]:
        return self.crash_statuses

    def log_file(self, program: str) -> Path:
        return self.paths.program_log(program)


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(tmp_path / "home")


@pytest.fixture
def router(host: Host) -> Router:
    router = Router()
    logs_api.register(router, host)  # type: ignore[arg-type]
    return router


def write_log(host: Host, texts: list[str], stream: str = "stderr") -> None:
    log = ProgramLog(host.log_file("nanobot"), max_size=4_000, keep=20, total_cap=10_000_000)
    for text in texts:
        log.write(stream, text)
    log.close()  # waits for the background compression of every rotated piece


def get(router: Router, path: str, **query: str) -> tuple[int, Any]:
    response = router.dispatch(Request("GET", path, query))
    return response.status, json.loads(response.body) if response.stream is None else response


def streamed(response: Response) -> bytes:
    out: list[bytes] = []
    assert response.stream is not None
    response.stream(out.append, threading.Event())
    return b"".join(out)


def test_pages_reach_back_through_the_gz_files_with_start_and_crash_marks(host: Host, router: Router) -> None:
    host.journal.record("start", "nanobot", pid=4242)
    write_log(host, [f"2026-11-30 14:02:03.120 | INFO     | nanobot.cli:gateway:1 - request {n}" for n in range(200)])
    host.journal.record("exit", "nanobot", code=1, expected=False, uptime=3.0)
    write_log(host, ["Gateway cannot start: No provider is configured"])
    status, page = get(router, "/api/logs", program="nanobot", limit="2000")
    assert status == 200
    assert page["file_count"] > 2 and any(p.name.endswith(".gz") for p in host.paths.log_dir.iterdir())
    texts = [line["text"] for line in page["lines"] if line["mark"] is None]
    assert texts[:1] == ["2026-11-30 14:02:03.120 | INFO     | nanobot.cli:gateway:1 - request 0"]
    assert len(texts) == 201 and page["before"] is None
    marks = [(line["mark"], line["text"]) for line in page["lines"] if line["mark"]]
    assert marks == [("start", "nanobot: started (pid 4242)"), ("crash", "nanobot: crashed (exit 1) after 3s")]
    assert page["lines"][0]["mark"] == "start" and page["lines"][-2]["mark"] == "crash"
    assert page["lines"][-1]["level"] == "error" and page["lines"][1]["level"] == "info"


def test_errors_only_after_a_failed_start_is_not_empty(host: Host, router: Router) -> None:
    write_log(host, ["2026-11-30 14:02:03 | INFO | nanobot | 🐈 Starting…", "Gateway cannot start: no provider"])
    status, page = get(router, "/api/logs", program="nanobot", level="error", stream="stderr")
    assert status == 200
    assert [line["text"] for line in page["lines"]] == ["Gateway cannot start: no provider"]


def test_load_more_with_the_before_cursor(host: Host, router: Router) -> None:
    write_log(host, [f"line {n}" for n in range(300)])
    _, first = get(router, "/api/logs", program="nanobot", limit="100", stream="stderr")
    _, second = get(router, "/api/logs", program="nanobot", limit="100", stream="stderr", before=first["before"])
    assert [line["text"] for line in second["lines"] + first["lines"]] == [f"line {n}" for n in range(100, 300)]


def test_jump_to_the_last_crash(host: Host, router: Router) -> None:
    write_log(host, [f"before {n}" for n in range(50)])
    time.sleep(0.05)  # the crash is later than every line above, by the wall clock the lines carry
    host.journal.record("exit", "nanobot", code=1, expected=False)
    write_log(host, [f"after {n}" for n in range(50)])
    status, page = get(router, "/api/logs", program="nanobot", at="last_crash", limit="20", stream="stderr")
    assert status == 200
    assert [line["text"] for line in page["lines"]] == [f"before {n}" for n in range(40, 50)] + [
        f"after {n}" for n in range(10)]


def test_no_crash_on_record_is_a_404_in_words(host: Host, router: Router) -> None:
    write_log(host, ["hello"])
    status, body = get(router, "/api/logs", program="nanobot", at="last_crash")
    assert status == 404 and body["error"] == "no crash of nanobot is on record"


def test_search_finds_the_line_next_to_the_cat_in_live_and_gz_files(host: Host, router: Router) -> None:
    write_log(host, ["🐈 Starting nanobot… Straße"] + [f"filler {n}" for n in range(200)] + ["🐈 Starting nanobot… again"])
    status, found = get(router, "/api/logs/search", program="nanobot", q="🐈 STARTING")
    assert status == 200 and found["done"] is True
    assert [(m["text"], m["file"].endswith(".gz")) for m in found["matches"]] == [
        ("🐈 Starting nanobot… again", False), ("🐈 Starting nanobot… Straße", True)]
    assert found["took_words"].startswith("searched ") and found["scanned_bytes"] > 0
    _, regex = get(router, "/api/logs/search", program="nanobot", q=r"STRASSE$", regex="1")
    assert [m["text"] for m in regex["matches"]] == ["🐈 Starting nanobot… Straße"]


def test_a_bad_regex_is_a_400_naming_the_problem(host: Host, router: Router) -> None:
    write_log(host, ["hello"])
    status, body = get(router, "/api/logs/search", program="nanobot", q="(unclosed", regex="1")
    assert status == 400 and body["error"].startswith("the regular expression does not work: missing )")
    assert body["fix"]


@pytest.mark.parametrize("program", ["../../etc/passwd", "/etc/passwd", "nanobot.log", "nobody", ""])
def test_a_path_or_an_unknown_program_is_a_404(router: Router, program: str) -> None:
    for path in ("/api/logs", "/api/logs/search", "/api/logs/download", "/api/logs/stream"):
        status, body = get(router, path, program=program, q="root")
        assert status == 404 and "there is no log called" in body["error"], path


def test_a_link_planted_in_the_log_folder_is_never_read(host: Host, router: Router, tmp_path: Path) -> None:
    write_log(host, [f"line {n}" for n in range(100)])
    outside = tmp_path / "outside.gz"
    with gzip.open(outside, "wb") as f:
        f.write(b"2026-11-30T14:00:00.000+00:00 stdout secret-needle from outside\n")
    (host.paths.log_dir / "nanobot.log.9.gz").symlink_to(outside)
    (host.paths.log_dir / "nanobot.log.pending-1").symlink_to(outside)
    _, found = get(router, "/api/logs/search", program="nanobot", q="secret-needle")
    assert found["matches"] == [] and found["done"] is True
    _, page = get(router, "/api/logs", program="nanobot", limit="2000")
    assert not any("secret-needle" in line["text"] for line in page["lines"])
    _, download = get(router, "/api/logs/download", program="nanobot")
    assert b"secret-needle" not in streamed(download)


def test_download_a_time_range_as_a_text_attachment(host: Host, router: Router) -> None:
    write_log(host, [f"line {n}" for n in range(300)])
    status, response = get(router, "/api/logs/download", program="nanobot")
    assert status == 200 and response.content_type.startswith("text/plain")
    assert dict(response.headers)["Content-Disposition"] == 'attachment; filename="nanobot.log"'
    whole = streamed(response).decode().splitlines()
    assert [line.split(" ", 2)[2] for line in whole] == [f"line {n}" for n in range(300)]
    _, page = get(router, "/api/logs", program="nanobot", limit="2000")
    middle = [line["ts"] for line in page["lines"]][100:200]
    _, ranged = get(router, "/api/logs/download", program="nanobot", **{"from": str(middle[0]), "to": str(middle[-1])})
    part = streamed(ranged).decode().splitlines()
    assert part and set(part) <= set(whole) and len(part) < len(whole)


def test_follow_streams_new_lines_from_the_end(host: Host, router: Router) -> None:
    write_log(host, ["old line"])
    _, response = get(router, "/api/logs/stream", program="nanobot")
    out: list[bytes] = []
    stop = threading.Event()
    assert response.stream is not None
    follower = threading.Thread(target=response.stream, args=(out.append, stop))
    follower.start()
    log = ProgramLog(host.log_file("nanobot"))
    deadline = time.monotonic() + 10
    while not out and time.monotonic() < deadline:
        log.write("stderr", "Traceback (most recent call last):")
        time.sleep(0.3)
    stop.set()
    follower.join(5)
    log.close()
    assert not follower.is_alive()
    event = out[0].decode()
    assert event.startswith("event: line\ndata: ") and event.endswith("\n\n")
    data = json.loads(event.split("data: ", 1)[1])
    assert data["text"] == "Traceback (most recent call last):" and data["level"] == "error"
    assert "old line" not in b"".join(out).decode()


@pytest.mark.parametrize("at", ["nan", "inf", "-1", "1e300", "yesterday"])
def test_a_time_that_is_not_one_is_a_400(host: Host, router: Router, at: str) -> None:
    write_log(host, ["hello"])
    status, body = get(router, "/api/logs", program="nanobot", at=at)
    assert status == 400 and body["error"] == f"{at!r} is not a time"
    status, body = get(router, "/api/logs/download", program="nanobot", to=at)
    assert status == 400 and body["error"].startswith("to must be a time in seconds since 1970")


def test_follow_says_so_when_a_link_stands_where_the_log_should_be(host: Host, router: Router, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.log"
    elsewhere.write_text("2026-11-30T14:00:00.000+00:00 stdout not ours\n")
    host.log_file("nanobot").symlink_to(elsewhere)
    _, response = get(router, "/api/logs/stream", program="nanobot")
    event = streamed(response).decode()
    assert event.startswith("event: error\ndata: ") and "not ours" not in event
    assert json.loads(event.split("data: ", 1)[1])["error"].startswith("cannot read ")
