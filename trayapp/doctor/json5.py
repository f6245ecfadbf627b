"""Read the JSON5 that OpenClaw's config is written in, with the standard json module.

Only what hand-edited configs use is handled: // and /* */ comments, trailing commas, unquoted
keys and 'single-quoted' strings. Anything else makes `loads` raise ValueError, and the doctor
says it could not read the file rather than guessing.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Strings first, so comment markers and commas inside them are left alone.
_TOKEN = re.compile(r"""
    (?P<dq>"(?:[^"\\]|\\.)*")
  | (?P<sq>'(?:[^'\\]|\\.)*')
  | (?P<line>//[^\n]*)
  | (?P<block>/\*.*?\*/)
  | (?P<comma>,\s*(?=[}\]]))
  | (?P<key>(?<=[{,\s])[A-Za-z_$][A-Za-z0-9_$]*(?=\s*:))
""", re.VERBOSE | re.DOTALL)


def _convert(match: re.Match[str]) -> str:
    kind = match.lastgroup
    text = match.group(0)
    if kind == "sq":
        return json.dumps(json.loads('"' + text[1:-1].replace('\\\'', "'").replace('"', '\\"') + '"'))
    if kind in ("line", "block"):
        return " "
    if kind == "comma":
        return text[1:]
    if kind == "key":
        return f'"{text}"'
    return text


def loads(text: str) -> Any:
    """Parse JSON5 text (the subset above). Raises ValueError."""
    return json.loads(_TOKEN.sub(_convert, text))
