"""argparse's own error sentences in the user's language.

argparse builds its errors with the stdlib's `gettext` (domain "messages", chosen by the OS locale
variables), for which Python ships no Chinese. Rather than patch argparse's module globals, the
parser's `error()` hands its finished English message here: each known form is matched and said
again through trayapp's catalog, with the names and values argparse put in kept as they are. A form
not listed (a newer Python's wording) stays English: never a crash, never a lost detail.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from trayapp.i18n import _, ngettext

_Say = Callable[[re.Match[str]], str]


def _expected(m: re.Match[str]) -> str:
    n = int(m["n"])
    return ngettext("expected {n} argument", "expected {n} arguments", n).format(n=n)


# argparse's English (Python 3.11-3.13), most specific first. `argument X: ...` wraps the others.
_FORMS: tuple[tuple[re.Pattern[str], _Say], ...] = (
    (re.compile(r"invalid choice: (?P<value>.+?) \(choose from (?P<choices>.*)\)"),
     lambda m: _("invalid choice: {value} (choose from {choices})").format(value=m["value"], choices=m["choices"])),
    (re.compile(r"the following arguments are required: (?P<names>.+)"),
     lambda m: _("the following arguments are required: {names}").format(names=m["names"])),
    (re.compile(r"unrecognized arguments: (?P<words>.*)"),
     lambda m: _("unrecognized arguments: {words}").format(words=m["words"])),
    (re.compile(r"expected one argument"), lambda m: _("expected one argument")),
    (re.compile(r"expected at most one argument"), lambda m: _("expected at most one argument")),
    (re.compile(r"expected at least one argument"), lambda m: _("expected at least one argument")),
    (re.compile(r"expected (?P<n>\d+) arguments?"), _expected),
    (re.compile(r"invalid (?P<type>\S+) value: (?P<value>.+)"),
     lambda m: _("invalid {type} value: {value}").format(type=m["type"], value=m["value"])),
    (re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)"),
     lambda m: _("ambiguous option: {option} could match {matches}").format(option=m["option"],
                                                                           matches=m["matches"])),
    (re.compile(r"one of the arguments (?P<names>.+) is required"),
     lambda m: _("one of the arguments {names} is required").format(names=m["names"])),
    (re.compile(r"not allowed with argument (?P<other>.+)"),
     lambda m: _("not allowed with argument {other}").format(other=m["other"])),
    (re.compile(r"ignored explicit argument (?P<value>.+)"),
     lambda m: _("ignored explicit argument {value}").format(value=m["value"])),
)
_ARGUMENT = re.compile(r"argument (?P<argument>.+?): (?P<problem>.+)", re.DOTALL)


def translate(message: str) -> str:
    """argparse's English error message in the active language (unchanged when not one of its forms)."""
    wrapped = _ARGUMENT.fullmatch(message)
    if wrapped is not None:
        problem = _problem(wrapped["problem"])
        if problem is not None:
            return _("argument {argument}: {problem}").format(argument=wrapped["argument"], problem=problem)
    return _problem(message) or message


def _problem(text: str) -> str | None:
    for pattern, say in _FORMS:
        found = pattern.fullmatch(text)
        if found is not None:
            return say(found)
    return None


def error_line(prog: str, message: str) -> str:
    """The line argparse prints before it exits with status 2: "trayapp: error: …"."""
    return _("{prog}: error: {message}").format(prog=prog, message=translate(message)) + "\n"
