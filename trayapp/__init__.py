"""trayapp: keeps a personal AI assistant alive from the system tray.

Module map (one responsibility each; a package where a responsibility has several files):

    app.py          composition root: paths, config, bus, journal, supervisor, monitors; shutdown
    cli/            argument parsing -> calls; errors -> exit codes and one-line messages
    config/         TOML -> frozen, typed settings (alert rules included), read and expanded once;
                    presets; starter files; the diff a reload applies; style-preserving edits
    status.py       the shared vocabulary: State, Health, Mode, Control, ExitInfo, CrashReport, Status
    events.py       the publish/subscribe bus and the events on it
    supervisor/     transitions, policy (pure), managed and attached programs, spawn (groups,
                    subreaper, marks, limits), health, readiness, degraded, dependencies, reload
                    changes, resources, disk limits, leftovers, installed services
    triage/         crash reports: recent output, excerpt, known causes and fixes, OOM records
    logs/           capture, rotation, reading back, levels, pages, search, the keeper, attached services' logs
    journal.py      append-only history (JSONL), one human sentence per kind
    metrics.py      memory and CPU samples per program: an hour in full, a day by the minute, kept on disk
    summary.py      samples in a few numbers and words: ranges, sparklines (`trayapp stats`, the charts)
    alerts/         rules, the engine that evaluates them, their actions
    notify/         one facade over freedesktop (with buttons), plyer, the tray icon, the log and
                    e-mail/chat channels (apprise); the policy that decides what to say
    diskwatch.py    free-space thresholds on the volumes trayapp writes to
    backup/         create, verify, restore, prune, schedule; SQLite online backup; manifest
    doctor/         diagnostics, security checks, the redacted debug bundle
    autostart/      XDG, launchd, the Run key: render, write atomically, enable/disable
    tray/           view (Status -> what to show; pure), icons, menu, controller, run
    hostparts.py    the App's parts (pause, backups, disk) as the tray and the dashboard both declare them
    opener.py       open a folder, file or URL with what the desktop offers; say why not
    control.py      the local control channel, server and client
    procs.py        run a helper command with a timeout (supervisor, doctor, alerts, autostart)
    clock.py, paths.py, units.py, atomic.py, instance.py, redact.py, errors.py, selfcmd.py, memory.py,
    export.py       small infrastructure, flat

Importing this package must stay cheap: no pystray, plyer or psutil here.
"""

__version__ = "0.1.0"
