"""Environment marks and pipe ownership: how trayapp recognises its own processes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from trayapp.supervisor import marks, pipes
from trayapp.supervisor.marks import Mark


def test_a_mark_survives_the_environment_round_trip() -> None:
    mark = Mark("abc123", "assistant", marks.new_run())
    assert Mark.of({"PATH": "/usr/bin", **mark.env()}) == mark


@pytest.mark.parametrize("environ", [{}, {"TRAYAPP_PROGRAM": "assistant"},
                                     {"TRAYAPP_INSTANCE": "abc", "TRAYAPP_PROGRAM": "assistant"},
                                     {"TRAYAPP_INSTANCE": "", "TRAYAPP_RUN": "r"}])
def test_a_partial_mark_is_no_mark(environ: dict[str, str]) -> None:
    """Health-probe commands carry the program's name but not the spawner's ids: not a leftover."""
    assert Mark.of(environ) is None


def test_the_instance_id_belongs_to_the_state_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert marks.instance_id(tmp_path / "a") == marks.instance_id(tmp_path / "a" / ".." / "a")
    assert marks.instance_id(tmp_path / "a") != marks.instance_id(tmp_path / "b")


def test_runs_differ() -> None:
    assert marks.new_run() != marks.new_run()


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_only_a_write_end_counts_as_writing_into_the_pipe() -> None:
    read, write = os.pipe()
    try:
        ids = pipes.pipe_ids([read])
        assert ids and pipes._writes_to(os.getpid(), ids)
        os.close(write)
        write = -1
        assert not pipes._writes_to(os.getpid(), ids), "a reader (the log keeper) is not a writer"
    finally:
        os.close(read)
        if write >= 0:
            os.close(write)
