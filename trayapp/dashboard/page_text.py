"""The page's own words in the instance's language, from the same gettext catalog as the rest.

index.html and login.html are translated as they are served: the text right after a start tag
that carries `data-i18n` (up to the next tag) and every `aria-label`, `placeholder`, `title` and
`alt` value are msgids; `<html lang>` names the language. app.js says its words through `t()`,
`tn()` and `N_()`; scripts/i18n lists those msgids in static/messages.json, and the server hands
the page their translations in a `<script type="application/json">` block (data, never run: the
CSP forbids inline scripts that run). `extract_html` is the Babel extractor of the HTML's msgids,
so extraction and serving read the same marks.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from trayapp.i18n import _, language, ngettext

MESSAGES_FILE = "messages.json"  # in the static folder, written by scripts/i18n
JS_KEYWORDS = {"t": None, "tn": (1, 2), "N_": None}  # app.js's message functions, for Babel
_MARKED_TEXT = re.compile(r"(<[a-z][a-z0-9]*\b[^>]*\sdata-i18n\b[^>]*>)([^<]*)")
_ATTRIBUTE = re.compile(r'(\s(?:aria-label|placeholder|title|alt)=")([^"]+)(")')
_HTML_LANG = re.compile(r'<html lang="[^"]*"')

Translate = Callable[[str], str]


def html_messages(page: str) -> Iterator[tuple[int, str]]:
    """(line number, msgid) of every text the page shows, in the order they appear."""
    found = [(m.start(2), m.group(2)) for m in _MARKED_TEXT.finditer(page)]
    found += [(m.start(2), m.group(2)) for m in _ATTRIBUTE.finditer(page)]
    for start, raw in sorted(found):
        msgid = html.unescape(raw).strip()
        if msgid:
            yield page.count("\n", 0, start) + 1, msgid


def translate_html(page: str, translate: Translate = _) -> str:
    """The page with every marked text and attribute in the active language."""
    def text(match: re.Match[str]) -> str:
        return match.group(1) + _swap(match.group(2), translate)

    def attribute(match: re.Match[str]) -> str:
        return match.group(1) + _swap(match.group(2), translate).replace('"', "&quot;") + match.group(3)

    page = _HTML_LANG.sub(f'<html lang="{html_lang()}"', page, count=1)
    return _ATTRIBUTE.sub(attribute, _MARKED_TEXT.sub(text, page))


def _swap(raw: str, translate: Translate) -> str:
    """`raw` translated, its surrounding white space kept (it separates the text from a control)."""
    msgid = html.unescape(raw).strip()
    if not msgid:
        return raw
    head, tail = raw[:len(raw) - len(raw.lstrip())], raw[len(raw.rstrip()):]
    return head + html.escape(translate(msgid), quote=False) + tail


def html_lang() -> str:
    """The active language as a BCP 47 tag: "zh_CN" -> "zh-CN"."""
    return language().replace("_", "-")


# -- app.js ----------------------------------------------------------------------------------------

def page_messages(static_dir: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """app.js's msgids and (singular, plural) pairs, as scripts/i18n listed them; none when the
    list is missing or damaged (the page then shows its English words)."""
    try:
        data = json.loads((static_dir / MESSAGES_FILE).read_text(encoding="utf-8"))
        singles = [m for m in data["messages"] if isinstance(m, str)]
        plurals = [(p[0], p[1]) for p in data["plurals"] if isinstance(p, list) and len(p) == 2]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return [], []
    return singles, [(s, p) for s, p in plurals if isinstance(s, str) and isinstance(p, str)]


def translations(singles: list[str], plurals: list[tuple[str, str]]) -> dict[str, object]:
    """What app.js's t() and tn() look up. A plural is sent as its forms for one and for many:
    English has those two and Chinese one (the same text twice), the languages trayapp speaks."""
    return {"lang": html_lang(), "messages": {m: _(m) for m in singles},
            "plurals": {s: [ngettext(s, p, 1), ngettext(s, p, 2)] for s, p in plurals}}


def messages_block(data: dict[str, object]) -> str:
    """A non-running script element holding `data`; "<" is escaped so no text can end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/json" id="messages">{text}</script>'


# -- Babel -----------------------------------------------------------------------------------------

def extract_html(fileobj: IO[bytes], keywords: object, comment_tags: object,
                 options: object) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel's extraction method for the static pages (named in scripts/i18n's mapping)."""
    for line, msgid in html_messages(fileobj.read().decode("utf-8")):
        yield line, None, msgid, []
