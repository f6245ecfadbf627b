"""trayapp's config.toml, and the assistant's own config for the assistants trayapp knows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trayapp.i18n import N_, _
from trayapp.doctor import nanobot, openclaw
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.json5 import loads as json5_loads
from trayapp.doctor.report import Check, fail, ok

GROUP = N_("config")


def checks(inp: Inputs) -> list[Check]:
    return [_trayapp(inp), *_assistant(inp)]


def _trayapp(inp: Inputs) -> Check:
    path = inp.paths.config_file
    if inp.config_error:
        first = inp.config_error.strip().splitlines()
        return fail(GROUP, N_("config.toml"), " ".join(line.strip() for line in first[:3])[:300],
                    _("edit the file, then run `trayapp config check`"))
    if not path.exists():
        return ok(GROUP, N_("config.toml"), _("no {path}; the defaults (nanobot) are used").format(path=path))
    return ok(GROUP, N_("config.toml"), _("{path} is valid").format(path=path))


def _assistant(inp: Inputs) -> list[Check]:
    program = inp.config.assistant
    if program.info.config_file is None or program.preset not in ("nanobot", "openclaw"):
        return []
    path = inp.expand(program.info.config_file, program)
    if not path.is_file():
        return []  # the assistant group already says it is missing
    try:
        data = read_assistant_config(path)
    except (OSError, ValueError) as exc:
        return [fail(GROUP, f"{program.display_name} config", _("{path} cannot be read: {value}").format(
            path=path, value=str(exc)[:200]),
                     _("fix the file (it must be valid {value})").format(
                         value='JSON5' if program.preset == 'openclaw' else 'JSON'))]
    if not isinstance(data, dict):
        return [fail(GROUP, f"{program.display_name} config", _("{path} does not hold a JSON object").format(path=path),
                     _("fix the file, or move it aside and run the assistant's onboarding again"))]
    if program.preset == "openclaw":
        return openclaw.checks(data, inp.environ)
    return nanobot.checks(data)


def read_assistant_config(path: Path) -> Any:
    """JSON (nanobot) or JSON5 (OpenClaw). Raises OSError or ValueError."""
    text = path.read_text(encoding="utf-8")
    return json5_loads(text) if path.suffix == ".json5" or "openclaw" in path.name else json.loads(text)
