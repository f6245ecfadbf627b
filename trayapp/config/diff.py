"""What a reload changes: the running config against the new one, per program (pure).

A program whose only changes are settings read while it runs (health, limits, its display name)
is updated in place; any other change restarts it once. The sections outside [programs] are
named when they changed, so the app rebuilds only what depends on them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from trayapp.config import Config, ProgramConfig
from trayapp.i18n import N_
from trayapp.message import Message, Names, Value

# Program settings applied without a restart: read again at the next probe, sample or snapshot.
IN_PLACE = ("display_name", "limits", "depends_timeout", "restart_with_dependencies")
# Sections outside [programs] that the app applies in place.
SECTIONS = ("logs", "notifications", "disk", "backup", "tray", "dashboard", "ui", "alerts")


@dataclass(frozen=True)
class ConfigDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    restarted: tuple[str, ...] = ()  # changed so that only a new run can use the new settings
    updated: tuple[str, ...] = ()  # changed only in settings applied in place
    sections: tuple[str, ...] = ()  # top-level sections that changed

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.restarted or self.updated or self.sections)

    def lists(self) -> dict[str, list[str]]:
        """For the journal entry and `reload --json`."""
        return {"added": list(self.added), "removed": list(self.removed), "restarted": list(self.restarted),
                "updated": list(self.updated), "sections": list(self.sections)}

    def sentence(self) -> Message:
        """What changed, for the journal and the CLI: "restarted ollama; added web; logs settings
        applied" (a Message: the journal keeps it in English, `trayapp reload` says it in the user's
        language)."""
        parts = [Message(verb, names=_listed(names)) for verb, names in (
            (N_("added {names}"), self.added), (N_("removed {names}"), self.removed),
            (N_("restarted {names}"), self.restarted), (N_("updated {names}"), self.updated)) if names]
        if self.sections:
            parts.append(Message(N_("{sections} settings applied"), sections=_listed(self.sections)))
        return _joined(parts) if parts else Message(N_("nothing changed"))


def _listed(names: tuple[str, ...]) -> Value:
    """One name as it is; more as one value the language joins ("a, b" / "a、b")."""
    return names[0] if len(names) == 1 else Names(names)


def _joined(parts: list[Message]) -> Message:
    """"a; b; c" from sentences, each semicolon through the catalog."""
    if len(parts) == 1:
        return parts[0]
    return Message(N_("{first}; {rest}"), first=parts[0], rest=_joined(parts[1:]))


def diff(old: Config, new: Config) -> ConfigDiff:
    """Compare two valid configs, program by program, in the new file's order."""
    restarted: list[str] = []
    updated: list[str] = []
    for name in new.programs:
        if name in old.programs and old.programs[name] != new.programs[name]:
            target = updated if in_place(old.programs[name], new.programs[name]) else restarted
            target.append(name)
    return ConfigDiff(added=tuple(n for n in new.programs if n not in old.programs),
                      removed=tuple(n for n in old.programs if n not in new.programs),
                      restarted=tuple(restarted), updated=tuple(updated),
                      sections=tuple(s for s in SECTIONS if getattr(old, s) != getattr(new, s)))


def in_place(old: ProgramConfig, new: ProgramConfig) -> bool:
    """True when `new` differs from `old` only in settings a running program can take as they are.

    A health check that is changed (not added or removed) counts too: the next probe uses it."""
    kept = {f.name: getattr(old, f.name) for f in fields(ProgramConfig) if f.name in IN_PLACE}
    if (old.health is None) == (new.health is None):
        kept["health"] = old.health
    return replace(new, **kept) == old
