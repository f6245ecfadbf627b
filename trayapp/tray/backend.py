"""Which pystray backend to use on Linux, decided before pystray is imported.

pystray tries appindicator first whenever PyGObject can load it. An AppIndicator icon is only
shown by a StatusNotifierItem host (KDE, GNOME with the AppIndicator extension, waybar...); on a
desktop whose tray is the older XEmbed kind (XFCE's default, LXDE, trayer, stalonetray) nothing
would appear at all. So when no StatusNotifierWatcher is on the session bus, use gtk (XEmbed, with
a real menu) instead, or pystray's own X11 backend when GTK is not there either.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping

WATCHER = "org.kde.StatusNotifierWatcher"


def choose(explicit: str | None, has_watcher: bool, has_gtk: bool) -> str | None:
    """The PYSTRAY_BACKEND to set, or None to leave pystray's own choice (and the user's) alone."""
    if explicit:
        return None
    if has_watcher:
        return None  # appindicator works here, and pystray prefers it
    return "gtk" if has_gtk else "xorg"


def sni_watcher_present(timeout: float = 1.0) -> bool:
    """True when a StatusNotifierItem host is on the session bus. Any failure means no."""
    try:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus",
                          interface="org.freedesktop.DBus")
        with open_dbus_connection(bus="SESSION") as conn:
            reply = conn.send_and_get_reply(new_method_call(bus, "NameHasOwner", "s", (WATCHER,)),
                                            timeout=timeout)
        return bool(reply.body[0])
    except Exception:
        return False


def gtk_available() -> bool:
    try:
        import gi

        gi.require_version("Gtk", "3.0")
        from gi.repository import Gtk  # noqa: F401
    except Exception:
        return False
    return True


def apply(environ: MutableMapping[str, str], *, watcher: Callable[[], bool] = sni_watcher_present,
          gtk: Callable[[], bool] = gtk_available) -> str | None:
    """Set PYSTRAY_BACKEND in `environ` when the default would show nothing. Returns what was set."""
    explicit = environ.get("PYSTRAY_BACKEND")
    if explicit:
        return None  # the user's (or a test's) choice; and probing GTK would load it for nothing
    has_watcher = watcher()
    chosen = choose(explicit, has_watcher, False if has_watcher else gtk())
    if chosen is not None:
        environ["PYSTRAY_BACKEND"] = chosen
    return chosen
