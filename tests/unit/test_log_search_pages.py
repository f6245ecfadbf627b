"""Pages of one log for the dashboard: cursors across rotation, filters, jumping to a time, marks."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import pytest

from trayapp.dashboard.logs_api import mark_kind, merge_marks
from trayapp.logs import pages
from trayapp.logs.pages import LogFile, Row, log_files, page_after, page_around, page_before, parse_cursor

from .logfolder import write_rotated

BASE = 1_764_511_200.0  # 2026-11-30 14:00:00 UTC


def stamp(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}+00:00"


def lines_for(numbers: range, text: str = "line") -> list[str]:
    return [f"{stamp(BASE + n)} {'stderr' if n % 2 else 'stdout'} {n} {text}" for n in numbers]


def numbers(rows: list[Row]) -> list[int]:
    return [int(row.text.split(" ", 1)[0]) for row in rows]


def everything(row: Row) -> bool:
    return True


@pytest.fixture
def files(tmp_path: Path) -> list[LogFile]:
    live = write_rotated(tmp_path / "logs", [lines_for(range(0, 100)), lines_for(range(100, 200)), lines_for(range(200, 300))])
    return log_files(live, tmp_path / "logs")


def test_the_files_oldest_last_and_only_regular_files_in_the_folder(tmp_path: Path) -> None:
    live = write_rotated(tmp_path / "logs", [lines_for(range(3)), lines_for(range(3, 6))])
    secret = tmp_path / "secret.txt"
    secret.write_text("2026-11-30T14:00:00.000+00:00 stdout password\n")
    (tmp_path / "logs" / "nanobot.log.2.gz").symlink_to(secret)
    found = log_files(live, tmp_path / "logs")
    assert [f.path.name for f in found] == ["nanobot.log", "nanobot.log.1.gz"]


def test_load_more_walks_back_through_every_file_without_a_gap(files: list[LogFile]) -> None:
    seen: list[int] = []
    cursor: str | None = None
    while True:
        page = page_before(files, cursor, 70, everything)
        seen = numbers(page.rows) + seen
        if page.before is None:
            break
        cursor = page.before
    assert seen == list(range(300))


def test_filters_keep_a_stream_and_say_where_to_go_on(files: list[LogFile]) -> None:
    page = page_before(files, None, 5, lambda row: row.stream == "stderr")
    assert numbers(page.rows) == [291, 293, 295, 297, 299]
    assert page.before is not None and parse_cursor(page.before)[1] >= 0


def test_a_traceback_level_carries_from_one_chunk_into_the_next(tmp_path: Path) -> None:
    total = pages.CHUNK + 164  # the newest chunk starts at line 100 and 100..163 is its context (CONTEXT = 64)
    body = [f"{stamp(BASE + n)} stderr {n} | INFO | ready" for n in range(total)]
    body[150] = f"{stamp(BASE + 150)} stderr Traceback (most recent call last):"
    for n in range(151, 201):
        body[n] = f'{stamp(BASE + n)} stderr   File "x.py", line {n}, in f'
    body[201] = f"{stamp(BASE + 201)} stderr RuntimeError: boom"
    live = write_rotated(tmp_path / "logs", [body])
    page = page_before(log_files(live, tmp_path / "logs"), None, 600, lambda row: row.level == "error")
    assert [row.offset for row in page.rows] == [len("".join(b + "\n" for b in body[:n])) for n in range(150, 202)]


def test_a_cursor_into_a_file_that_rotated_away_is_the_start_not_an_error(files: list[LogFile]) -> None:
    oldest = page_before(files, None, 250, everything)
    assert oldest.before is not None and oldest.before.startswith(files[2].ident)
    gone = [files[0], files[1]]  # the size cap deleted .2.gz
    page = page_before(gone, oldest.before, 50, everything)
    assert page.rows == [] and page.before is None


def test_a_cursor_stays_valid_when_the_live_file_is_rotated(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    live = write_rotated(folder, [lines_for(range(0, 50)), lines_for(range(50, 100))])
    first = page_before(log_files(live, folder), None, 20, everything)
    assert first.before is not None
    os.replace(folder / "nanobot.log.1.gz", folder / "nanobot.log.2.gz")
    with gzip.open(folder / "nanobot.log.1.gz", "wb") as f:
        f.write(live.read_bytes())
    live.write_text("".join(line + "\n" for line in lines_for(range(100, 110))))
    for path in folder.iterdir():
        os.chmod(path, 0o600)
    page = page_before(log_files(live, folder), first.before, 20, everything)
    assert numbers(page.rows) == list(range(60, 80))


def test_a_cursor_this_module_did_not_make_is_refused(files: list[LogFile]) -> None:
    for bad in ("", "x", "../../etc/passwd", "0123456789abcdef.-5.0", "0123456789abcdef.1"):
        with pytest.raises(pages.CursorError):
            page_before(files, bad, 10, everything)


def test_reading_forward_goes_into_newer_files(files: list[LogFile]) -> None:
    older = page_before(files, None, 210, everything)
    assert older.before is not None
    page = page_after(files, older.before, 30, everything)
    assert numbers(page.rows) == list(range(90, 120))  # `before` is the oldest line shown: from it on
    assert page.after is not None and numbers(page_after(files, page.after, 2, everything).rows) == [120, 121]


@pytest.mark.parametrize(("at", "first_after"), [(BASE + 150.5, 151), (BASE + 10, 10), (BASE + 299, 299)])
def test_jump_to_a_time_gives_the_lines_around_it(files: list[LogFile], at: float, first_after: int) -> None:
    page = page_around(files, at, 20, everything)
    got = numbers(page.rows)
    assert first_after in got
    assert got == sorted(got) and got == list(range(got[0], got[0] + len(got)))
    assert [n for n in got if n < first_after] == list(range(max(0, first_after - 10), first_after))


def test_jump_to_a_time_halves_a_big_live_file(tmp_path: Path) -> None:
    live = write_rotated(tmp_path / "logs", [lines_for(range(20_000), "x" * 40)])  # about 1.4 MB: many blocks
    files = log_files(live, tmp_path / "logs")
    assert pages.seek_time(files, BASE + 12_345)[1] == live.read_bytes().index(f" {12_345} x".encode()) - 36


def test_marks_go_before_the_first_line_written_after_them() -> None:
    lines = [{"ts": 10.0, "text": "a"}, {"ts": None, "text": "b"}, {"ts": 20.0, "text": "c"}]
    marks = [{"ts": 15.0, "text": "crash"}, {"ts": 5.0, "text": "start"}, {"ts": 25.0, "text": "exit"}]
    merged = merge_marks(lines, marks)  # type: ignore[arg-type]
    assert [item["text"] for item in merged] == ["start", "a", "b", "crash", "c", "exit"]


def test_time_labels_say_the_day_only_when_it_is_not_today() -> None:
    now = time.mktime((2026, 11, 30, 15, 0, 0, 0, 0, -1))
    assert pages.time_label(time.mktime((2026, 11, 30, 14, 2, 3, 0, 0, -1)), now) == "14:02:03"
    assert pages.time_label(time.mktime((2026, 11, 29, 14, 2, 3, 0, 0, -1)), now) == "Nov 29 14:02:03"


@pytest.mark.parametrize(("entry", "kind"), [
    ({"event": "start", "pid": 1}, "start"), ({"event": "restart"}, "start"),
    ({"event": "exit", "code": 0, "expected": True}, "exit"), ({"event": "exit", "code": 0, "expected": False}, "exit"),
    ({"event": "exit", "code": 1, "expected": False}, "crash"), ({"event": "exit", "signal": 9, "expected": False}, "crash"),
    ({"event": "exit", "signal": 15, "expected": True}, "exit"), ({"event": "crash", "exit": "exit 1"}, "crash"),
    ({"event": "gave_up"}, "crash"), ({"event": "backup"}, None), ({"event": "health"}, None),
])
def test_which_journal_entries_mark_the_log(entry: dict[str, object], kind: str | None) -> None:
    assert mark_kind(entry) == kind


def test_a_damaged_gz_gives_what_it_holds_before_the_damage(tmp_path: Path) -> None:
    live = write_rotated(tmp_path / "logs", [lines_for(range(0, 2000)), lines_for(range(2000, 2010))])
    damaged = tmp_path / "logs" / "nanobot.log.1.gz"
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])  # cut in the middle: the end of the stream is missing
    page = page_before(log_files(live, tmp_path / "logs"), None, 5000, everything)
    got = numbers(page.rows)
    assert got[-10:] == list(range(2000, 2010)) and 0 < len(got) - 10 < 2000 and got[:1] == [0]


def test_a_file_listed_twice_while_it_is_compressed_is_read_once(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    live = write_rotated(folder, [lines_for(range(0, 5)), lines_for(range(5, 10))])
    with gzip.open(folder / "nanobot.log.1.gz", "rb") as f:
        (folder / "nanobot.log.pending-1").write_bytes(f.read())
    os.chmod(folder / "nanobot.log.pending-1", 0o600)
    assert numbers(page_before(log_files(live, folder), None, 100, everything).rows) == list(range(10))
