"""Human durations and sizes: parse "10s", "5m", "50MB"; format 3723 -> "1h 2m"."""

from __future__ import annotations

import re

from trayapp.i18n import N_, _, ngettext

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
    "t": 1000**4, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*")
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


def parse_duration(value: str | int | float) -> float:
    """Seconds from "1h30m", "90s", "250ms", "2.5m" or a bare number of seconds.

    Raises ValueError with a message naming the accepted forms.
    """
    if isinstance(value, bool):
        raise ValueError(_('expected a duration such as "10s", "5m" or "1h", not true/false'))
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(_("a duration must be a finite number of seconds"))
        if value < 0:
            raise ValueError(_("a duration cannot be negative"))
        return float(value)
    if not isinstance(value, str):
        raise ValueError(_('expected a duration such as "10s", "5m" or "1h"'))
    text = value.strip().lower()
    pos, total = 0, 0.0
    while pos < len(text):
        match = _PART.match(text, pos)
        if not match:
            raise ValueError(_('{value!r} is not a duration; write it like "10s", "5m", "1h30m" or "250ms"').format(
                value=value))
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if not text:
        raise ValueError(_('empty duration; write it like "10s" or "5m"'))
    return total


def parse_size(value: str | int) -> int:
    """Bytes from "50MB", "1.5GiB", "512k" or a bare integer number of bytes."""
    if isinstance(value, bool):
        raise ValueError(_('expected a size such as "50MB" or "1GB", not true/false'))
    if isinstance(value, int):
        if value < 0:
            raise ValueError(_("a size cannot be negative"))
        return value
    match = _SIZE.fullmatch(value)
    unit = match.group(2).lower() if match else None
    if not match or unit not in _SIZE_UNITS:
        raise ValueError(_('{value!r} is not a size; write it like "50MB", "2GB" or "512KiB"').format(value=value))
    return int(float(match.group(1)) * _SIZE_UNITS[unit])


# Each unit as people write it: "2h 14m" in English, "2 小时 14 分" in Chinese.
_UNIT_FORMS = {"d": N_("{n}d"), "h": N_("{n}h"), "m": N_("{n}m"), "s": N_("{n}s")}


def format_duration(seconds: float) -> str:
    """The two largest units, rounded down: 0.25 -> "250ms", 75 -> "1m 15s", 8000 -> "2h 13m"."""
    if seconds < 0:
        seconds = 0
    if seconds < 1:
        return _("{n}ms").format(n=int(seconds * 1000)) if seconds > 0 else _("{n}s").format(n=0)
    if seconds < 10 and seconds != int(seconds):
        return _("{n}s").format(n=f"{seconds:.1f}".removesuffix(".0"))
    whole = int(seconds)
    parts: list[tuple[str, int]] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size or (unit == "s" and not parts):
            parts.append((unit, whole // size))
            whole %= size
        if len(parts) == 2:
            break
    if len(parts) == 2 and parts[1][1] == 0:
        parts.pop()
    return " ".join(_(_UNIT_FORMS[unit]).format(n=n) for unit, n in parts)


def format_size(n: float) -> str:
    """Decimal units, as disks are sold: 999 -> "999B", 52_428_800 -> "52MB", 1.5e9 -> "1.5GB"."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            number = f"{int(n)}" if unit == "B" or n >= 10 or n == int(n) else f"{n:.1f}"
            # TRANSLATORS: a size such as "1.2GB"; Chinese writes a space: "1.2 GB".
            return _("{number}{unit}").format(number=number, unit=unit)
        n /= 1000
    raise AssertionError("unreachable")


# -- said the way people say it: for sentences a person reads (history, menus, notifications) ----------

def format_wait(seconds: float) -> str:
    """A countdown, in whole seconds: 7.642 -> "8s", 0.2 -> "1s", 75.4 -> "1m 15s"."""
    return format_duration(max(1, round(seconds)))


def format_took(seconds: float) -> str:
    """How long something took or lasted: 0.3 -> "under a second", 2.6 -> "3s", 3723.4 -> "1h 2m"."""
    if seconds < 1:
        return _("under a second")
    return format_duration(round(seconds))


def _ago(size: int, n: int) -> str:
    if size == 86400:
        return ngettext("{n} day ago", "{n} days ago", n).format(n=n)
    if size == 3600:
        return ngettext("{n} hour ago", "{n} hours ago", n).format(n=n)
    if size == 60:
        return ngettext("{n} minute ago", "{n} minutes ago", n).format(n=n)
    return ngettext("{n} second ago", "{n} seconds ago", n).format(n=n)


def format_ago(seconds: float) -> str:
    """How long ago, in the largest whole unit: 0.3 -> "just now", 150 -> "2 minutes ago", 90000 -> "1 day ago"."""
    if seconds < 10:
        return _("just now")
    for size in (86400, 3600, 60, 1):
        if seconds >= size:
            return _ago(size, int(seconds // size))
    raise AssertionError("unreachable")


def count(n: int, word: str, many: str | None = None) -> str:
    """A number and its English noun in agreement: (1, "database") -> "1 database", (3, "file") -> "3 files".
    English only (machine-facing and log text): a sentence a person reads uses `ngettext` instead."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
