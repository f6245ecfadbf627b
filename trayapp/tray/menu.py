"""The only module that imports pystray: builds the Icon and its Menu from a TrayView.

Importing this module selects pystray's backend (pystray decides at import time), so it is
imported only by tray/run.py, after the checks for a display.
"""

from __future__ import annotations

from collections.abc import Callable

import pystray

from trayapp.tray.controller import Part
from trayapp.tray.icons import render, render_on
from trayapp.tray.view import Action, Entry, TrayView

ICON_SIZE = 64  # panels scale it down; pystray's xorg backend resizes to its window
# pystray's xorg backend drops the alpha channel (it pastes into an RGB image), which leaves odd
# colours where edges were half transparent; flatten onto black ourselves so the edges stay clean.
XORG_BACKGROUND = (0, 0, 0)
OnAction = Callable[[Action, "str | None"], None]


def backend_name() -> str:
    """"appindicator", "gtk", "xorg", "darwin", "win32" or "dummy"."""
    return pystray.Icon.__module__.rsplit("._", 1)[-1]


def has_menu() -> bool:
    return bool(pystray.Icon.HAS_MENU)


def title_text(tooltip: str, backend: str) -> str:
    """The xorg backend writes the title as an X STRING property, which is Latin-1 only."""
    if backend != "xorg":
        return tooltip
    plain = tooltip.replace("—", "-").replace("…", "...")
    return plain.encode("latin-1", "replace").decode("latin-1")


def _callback(entry: Entry, on_action: OnAction) -> Callable[[object, object], None]:
    def activate(icon: object, item: object) -> None:  # GUI thread; on_action only enqueues
        assert entry.action is not None
        on_action(entry.action, entry.program)

    return activate


def _item(entry: Entry, on_action: OnAction) -> pystray.MenuItem:
    if entry.is_separator:
        return pystray.Menu.SEPARATOR
    if entry.submenu:
        return pystray.MenuItem(entry.label, pystray.Menu(*(_item(e, on_action) for e in entry.submenu)))
    action = _callback(entry, on_action) if entry.action is not None else None
    checked = (lambda item, value=entry.checked: value) if entry.checked is not None else None
    return pystray.MenuItem(entry.label, action, checked=checked, default=entry.default,
                            enabled=entry.enabled and entry.action is not None)


def build_menu(current: Callable[[], TrayView | None], on_action: OnAction) -> pystray.Menu:
    """A menu that re-reads `current()` each time pystray builds it (on update_menu)."""
    def items() -> tuple[pystray.MenuItem, ...]:
        view = current()
        return tuple(_item(e, on_action) for e in (view.menu if view else ()))

    return pystray.Menu(items)


def image_for(view: TrayView, backend: str) -> object:
    if backend == "xorg":
        return render_on(view.icon_key, ICON_SIZE, XORG_BACKGROUND)
    return render(view.icon_key, ICON_SIZE)


def make_icon(view: TrayView, current: Callable[[], TrayView | None], on_action: OnAction) -> pystray.Icon:
    icon = pystray.Icon("trayapp", image_for(view, backend_name()), title_text(view.tooltip, backend_name()),
                        menu=build_menu(current, on_action))
    if backend_name() == "xorg":
        _dock_once(icon)
        _hear_clicks(icon)
    return icon


def _hear_clicks(icon: pystray.Icon) -> None:
    """pystray 0.19.5's xorg window selects Exposure and StructureNotify only, so the X server never
    delivers its ButtonPress and a click does nothing. Without a menu the click is the only way to
    the dashboard, so ask for button presses too (main thread, before the loop starts)."""
    import Xlib.X

    icon._window.change_attributes(
        event_mask=Xlib.X.ExposureMask | Xlib.X.StructureNotifyMask | Xlib.X.ButtonPressMask)
    icon._display.flush()


def _dock_once(icon: pystray.Icon) -> None:
    """pystray 0.19.5's xorg backend asks the tray to dock the icon again on every image change;
    trayer then squeezes the re-docked icon to a sliver. Dock only while not docked (the tray
    going away still clears `_systray_manager`, so a restarted tray host gets the icon back)."""
    dock = icon._dock_window

    def dock_when_undocked() -> None:
        if icon._systray_manager is None:
            dock()

    icon._dock_window = dock_when_undocked


def docked(icon: pystray.Icon, display: object | None = None) -> bool | None:
    """xorg only: is the icon's window inside a tray? None when that cannot be told.

    Any thread: it asks the X server over a connection of its own (`display`, kept by the caller
    between checks, or a new one), never pystray's."""
    import Xlib.display
    import Xlib.error

    own = display is None
    try:
        conn = Xlib.display.Display() if own else display
    except Exception:
        return None
    try:
        window = conn.create_resource_object("window", icon._window.id)  # type: ignore[union-attr]
        return window.query_tree().parent.id != conn.screen().root.id  # type: ignore[union-attr]
    except Xlib.error.XError:
        return None
    finally:
        if own:
            conn.close()  # type: ignore[union-attr]


def x_connection() -> object | None:
    """A connection to the X server for the dock checks' thread alone."""
    import Xlib.display

    try:
        return Xlib.display.Display()
    except Exception:
        return None


def show_title(icon: pystray.Icon) -> None:
    """pystray 0.19.5's gtk backend sends the title to the panel only when it changes, never the one
    the icon was made with: a tooltip that never changes (the config error) was never shown.
    Setup thread, once the icon is visible (the backend hops to its own loop)."""
    icon._update_title()


def redock(icon: pystray.Icon) -> None:
    """Ask the tray to take the icon again: hide and show run on pystray's own loop."""
    icon.visible = False
    icon.visible = True


def apply_view(icon: pystray.Icon, view: TrayView, parts: frozenset[Part] = frozenset(Part)) -> None:
    """GUI thread (through the controller's door): show `view` on the real icon, touching only
    the `parts` that changed (each one is a round trip to the panel, the menu a whole rebuild)."""
    backend = backend_name()
    if Part.TOOLTIP in parts:
        icon.title = title_text(view.tooltip, backend)
    if Part.ICON in parts:
        icon.icon = image_for(view, backend)
    if backend == "xorg" and Part.TOOLTIP in parts:
        # pystray's xorg loop sets the window name without flushing the X connection: with the
        # icon unchanged, nothing else sent it, and the title could stay at its old words.
        icon._display.flush()
    if Part.MENU in parts:
        icon.update_menu()
