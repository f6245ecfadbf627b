"""The script PyInstaller freezes: the same `trayapp` command line as the pip entry point."""

from trayapp.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
