"""`python -m trayapp` runs the command line."""

from trayapp.cli import main

raise SystemExit(main())
