"""Windows that run as their own processes: `python -m trayapp.ui.status`, `python -m trayapp.ui.logview`."""
