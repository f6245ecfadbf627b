"""A sentence kept as its message and its values, so each reader gets it in their own language.

Reasons the supervisor, the alert rules and the backup engine give ("gave up after 5 crashes in
1m") are made in one place and read in others: the tray, `trayapp status`, the dashboard, the
journal. A `Message` holds the English message (a catalog msgid, marked with `N_`) and its values;
`str()` is the English sentence (journal JSON, `--json`, log files), `.words()` the sentence in the
active language. Values may be Messages themselves, and durations and sizes stay numbers until
they are shown, so "1m 15s" becomes "1 分 15 秒" in Chinese.

    reason = Message(N_("gave up after {crashes} crashes in {window}"), crashes=5, window=Duration(60))
    str(reason)      -> "gave up after 5 crashes in 1m"
    reason.words()   -> "连续崩溃 5 次（1 分内），已放弃重启"   (under zh_CN)

`to_json()`/`from_json()` carry it through the journal and the control channel; anything malformed
read back is None, never an exception (the journal is a file anyone may have edited).
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Union

from trayapp import units
from trayapp.i18n import _, english, english_now


@dataclass(frozen=True)
class Duration:
    """Seconds, shown as a duration: 75 -> "1m 15s"."""
    seconds: float

    def words(self) -> str:
        return units.format_duration(self.seconds)


@dataclass(frozen=True)
class Wait:
    """Seconds to wait, shown in whole seconds: 7.6 -> "8s"."""
    seconds: float

    def words(self) -> str:
        return units.format_wait(self.seconds)


@dataclass(frozen=True)
class Size:
    """Bytes, shown in decimal units: 52_428_800 -> "52MB"."""
    bytes: float

    def words(self) -> str:
        return units.format_size(self.bytes)


@dataclass(frozen=True)
class Names:
    """Names in a list, joined the way the language joins them: "web, ollama" / "web、ollama"."""
    names: tuple[str, ...]

    def words(self) -> str:
        return _(", ").join(self.names)


@dataclass(frozen=True)
class Both:
    """Text made twice, in English and in the user's language, by code that has no Message for it (a
    config problem): a notice shows `said`, its English twin (the log) `english`. Never journaled."""
    english: str
    said: str

    def words(self) -> str:
        return self.english if english_now() else self.said


Unit = Union[Duration, Wait, Size]
Value = Union[str, int, float, "Message", Duration, Wait, Size, Names, Both]

_UNITS: dict[str, Callable[[float], Unit]] = {"duration": Duration, "wait": Wait, "size": Size}
_UNIT_NAMES = {Duration: "duration", Wait: "wait", Size: "size"}


class Message:
    """An English message with named {placeholders} and the values that fill them."""

    __slots__ = ("message", "values")

    def __init__(self, message: str, /, **values: Value) -> None:
        self.message = message
        self.values: Mapping[str, Value] = values

    def words(self) -> str:
        """The sentence in the active language (English where the catalog lacks the message). Never
        raises: a Message read back from an edited journal whose values do not fit shows its text."""
        try:
            shown = {name: _shown(value) for name, value in self.values.items()}
            return _(self.message).format(**shown)
        except Exception:  # values from a file anyone may have edited
            return self.message

    def __str__(self) -> str:
        with english():
            return self.words()

    def __repr__(self) -> str:
        return f"Message({self.message!r}, {dict(self.values)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.message, dict(self.values)) == (other.message, dict(other.values))

    def __hash__(self) -> int:
        return hash(self.message)

    def to_json(self) -> dict[str, object]:
        """{"message": "...", "values": {...}}: numbers stay numbers, units say which they are."""
        return {"message": self.message, "values": {name: _json(value) for name, value in self.values.items()}}

    @classmethod
    def from_json(cls, data: object, depth: int = 0) -> Message | None:
        """The Message `to_json` made, or None for anything else: a template with anything but plain
        {names} (no attributes, indexes, conversions or format specs: "{a:>300000000}" would build a
        300 MB string), numbers that are not finite, or Messages nested deeper than MAX_DEPTH."""
        if depth > MAX_DEPTH or not isinstance(data, dict) or not _plain_template(data.get("message")):
            return None
        raw = data.get("values", {})
        if not isinstance(raw, dict):
            return None
        values: dict[str, Value] = {}
        for name, item in raw.items():
            value = _from_json(item, depth)
            if not isinstance(name, str) or value is None:
                return None
            values[name] = value
        said = cls(data["message"], **values)
        return said if said.longest() <= MAX_SHOWN else None

    def longest(self) -> int:
        """An upper bound of len(str(self)): the template's own text plus each field's value as
        often as the field appears (a value used twice, nested, would double at every level)."""
        total = 0
        for text, field, _spec, _conversion in string.Formatter().parse(self.message):
            total += len(text) + (_longest(self.values.get(field, "")) if field is not None else 0)
        return total


# Sentences nest three deep ("{reason}; trying again in {wait}" around "gave up: {reason}"); lists
# of names are one value (Names). A hostile journal gets neither deep recursion nor, through a field
# used many times at every level, a gigabyte string out of a short line (MAX_SHOWN).
MAX_DEPTH = 8
MAX_SHOWN = 20_000  # characters: a sentence read back from the journal is refused past this


def _plain_template(message: object) -> bool:
    if not isinstance(message, str) or len(message) > 2000:
        return False
    try:
        parts = list(string.Formatter().parse(message))
    except ValueError:
        return False
    return all(field is None or (field.isidentifier() and not spec and conversion is None)
               for _text, field, spec, conversion in parts)


def words(text: Message | str) -> str:
    """What a person reads: a Message in the active language; a plain string (a program's own
    output, a path, an error from the system) as it is."""
    return text.words() if isinstance(text, Message) else text


def _shown(value: Value) -> str | int | float:
    if isinstance(value, (Message, Duration, Wait, Size, Names, Both)):
        return value.words()
    return value


def _longest(value: Value) -> int:
    if isinstance(value, Message):
        return value.longest()
    if isinstance(value, Names):
        return sum(len(name) + 2 for name in value.names)
    if isinstance(value, Both):
        return max(len(value.english), len(value.said))
    return len(value) if isinstance(value, str) else 40  # a number or a unit in words


def _json(value: Value) -> object:
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, Names):
        return {"names": list(value.names)}
    if isinstance(value, Both):
        return value.english  # JSON is for machines
    if isinstance(value, (Duration, Wait, Size)):
        return {"unit": _UNIT_NAMES[type(value)], "value": value.seconds if not isinstance(value, Size) else value.bytes}
    return value


def _from_json(item: object, depth: int) -> Value | None:
    if isinstance(item, bool) or (isinstance(item, float) and not math.isfinite(item)):
        return None
    if isinstance(item, (str, int, float)):
        return item
    if isinstance(item, dict) and "names" in item:
        names = item.get("names")
        ok = isinstance(names, list) and len(names) <= 1000 and all(isinstance(n, str) for n in names)
        return Names(tuple(names)) if ok and isinstance(names, list) else None
    if isinstance(item, dict) and "unit" in item:
        make = _UNITS.get(str(item.get("unit")))
        number = item.get("value")
        if make is None or isinstance(number, bool) or not isinstance(number, (int, float)):
            return None
        return make(float(number)) if math.isfinite(number) and abs(number) < 1e15 else None
    return Message.from_json(item, depth + 1)
