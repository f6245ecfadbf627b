"""Running but cannot answer: the sources of the *degraded* health level that need no request.

A health endpoint that answers 200 says the process listens, not that the assistant can reply. Two
things here know better, both pure:

- what the program prints: nanobot's "Provider/model setup is incomplete", a provider's 401 or 429
  (patterns per preset, and `degraded_patterns` from config.toml);
- the assistant's own settings: nanobot with no usable model provider.

An output verdict holds until the program restarts, or until DEGRADED_HOLD (supervisor/program.py)
passes with no new match (a quota error at 3 am should not colour the icon all day). A settings
verdict holds while the settings say so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trayapp.config import ProgramConfig
from trayapp.config.presets import NANOBOT_PROVIDER_FIX
from trayapp.i18n import N_
from trayapp.message import Message
from trayapp.status import RUNNING_BUT


@dataclass(frozen=True)
class Verdict:
    """Why a running program cannot answer, and what the user can do about it."""

    reason: Message | str  # a Message when trayapp wrote it; a degraded_patterns reason from config.toml is str
    fix: Message | str = ""


@dataclass(frozen=True)
class Pattern:
    """An output line that means "degraded". `reason` may use the match's named groups: "{detail}".

    `ours`: reason and fix are trayapp's N_-marked words (presets, providers), said through the
    catalog; else they are the user's own (degraded_patterns in config.toml), shown as written.
    `lead`: the program's name when the reason reads after "NAME is running but" (a preset's)."""

    regex: re.Pattern[str]
    reason: str
    fix: str = ""
    ours: bool = False
    lead: str = ""

    @classmethod
    def of(cls, regex: str, reason: str, fix: str = "", *, ours: bool = False, lead: str = "") -> Pattern:
        return cls(re.compile(regex, re.IGNORECASE), reason, fix, ours, lead)

    def verdict(self, line: str) -> Verdict | None:
        found = self.regex.search(line)
        if found is None:
            return None
        groups = {k: (v or "").strip() for k, v in found.groupdict().items()}
        if self.ours:
            said = Message(self.reason, **groups)
            return Verdict(Message(RUNNING_BUT, name=self.lead, what=said) if self.lead else said,
                           Message(self.fix) if self.fix else "")
        try:
            return Verdict(self.reason.format(**groups), self.fix)
        except Exception:  # a reason config check let through ({x[0]}, {x.y}): show it as written
            return Verdict(self.reason, self.fix)


# Any assistant that talks to a hosted model: the provider refused the key, or the quota is spent.
PROVIDER_PATTERNS: tuple[Pattern, ...] = (
    Pattern.of(r"invalid[ _-]?api[ _-]?key|incorrect api key|authentication_error|"
               r"\b401\b[^\n]{0,80}(unauthori[sz]ed|api[ _-]?key|authentication)",
               N_("the model provider rejects the API key"),
               N_("check the key in the assistant's settings (it may be wrong, revoked or expired)"), ours=True),
    Pattern.of(r"insufficient_quota|exceeded your current quota|quota exceeded|"
               r"\b429\b[^\n]{0,80}(too many requests|rate|quota)|rate[ _-]?limit(ed)? (reached|exceeded)",
               N_("the model provider's quota or rate limit is used up"),
               N_("wait for it to reset, or raise the limit or add credit with the provider"), ours=True),
)


# nanobot providers that need no API key: local servers, sign-in (OAuth) and endpoint-only ones.
_KEYLESS = {"ollama", "vllm", "lmstudio", "atomicchat", "ovms", "custom", "azureopenai", "bedrock",
            "qianfan", "openaicodex", "githubcopilot", "xaigrok"}
NANOBOT_FIX = NANOBOT_PROVIDER_FIX


def nanobot_provider(data: Mapping[str, Any]) -> Verdict | None:
    """None when nanobot's config names a usable model provider, else why not.

    Follows nanobot's own choice: agents.defaults.provider when it is not "auto", else the model's
    "prefix/" (anthropic/claude-...), else any provider with a key."""
    defaults = _mapping(_mapping(data.get("agents")).get("defaults"))
    providers = _mapping(data.get("providers"))
    model = str(defaults.get("model") or "")
    forced = str(defaults.get("provider") or "auto")
    name = forced if forced != "auto" else (model.split("/", 1)[0] if "/" in model else "")
    if name:
        return _provider_verdict(name, providers, model)
    if any(_has_key(p) for p in providers.values()):
        return None
    what = Message(N_("has no usable model provider for {model}"), model=model or Message(N_("its model")))
    return Verdict(Message(RUNNING_BUT, name="nanobot", what=what), Message(NANOBOT_FIX))


def _provider_verdict(name: str, providers: Mapping[str, Any], model: str) -> Verdict | None:
    key = name.replace("-", "").replace("_", "").lower()
    if key in _KEYLESS:
        return None
    entry = next((p for n, p in providers.items() if n.replace("-", "").replace("_", "").lower() == key), None)
    if _has_key(entry):
        return None
    what = (Message(N_("its model provider ({provider}) has no API key for {model}"), provider=name, model=model)
            if model else Message(N_("its model provider ({provider}) has no API key"), provider=name))
    return Verdict(Message(RUNNING_BUT, name="nanobot", what=what), Message(NANOBOT_FIX))


def _has_key(provider: Any) -> bool:
    if not isinstance(provider, Mapping):
        return False
    key = provider.get("apiKey", provider.get("api_key"))
    return isinstance(key, str) and bool(key.strip())


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def patterns_for(cfg: ProgramConfig) -> tuple[Pattern, ...]:
    """The program's degraded patterns: its config's, its preset's, then the provider ones."""
    own = tuple(Pattern.of(p.pattern, p.reason, p.fix) for p in cfg.degraded_patterns)
    preset = tuple(Pattern.of(*spec, ours=True, lead=cfg.display_name) for spec in cfg.info.degraded_output)
    return own + preset + (PROVIDER_PATTERNS if cfg.info.provider_patterns else ())


def from_settings(cfg: ProgramConfig, environ: Mapping[str, str]) -> Verdict | None:
    """What the program's own settings say (nanobot: a usable provider?); None when fine or unreadable
    (an unreadable file is the doctor's to report, and the program's own to complain about)."""
    if cfg.info.settings_check != "nanobot" or not cfg.info.config_file:
        return None
    from trayapp.config import expand

    path = Path(expand(cfg.info.config_file, environ))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return nanobot_provider(data) if isinstance(data, Mapping) else None
