"""Python, platform, tray backend, notification backend, display."""

from __future__ import annotations

import platform
import sys

from trayapp.i18n import N_, _
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.report import Check, fail, info, ok, warn

GROUP = N_("environment")

# Asked in a child process: pystray picks (and may connect to) a display backend at import, and a
# broken X server must not hang or crash the doctor itself.
_PYSTRAY_PROBE = ("import pystray, sys; print(pystray.Icon.__module__.rsplit('._', 1)[-1], "
                  "int(bool(pystray.Icon.HAS_MENU)))")


def checks(inp: Inputs) -> list[Check]:
    return [_python(), _platform(), _display(inp), _tray(inp), _notifications(inp)]


def _python() -> Check:
    version = platform.python_version()
    where = sys.executable
    if sys.version_info < (3, 11):
        return fail(GROUP, N_("python"), _("Python {version} ({where})").format(
            version=version, where=where), _("install Python 3.11 or newer"))
    return ok(GROUP, N_("python"), _("Python {version} ({where})").format(version=version, where=where))


def _platform() -> Check:
    return info(GROUP, N_("platform"), platform.platform())


def _display(inp: Inputs) -> Check:
    if inp.os_name != "linux":
        return ok(GROUP, N_("display"), _("{os_name} desktop session").format(os_name=inp.os_name))
    shown = [f"{k}={inp.environ[k]}" for k in ("DISPLAY", "WAYLAND_DISPLAY") if inp.environ.get(k)]
    if not shown:
        return warn(GROUP, N_("display"), _("no graphical display (DISPLAY and WAYLAND_DISPLAY are not set); "
                                            "trayapp runs headless"),
                    _("start trayapp from your desktop session, or use `trayapp run --headless`"))
    return ok(GROUP, N_("display"), ", ".join(shown))


def _tray(inp: Inputs) -> Check:
    if inp.os_name == "linux" and not (inp.environ.get("DISPLAY") or inp.environ.get("WAYLAND_DISPLAY")):
        return info(GROUP, N_("tray"), _("not checked: no display"))
    done = inp.runner.run([sys.executable, "-c", _PYSTRAY_PROBE])
    if not done.ok:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return fail(GROUP, N_("tray"), _("pystray could not load a backend: {value}").format(value=last[:200]),
                    _("install the tray packages named in the README (Linux: gir1.2-ayatanaappindicator3-0.1 "
                      "and python3-gi, or python-xlib)"))
    backend, _sep, menu = done.stdout.strip().partition(" ")
    if backend == "dummy":
        return fail(GROUP, N_("tray"), _("pystray chose its dummy backend: no icon can be shown"),
                    _("unset PYSTRAY_BACKEND, or install the packages for the appindicator backend"))
    if menu.strip() != "1":
        return warn(GROUP, N_("tray"), _("pystray backend {backend} has no menus; a click opens the dashboard").format(
            backend=backend),
                    _("for a menu install gir1.2-ayatanaappindicator3-0.1 (or gir1.2-appindicator3-0.1) "
                      "and python3-gi"))
    return ok(GROUP, N_("tray"), _("pystray backend {backend}, with menus").format(backend=backend))


def _notifications(inp: Inputs) -> Check:
    if inp.os_name != "linux":
        return ok(GROUP, N_("notifications"), _("the tray icon's own notifications ({os_name}), then plyer").format(
            os_name=inp.os_name))
    from trayapp.notify.freedesktop import session_bus_address

    address = session_bus_address(inp.environ)
    if not address:
        return warn(GROUP, N_("notifications"), _("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set); "
                      "notifications only reach trayapp's log"), _("run trayapp inside your desktop session"))
    server = _notification_server(address)
    if server is None:
        return warn(GROUP, N_("notifications"), _("no notification server answers on {address}").format(
            address=address),
                    _("start your desktop's notification daemon (e.g. dunst, mako or the desktop's own)"))
    return ok(GROUP, N_("notifications"), _("freedesktop notifications via {server}").format(server=server))


def _notification_server(address: str) -> str | None:
    """The name of the running notification server, or None. Blocks at most ~2 s."""
    try:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        target = DBusAddress("/org/freedesktop/Notifications", bus_name="org.freedesktop.Notifications",
                             interface="org.freedesktop.Notifications")
        with open_dbus_connection(bus=address) as conn:
            reply = conn.send_and_get_reply(new_method_call(target, "GetServerInformation"), timeout=2)
        name, vendor, version = reply.body[:3]
        return f"{name} {version} ({vendor})"
    except Exception:  # no server, no bus, jeepney missing: all mean "not here"
        return None
