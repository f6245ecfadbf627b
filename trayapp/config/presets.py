"""What is known about each assistant trayapp can look after.

The facts here were checked against the real programs (see the README's "Assistants" section).
A preset fills in a program's defaults; anything in config.toml overrides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trayapp.i18n import N_


@dataclass(frozen=True)
class Preset:
    name: str
    display_name: str
    command: tuple[str, ...]
    install_hint: str  # this and the advice below are N_-marked: shown through the catalog (supervisor reasons)
    health_url: str | None = None
    health_command: tuple[str, ...] | None = None
    port: int | None = None
    data_dirs: tuple[str, ...] = ()
    # Relative to a data dir; backups find other databases by their header too.
    sqlite_files: tuple[str, ...] = ()
    config_file: str | None = None
    systemd_user_unit: str | None = None
    launchd_label: str | None = None
    startsecs: str = "2s"
    stop_timeout: str = "10s"
    start_grace: str = "30s"
    cwd: str | None = None
    # Exit codes with a known meaning, told to the user in plain words.
    exit_meanings: dict[int, str] = field(default_factory=dict)
    # Output that means "this will fail again until the user fixes something": (regex, advice).
    # Seen in the last lines before an exit, it gives up at once instead of crash-looping.
    fatal_output: tuple[tuple[str, str], ...] = ()
    # Output that means "running, but cannot answer": (regex, reason, fix); the reason reads after
    # "NAME is running but". See supervisor/degraded.py.
    degraded_output: tuple[tuple[str, str, str], ...] = ()
    # Also watch for a hosted model provider refusing the key or running out of quota.
    provider_patterns: bool = False
    # Its own settings can say it cannot answer (supervisor/degraded.py reads them): "nanobot".
    settings_check: str | None = None
    # Names in the data dirs that are runtime state, not data (backup excludes, matched anywhere).
    backup_exclude: tuple[str, ...] = ()
    # Where the version is written when the program has no --version (relative to cwd).
    version_file: str | None = None
    # Its own web UI, where that is fixed (a running program may also announce one: supervisor/own_ui.py).
    ui_url: str | None = None


NANOBOT_PROVIDER_FIX = N_("set a provider and its key in ~/.nanobot/config.json (providers), or pick a local "
                          "one such as ollama, which needs no key; `nanobot onboard --wizard` helps")

PRESETS: dict[str, Preset] = {
    "nanobot": Preset(
        name="nanobot",
        display_name="nanobot",
        command=("nanobot", "gateway", "--foreground"),
        install_hint=N_('install it with: pip install nanobot-ai  (or: pipx install nanobot-ai), then run: '
                        'nanobot onboard'),
        health_url="http://127.0.0.1:18790/health",
        port=18790,
        data_dirs=("~/.nanobot",),
        config_file="~/.nanobot/config.json",
        systemd_user_unit="nanobot-gateway.service",
        launchd_label="ai.nanobot.gateway",
        startsecs="2s",
        stop_timeout="10s",
        start_grace="60s",
        fatal_output=(
            # Only the refusal: a running gateway also says "setup is incomplete: No provider is
            # configured ... Gateway will start" and keeps going, and may die later of something else.
            (r"Gateway cannot start: No provider is configured",
             N_("no model provider is configured: run `nanobot onboard --wizard`, or set a provider "
                "in ~/.nanobot/config.json (a local one such as ollama needs no API key)")),
        ),
        # nanobot 0.3.5 with the web UI on starts anyway and says so (rich wraps the rest of the line).
        degraded_output=((r"(Provider/model|Model) setup is incomplete",
                          N_("has no usable model provider"), NANOBOT_PROVIDER_FIX),),
        provider_patterns=True,
        settings_check="nanobot",
    ),
    "openclaw": Preset(
        name="openclaw",
        display_name="OpenClaw",
        command=("openclaw", "gateway", "run"),
        install_hint=N_("install Node.js 24 or newer, then: npm install -g openclaw, then: openclaw onboard"),
        health_url="http://127.0.0.1:18789/health",
        port=18789,
        data_dirs=("~/.openclaw",),
        sqlite_files=("state/openclaw.sqlite",),
        config_file="~/.openclaw/openclaw.json",
        systemd_user_unit="openclaw-gateway.service",
        launchd_label="ai.openclaw.gateway",
        startsecs="5s",
        # SIGTERM is quick when idle but can take minutes with work in flight.
        stop_timeout="3m",
        start_grace="60s",
        provider_patterns=True,
        ui_url="http://127.0.0.1:18789/",  # the Control UI, served on the gateway port
        exit_meanings={78: N_("its configuration is missing or invalid; run: openclaw onboard"),
                       1: N_("it failed to start; a common cause is that port 18789 is already taken")},
    ),
    # NanoClaw v2 (checked against qwibitai/nanoclaw 2.0.64 built from source): `node dist/index.js` in
    # its checkout; no HTTP port (the CLI talks over data/ncl.sock); exit 1 for any start-up failure.
    "nanoclaw": Preset(
        name="nanoclaw",
        display_name="NanoClaw",
        command=("node", "dist/index.js"),
        install_hint=N_("clone NanoClaw, run pnpm install && pnpm run build in the checkout (npm works too), "
                        "and set cwd to the checkout in config.toml"),
        health_command=("node", "dist/cli/client.js", "groups", "list", "--json"),
        # v2 keeps data/v2.db and data/v2-sessions/*/*/{inbound,outbound}.db (found by header) and
        # groups/; store/ is v1's (and the WhatsApp add-on's).
        data_dirs=("data", "groups", "store"),
        sqlite_files=("data/v2.db", "store/messages.db"),
        # Runtime state, not data: restoring an old circuit breaker would delay the next start.
        # (its sockets, data/ncl.sock and data/cli.sock, are left out like every *.sock).
        backup_exclude=("circuit-breaker.json",),
        startsecs="5s",
        stop_timeout="30s",
        # Its own circuit breaker sleeps up to 900 s before starting after unclean exits within the
        # last hour: a shorter grace would restart it while it waits.
        start_grace="16m",
        cwd="~/nanoclaw",
        version_file="package.json",
        provider_patterns=True,
        exit_meanings={1: N_("it failed to start (NanoClaw exits 1 for every start-up failure); "
                             "the crash report names the cause")},
        fatal_output=(
            (r"Container runtime (failed to start|is required but failed to start)",
             N_("no container runtime answers: start Docker (Podman only through a `docker` wrapper), "
                "then start NanoClaw again")),
        ),
    ),
    "custom": Preset(
        name="custom",
        display_name="assistant",
        command=(),
        install_hint=N_("set command = [...] for this program in config.toml"),
    ),
}

DEFAULT_PRESET = "nanobot"
