"""trayapp's own folders and files: never through a planted link, never another user's, one clear error."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from trayapp.atomic import atomic_write
from trayapp.instance import InstanceLock
from trayapp.logs.capture import ProgramLog
from trayapp.logs.rotation import RotatingFile
from trayapp.paths import AppPaths, FolderError, open_private, private_dir

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="modes and owners are POSIX")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder that is not trayapp's, open to others (0755), with one file (0644) in it."""
    folder = tmp_path / "outside"
    folder.mkdir()
    folder.chmod(0o755)
    (folder / "precious").write_text("not trayapp's\n")
    (folder / "precious").chmod(0o644)
    return folder


def untouched(outside: Path) -> bool:
    precious = outside / "precious"
    return (stat.S_IMODE(outside.stat().st_mode) == 0o755 and sorted(os.listdir(outside)) == ["precious"]
            and precious.read_text() == "not trayapp's\n" and stat.S_IMODE(precious.stat().st_mode) == 0o644)


def test_a_folder_that_is_a_link_is_refused_and_its_target_left_alone(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "logs").symlink_to(outside)
    with pytest.raises(FolderError) as caught:
        private_dir(tmp_path / "logs")
    assert str(caught.value).splitlines() == [
        f"cannot use the folder {tmp_path / 'logs'}: it is a symbolic link (to {outside}), which trayapp does not follow",
        "  fix: remove the link and let trayapp create logs itself, or set TRAYAPP_HOME to a real folder"]
    assert untouched(outside)


@posix_only
def test_a_folder_of_another_user_is_refused(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("giving a folder to another user needs root")
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, 65534, 65534)
    with pytest.raises(FolderError, match=r"it belongs to another user \(uid 65534\)"):
        private_dir(theirs)
    assert stat.S_IMODE(theirs.stat().st_mode) == 0o755


def test_a_file_where_the_folder_should_be_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "home").write_text("")
    with pytest.raises(FolderError, match="a file is in the way where a folder should be"):
        private_dir(tmp_path / "home" / "state")


@posix_only
def test_an_own_folder_open_to_others_is_tightened(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir(mode=0o755)
    private_dir(tmp_path / "state")
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700


def test_ensure_refuses_a_linked_state_folder_but_only_reports_a_linked_log_folder(
        tmp_path: Path, outside: Path) -> None:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "home")})
    (tmp_path / "home").mkdir()
    paths.log_dir.symlink_to(outside)
    refused = paths.ensure()
    assert isinstance(refused, FolderError) and "symbolic link" in refused.message
    paths.log_dir.unlink()
    paths.state_dir.rmdir()
    paths.state_dir.symlink_to(outside)
    with pytest.raises(FolderError, match="state: it is a symbolic link"):
        paths.ensure()
    assert untouched(outside)


def test_a_program_log_in_a_linked_folder_writes_nothing_there_but_keeps_its_tail(
        tmp_path: Path, outside: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "logs").symlink_to(outside)
    plog = ProgramLog(tmp_path / "logs" / "assistant.log")
    plog.write("stdout", "hello")
    plog.close()
    assert untouched(outside)
    assert plog.last_line("stdout") == "hello"
    assert any("symbolic link" in r.getMessage() and "dropping lines" in r.getMessage() for r in caplog.records)


def test_a_log_file_that_is_a_link_is_not_appended_to_or_chmodded(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "logs").mkdir(mode=0o700)
    (tmp_path / "logs" / "assistant.log").symlink_to(outside / "precious")
    plog = ProgramLog(tmp_path / "logs" / "assistant.log", max_size=100)
    for i in range(20):  # enough to rotate several times
        plog.write("stdout", f"line {i} " + "x" * 20)
    plog.close()
    assert untouched(outside)
    assert (tmp_path / "logs" / "assistant.log").is_symlink()


def test_a_planted_link_among_rotated_files_is_never_compressed(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "logs").mkdir(mode=0o700)
    (tmp_path / "logs" / "p.log.pending-5").symlink_to(outside / "precious")
    rotating = RotatingFile(tmp_path / "logs" / "p.log", max_size=1000, keep=3, total_cap=10**6)
    rotating.write(b"one line\n")
    rotating.close()
    assert not list((tmp_path / "logs").glob("p.log.*.gz"))
    assert untouched(outside)


def test_the_instance_lock_is_not_opened_through_a_link(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "trayapp.lock").symlink_to(outside / "precious")
    with pytest.raises(FolderError, match="cannot open the lock file .*: it is a symbolic link"):
        InstanceLock(tmp_path / "trayapp.lock").acquire()
    assert untouched(outside)


def test_an_atomic_write_replaces_a_link_instead_of_writing_through_it(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "children.json").symlink_to(outside / "precious")
    atomic_write(tmp_path / "children.json", "{}\n")
    assert not (tmp_path / "children.json").is_symlink() and (tmp_path / "children.json").read_text() == "{}\n"
    assert untouched(outside)


@posix_only
def test_open_private_tightens_an_own_file_and_refuses_a_fifo(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.write_text("")
    loose.chmod(0o644)
    os.close(open_private(loose, os.O_RDONLY))
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OSError, match="not a regular file"):
        open_private(tmp_path / "fifo", os.O_RDONLY | os.O_NONBLOCK)


def test_reading_a_log_that_is_a_link_shows_a_note_not_the_file_it_points_at(tmp_path: Path, outside: Path) -> None:
    from trayapp.logs.read import rotated_files, tail

    (tmp_path / "assistant.log").symlink_to(outside / "precious")
    assert rotated_files(tmp_path / "assistant.log") == []
    assert tail(tmp_path / "assistant.log", 5) == [
        "[trayapp: assistant.log could not be read: it is a symbolic link, which trayapp does not follow: "
        "remove it]"]
