"""PLACEHOLDER: being written now (see trayapp/dashboard/__init__.py); replaced before this lands."""

from __future__ import annotations

from trayapp.dashboard.host import DashboardHost
from trayapp.dashboard.http import Router


def register(router: Router, host: DashboardHost) -> None:
    """Adds this module's routes."""
