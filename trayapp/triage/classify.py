"""Known causes of a program's death, each with one line of cause and one line of fix.

`classify` reads the excerpt first (the lines that say why it died), then the run's other error
lines, so a cause printed before the final traceback is still found; an INFO line that merely
mentions a "rate limit" is not. The assistants' own start-up refusals ("No provider is configured",
"Container runtime is required") count wherever they appear.
Who holds a port is a question for psutil, which is the caller's business: it passes a lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from trayapp.i18n import N_
from trayapp.message import Message, Size
from trayapp.status import ExitInfo
from trayapp.triage.excerpt import Excerpt, is_error_line, message_of

EX_CONFIG = 78
# SIGKILL while the tree used at least this share of its memory limit: the kernel's OOM killer.
NEAR_LIMIT = 0.9
# SIGKILL is 9 on every POSIX system (the signal module of Windows has no SIGKILL to name).
SIGKILL = 9

# port -> "pid 1234 (python3)", or None when nobody (or nobody we may see) holds it.
PortHolder = Callable[[int], str | None]


@dataclass(frozen=True)
class Cause:
    key: str  # stable name for tests and JSON: "port_in_use", "missing_module", … or "unknown"
    cause: Message  # one line: what went wrong (English for the journal, the user's language when shown)
    fix: Message  # one line: what the user does about it

    @property
    def known(self) -> bool:
        return self.key != "unknown"


UNKNOWN = Cause("unknown", Message(N_("The cause is not one trayapp recognises; the excerpt shows what it printed "
                                      "last.")),
                Message(N_("Read the excerpt, or the full output with `trayapp logs`.")))


def unknown() -> Cause:
    """UNKNOWN (its Messages are said in the language of whoever reads them)."""
    return UNKNOWN


@dataclass(frozen=True)
class Facts:
    """What is known beside the output: how it ended and how much memory the tree used."""

    exit: ExitInfo
    memory: int | None = None  # bytes, the whole tree, last sample before it died
    memory_limit: int | None = None  # bytes, the configured limit (or the machine's memory)
    port_holder: PortHolder | None = None
    oom_recorded: bool = False  # the kernel's oom_kill counter went up while it ran (triage/oom.py)


def classify(excerpt: Excerpt, output: Sequence[str], facts: Facts) -> Cause:
    """The first known cause that fits, else UNKNOWN. `output`: every cleaned line of the run."""
    texts = Texts(excerpt.lines, [line for line in output if is_error_line(line)], output)
    for rule in _RULES:
        found = rule(texts, facts)
        if found is not None:
            return found
    return unknown()


@dataclass(frozen=True)
class Texts:
    excerpt: Sequence[str]
    errors: Sequence[str]  # the run's lines that read as errors
    output: Sequence[str]  # every line of the run


def _search(texts: Texts, pattern: re.Pattern[str], *, anywhere: bool = False) -> re.Match[str] | None:
    """The last match in the excerpt, else in the error lines (else anywhere, if asked)."""
    for lines in (texts.excerpt, texts.errors, texts.output if anywhere else ()):
        for line in reversed(lines):
            match = pattern.search(line)
            if match is not None:
                return match
    return None


# -- the rules, most specific first -----------------------------------------------------------------

def _out_of_memory(texts: Texts, facts: Facts) -> Cause | None:
    if facts.exit.signal != SIGKILL:
        return None
    near = facts.memory is not None and bool(facts.memory_limit) and facts.memory >= NEAR_LIMIT * (facts.memory_limit or 0)
    if not (near or facts.oom_recorded):
        return None
    if facts.memory is None or not facts.memory_limit:
        return Cause("out_of_memory", Message(N_("The kernel's out-of-memory killer ended it (its own record says so).")),
                     Message(N_("Close other programs, give the computer more memory, or find out what makes it grow.")))
    return Cause("out_of_memory", Message(N_("The system killed it for using too much memory ({used} of {limit})."),
                                          used=Size(facts.memory), limit=Size(facts.memory_limit)),
                 Message(N_("Raise its memory limit, close other programs, or find out what makes it grow.")))


_CONTAINER = re.compile(r"Container runtime (?:failed to start|is required)", re.IGNORECASE)


def _container_runtime(texts: Texts, facts: Facts) -> Cause | None:
    if _search(texts, _CONTAINER, anywhere=True) is None:
        return None
    return Cause("container_runtime", Message(N_("NanoClaw needs a container runtime (Docker) and none would start.")),
                 Message(N_("Install Docker (or Podman with a `docker` wrapper), start it, then restart NanoClaw.")))


_NO_PROVIDER = re.compile(r"No provider is configured|Provider/model setup is incomplete", re.IGNORECASE)


def _no_provider(texts: Texts, facts: Facts) -> Cause | None:
    if _search(texts, _NO_PROVIDER, anywhere=True) is None:
        return None
    return Cause("no_provider", Message(N_("nanobot has no usable model provider.")),
                 Message(N_("Set one in ~/.nanobot/config.json (providers, with its API key) or pick a local one "
                            "(ollama).")))


_PORT_IN_USE = re.compile(r"address already in use|EADDRINUSE|only one usage of each socket address|"
                          r"port is already allocated|bind: address", re.IGNORECASE)
# Only explicit forms name a port: "port 8080", "127.0.0.1:8080", "localhost:8080", "[::]:8080",
# "0.0.0.0:8080", ":::8080" (Node), "('127.0.0.1', 8080)". A bare ":NN" is a clock ("10:30:45") or a log prefix's
# line number ("module:function:88") far more often than a port.
_PORT = re.compile(r"(?:\bport\s*[:=]?\s*|(?:\b\d{1,3}(?:\.\d{1,3}){3}|\blocalhost|\]|::)\s*:\s*|"
                   r"\(\s*'[^']*',\s*)(\d{2,5})\b", re.IGNORECASE)


def _port_in_use(texts: Texts, facts: Facts) -> Cause | None:
    match = _search(texts, _PORT_IN_USE)
    if match is None:
        return None
    port = _port_near(match.string, texts)
    holder = facts.port_holder(port) if port is not None and facts.port_holder is not None else None
    if port is None:
        cause = Message(N_("Its port is already in use."))
    elif holder:
        cause = Message(N_("Port {port} is already in use (held by {holder})."), port=port, holder=holder)
    else:
        cause = Message(N_("Port {port} is already in use."), port=port)
    fix = (Message(N_("Stop {holder} or give this program another port in its configuration."), holder=holder)
           if holder else Message(N_("Stop the other program on that port (`trayapp doctor` names it) or give this "
                                     "one another port.")))
    return Cause("port_in_use", cause, fix)


def _port_near(line: str, texts: Texts) -> int | None:
    """The port named on the error line, else on the last line that mentions binding or listening."""
    for candidate in (line, *_binding_lines(texts)):
        for found in reversed(_PORT.findall(message_of(candidate))):
            port = int(found)
            if 0 < port < 65536:
                return port
    return None


def _binding_lines(texts: Texts) -> list[str]:
    words = ("bind", "listen", "port", "serving", "server")
    return [line for line in reversed(texts.output) if any(w in line.lower() for w in words)]


def _ex_config(texts: Texts, facts: Facts) -> Cause | None:
    if facts.exit.code != EX_CONFIG:
        return None
    return Cause("ex_config", Message(N_("It exited with code 78 (EX_CONFIG): it says its configuration is wrong.")),
                 Message(N_("Fix its configuration (the excerpt says what it disliked), then start it again; "
                            "trayapp does not restart it until then.")))


_PY_MODULE = re.compile(r"(?:ModuleNotFoundError|ImportError): No module named '([\w.]+)'")
_NODE_MODULE = re.compile(r"Cannot find (?:module|package) '([^']+)'")


def _missing_module(texts: Texts, facts: Facts) -> Cause | None:
    python = _search(texts, _PY_MODULE)
    if python is not None:
        name = python.group(1)
        top = name.split(".")[0]
        return Cause("missing_module", Message(N_("The Python module '{module}' is not installed where it runs."),
                                               module=name),
                     Message(N_("Install it into the program's own environment (pip install {package}), or "
                                "reinstall the program."), package=top))
    node = _search(texts, _NODE_MODULE)
    if node is None:
        return None
    return Cause("missing_module", Message(N_("The Node module '{module}' cannot be found."), module=node.group(1)),
                 Message(N_("Run `npm install` (or `pnpm install`) in the program's folder, and build it again if "
                            "it has a build step.")))


# A bare "401" or "429" would match milliseconds in timestamps: the code must follow a word that says so.
_CODE = r"(?:status|code|HTTP(?:/[\d.]+)?|error)[\s:=]*"
_AUTH = re.compile(rf"{_CODE}401\b|\b401 (?:Unauthorized|Client Error)|\bunauthori[sz]ed\b|"
                   r"invalid[ _-]?api[ _-]?key|incorrect api key|authentication[ _]?error|invalid x-api-key|"
                   r"api key not valid", re.IGNORECASE)
_QUOTA = re.compile(rf"{_CODE}429\b|\b429 Too Many|quota|rate[ _-]?limit|too many requests|"
                    r"insufficient[ _]balance", re.IGNORECASE)


def _provider_auth(texts: Texts, facts: Facts) -> Cause | None:
    if _search(texts, _AUTH) is None:
        return None
    return Cause("provider_auth", Message(N_("The model provider rejected the API key.")),
                 Message(N_("Put a valid key in the assistant's configuration (make a new one in the provider's "
                            "dashboard if needed).")))


def _provider_quota(texts: Texts, facts: Facts) -> Cause | None:
    if _search(texts, _QUOTA) is None:
        return None
    return Cause("provider_quota", Message(N_("The model provider refused: quota used up or too many requests.")),
                 Message(N_("Wait a while, check the plan and billing at the provider, or switch to another "
                            "provider.")))


_NOT_FOUND = re.compile(r"No such file or directory|ENOENT|FileNotFoundError|cannot find the (?:file|path)",
                        re.IGNORECASE)
_DENIED = re.compile(r"Permission denied|EACCES|PermissionError|Access is denied", re.IGNORECASE)
_QUOTED_PATH = re.compile(r"'([^'\s]*[/\\][^']*)'")
_BARE_PATH = re.compile(r"(?<![\w/])((?:[A-Za-z]:)?[/\\][\w.@+~-]+(?:[/\\][\w.@+~-]+)+)")


def _path_in(line: str) -> str | None:
    """The file a "not found" or "denied" line is about: a quoted path, else a bare absolute one."""
    for pattern in (_QUOTED_PATH, _BARE_PATH):
        found = pattern.findall(line)
        if found:
            return str(found[-1])
    return None


def _file_not_found(texts: Texts, facts: Facts) -> Cause | None:
    match = _search(texts, _NOT_FOUND)
    if match is None:
        return None
    path = _path_in(match.string)
    cause = (Message(N_("A file it needs is missing: {path}."), path=path) if path
             else Message(N_("A file it needs is missing.")))
    return Cause("file_not_found", cause, Message(N_("Create it, or correct the path in the program's configuration.")))


def _permission_denied(texts: Texts, facts: Facts) -> Cause | None:
    match = _search(texts, _DENIED)
    if match is None:
        return None
    path = _path_in(match.string)
    cause = (Message(N_("It may not open {path} (permission denied)."), path=path) if path
             else Message(N_("It was refused access to a file (permission denied).")))
    return Cause("permission_denied", cause,
                 Message(N_("Give your user access to it (chmod or chown), or point the configuration elsewhere.")))


_RULES: tuple[Callable[[Texts, Facts], Cause | None], ...] = (
    _out_of_memory, _container_runtime, _no_provider, _port_in_use, _missing_module, _provider_auth,
    _provider_quota, _ex_config, _permission_denied, _file_not_found,
)
