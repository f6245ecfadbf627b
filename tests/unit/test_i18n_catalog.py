"""The catalogs: every message of the source is in the template, translated in zh_CN (not fuzzy, not
empty, the same placeholders), and the shipped .mo files say what the .po files say.
Run `scripts/i18n` after changing a message; these tests say when it was forgotten."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from trayapp import i18n

LOCALE = i18n.LOCALE_DIR
SOURCE = LOCALE.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# Python, the dashboard's app.js and its pages, as scripts/i18n extracts them
METHODS = [("**.py", "python"), ("dashboard/static/*.js", "javascript"),
           ("dashboard/static/*.html", "trayapp.dashboard.page_text:extract_html")]


def _po(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


def _key(message: Message) -> str:
    return message.id[0] if isinstance(message.id, (tuple, list)) else str(message.id)


def _forms(message: Message) -> tuple[str, ...]:
    """The translation's forms: one, or one per plural form."""
    given = message.string
    return tuple(given) if isinstance(given, (tuple, list)) else (given or "",)


def _source_messages() -> set[str]:
    from trayapp.dashboard.page_text import JS_KEYWORDS

    found = extract_from_dir(str(SOURCE), method_map=METHODS, keywords={**KEYWORDS, **JS_KEYWORDS},
                             comment_tags=(), strip_comment_tags=True)
    return {msgid[0] if isinstance(msgid, tuple) else msgid for _file, _line, msgid, _comments, _context in found}


def test_the_template_holds_every_message_of_the_source() -> None:
    template = {_key(m) for m in _po(LOCALE / "trayapp.pot") if m.id}
    source = _source_messages()
    assert source - template == set(), "new messages: run scripts/i18n"
    assert template - source == set(), "messages no longer in the source: run scripts/i18n"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    template = {_key(m) for m in _po(LOCALE / "trayapp.pot") if m.id}
    catalog = _po(LOCALE / lang / "LC_MESSAGES" / "trayapp.po", locale=lang)
    messages = {_key(m): m for m in catalog if m.id}
    assert template - set(messages) == set(), f"{lang} misses these messages"
    problems = []
    for key, message in messages.items():
        forms = _forms(message)
        if message.fuzzy or not all(forms):
            problems.append(f"{key!r}: fuzzy or empty")
        for form in forms:
            if i18n.placeholders(form) != i18n.placeholders(key):
                problems.append(f"{key!r}: placeholders of {form!r} differ")
    assert problems == []


def test_chinese_has_one_plural_form() -> None:
    catalog = _po(LOCALE / "zh_CN" / "LC_MESSAGES" / "trayapp.po", locale="zh_CN")
    assert catalog.num_plurals == 1
    plurals = [m for m in catalog if m.pluralizable]
    assert plurals and all(len(_forms(m)) == 1 for m in plurals)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_compiled_catalog_says_what_the_po_says(lang: str) -> None:
    """A .po edited without scripts/i18n would ship stale translations."""
    with open(LOCALE / lang / "LC_MESSAGES" / "trayapp.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for message in _po(LOCALE / lang / "LC_MESSAGES" / "trayapp.po", locale=lang):
        if not message.id:
            continue
        if message.pluralizable:
            assert compiled.ngettext(message.id[0], message.id[1], 5) == _forms(message)[-1 if lang == "en" else 0]
        else:
            assert compiled.gettext(_key(message)) == _forms(message)[0], message.id


def test_chinese_sentences_use_full_width_punctuation() -> None:
    """A Chinese sentence with an ASCII comma, colon or semicolon between Chinese words reads as machine
    output; English inside (commands, names, units) keeps its own punctuation."""
    import re

    half_width = re.compile(r"[\u4e00-\u9fff][,;:!?]|[,;:!?]\s*[\u4e00-\u9fff]")
    catalog = _po(LOCALE / "zh_CN" / "LC_MESSAGES" / "trayapp.po", locale="zh_CN")
    bad = [text for m in catalog if m.id for text in _forms(m) if half_width.search(text)]
    assert bad == []
