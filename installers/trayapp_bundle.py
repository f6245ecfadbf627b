"""What the three PyInstaller specs share: entry script, hidden imports, data files, metadata.

PyInstaller cannot see imports made by name at run time:
- pystray picks its backend with importlib (`pystray._xorg`, `_gtk`, `_appindicator`, `_darwin`,
  `_win32`): without them the bundle fails with "this platform is not supported" (pystray issue #55);
- trayapp's CLI imports its command modules from the COMMAND_MODULES strings;
- plyer imports `plyer.platforms.<os>.notification` the same way.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY = str(ROOT / "installers" / "entry.py")
NAME = "trayapp"
BUNDLE_ID = "io.github.trayapp"  # the LaunchAgent label too

PYSTRAY_BACKENDS = {
    "linux": ["pystray._appindicator", "pystray._gtk", "pystray._xorg", "pystray._dummy",
              "pystray._util.gtk", "pystray._util.notify_dbus"],
    "macos": ["pystray._darwin", "pystray._dummy"],
    "windows": ["pystray._win32", "pystray._dummy", "pystray._util.win32"],
}
PLYER_NOTIFY = {"linux": "plyer.platforms.linux.notification", "macos": "plyer.platforms.macosx.notification",
                "windows": "plyer.platforms.win.notification"}


def hiddenimports(platform: str) -> list[str]:
    from PyInstaller.utils.hooks import collect_submodules

    return [*PYSTRAY_BACKENDS[platform], PLYER_NOTIFY[platform], *collect_submodules("trayapp")]


def datas() -> list[tuple[str, str]]:
    """The icons, the compiled translations and the dashboard's page, where trayapp looks for them
    inside the bundle (PyInstaller collects Python modules only; every package-data folder is here)."""
    package = ROOT / "trayapp"
    return [(str(ROOT / "assets"), "trayapp/assets"), (str(package / "locale"), "trayapp/locale"),
            (str(package / "dashboard" / "static"), "trayapp/dashboard/static")]


def icon(name: str) -> str:
    """An icon file from assets/; PyInstaller converts PNG to .icns / .ico with Pillow."""
    return str(ROOT / "assets" / name)


def version() -> str:
    import re

    source = ROOT / "trayapp" / "__init__.py"
    found = re.search(r'__version__ = "([^"]+)"', source.read_text(encoding="utf-8"))
    if found is None:
        raise SystemExit(f"{source} has no __version__ line; the bundle needs one to name itself")
    return found[1]
