"""Every sentence a person reads goes through the translation layer.

Under a pseudo-locale built here from the template (every translation is "⟦" + English + "⟧"), the
tray view for every state, every notification kind, every journal sentence, every crash cause and
the CLI's help and messages are rendered; any word left outside the markers bypassed `_()`.
Names, numbers, paths, commands in backticks and data that came from outside (marked ⟦…⟧ here
too, as a translated sentence from elsewhere would be) are not words to translate."""

from __future__ import annotations

import gettext
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.unit.reason_cases import Collected, collect
from trayapp import i18n
from trayapp.i18n import LOCALE_DIR
from trayapp.status import Status

OPEN, CLOSE = "⟦", "⟧"
_MARKED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
_ALLOWED = re.compile(
    r"`[^`]*`"  # commands
    r"|https?://\S+"  # addresses
    r"|(?:~|[A-Za-z]:)?[/\\][\w./\\~-]*"  # paths
    r"|\b(?:trayapp|nanobot|OpenClaw|NanoClaw|Docker|Podman|config\.toml|SIGKILL|SIGTERM|EX_CONFIG|pid|"
    r"PID|CPU|B|KB|MB|GB|TB|API|ollama|npm|pnpm|pip|chmod|chown|limits\.disk|COMMAND|LANGUAGE|PROGRAM|N|"
    r"DURATION|KIND|en|zh_CN|auto)\b"
    r"|\b[\w-]*\d[\w.-]*\b"  # numbers and things with numbers in them
)
NAMES = ("nanobot", "assistant", "models", "Ollama")


def unmarked(text: str) -> list[str]:
    """The words of `text` outside every ⟦…⟧, after the allowed tokens are taken out."""
    previous = None
    while previous != text:
        previous, text = text, _MARKED.sub(" ", text)
    text = re.sub(f"{OPEN}[^{CLOSE}]*$", " ", text)  # a marked text cut short ("…") where it ends
    for name in NAMES:
        text = text.replace(name, " ")
    text = _ALLOWED.sub(" ", text)
    return re.findall(r"[A-Za-z]{2,}", text)


def marked(text: str) -> str:
    """Data from elsewhere in the pseudo-locale: an error text, a reason."""
    return f"{OPEN}{text}{CLOSE}"


@pytest.fixture(scope="module")
def pseudo_catalog(tmp_path_factory: pytest.TempPathFactory) -> gettext.GNUTranslations:
    with open(LOCALE_DIR / "trayapp.pot", "rb") as f:
        catalog = read_po(f, locale="en")
    for message in catalog:
        if message.id:
            ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
            wrapped = tuple(OPEN + text + CLOSE for text in ids)
            message.string = wrapped if message.pluralizable else wrapped[0]
    path = tmp_path_factory.mktemp("xx") / "trayapp.mo"
    with open(path, "wb") as f:
        write_mo(f, catalog)
    with open(path, "rb") as f:
        return gettext.GNUTranslations(f)


def in_parts(message: str) -> str:
    """The pseudo translation that marks each piece of text between placeholders, not the whole:
    "⟦gave up: ⟧{reason}". A value put into a sentence must then carry its own marks, so a reason
    made without `_()` shows even inside a translated sentence."""
    try:
        pieces = list(string.Formatter().parse(message))
    except ValueError:
        return OPEN + message + CLOSE
    out = []
    for literal, field, spec, conversion in pieces:
        if literal:
            out.append(OPEN + literal.replace("{", "{{").replace("}", "}}") + CLOSE)
        if field is not None:
            out.append("{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}")
    return "".join(out)


@pytest.fixture(scope="module")
def parts_catalog(tmp_path_factory: pytest.TempPathFactory) -> gettext.GNUTranslations:
    with open(LOCALE_DIR / "trayapp.pot", "rb") as f:
        catalog = read_po(f, locale="en")
    for message in catalog:
        if message.id:
            ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
            wrapped = tuple(in_parts(text) for text in ids)
            message.string = wrapped if message.pluralizable else wrapped[0]
    path = tmp_path_factory.mktemp("parts") / "trayapp.mo"
    with open(path, "wb") as f:
        write_mo(f, catalog)
    with open(path, "rb") as f:
        return gettext.GNUTranslations(f)


@pytest.fixture(scope="module")
def reasons(tmp_path_factory: pytest.TempPathFactory) -> Collected:
    """The reasons the supervisor's code paths give (words from outside trayapp marked)."""
    return collect(tmp_path_factory.mktemp("reasons"), marked)


def test_the_reasons_cover_the_supervisors_sentences(reasons: Collected) -> None:
    kinds = {e["event"] for e in reasons.entries if any(key.endswith("_message") for key in e)}
    assert kinds >= {"backoff", "gave_up", "kill", "spawn_failed", "held", "fault", "attach", "owner_command"}
    assert len({str(r) for r in reasons.reasons()}) >= 15


# A service manager's name for what it runs ("systemd --user nanobot-gateway.service") is a name.
_OWNER = re.compile(r"\bsystemd --user [\w.@-]+|\bdocker container [\w.-]+|\blaunchd [\w.-]+|[\w.@-]+\.service\b"
                    r"|\b\w+Error:"  # and an exception's type, before its (marked) message
                    r"|\banthropic\b")  # a model provider named in the assistant's own settings


def test_every_reason_is_translated_through_and_through(reasons: Collected, parts_catalog: gettext.GNUTranslations
                                                        ) -> None:
    """Each reason, and each sentence of `history` and of a notification that carries one, with every
    piece of text between placeholders marked: English in any value is found."""
    from trayapp import journal
    from trayapp.message import words
    from trayapp.notify import messages

    i18n.use(parts_catalog, "xx")
    said = [words(reason) for reason in reasons.reasons()]
    said += [journal.describe(entry, {"assistant": "nanobot"}) for entry in reasons.entries]
    said += [note.body for entry in reasons.entries if entry["event"] == "gave_up"
             for note in [messages.gave_up("nanobot", entry, None)]]
    assert len(said) >= 40
    # A command in backticks whose backticks belong to the sentence around it: "⟦`⟧systemctl …⟦`⟧".
    commands = re.compile(f"`{CLOSE}[^`]*{OPEN}`")
    assert [text for text in said if unmarked(commands.sub(" ", _OWNER.sub(" ", text)))] == []


@pytest.fixture(autouse=True)
def pseudo(pseudo_catalog: gettext.GNUTranslations) -> Iterator[None]:
    i18n.use(pseudo_catalog, "xx")
    yield
    i18n.activate("en")


def test_the_checker_finds_unmarked_words() -> None:
    assert unmarked("nanobot — ⟦running ⟦2h⟧⟧ but unhealthy") == ["but", "unhealthy"]
    assert unmarked("⟦Last crash 14:02: {x}⟧ `trayapp doctor` · /home/me/x.log, 1.2GB") == []
    assert unmarked("⟦see⟧ run `trayapp doctor`") == ["run"]


# -- the tray ----------------------------------------------------------------------------------------

def _statuses(reasons: Collected) -> list[Status]:
    from tests.unit.pseudo_cases import statuses

    return statuses(marked) + reasons.statuses


def test_tray_view_in_every_state(reasons: Collected) -> None:
    from tests.unit.pseudo_cases import NOW, extras_cases
    from trayapp.tray.view import tray_view

    for status in _statuses(reasons):
        for extras in extras_cases(marked):
            view = tray_view([status], NOW, extras)
            texts = [view.tooltip, *_labels(view.menu)]
            assert [t for t in texts if unmarked(t)] == [], status
    many = tray_view(_statuses(reasons), NOW)
    assert [t for t in [many.tooltip, *_labels(many.menu)] if unmarked(t)] == []


def test_every_refusal_to_control_a_program() -> None:
    from dataclasses import replace

    from tests.unit.pseudo_cases import statuses
    from trayapp.status import CONTROL_ACTIONS, Control, Mode, refusal

    said = [refusal(replace(status, mode=mode, control=Control.NONE, owner=owner), action)
            for status in statuses(marked)[:1] for mode in (Mode.EXTERNAL, Mode.ATTACHED)
            for owner in ("pid 77", "") for action in CONTROL_ACTIONS]
    assert len([s for s in said if s]) == 12
    assert [s for s in said if s is None or unmarked(s)] == []


def _labels(entries: tuple[object, ...]) -> list[str]:
    from trayapp.tray.view import Entry

    out: list[str] = []
    for entry in entries:
        assert isinstance(entry, Entry)
        if not entry.is_separator:
            out.append(entry.label)
        out += _labels(entry.submenu)
    return out


# -- notifications -----------------------------------------------------------------------------------

def test_every_notification_kind(reasons: Collected) -> None:
    from tests.unit.pseudo_cases import notifications

    messages = notifications(marked, reasons)
    assert len(messages) >= 20
    for message in messages:
        assert unmarked(message.title) == [] and unmarked(message.body) == [], message


# -- the journal (`trayapp history`) -----------------------------------------------------------------

def test_every_journal_kind(reasons: Collected) -> None:
    from tests.unit.pseudo_cases import journal_entries
    from trayapp import journal

    entries = journal_entries(marked, reasons)
    assert {e["event"] for e in entries} >= journal.kinds(), "a journal kind without a case here"
    for entry in entries:
        line = journal.describe(entry, {"nanobot": "nanobot"})
        assert unmarked(line) == [], (entry, line)


# -- crash causes ------------------------------------------------------------------------------------

def test_every_crash_cause() -> None:
    from tests.unit.pseudo_cases import crash_causes

    causes = crash_causes()
    assert {c.key for c in causes} >= {"out_of_memory", "container_runtime", "no_provider", "port_in_use",
                                      "missing_module", "provider_auth", "provider_quota", "ex_config",
                                      "permission_denied", "file_not_found", "unknown"}
    for cause in causes:
        assert unmarked(cause.cause.words()) == [] and unmarked(cause.fix.words()) == [], cause


# -- the command line --------------------------------------------------------------------------------

def _run_cli(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    from trayapp import cli

    monkeypatch.setattr(cli, "_activate_language", lambda choice: None)  # keep the pseudo-locale
    try:
        cli.main(argv)
    except SystemExit:
        pass
    out = capsys.readouterr()
    return out.out + out.err


def _commands() -> list[list[str]]:
    """Every command and sub-command ("backup create"), from the parser itself."""
    import argparse

    from trayapp import cli

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> list[list[str]]:
        found = [path]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found += walk(child, [*path, name])
        return found

    return walk(cli.build_parser(), [])


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "trayapp")
def test_help_of_every_command(command: list[str], monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    text = _run_cli([*command, "--help"], monkeypatch, capsys)
    assert f"{OPEN}usage: {CLOSE}" in text
    assert unmarked(_sentences_of_help(text)) == []


def _sentences_of_help(text: str) -> str:
    """argparse prints the usage line, option and argument names, metavars and choices itself from
    the names in the code: those are not sentences."""
    text = re.sub(f"{OPEN}usage: {CLOSE}.*?\n\n", "\n", text, flags=re.DOTALL)
    text = re.sub(r"(?m)^ {2,}(?:[^\s⟦]+(?:, )?)+", " ", text)  # "  -n N, --lines N", "  program", "    run"
    return re.sub(r"(?<!\w)--?[\w-]+|\{[\w,-]+\}|\b[A-Z][A-Z_]+(?:\.\w+)?\b", " ", text)


def test_history_and_status_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str], reasons: Collected) -> None:
    from tests.unit.pseudo_cases import journal_entries

    import json

    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    lines = [json.dumps({"ts": "2026-11-30T10:00:00.000+00:00", **e}) for e in journal_entries(marked, reasons)]
    (state / "journal.jsonl").write_text("\n".join(lines) + "\n")
    (state / "journal.jsonl").chmod(0o600)
    text = _run_cli(["history", "-n", "500"], monkeypatch, capsys)
    assert text.count("\n") >= 30
    assert [line for line in text.splitlines() if unmarked(line)] == []
    text = _run_cli(["status"], monkeypatch, capsys)
    assert [line for line in text.splitlines() if unmarked(line)] == []


def test_config_check_on_a_bad_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text(
        '[programs.assistant]\ncommand = "nanobot"\nrestrat = "always"\nrestart = "sometimes"\n'
        'startsecs = "soon"\nstop_timeout = true\n[logs]\nkeep = "five"\n[tray]\non_quit = 3\n')
    text = _run_cli(["config", "check"], monkeypatch, capsys)
    problems = [line for line in text.splitlines() if line.startswith("  - ")]
    assert len(problems) >= 5
    # each problem starts with the key path it is about (config.toml's own words)
    said = [re.sub(r"^\s+- [\w.\[\]]+:", " ", line) for line in text.splitlines()]
    assert [line for line in said if unmarked(line)] == []
    text = _run_cli(["config", "check"], monkeypatch, capsys)
    (tmp_path / "config.toml").write_text("[programs.assistant\n")
    text = _run_cli(["config", "check"], monkeypatch, capsys)
    assert OPEN in text and [line for line in text.splitlines() if unmarked(line)] == []


def test_config_check_on_bad_alert_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text(
        '[programs.assistant]\ncommand = ["nanobot", "gateway"]\n'
        '[[alerts]]\nwhen = "restarts > lots"\nactoin = "notify"\n'
        '[[alerts]]\nwhen = "gave up"\naction = "webhok"\nprogram = "asistant"\n'
        '[[alerts]]\nwhen = "gave up"\naction = "command"\n'
        '[[alerts]]\nwhen = "gave up"\naction = "webhook"\nurl = "ftp://x"\n'
        '[[alerts]]\nwhen = "crash party"\nchannels = "mailto://x"\n'
        '[[alerts]]\nwhen = ""\ncommand = "notify-me --now"\naction = "command"\n')
    text = _run_cli(["config", "check"], monkeypatch, capsys)
    problems = [line for line in text.splitlines() if line.startswith("  - ")]
    assert len(problems) >= 8, text
    said = [re.sub(r"^\s+- [\w.\[\]]+:", " ", line) for line in text.splitlines()]
    assert [line for line in said if unmarked(line)] == []


def test_doctor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Every check the doctor runs here, its group, name, evidence and fix (OK/INFO/WARN/FAIL are
    the report's level tags, the same in every language)."""
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text("[programs.assistant]\ncommand = [\"nanobot\", \"gateway\"]\n")
    (tmp_path / "config.toml").chmod(0o644)  # a permission problem, so a fix is shown too
    text = _run_cli(["doctor"], monkeypatch, capsys)
    lines = [re.sub(r"^\s+(?:OK|INFO|WARN|FAIL)\s", " ", line) for line in text.splitlines()]
    assert len(lines) >= 15 and any("0644" in line for line in lines)
    assert [line for line in lines if unmarked(line)] == []


# Each program below has one problem (or a few of one kind); the sections after them one each.
_EVERY_PROBLEM = """
[programs.assistant]
preset = "custom"
[programs.disk]
command = ["x"]
data_dirs = []
limits = { disk = "1GB" }
[programs.two]
command = ["x"]
health = { url = "http://127.0.0.1:9/", tcp = 11434, expect = 3 }
[programs.ftp]
command = ["x"]
health = { url = "ftp://x" }
ui_url = "http://"
[programs.tcp]
command = ["x"]
health = { tcp = "nowhere" }
ui_url = 5
[programs.owners]
command = ["x"]
attach = { systemd_user = "x.service", docker = "x" }
[programs.deps]
command = ["x"]
depends_on = "disk"
[programs.when]
command = ["x"]
depends_on = { disk = "sometimes" }
[programs.degraded]
command = ["x"]
degraded_patterns = "x"
[programs.entry]
command = ["x"]
degraded_patterns = [{ reason = "r" }]
[programs.text]
command = ["x"]
degraded_patterns = [{ pattern = "a", reason = 3 }]
[programs.regex]
command = ["x"]
degraded_patterns = [{ pattern = "(", reason = "r" }]
[programs.group]
command = ["x"]
degraded_patterns = [{ pattern = "a", reason = "{nope}" }]
[programs.brace]
command = ["x"]
degraded_patterns = [{ pattern = "a", reason = "{" }]
[programs.empty]
command = ["x"]
degraded_patterns = [{ pattern = "", reason = "r" }]
[logs]
max_size = "10MB"
total_cap = "1MB"
[dashboard]
port = 80
[backup]
keep_last = 0
keep_daily = 0
keep_weekly = 0
"""


@pytest.fixture
def in_parts_catalog(parts_catalog: gettext.GNUTranslations) -> Iterator[None]:
    """Marks each piece between placeholders, so a problem made without `_()` shows even inside
    the translated "{where}: {problem}"."""
    i18n.use(parts_catalog, "xx")
    yield
    i18n.activate("en")


# What the problems quote from the file and from Python, not trayapp's words: the values given
# ('ftp://x'), the programs, keys and choices named (disk; systemd_user, docker; started, healthy…),
# and Python's own account of a bad regular expression or format string.
_QUOTED = re.compile(r"missing \), unterminated subpattern at position \d+|Single '\{' encountered in format string"
                     r"|'[^']*'|\b(?:systemd_user|docker|started|healthy|ready|completed_successfully|disk|nope)\b")


def _problems(text: str) -> list[str]:
    """The problem lines of `config check`, without the key path each starts with or what they quote."""
    lines = [line for line in text.splitlines() if line.startswith("  - ")]
    return [_QUOTED.sub(" ", re.sub(r"^\s+- [\w.\[\]]+", " ", line)) for line in lines]


@pytest.mark.parametrize("config", [
    _EVERY_PROBLEM,
    '[programs.assistant]\ncommand = ["x"]\n[logs]\nmax_size = "300MB"\n',
])
def test_config_check_on_every_problem(config: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], in_parts_catalog: None) -> None:
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text(config)
    problems = _problems(_run_cli(["config", "check"], monkeypatch, capsys))
    assert len(problems) == (21 if config == _EVERY_PROBLEM else 1), problems
    assert [line for line in problems if unmarked(line)] == []


def test_every_problem_is_found_in_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The problems the table above is meant to raise, each once (so none is lost to another)."""
    i18n.activate("en")
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text(_EVERY_PROBLEM)
    text = _run_cli(["config", "check"], monkeypatch, capsys)
    for words in ("programs.assistant.command: missing", "programs.disk.limits.disk: there are no data_dirs",
                  "programs.two.health: give only one", "programs.two.health.expect: expected a table",
                  "programs.ftp.health.url: must start with", "names no host", "programs.tcp.health.tcp: expected",
                  "programs.tcp.ui_url: expected a URL", "programs.owners.attach: name one owner",
                  "programs.deps.depends_on: expected a table of program names",
                  "programs.when.depends_on: disk: the condition must be one of",
                  "programs.degraded.degraded_patterns: expected a list of tables",
                  "programs.entry.degraded_patterns: each entry needs", "reason and fix must be text",
                  "not a valid regular expression", "which is not a named group", "has a stray brace",
                  "an empty pattern matches every line", "logs.total_cap: total_cap (1MB) is smaller",
                  "dashboard.port: 80 is not a port", "backup: keep_last, keep_daily and keep_weekly"):
        assert words in text, words


def test_control_errors_with_no_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str], in_parts_catalog: None) -> None:
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    for command in (["start"], ["stop"], ["restart"], ["status"]):
        lines = _run_cli(command, monkeypatch, capsys).splitlines()
        assert lines, command
        assert [line for line in lines if unmarked(line)] == [], command


def test_unknown_program_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str], in_parts_catalog: None) -> None:
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text('[programs.assistant]\ncommand = ["x"]\n')
    said = []
    for command in (["why", "nope"], ["remove", "nope"], ["remove", "assistant"], ["add", "assistant", "--", "x"]):
        lines = _run_cli(command, monkeypatch, capsys).splitlines()
        assert lines, command
        said += lines
    assert [line for line in said if unmarked(line.replace("'nope'", " "))] == []


def test_the_assistant_without_a_config_is_named_in_words(tmp_path: Path) -> None:
    from trayapp.cli.why import _program
    from trayapp.paths import AppPaths

    (tmp_path / "config.toml").write_text("[programs.assistant\n")
    name, display = _program(AppPaths.discover({"TRAYAPP_HOME": str(tmp_path)}), None)
    assert (name, display) == ("assistant", "⟦the assistant⟧")


def test_the_instance_refuses_an_unknown_program(in_parts_catalog: None) -> None:
    from trayapp.app import App
    from trayapp.errors import ControlError

    with pytest.raises(ControlError) as caught:
        App._known(_FakeApp(), "nope")  # type: ignore[arg-type]
    assert unmarked(str(caught.value).replace("'nope'", " ")) == []


class _FakeApp:
    class config:  # noqa: N801 - stands in for the App's config attribute
        programs = {"assistant": None, "models": None}


def test_doctor_permission_checks_name_what_they_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str],
                                                       parts_catalog: gettext.GNUTranslations) -> None:
    """A loose data folder, journal and log file: each check's name and evidence in the user's language
    (the reviewer saw "testbot's data folder" and "the journal" in English), with --fix too. Each piece
    between placeholders is marked, so an English name put into a translated sentence shows."""
    i18n.use(parts_catalog, "xx")
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    data = tmp_path / "botdata"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (tmp_path / "config.toml").write_text(f'[programs.testbot]\ncommand = ["testbot"]\ndata_dirs = ["{data}"]\n')
    (tmp_path / "config.toml").chmod(0o600)
    for folder in ("state", "logs"):
        (tmp_path / folder).mkdir(mode=0o700)
    (tmp_path / "state" / "journal.jsonl").write_text("")
    (tmp_path / "state" / "journal.jsonl").chmod(0o644)
    (tmp_path / "logs" / "other.log").write_text("")
    (tmp_path / "logs" / "other.log").chmod(0o644)
    for argv in (["doctor"], ["doctor", "--fix"]):
        text = _run_cli(argv, monkeypatch, capsys)
        said = [line for line in text.splitlines() if str(data) in line or "journal.jsonl" in line
                or "other.log" in line]
        assert len(said) >= 3, text
        lines = [re.sub(r"^\s+(?:OK|INFO|WARN|FAIL)\s", " ", line.replace("testbot", " ")) for line in said]
        assert [line for line in lines if unmarked(line)] == []
