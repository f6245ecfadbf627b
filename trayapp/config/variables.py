"""${VAR}, ${VAR:-default} and a leading ~ in config strings, expanded exactly once.

The reader expands every string of the file in one pass before it reads a single key, so no
setting can be expanded twice (a variable whose value holds "${OTHER}" stays that text) and none
is forgotten (an alert's webhook URL is expanded like a program's command).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand(value: str, environ: Mapping[str, str]) -> str:
    """${VAR} and ${VAR:-default} from `environ`, then a leading ~. Unknown variables -> ""."""
    text = _VAR.sub(lambda m: environ.get(m.group(1), m.group(2) or ""), value)
    if text.startswith("~"):
        home = environ.get("HOME") or os.path.expanduser("~")
        text = home + text[1:] if text == "~" or text[1] in "/\\" else os.path.expanduser(text)
    return text


def expand_document(document: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Every string in a parsed TOML document expanded once; keys and other values unchanged."""
    return {key: _expand_value(value, environ) for key, value in document.items()}


def _expand_value(value: Any, environ: Mapping[str, str]) -> Any:
    """`value` is whatever tomllib gives: tables, arrays and scalars, nested."""
    if isinstance(value, str):
        return expand(value, environ)
    if isinstance(value, list):
        return [_expand_value(item, environ) for item in value]
    if isinstance(value, dict):
        return expand_document(value, environ)
    return value
