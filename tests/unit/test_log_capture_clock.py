"""ProgramLog schedules its retries on the injected clock, not on the real one."""

from __future__ import annotations

from pathlib import Path

from trayapp.logs.capture import ProgramLog
from tests.fakes import FakeClock


def test_after_a_write_error_the_retry_waits_for_the_injected_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    log = tmp_path / "p.log"
    log.mkdir()  # the file cannot be opened: every write fails until the folder goes away
    plog = ProgramLog(log, clock=clock)
    plog.write("stdout", "lost 1")
    log.rmdir()
    clock.advance(1.0)
    plog.write("stdout", "lost 2")  # still inside the retry pause: dropped without trying
    assert not log.exists()
    clock.advance(10.0)
    plog.write("stdout", "kept")
    plog.close()
    lines = log.read_text().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "dropped 2 lines while the log could not be written (Is a directory)", "kept"]
