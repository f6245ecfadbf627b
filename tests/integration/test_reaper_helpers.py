"""The subreaper never takes the exit status of trayapp's own helper commands (health commands,
doctor's tools, alert actions): a failing command must read as failing."""

from __future__ import annotations

import sys

import pytest

from trayapp.procs import SubprocessRunner
from trayapp.supervisor import reaper
from trayapp.supervisor.health import _command

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the subreaper is Linux's")]


def test_a_helper_that_exits_3_while_its_own_child_holds_the_pipe_still_reads_3() -> None:
    assert reaper.install() is not None, "the kernel refused PR_SET_CHILD_SUBREAPER"
    # The shell exits at once; its background child keeps stdout open for 2 s, so the runner
    # waits for the exit status only after the reaper's old 1 s grace had passed.
    done = SubprocessRunner(timeout=20).run(["sh", "-c", "sleep 2 & exit 3"])
    assert (done.returncode, done.ok) == (3, False)


def test_a_failing_health_command_is_not_read_as_healthy() -> None:
    assert reaper.install() is not None
    result = _command(("sh", "-c", "sleep 2 & exit 1"), timeout=20, cwd=None, env=None)
    assert not result.ok, result
