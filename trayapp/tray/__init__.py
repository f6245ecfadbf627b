"""The tray icon: a pure view of Status (view.py), icons (icons.py), the pystray menu (menu.py).

Only menu.py imports pystray; importing this package does not.
"""
