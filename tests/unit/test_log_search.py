"""Server-side log search: bytes fast path and its Unicode fallbacks, .gz files, rotation, regex,
bad regex, the deadline (a fake clock), cursors to go on."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import pytest

from trayapp.logs import search
from trayapp.logs.pages import LogFile, log_files

from .logfolder import write_rotated

WORDS = ["🐈 Starting nanobot gateway…", "Straße gesperrt", "STRASSE frei", "İstanbul şubesi", "istanbul office",
         "Ärger mit dem Modell", "ärger again", "猫が起動しました", "KELVIN 5\u212a", "plain request 7 handled"]


def folder_with(tmp_path: Path, chunks: list[list[str]]) -> tuple[Path, list[LogFile]]:
    live = write_rotated(tmp_path / "logs", chunks)
    return live, log_files(live, live.parent)


def stamped(texts: list[str], start: int = 0) -> list[str]:
    return [f"2026-11-30T14:{(start + i) // 60 % 60:02d}:{(start + i) % 60:02d}.000+00:00 stderr {i + start} {t}"
            for i, t in enumerate(texts)]


def numbers(found: search.Found) -> list[int]:
    return [int(row.text.split(" ", 1)[0]) for row in found.rows]


@pytest.fixture
def log(tmp_path: Path) -> tuple[list[str], list[LogFile]]:
    lines = stamped(WORDS * 3)
    _, files = folder_with(tmp_path, [lines[:10], lines[10:20], lines[20:]])
    return lines, files


@pytest.mark.parametrize("needle", ["🐈 starting", "🐈", "straße", "STRASSE", "ẞ", "ss", "İstanbul", "i̇stanbul",
                                    "istanbul", "ä", "ÄRGER", "猫", "5k", "kelvin 5K", "REQUEST 7", "zzz-not-there"])
def test_finds_exactly_the_lines_whose_casefold_holds_the_needle(log: tuple[list[str], list[LogFile]],
                                                                   needle: str) -> None:
    lines, files = log
    expected = [i for i, line in enumerate(lines) if needle.casefold() in line.split(" ", 3)[3].casefold()
                or needle.casefold() in line.casefold()][::-1]  # newest first
    found = search.search(files, search.matcher(needle, False), limit=1000)
    assert numbers(found) == expected
    assert found.done and found.cursor is None


def test_a_needle_that_bytes_cannot_fold_goes_the_slow_way() -> None:
    assert isinstance(search.matcher("🐈 Starting", False), search.AnchorMatcher)
    assert isinstance(search.matcher("Ärger", False), search.AnchorMatcher)  # "rger" is byte-safe
    for needle in ("ß", "ss", "İ", "sk", "Ä"):
        assert isinstance(search.matcher(needle, False), search.FoldMatcher), needle


def test_results_come_newest_first_across_gz_files_and_name_their_file(log: tuple[list[str], list[LogFile]]) -> None:
    _, files = log
    found = search.search(files, search.matcher("🐈", False), limit=10)
    assert numbers(found) == [20, 10, 0]
    assert [row.file.path.name for row in found.rows] == ["nanobot.log", "nanobot.log.1.gz", "nanobot.log.2.gz"]


def test_a_cursor_goes_on_where_the_limit_stopped(log: tuple[list[str], list[LogFile]]) -> None:
    _, files = log
    query = search.matcher("a", False)
    first = search.search(files, query, limit=4)
    assert not first.done and first.cursor is not None
    rest = search.search(files, query, limit=1000, cursor=first.cursor)
    every = search.search(files, query, limit=1000)
    assert numbers(first) + numbers(rest) == numbers(every)
    assert rest.done


def test_a_cursor_still_works_after_the_log_rotated(tmp_path: Path) -> None:
    lines = stamped(WORDS * 2)
    live, files = folder_with(tmp_path, [lines[:10], lines[10:]])
    first = search.search(files, search.matcher("🐈", False), limit=1)
    assert numbers(first) == [10]
    # rotation: the live file becomes .1.gz (the old .1.gz moves to .2.gz) and a new live file starts
    folder = live.parent
    os.replace(folder / "nanobot.log.1.gz", folder / "nanobot.log.2.gz")
    with gzip.open(folder / "nanobot.log.1.gz", "wb") as f:
        f.write(live.read_bytes())
    os.chmod(folder / "nanobot.log.1.gz", 0o600)
    live.write_text("".join(line + "\n" for line in stamped(["🐈 Starting again"], 40)), encoding="utf-8")
    rest = search.search(log_files(live, folder), search.matcher("🐈", False), limit=10, cursor=first.cursor)
    assert numbers(rest) == [0]


def test_a_regular_expression_case_insensitive(log: tuple[list[str], list[LogFile]]) -> None:
    _, files = log
    found = search.search(files, search.matcher(r"request \d+ HANDLED$", True), limit=100)
    assert numbers(found) == [29, 19, 9]


@pytest.mark.parametrize("pattern", ["(unclosed", "*start", "a{2,1}"])
def test_a_bad_regular_expression_is_refused_in_words(pattern: str) -> None:
    with pytest.raises(search.QueryError, match="the regular expression does not work: "):
        search.matcher(pattern, True)


def test_an_empty_query_is_refused() -> None:
    with pytest.raises(search.QueryError):
        search.matcher("", False)


class SteppingClock:
    """Each look at the clock is a second later: the deadline passes after a set number of looks."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_the_deadline_returns_what_was_found_and_where_to_go_on(log: tuple[list[str], list[LogFile]]) -> None:
    _, files = log
    query = search.matcher("🐈", False)
    found = search.search(files, query, limit=100, clock=SteppingClock(), deadline=2.5)
    assert not found.done and found.timed_out
    assert numbers(found) == [20]  # the live file was searched, then time was up
    assert found.cursor is not None
    rest = search.search(files, query, limit=100, cursor=found.cursor)
    assert numbers(rest) == [10, 0] and rest.done


def test_a_catastrophic_pattern_stops_at_the_deadline(tmp_path: Path) -> None:
    _, files = folder_with(tmp_path, [stamped(["a" * 40 + "!"] * 3)])
    found = search.search(files, search.matcher(r"(a|a)+$", True), limit=10, deadline=0.2)
    assert not found.done and found.timed_out and found.rows == []


@pytest.mark.parametrize("block", [40, 97, 1 << 20])
def test_block_edges_lose_no_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    lines = stamped(WORDS * 4 + ["x" * 300 + " 🐈 a line longer than a block"])
    _, files = folder_with(tmp_path, [lines])
    monkeypatch.setattr(search, "BLOCK", block)
    for needle, is_regex in (("🐈", False), ("ärger", False), ("ss", False), (r"\d+ (?:plain|🐈)", True)):
        found = search.search(files, search.matcher(needle, is_regex), limit=1000)
        want = [n for n, line in enumerate(lines) if needle.casefold() in line.casefold()][::-1]
        if is_regex:
            want = [n for n, line in enumerate(lines) if re.search(needle, line)][::-1]
        assert numbers(found) == want, (needle, block)


def test_a_line_with_two_regex_matches_is_found_once(log: tuple[list[str], list[LogFile]]) -> None:
    _, files = log
    found = search.search(files, search.matcher(r"\d", True), limit=1000)
    assert numbers(found) == list(range(29, -1, -1))


def test_bytes_that_are_not_utf8_do_not_shift_the_lines_found(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir(mode=0o700)
    live = folder / "nanobot.log"
    bad, after = stamped(["bad BYTES bytes", "after it"])
    live.write_bytes(bad.encode().replace(b"BYTES", b"\xff\xfe") + b"\n" + after.encode() + b"\n")
    os.chmod(live, 0o600)
    for query, is_regex in (("after", True), ("after it", False), ("after", False)):
        found = search.search(log_files(live, folder), search.matcher(query, is_regex), limit=10)
        assert [row.text for row in found.rows] == ["1 after it"], query  # not a piece of the line before
