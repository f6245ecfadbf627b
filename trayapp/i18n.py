"""One translation layer: gettext catalogs, the choice of language, English whenever a catalog fails.

Every sentence a person reads goes through `_()` (or `ngettext` where a number decides the form) with
named placeholders, so a translator can reorder them: `_("{name} crashed ({exit})").format(...)`.
Strings made at import time are marked with `N_()` and translated where they are shown.
Machine output (`--json`, log files, journal JSON) never goes through here.

The running instance activates the config's (or the OS's) language once at start; one CLI command
may pick its own with `trayapp --lang`.
"""

from __future__ import annotations

import gettext
import logging
import os
import re
import string
import struct
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from trayapp.procs import CommandRunner, SubprocessRunner

log = logging.getLogger(__name__)

DOMAIN = "trayapp"
LOCALE_DIR = Path(__file__).parent / "locale"
# Another folder of catalogs (LANG/LC_MESSAGES/trayapp.mo), like glibc's LOCPATH: the browser tests
# run an instance with a pseudo-locale through it. Unset, the catalogs shipped with trayapp are used.
LOCALE_DIR_VAR = "TRAYAPP_LOCALE_DIR"
ENGLISH = "en"
CHINESE = "zh_CN"
SUPPORTED = (ENGLISH, CHINESE)
CHOICES = ("auto", *SUPPORTED)  # what [ui] language and --lang accept

_ENGLISH = gettext.NullTranslations()
_active: gettext.NullTranslations = _ENGLISH
_language = ENGLISH
# One thread may speak English for a while (machine output of a running instance: the journal's
# JSON) while every other thread goes on in the user's language.
_local = threading.local()


def _current() -> gettext.NullTranslations:
    override: gettext.NullTranslations | None = getattr(_local, "translations", None)
    return _active if override is None else override


def _(message: str) -> str:
    """`message` in the active language (itself in English, or when the catalog lacks it)."""
    return _safe(message, _current().gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the number `n` (English has two forms, Chinese one)."""
    english = singular if n == 1 else plural
    return _safe(english, _current().ngettext(singular, plural, n))


def english_now() -> bool:
    """Whether this thread speaks English at the moment (the language, or inside english())."""
    return _current() is _ENGLISH


@contextmanager
def english() -> Iterator[None]:
    """English on this thread only, for as long as the block runs (nests; other threads unchanged)."""
    before: gettext.NullTranslations | None = getattr(_local, "translations", None)
    _local.translations = _ENGLISH
    try:
        yield
    finally:
        _local.translations = before


def N_(message: str) -> str:
    """Marks a string for the catalog without translating it yet (module constants, tables)."""
    return message


def in_language(lang: str, message: str, locale_dir: Path = LOCALE_DIR) -> str:
    """`message` in `lang` whatever the active language: for files that carry every language at
    once (a .desktop entry's Comment[zh_CN]). English when that catalog lacks or cannot read it."""
    loaded = _load(lang, locale_dir) if lang != ENGLISH else None
    return message if loaded is None else _safe(message, loaded.gettext(message))


def language() -> str:
    """The active language: "en" or "zh_CN"."""
    return _language


def _safe(english: str, translated: str) -> str:
    """A translation whose placeholders differ from the English ones would crash `.format()`, or
    lose a value: such a translation is not used."""
    if translated is english or translated == english:
        return english
    return translated if placeholders(translated) == placeholders(english) else english


def placeholders(message: str) -> frozenset[str]:
    """The named fields of a message: "{name} crashed ({exit})" -> {"name", "exit"}."""
    try:
        return frozenset(field for _text, field, _spec, _conv in string.Formatter().parse(message)
                         if field is not None)
    except ValueError:  # an unbalanced brace: never equal to a well-formed English message's set
        return frozenset({"\0broken"})


def activate(choice: str, locale_dir: Path | None = None) -> str:
    """Use `choice`'s catalog from now on and return the language in use. A missing or broken
    catalog leaves English in use (logged once): never a crash."""
    lang = normalize(choice) or ENGLISH
    folder = locale_dir or Path(os.environ.get(LOCALE_DIR_VAR) or LOCALE_DIR)
    loaded = _load(lang, folder) if lang != ENGLISH else None
    if loaded is None:
        lang = ENGLISH
    use(loaded or _ENGLISH, lang)
    return lang


def use(translations: gettext.NullTranslations, lang: str) -> None:
    """Make `translations` the active catalog (activate(), and tests with a pseudo-locale)."""
    global _active, _language
    _active, _language = translations, lang


def _load(lang: str, locale_dir: Path) -> gettext.NullTranslations | None:
    path = locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with open(path, "rb") as f:
            return gettext.GNUTranslations(f)
    except (OSError, ValueError, struct.error, IndexError, KeyError, SyntaxError) as exc:
        log.warning("the %s translation could not be read (%s): showing English; reinstall trayapp "
                    "to get it back", lang, exc)
        return None


# -- which language ----------------------------------------------------------------------------------

_TRADITIONAL = re.compile(r"^zh[-_](?:tw|hk|mo|hant)", re.IGNORECASE)


def normalize(tag: str) -> str | None:
    """A locale name or language tag -> a language trayapp speaks, or None when it has no catalog for
    it: "zh_CN.UTF-8", "zh-CN", "zh_Hans", "zh-Hans-CN", "zh" -> "zh_CN"; "en_GB", "C", "POSIX" -> "en";
    "zh_TW", "zh-Hant" (Traditional Chinese, not yet translated), "fr_FR" -> None."""
    text = tag.strip().split(".")[0].split("@")[0]
    if not text:
        return None
    if text in ("C", "POSIX") or text.lower().split("-")[0].split("_")[0] == "en":
        return ENGLISH
    if _TRADITIONAL.match(text):
        return None
    return CHINESE if text.lower().replace("-", "_").split("_")[0] == "zh" else None


# LANGUAGE is a priority list ("zh_CN:en"); the others hold one locale. The first one set decides.
ENV_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def from_env(env: Mapping[str, str]) -> str | None:
    """The language the environment asks for, the way gettext reads it; None when nothing is set."""
    for var in ENV_VARS:
        value = env.get(var, "").strip()
        if not value:
            continue
        for item in value.split(":") if var == "LANGUAGE" else (value,):
            lang = normalize(item)
            if lang is not None:
                return lang
        if var != "LANGUAGE":  # a set locale with no catalog (fr_FR) means English, not the next var
            return ENGLISH
    return None


def parse_apple_languages(text: str) -> list[str]:
    """`defaults read -g AppleLanguages` prints a property list: ( "zh-Hans-CN", "en-US" )."""
    items = (part.strip().strip('"') for part in text.strip().strip("()").split(","))
    return [item for item in items if item]


def mac_languages(runner: CommandRunner | None = None) -> list[str]:
    """The macOS user's preferred languages, most preferred first ([] when they cannot be read)."""
    result = (runner or SubprocessRunner(timeout=5.0)).run(["defaults", "read", "-g", "AppleLanguages"])
    return parse_apple_languages(result.stdout) if result.ok else []


# Windows LANGIDs of Simplified Chinese: China (0x0804) and Singapore (0x1004); Taiwan, Hong Kong
# and Macau use Traditional Chinese. Primary language 0x09 is English.
_SIMPLIFIED_LANGIDS = (0x0804, 0x1004)


def from_windows_langid(langid: int) -> str | None:
    if langid in _SIMPLIFIED_LANGIDS:
        return CHINESE
    return ENGLISH if langid & 0x3FF == 0x09 else None


def windows_ui_langid() -> int | None:
    """The user's Windows display language (GetUserDefaultUILanguage), None elsewhere."""
    if sys.platform == "win32":
        import ctypes

        return int(ctypes.windll.kernel32.GetUserDefaultUILanguage())
    return None


def os_language(platform: str, env: Mapping[str, str], *, mac: Callable[[], list[str]] = mac_languages,
                windows: Callable[[], int | None] = windows_ui_langid) -> str:
    """The language of the user's desktop: macOS preferred languages, the Windows UI language, else
    (and on Linux) the locale variables. English when none is one trayapp speaks."""
    if platform == "darwin":
        for tag in mac():
            lang = normalize(tag)
            if lang is not None:
                return lang
    if platform == "win32":
        langid = windows()
        lang = from_windows_langid(langid) if langid is not None else None
        if lang is not None:
            return lang
    return from_env(env) or ENGLISH


def choose(choice: str | None, platform: str, env: Mapping[str, str], *,
           mac: Callable[[], list[str]] = mac_languages,
           windows: Callable[[], int | None] = windows_ui_langid) -> str:
    """`choice` ("en", "zh_CN", from --lang or [ui] language) when it names a language, else the OS's."""
    if choice and choice != "auto":
        return normalize(choice) or ENGLISH
    return os_language(platform, env, mac=mac, windows=windows)
