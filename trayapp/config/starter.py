"""The commented starter config.toml that `trayapp config init` writes, one per preset."""

from __future__ import annotations

from trayapp.config.presets import PRESETS


def render(preset: str) -> str:
    """A complete, valid config.toml for `preset`, every setting explained."""
    p = PRESETS[preset]
    if preset == "custom":
        program = '''[programs.assistant]
# The command to run, as a list (no shell). ${VAR} and ~ are expanded.
command = ["my-assistant", "serve"]
display_name = "assistant"
# cwd = "~/my-assistant"
# env = { API_BASE = "http://127.0.0.1:8080" }
'''
    else:
        program = f'''[programs.assistant]
# What is known about {p.display_name} comes from the "{preset}" preset: its command,
# health check, data folders and the meaning of its exit codes. Any key below overrides it.
preset = "{preset}"
# command = {list(p.command)!r}
'''.replace("'", '"')
        if p.cwd:
            program += f'cwd = "{p.cwd}"   # the checkout\n'
    health = (f'url = "{p.health_url}"' if p.health_url
              else f"command = {list(p.health_command)!r}".replace("'", '"') if p.health_command
              else '# url = "http://127.0.0.1:8080/health"   # or tcp = "127.0.0.1:8080", or command = [...]')
    return f'''# trayapp configuration. Check it with: trayapp config check
# Durations are written like "10s", "5m", "1h"; sizes like "50MB", "2GB".

{program}autostart = true            # start it when trayapp starts
restart = "on-failure"      # always | on-failure | never
startsecs = "{p.startsecs}"           # a start counts once it stays up this long
stop_timeout = "{p.stop_timeout}"        # after the stop signal, wait this long, then SIGKILL the whole tree
stop_signal = "TERM"
max_restarts = 5            # restart intensity: at most 5 restarts ...
window = "2m"               # ... within 2 minutes, then "given up" (one notification)
retry_after_give_up = "10m" # a given-up program is tried again this often; Start clears it
exit_codes = [0]            # exit codes that mean "finished fine"
no_restart_exit_codes = [78]  # 78 (EX_CONFIG): fix the configuration first, no restart

[programs.assistant.backoff]
initial = "1s"
multiplier = 2
max = "60s"
jitter = 0.1                # +-10% so restarts do not line up
reset_after = "60s"         # a run this long resets the backoff

[programs.assistant.health]
{health}
interval = "10s"
timeout = "5s"
failures = 3                # consecutive failures before acting
start_grace = "{p.start_grace}"        # failures right after a start do not count
action = "restart"          # restart | notify

[programs.assistant.limits]
# memory = "2GB"            # RSS of the whole process tree
# cpu = 90                  # percent of one core
samples = 3                 # consecutive samples over the limit before acting
interval = "10s"

# A companion program, e.g. a local model server:
# [programs.models]
# command = ["ollama", "serve"]
# [programs.models.health]
# url = "http://127.0.0.1:11434/api/version"

[logs]
max_size = "10MB"           # rotate at this size
keep = 5                    # rotated files to keep (gzip-compressed)
total_cap = "200MB"         # all of one program's logs together
redact = true               # hide API keys, tokens and passwords before they reach disk

[tray]
on_quit = "ask"             # ask | stop | leave (the assistant running)

[ui]
language = "auto"           # auto (the computer's language) | en | zh_CN (简体中文)

[dashboard]
enabled = true              # the local web page: `trayapp dashboard --open`, or the tray menu
port = 0                    # 0: trayapp picks a free port once and keeps it; 127.0.0.1 only
'''
