"""Redact secrets (API keys, tokens, passwords) from text before it reaches disk or a bundle.

What is recognised:
  tokens by shape    sk-... (incl. sk-ant-, sk-proj-), Slack xox[abposr]-..., GitHub ghp_... and
                     github_pat_..., Google AIza..., JWTs (eyJ...eyJ...sig), `Bearer <token>`
  values by key      password, passwd, passphrase, token, secret, api_key/apikey/apiKey, access_key,
                     private_key, secret_key, client_secret, auth, authorization in `key=value`,
                     `key: value`, `"key": "value"` forms; the key must END with one of these
                     words, so `max_tokens=4096` or `author=ann` stay as they are
  URL credentials    https://user:password@host

Speed matters because every line of every child goes through here. One compiled alternation does
the work, but Python's regex engine crawls along at ~10 MB/s on such a pattern, so it only ever runs
on the lines that contain one of a few literal needles (found with `bytes.find`, which is C-fast).
Clean lines cost a lowercase copy and a dozen substring scans per chunk, not a regex. With the
optional package ahocorasick-rs (extra `fast`) the dozen scans become one SIMD multi-needle pass,
about three times faster on the log pump's hot path; results are identical either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, AnyStr

if TYPE_CHECKING:
    from ahocorasick_rs import BytesAhoCorasick

REDACTED = "[REDACTED]"
_REDACTED_B = REDACTED.encode()

# Key names whose value is secret (matched case-insensitively; the key must end here).
_KEY_WORDS = (
    r"passw(?:or)?d|passphrase|token|secret|client[_-]?secret|"
    r"(?:api|access|private|secret)[_-]?key|apikey|[a-z0-9]+[_-]key|auth|authorization"
)
# A scheme word ("Bearer ") is kept; atomic (?>...) so an already-redacted value never makes the
# scheme itself look like the value. Values: "quoted", 'quoted', \"escaped quotes\" (JSON inside JSON) or a bare word.
_VALUE = (
    r'"(?P<s_dq>(?:[^"\\\n]|\\.)+)"'
    r"|'(?P<s_sq>[^'\n]+)'"
    r'|\\"(?P<s_eq>[^"\\\n]+)\\"'
    r"|(?P<s_bare>[^\s,;&\"'`<>(){}\[\]]+)"
)
_PATTERN = (
    rf"(?i:{_KEY_WORDS})\\?[\"']?[ \t]*[:=][ \t]*(?>(?:(?i:bearer|basic|token|bot)[ \t]+)?)(?:{_VALUE})"
    r"|\b(?:sk-(?:ant-|proj-)?)(?P<s_sk>[A-Za-z0-9_-]{20,})"
    r"|\bxox[abposr]-(?P<s_slack>[A-Za-z0-9-]{10,})"
    r"|\bghp_(?P<s_ghp>[A-Za-z0-9]{20,})"
    r"|\bgithub_pat_(?P<s_ghpat>[A-Za-z0-9_]{20,})"
    r"|\bAIza(?P<s_google>[A-Za-z0-9_-]{30,})"
    r"|\b(?P<s_jwt>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)"
    r"|\b[Bb]earer[ \t]+(?P<s_bearer>[A-Za-z0-9._~+/=-]{8,})"
    r"|://[^/\s:@]+:(?P<s_url>[^/\s@]+)@"
    # A command-line flag and its value as separate words: --token abc, -password abc.
    rf"|(?<![\w-])--?(?i:{_KEY_WORDS})[ \t]+(?P<s_flag>[^\s\"'-][^\s]*)"
)
_RX = re.compile(_PATTERN)
_RX_B = re.compile(_PATTERN.encode())
_SECRET_GROUPS = tuple(i for name, i in _RX.groupindex.items() if name.startswith("s_"))

# Every match of _PATTERN contains one of these (after lowercasing). `://` only matters with an `@`.
NEEDLES = ("sk-", "xox", "ghp_", "github_pat_", "aiza", "eyj", "bearer", "pass", "token", "secret", "key",
           "auth")
_NEEDLES_B = tuple(n.encode() for n in NEEDLES)
_URL_B = b"://"


def _automaton(needles: list[bytes]) -> BytesAhoCorasick | None:
    """The optional accelerator (extra `fast`); the stdlib path gives the same answers, slower."""
    try:
        from ahocorasick_rs import BytesAhoCorasick, MatchKind
    except ImportError:  # pragma: no cover - depends on what is installed
        return None
    # Leftmost-first, not standard: only the leftmost kinds use the SIMD prefilter (25x faster on
    # clean text: 4 us instead of 105 us per 64 KiB). It skips a needle overlapping an earlier one,
    # but needles hold no newline, so the line holding both is found through the first.
    return BytesAhoCorasick(needles, matchkind=MatchKind.LeftmostFirst)


_AUTOMATON = _automaton([*_NEEDLES_B, _URL_B])
_accelerated = _AUTOMATON is not None

# A mapping key whose value is secret: the same words, at the end of the key.
_SECRET_KEY = re.compile(rf"(?i:{_KEY_WORDS})$")


def _replace(match: re.Match[AnyStr], redacted: AnyStr) -> AnyStr:
    """Keep the match except its secret group, which becomes [REDACTED]."""
    for i in _SECRET_GROUPS:
        start = match.start(i)
        if start >= 0:
            whole = match.group(0)
            base = match.start()
            return whole[: start - base] + redacted + whole[match.end(i) - base:]
    return match.group(0)  # pragma: no cover - every alternative has a secret group


def _replace_str(match: re.Match[str]) -> str:
    return _replace(match, REDACTED)


def _replace_bytes(match: re.Match[bytes]) -> bytes:
    return _replace(match, _REDACTED_B)


def might_hold_secret(text: str) -> bool:
    """Cheap pre-check: False means redact() would return `text` unchanged."""
    low = text.lower()
    return any(n in low for n in NEEDLES) or ("@" in text and "://" in text)


def redact(text: str) -> str:
    """Return `text` with every recognised secret replaced by [REDACTED]. Thread-safe."""
    if "://" in text:
        text = redact_channel_urls(text)
    if not might_hold_secret(text):
        return text
    return _RX.sub(_replace_str, text)


def redact_lines(blob: bytes) -> bytes:
    """Redact a block of b"\\n"-separated lines (the log pump's hot path). Thread-safe.

    Only the lines that contain a needle are run through the regex; the rest are copied as they are.
    """
    low = blob.lower()
    spans = _candidate_lines(blob, low)
    if not spans:
        return blob
    out: list[bytes] = []
    done = 0
    for start, end in spans:
        line = blob[start:end]
        fixed = _RX_B.sub(_replace_bytes, line)
        if fixed != line:
            out.append(blob[done:start])
            out.append(fixed)
            done = end
    if not out:
        return blob
    out.append(blob[done:])
    return b"".join(out)


def use_accelerator(on: bool) -> bool:
    """Choose the ahocorasick-rs path (when installed) or the stdlib one; returns what is in use.
    For tests and the benchmark; not thread-safe against running pumps."""
    global _accelerated
    _accelerated = on and _AUTOMATON is not None
    return _accelerated


def _candidate_lines(blob: bytes, low: bytes) -> list[tuple[int, int]]:
    """(start, end) of each line holding a needle, sorted, without duplicates."""
    found: dict[int, int] = {}
    automaton = _AUTOMATON if _accelerated else None
    hits = _hits_accelerated(automaton, blob, low) if automaton is not None else _hits_stdlib(blob, low)
    end = -1
    for pos in hits:
        if pos < 0:  # the stdlib path starts over with its next needle
            end = -1
            continue
        if pos < end:  # hits come left to right: this line is in already
            continue
        start = blob.rfind(b"\n", 0, pos) + 1
        end = blob.find(b"\n", pos)
        end = len(blob) if end < 0 else end
        found[start] = end
    return sorted(found.items())


def _hits_stdlib(blob: bytes, low: bytes) -> Iterator[int]:
    """Positions of needles, one per line per needle at most (each find skips to the line's end)."""
    needles = _NEEDLES_B + ((_URL_B,) if b"@" in blob else ())
    for needle in needles:
        pos = low.find(needle)
        while pos >= 0:
            yield pos
            end = blob.find(b"\n", pos)
            pos = low.find(needle, end) if end >= 0 else -1
        yield -1  # the next needle starts again from the top: reset the caller's "same line" skip


def _hits_accelerated(automaton: BytesAhoCorasick, blob: bytes, low: bytes) -> Iterator[int]:
    """Positions of needle matches in one pass, left to right."""
    url = len(_NEEDLES_B)
    with_url = b"@" in blob
    for index, pos, _ in automaton.find_matches_as_indexes(low):
        if index != url or with_url:
            yield pos


_SECRET_FLAG = re.compile(rf"--?(?i:{_KEY_WORDS})")


def _argv(words: Iterable[str]) -> list[str]:
    """A list of words, as in a command line: the word after a secret flag (--token) is masked."""
    out: list[str] = []
    for word in words:
        follows_flag = bool(out) and _SECRET_FLAG.fullmatch(out[-1]) is not None and not word.startswith("-")
        out.append(REDACTED if follows_flag else redact(word))
    return out


def is_secret_key(key: str) -> bool:
    """True for mapping keys like "password", "apiKey", "OPENAI_API_KEY", "client_secret"."""
    return bool(_SECRET_KEY.search(key))


def redact_mapping(obj: object) -> Any:
    """Deep copy of a JSON-like value with secrets redacted (typed Any, like json.loads: the caller
    knows the shape it passed in, and the copy keeps it).

    Values under secret-looking keys become [REDACTED] (containers under them are redacted
    throughout); other strings go through redact(). Tuples stay tuples; other objects are returned
    as they are.
    """
    return _walk(obj, under_secret=False)


def _walk(obj: object, under_secret: bool) -> object:
    if isinstance(obj, dict):
        return {k: _walk(v, under_secret or (isinstance(k, str) and is_secret_key(k))) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if not under_secret and all(isinstance(v, str) for v in obj):
            return type(obj)(_argv(obj))
        return type(obj)(_walk(v, under_secret) for v in obj)
    if under_secret:
        return _mask(obj)
    if isinstance(obj, str):
        return redact(obj)
    return obj


def _mask(value: object) -> object:
    """A secret scalar: hide it unless it carries nothing (None, "", False)."""
    if value is None or value == "" or isinstance(value, bool):
        return value
    return REDACTED




# -- notification channel URLs (apprise) -------------------------------------------------------
# slack://TokenA/TokenB/TokenC, feishu://token, mailto://user:password@host: the secret is the
# path, the user part or a query value, so such URLs are shown as scheme, host and user only.
# http(s) URLs keep the rule above (only a password is hidden); redact_lines (the log pump's hot
# path) is untouched: child output does not carry trayapp's channel URLs.
CHANNEL_SCHEMES = (
    "mailto", "mailtos", "slack", "feishu", "lark", "dingtalk", "wecombot", "wxpusher", "ntfy", "ntfys",
    "json", "jsons", "form", "forms", "xml", "xmls", "discord", "tgram", "msteams", "matrix", "matrixs",
    "gotify", "gotifys", "pover", "pbul", "signal", "signals", "mmost", "mmosts", "rocket", "rockets",
    "zulip", "apprise", "apprises", "bark", "barks", "pushdeer", "serverchan", "ifttt", "line", "whatsapp",
)
# Ends at a quote, a space, a bracket or trailing punctuation; an earlier [REDACTED] stays whole.
_CHANNEL_URL = re.compile(rf"\b(?i:{'|'.join(CHANNEL_SCHEMES)})://(?:\[REDACTED\]|[^\s\"'<>`,\[\]])+(?<![.:;)])")
_HOST = re.compile(r"(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|localhost)(?::\d+)?")


def redact_url(url: str) -> str:
    """A notification URL as it may be shown: scheme, host and user; tokens, passwords, paths and
    query values become [REDACTED]. "slack://T1/B2/xyz" -> "slack://[REDACTED]"."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return REDACTED
    rest, query_sep, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    user, at, host = netloc.rpartition("@")
    shown = f"{scheme}://{_user_part(user, scheme) if at else ''}{host if _HOST.fullmatch(host) else REDACTED}"
    if path.strip("/") and _HOST.fullmatch(host):  # a token-first URL is hidden whole already
        shown += "/" + REDACTED
    if query_sep:
        shown += "?" + "&".join(f"{part.partition('=')[0]}={REDACTED}" for part in query.split("&") if part)
    return shown


def _user_part(user: str, scheme: str) -> str:
    """"me:password" -> "me:[REDACTED]@"; a bare user part is a secret except for e-mail accounts."""
    name, colon, _ = user.partition(":")
    if colon:
        return f"{name}:{REDACTED}@"
    return f"{user}@" if scheme.lower().startswith("mailto") else f"{REDACTED}@"


def redact_channel_urls(text: str) -> str:
    """Every notification channel URL in `text` through redact_url (config files, messages)."""
    return _CHANNEL_URL.sub(lambda m: redact_url(m.group(0)), text)
