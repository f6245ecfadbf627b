"""Fixtures several unit-test modules share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.dashboard_fake import Browser, FakeHost, signed_in
from trayapp import i18n


@pytest.fixture
def zh() -> Iterator[None]:
    """The real zh_CN catalog, for as long as the test runs; English again afterwards."""
    assert i18n.activate("zh_CN") == "zh_CN"
    yield
    i18n.activate("en")


@pytest.fixture
def host(tmp_path: Path) -> FakeHost:
    """The dashboard's fake host (a test module may define its own `host`, which then wins)."""
    return FakeHost(tmp_path)


@pytest.fixture
def browser(host: FakeHost) -> Iterator[Browser]:
    """A running dashboard over `host`, signed in."""
    with signed_in(host) as b:
        yield b
