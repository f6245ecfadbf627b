"""A check's result, the whole report, and how it is shown (text for people, a dict for JSON)."""

from __future__ import annotations

import enum
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from trayapp.i18n import N_, _


class Level(enum.StrEnum):
    OK = "ok"
    INFO = "info"  # a fact worth knowing; never a problem
    WARN = "warn"  # works, but risky or about to break
    FAIL = "fail"  # broken: `trayapp doctor` exits non-zero


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, what was seen (one line) and what to do (one line)."""

    group: str  # "environment", "assistant", "config", "permissions", ...
    name: str
    level: Level
    evidence: str
    fix: str = ""
    changed: tuple[str, ...] = ()  # what `--fix` changed for this check
    subject: str = ""  # what it is about (a path) where one check name repeats: keeps `id` unique
    autofix: str = ""  # what `--fix` would change here, in words; "" when it cannot fix it
    title: str = ""  # the name as a person reads it, when `name` is made of parts ("nanobot program")

    @property
    def label(self) -> str:
        """The name in the user's language (`name` stays English: it makes the stable `id`)."""
        return self.title or _(self.name)

    @property
    def id(self) -> str:
        """Stable across runs: the group, the name and (hashed) the subject. "permissions.config-toml"."""
        slug = f"{_slug(self.group)}.{_slug(self.name)}"
        if not self.subject:
            return slug
        return f"{slug}-{hashlib.sha256(self.subject.encode('utf-8', 'replace')).hexdigest()[:10]}"

    @property
    def fix_id(self) -> str | None:
        """The id of the fix `--fix` would apply here; None when there is none."""
        return f"fix.{self.id}" if self.autofix else None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "group": self.group, "name": self.name, "status": str(self.level),
                "evidence": self.evidence, "fix": self.fix or None, "changed": list(self.changed),
                "fix_id": self.fix_id}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "check"


def ok(group: str, name: str, evidence: str, *, title: str = "") -> Check:
    return Check(group, name, Level.OK, evidence, title=title)


def info(group: str, name: str, evidence: str, fix: str = "", *, title: str = "") -> Check:
    return Check(group, name, Level.INFO, evidence, fix, title=title)


def warn(group: str, name: str, evidence: str, fix: str, *, title: str = "") -> Check:
    return Check(group, name, Level.WARN, evidence, fix, title=title)


def fail(group: str, name: str, evidence: str, fix: str, *, title: str = "") -> Check:
    return Check(group, name, Level.FAIL, evidence, fix, title=title)


# TRANSLATORS: the status mark before each line of `trayapp doctor`, four columns wide (two CJK characters).
_MARK = {Level.OK: N_("OK"), Level.INFO: N_("INFO"), Level.WARN: N_("WARN"), Level.FAIL: N_("FAIL")}


def mark(level: Level) -> str:
    """The level's mark padded to four terminal columns (a CJK character takes two)."""
    said = _(_MARK[level])
    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in said)
    return said + " " * max(0, 4 - width)


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    created_at: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict)  # versions, paths: for the debug bundle

    @classmethod
    def of(cls, checks: Iterable[Check], created_at: float = 0.0, **facts: Any) -> "Report":
        return cls(tuple(checks), created_at, dict(facts))

    def count(self, level: Level) -> int:
        return sum(1 for c in self.checks if c.level is level)

    @property
    def failed(self) -> bool:
        return self.count(Level.FAIL) > 0

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> str:
        return _("{failed} failed, {warnings} warnings, {ok} ok, {info} info").format(
            failed=self.count(Level.FAIL), warnings=self.count(Level.WARN), ok=self.count(Level.OK),
            info=self.count(Level.INFO))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": not self.failed, "summary": self.summary(), "created_at": self.created_at,
                "facts": self.facts, "checks": [c.to_dict() for c in self.checks]}

    def render_text(self) -> str:
        """The report for a terminal or the status window: grouped, one line per check."""
        lines: list[str] = []
        group = None
        for check in self.checks:
            if check.group != group:
                group = check.group
                lines.append(("" if not lines else "\n") + _(group).capitalize())
            lines.append(f"  {mark(check.level)}  " + _("{check}: {evidence}").format(check=check.label,
                                                                                     evidence=check.evidence))
            if check.fix and check.level is not Level.OK:
                lines.append("        " + _("fix: {fix}").format(fix=check.fix))
            lines.extend("        " + _("changed: {what}").format(what=what) for what in check.changed)
        lines.append(f"\n{self.summary()}")
        return "\n".join(lines)
