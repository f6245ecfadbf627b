"""Native notifications: one facade (Notifier), a backend per platform, a pure policy.

Importing this package imports neither pystray, plyer nor jeepney; backends load them on first use.
"""

from trayapp.notify.choose import choose_backends
from trayapp.notify.facade import Delivery, Notifier
from trayapp.notify.note import Limits, Note, Urgency
from trayapp.notify.policy import Settings

__all__ = ["Delivery", "Limits", "Note", "Notifier", "Settings", "Urgency", "choose_backends"]
