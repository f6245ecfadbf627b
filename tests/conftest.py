"""Fixtures shared by all tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A TRAYAPP_HOME of its own for the test, so nothing touches the real user's files."""
    folder = tmp_path / "trayapp-home"
    monkeypatch.setenv("TRAYAPP_HOME", str(folder))
    return folder
