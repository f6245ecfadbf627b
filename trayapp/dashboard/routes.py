"""The dashboard's Router: every page's route module adds its routes here."""

from __future__ import annotations

from trayapp.dashboard import (
    backups_api,
    charts_api,
    diagnostics_api,
    events_api,
    logs_api,
    overview_api,
)
from trayapp.dashboard.host import DashboardHost
from trayapp.dashboard.http import Router


def build(host: DashboardHost) -> Router:
    router = Router()
    for module in (overview_api, logs_api, charts_api, events_api, backups_api, diagnostics_api):
        module.register(router, host)
    return router
