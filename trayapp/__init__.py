"""trayapp: keeps a personal AI assistant alive from the system tray.

Importing this package must stay cheap: no pystray, plyer or psutil here.
"""

__version__ = "0.1.0"
