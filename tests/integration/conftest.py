"""Integration tests start real trayapp processes and real children, and clean up after them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.running import Trayapp


@pytest.fixture
def trayapps(tmp_path: Path) -> Iterator[list[Trayapp]]:
    """Every Trayapp a test appends here is stopped (SIGTERM, then SIGKILL) when the test ends."""
    started: list[Trayapp] = []
    yield started
    for t in started:
        if t.proc is not None and t.proc.poll() is None:
            with contextlib.suppress(Exception):
                t.terminate(20)
            if t.proc.poll() is None:
                t.kill()
