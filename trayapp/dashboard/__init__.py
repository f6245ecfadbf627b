"""The dashboard: a loopback HTTP server inside the running instance (tray or headless).

    http.py        Request, Response, Router: the small vocabulary every route module speaks
    host.py        DashboardHost: what the dashboard needs of the running app (App satisfies it)
    server.py      the socket, TLS-free loopback binding, Host/Origin/CSRF/cookie checks, static files
    auth.py        the token file (0600, rotatable), one-time login codes, session cookies, CSRF tokens
    routes.py      builds the Router from every page's route module
    overview_api   /api/overview, program commands, notification pause, /api/config, /events (SSE)
    logs_api       /api/logs (pages, search, download, live follow)
    charts_api     /api/metrics (persisted samples, crash and restart marks)
    events_api     /api/events (the journal in sentences)
    journal_tail   the journal read backwards from its end, newest first (events, chart marks)
    backups_api    /api/backups (list, create with progress, verify, restore with a dry run)
    diagnostics_api /api/doctor (the doctor report and its fixes)
    static/        the page: plain HTML, CSS and JS written here; no CDN, no build step
"""
