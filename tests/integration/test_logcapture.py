"""Capturing real children's output: every line, in order, tagged, rotated, gzipped, capped, redacted."""

from __future__ import annotations

import gzip
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from trayapp.logs import capture as logcapture
from trayapp.logs.capture import MAX_LINE, ProgramLog, setup_trayapp_logging
from trayapp.logs.read import open_any, parse_line, rotated_files

pytestmark = pytest.mark.slow

SECRET = "sk-ant-api03-" + "Zq9_" * 20


def run_child(plog: ProgramLog, code: str, *, on_line=None, timeout: float = 120) -> int:
    """Spawn `python -c code` with both pipes captured by plog; wait for it and for the pumps."""
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pumps = [plog.pump("stdout", child.stdout, on_line), plog.pump("stderr", child.stderr, on_line)]
    code_ = child.wait(timeout=timeout)  # a blocked child (full pipe) would time out here
    for pump in pumps:
        pump.join(timeout=timeout)
        assert not pump.is_alive()
    return code_


def all_lines(log: Path) -> list[str]:
    """Every line of the log, oldest file first, without newlines."""
    lines: list[str] = []
    for file in reversed(rotated_files(log)):
        with open_any(file) as f:
            lines += [line.rstrip("\n") for line in f]
    return lines


def texts(lines: list[str], stream: str) -> list[str]:
    parsed = [parse_line(line) for line in lines]
    assert all(p is not None for p in parsed), [l for l, p in zip(lines, parsed) if p is None][:3]
    return [p.text for p in parsed if p.stream == stream]


def test_stdout_and_stderr_lines_are_tagged_and_timestamped(tmp_path: Path) -> None:
    plog = ProgramLog(tmp_path / "logs" / "p.log")
    code = "import sys\nfor i in range(5):\n print('out', i, flush=True)\n print('err', i, file=sys.stderr, flush=True)"
    assert run_child(plog, code) == 0
    plog.write("trayapp", "exited 0")
    plog.close()
    lines = all_lines(tmp_path / "logs" / "p.log")
    assert texts(lines, "stdout") == [f"out {i}" for i in range(5)]
    assert texts(lines, "stderr") == [f"err {i}" for i in range(5)]
    assert texts(lines, "trayapp") == ["exited 0"]
    assert lines[0][:4].isdigit() and lines[0][23] in "+-" and lines[0][10] == "T"
    assert plog.last_line("stderr") == "err 4"
    recent = [line.split(" ", 2)[2] for line in plog.tail(3)]
    assert recent[-1] == "exited 0" and set(recent[:2]) <= {"out 4", "err 4", "out 3", "err 3"}
    assert [line.split(" ", 2)[2] for line in plog.tail(2, "stdout")] == ["out 3", "out 4"]


def test_files_are_private(tmp_path: Path) -> None:
    plog = ProgramLog(tmp_path / "logs" / "p.log", max_size=200, keep=2)
    for i in range(20):
        plog.write("trayapp", f"line {i}")
    plog.close()
    assert stat.S_IMODE((tmp_path / "logs").stat().st_mode) == 0o700
    files = rotated_files(tmp_path / "logs" / "p.log")
    assert len(files) == 3
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def test_flood_of_200k_lines_arrives_complete_and_in_order(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    plog = ProgramLog(log, max_size=1_000_000, keep=100, total_cap=10**9)
    code = ("import sys\nw = sys.stdout.write\ne = sys.stderr.write\n"
            "for i in range(200000):\n w(f'line {i:06d} ' + 'x' * 40 + '\\n')\n"
            " if i % 1000 == 0: e(f'err {i}\\n')\n")
    assert run_child(plog, code) == 0
    plog.close()
    files = rotated_files(log)
    assert len([f for f in files if f.name.endswith(".gz")]) >= 10  # rotated and compressed
    assert not [f for f in files if ".pending-" in f.name]  # close() waited for compression
    lines = all_lines(log)
    assert texts(lines, "stdout") == [f"line {i:06d} " + "x" * 40 for i in range(200_000)]
    assert texts(lines, "stderr") == [f"err {i}" for i in range(0, 200_000, 1000)]


def test_output_without_newlines_is_split_and_flushed_at_exit(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    plog = ProgramLog(log)
    code = ("import sys\nsys.stdout.write('prompt> ')\nsys.stdout.flush()\n"
            "sys.stdout.write('a' * 200000)\nsys.stdout.write('\\nlast words')")
    assert run_child(plog, code) == 0
    plog.close()
    out = texts(all_lines(log), "stdout")
    assert "".join(out) == "prompt> " + "a" * 200_000 + "last words"
    assert all(len(piece.encode()) <= MAX_LINE for piece in out)
    assert out[-1] == "last words" and len(out) == 5  # 200,008 bytes -> 4 pieces, then the last line


def test_long_utf8_lines_are_split_between_characters(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    plog = ProgramLog(log)
    assert run_child(plog, "print('é' * 100000)") == 0
    plog.close()
    out = texts(all_lines(log), "stdout")
    assert "".join(out) == "é" * 100_000 and len(out) == 4 and "\ufffd" not in "".join(out)


def test_invalid_utf8_is_replaced_not_fatal(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    plog = ProgramLog(log)
    code = "import sys\nsys.stdout.buffer.write(b'ok\\n\\xff\\xfe broken \\xc3\\n\\xe2\\x82\\xac fine\\r\\n')"
    assert run_child(plog, code) == 0
    plog.close()
    assert texts(all_lines(log), "stdout") == ["ok", "\ufffd\ufffd broken \ufffd", "€ fine"]


def test_secrets_never_reach_disk(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    plog = ProgramLog(log, max_size=2_000, keep=50)
    seen: list[str] = []
    code = (f"import sys\nfor i in range(100):\n print(f'req {{i}} Authorization: Bearer tok{{i}}abcdefgh')\n"
            f"print('OPENAI_API_KEY={SECRET}', file=sys.stderr)\nprint('{{\"password\": \"hunter2\"}}')")
    assert run_child(plog, code, on_line=seen.append) == 0
    plog.close()
    raw = b"".join(gzip.decompress(f.read_bytes()) if f.name.endswith(".gz") else f.read_bytes()
                   for f in rotated_files(log))
    assert b"abcdefgh" not in raw and SECRET.encode() not in raw and b"hunter2" not in raw
    assert raw.count(b"Bearer [REDACTED]") == 100 and b"OPENAI_API_KEY=[REDACTED]" in raw
    assert len(seen) == 102 and not any("hunter2" in s or "abcdefgh" in s for s in seen)
    assert SECRET not in plog.last_line("stderr")


def test_redaction_can_be_turned_off(tmp_path: Path) -> None:
    plog = ProgramLog(tmp_path / "p.log", redact=False)
    plog.write("trayapp", "password=visible")
    plog.close()
    assert "password=visible" in (tmp_path / "p.log").read_text()


def test_rotation_keeps_n_compressed_files_and_total_cap(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    plog = ProgramLog(log, max_size=10_000, keep=3, total_cap=10**9)
    for i in range(2000):
        plog.write("stdout", f"line {i:05d} {os.urandom(20).hex()}")
    plog.close()
    names = [f.name for f in rotated_files(log)]
    assert names == ["p.log", "p.log.1.gz", "p.log.2.gz", "p.log.3.gz"]
    assert log.stat().st_size <= 10_000
    newest_rotated = gzip.decompress((tmp_path / "p.log.1.gz").read_bytes()).decode().splitlines()
    current = log.read_text().splitlines()
    assert int(newest_rotated[-1].split()[3]) + 1 == int(current[0].split()[3])  # no gap between files

    capped = ProgramLog(tmp_path / "c.log", max_size=10_000, keep=50, total_cap=30_000)
    for i in range(3000):
        capped.write("stdout", f"line {i:05d} {os.urandom(20).hex()}")
    capped.close()
    files = rotated_files(tmp_path / "c.log")
    assert sum(f.stat().st_size for f in files) <= 30_000
    assert len(files) < 50 and files[-1].name != "c.log.1.gz"  # the oldest went first
    assert all_lines(tmp_path / "c.log")[-1].split()[3] == "02999"


def test_pause_disk_keeps_the_tail_and_says_how_many_lines_were_dropped(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    plog = ProgramLog(log)
    plog.write("stdout", "before")
    plog.pause_disk(True)
    assert run_child(plog, "for i in range(50): print('while paused', i)") == 0
    assert plog.last_line("stdout") == "while paused 49"  # still in memory
    assert "while paused" not in log.read_text()
    plog.pause_disk(False)
    plog.write("stdout", "after")
    plog.close()
    assert texts(all_lines(log), "stdout") == ["before", "after"]
    assert texts(all_lines(log), "trayapp") == ["dropped 50 lines while disk space was critically low"]


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A real 64 KiB tmpfs (root needed): writes past it fail with ENOSPC."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_never_stops_the_pump(tiny_disk: Path) -> None:
    # (A link to /dev/full served here before; trayapp no longer follows links in its folders.)
    log = tiny_disk / "p.log"
    plog = ProgramLog(log)
    assert run_child(plog, "print('x' * 100 + '\\n', end='', flush=True)\nprint('y' * 3000000)") == 0
    plog.close()
    assert plog.last_line("stdout").startswith("y")  # drained to the end, kept in memory
    assert texts(all_lines(log), "stdout")[0] == "x" * 100
    assert log.stat().st_size <= 64 * 1024 < 3_000_000  # what fitted; the rest was refused (ENOSPC)


def test_a_leftover_rotated_file_is_compressed_on_start(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    (tmp_path / "p.log.pending-123").write_text("2026-11-21T23:59:01.123+01:00 stdout from last run\n")
    plog = ProgramLog(log)
    plog.close()
    assert [f.name for f in rotated_files(log)] == ["p.log.1.gz"]
    assert all_lines(log) == ["2026-11-21T23:59:01.123+01:00 stdout from last run"]


def test_trayapp_log_is_rotated_and_redacted(tmp_path: Path) -> None:
    path = tmp_path / "trayapp.log"
    setup_trayapp_logging(path, max_size=500, keep=2)
    try:
        logger = logging.getLogger("trayapp.test")
        logger.info("spawned with token=abc123")
        logger.debug("not at INFO")
        for i in range(30):
            logger.warning("filler %d", i)
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("it failed")
    finally:
        handler = logcapture._installed
        logging.getLogger("trayapp").removeHandler(handler)
        handler.close()
        logcapture._installed = None
    lines = all_lines(path)
    text = texts(lines, "trayapp")
    assert "abc123" not in "\n".join(lines) and "not at INFO" not in "\n".join(text)
    assert text[-1] == "ValueError: boom" and "ERROR trayapp.test: it failed" in text
    assert [f.name for f in rotated_files(path)][:2] == ["trayapp.log", "trayapp.log.1.gz"]


def test_tail_keeps_exactly_the_newest_lines_across_big_and_small_blocks(tmp_path: Path) -> None:
    plog = ProgramLog(tmp_path / "t.log", tail_lines=5)
    plog.write("stdout", "\n".join(f"bulk {i}" for i in range(1000)))  # one block of 1,000 lines
    plog.write("stderr", "oops")
    plog.write("stdout", "one more")
    texts = [line.split(" ", 2)[2] for line in plog.tail(10)]
    assert texts == ["bulk 997", "bulk 998", "bulk 999", "oops", "one more"]
    assert [line.split(" ", 2)[2] for line in plog.tail(2, "stdout")] == ["bulk 999", "one more"]
    assert plog.last_line("stdout") == "one more" and plog.last_line("stderr") == "oops"
    assert plog.tail(0) == [] and plog.last_line("nothing") == ""
    plog.close()


def test_trayapp_log_on_a_failing_disk_drops_lines_and_never_deadlocks(tmp_path: Path) -> None:
    """A write error while writing trayapp.log is itself logged; that must not re-enter the log."""
    import logging
    import threading

    from trayapp.logs import capture as logcapture

    logcapture.setup_trayapp_logging(tmp_path / "trayapp.log")
    handler = logcapture._installed
    assert handler is not None

    def refuse(data: bytes) -> None:
        raise OSError(28, "No space left on device")

    handler.program_log._file.write = refuse  # the disk is full from now on
    done = threading.Event()
    threading.Thread(target=lambda: (logging.getLogger("trayapp.test").warning("disk full now"), done.set()),
                     daemon=True).start()
    assert done.wait(5), "logging while the disk refuses trayapp.log deadlocked"
    logging.getLogger("trayapp").removeHandler(handler)


def test_detach_hands_the_pipe_over_whole(tmp_path: Path) -> None:
    """After detach() our pump reads nothing more: whatever comes next is the next reader's."""
    import os

    r, w = os.pipe()
    plog = ProgramLog(tmp_path / "d.log")
    reader = os.fdopen(r, "rb", buffering=0)
    thread = plog.pump("stdout", reader)
    os.write(w, b"before 1\nbefore 2\n")
    for _ in range(200):
        if len(plog.tail(5)) == 2:
            break
        thread.join(0.01)
    plog.detach()
    assert not thread.is_alive()
    os.write(w, b"after\n")
    os.close(w)
    assert os.read(r, 100) == b"after\n", "the pipe stays open and unread for its next owner"
    plog.close()
    texts = [line.split(" ", 2)[2] for line in (tmp_path / "d.log").read_text().splitlines()]
    assert texts == ["before 1", "before 2"]


def test_a_failed_compression_loses_no_rotated_file_and_is_retried(tmp_path: Path, monkeypatch) -> None:
    import gzip

    from trayapp.logs import rotation as logfile

    rf = logfile.RotatingFile(tmp_path / "r.log", max_size=100, keep=5, total_cap=10**9)
    rf.write(b"a" * 99 + b"\n")
    rf.write(b"b" * 99 + b"\n")  # rotates: the a-block goes to r.log.1.gz
    rf.close()
    real = logfile.zlib.compressobj
    monkeypatch.setattr(logfile.zlib, "compressobj", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left")))
    rf.write(b"c" * 99 + b"\n")  # rotates: compressing the b-block fails
    rf.close()
    assert gzip.decompress((tmp_path / "r.log.1.gz").read_bytes()).startswith(b"a"), "the older archive is intact"
    assert logfile.pending_files(tmp_path / "r.log"), "the failed one waits, uncompressed"
    monkeypatch.setattr(logfile.zlib, "compressobj", real)
    rf.write(b"d" * 99 + b"\n")  # the next rotation retries the waiting one too
    rf.close()
    order = [gzip.decompress(p.read_bytes())[:1] for p in logfile.gz_files(tmp_path / "r.log")]
    assert order == [b"c", b"b", b"a"] and not logfile.pending_files(tmp_path / "r.log")


def _open_fds() -> int:
    return len(os.listdir(f"/proc/{os.getpid()}/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts fds through /proc")
def test_opening_and_closing_200_program_logs_leaves_no_fd_behind(tmp_path: Path) -> None:
    ProgramLog(tmp_path / "warm.log").close()  # imports and lazy module state, before counting
    before = _open_fds()
    for i in range(200):
        plog = ProgramLog(tmp_path / f"p{i}.log")
        plog.write("trayapp", f"line {i}")
        plog.close()
    assert _open_fds() == before
    assert texts(all_lines(tmp_path / "p199.log"), "trayapp") == ["line 199"]
