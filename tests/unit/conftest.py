"""Fixtures several unit-test modules share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trayapp import i18n


@pytest.fixture
def zh() -> Iterator[None]:
    """The real zh_CN catalog, for as long as the test runs; English again afterwards."""
    assert i18n.activate("zh_CN") == "zh_CN"
    yield
    i18n.activate("en")
