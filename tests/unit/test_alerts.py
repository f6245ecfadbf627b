"""Alert rules: parsing with key paths, evaluation from scenario tables, the engine and its actions."""

from __future__ import annotations

import http.server
import json
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from trayapp.alerts.actions import Outcome, post_webhook, run_command
from trayapp.alerts.engine import AlertEngine
from trayapp.message import Message, words
from trayapp.alerts.rules import evaluate
from trayapp.config.alerts import Count, Failing, GaveUp, Over, ShortRun, parse_condition, parse_rules, read_rules
from trayapp.errors import ConfigError
from trayapp.events import EventBus, Recorded, StatusChanged
from trayapp.status import Status

P = "assistant"


def e(t: float, event: str, /, **fields: Any) -> dict[str, Any]:
    return {"t": t, "event": event, "program": fields.pop("program", P), **fields}


def crash(t: float, uptime: float = 1.0) -> list[dict[str, Any]]:
    """What the supervisor journals for one crash and its automatic restart."""
    return [e(t, "exit", code=1, text="exit 1", uptime=uptime, expected=False),
            e(t, "backoff", delay=1.0, failures=1), e(t + 1, "start", pid=1)]


# -- parsing -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, condition", [
    ("restarts > 3 in 1h", Count("restarts", 4, 3600)),
    ("Restarts  >=  3 in 30m", Count("restarts", 3, 1800)),
    ("crashes > 0 in 10m", Count("crashes", 1, 600)),
    ("uptime < 5m after restart", ShortRun(300)),
    ("memory > 1GB for 10m", Over("memory", 1e9, 600)),
    ("memory > 512 MiB for 1m", Over("memory", 512 * 1024**2, 60)),
    ("cpu > 90% for 5m", Over("cpu", 90.0, 300)),
    ("health failing for 2m", Failing(120)),
    ("gave up", GaveUp()),
])
def test_parse_condition(text: str, condition: Any) -> None:
    assert parse_condition(text) == condition


@pytest.mark.parametrize("text, words", [
    ("restarts > many in 1h", "write one of"),
    ("restarts > 3 in soon", "not a duration"),
    ("memory > lots for 10m", "not a size"),
    ("the moon is full", "write one of"),
])
def test_bad_conditions_say_what_is_accepted(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_condition(text)


def test_rule_problems_carry_key_paths_and_hints() -> None:
    tables = [
        {"when": "restarts > 3 in 1h"},
        {"when": "health failing for 2m", "action": "webhook"},
        {"when": "gave up", "action": "command", "command": "reboot now"},
        {"when": "gave up", "programm": "assistant"},
        {"when": "gave up", "program": "assistent"},
        {"when": "gave up", "action": "webhook", "url": "ftp://x"},
    ]
    rules, problems = read_rules(tables, programs=["assistant"])
    assert [r.when for r in rules] == ["restarts > 3 in 1h"]
    assert problems == [
        "alerts[1].url: missing; action = \"webhook\" needs url = \"https://...\"",
        "alerts[2].command: expected a list of strings such as [\"notify-me\", \"--urgent\"], not one string "
        "(trayapp never runs a shell)",
        "alerts[3].programm: unknown key; did you mean 'program'?",
        "alerts[4].program: no program named 'assistent'; did you mean 'assistant'?",
        "alerts[5].url: must start with http:// or https://, got 'ftp://x'",
    ]
    with pytest.raises(ConfigError) as info:
        parse_rules(tables, programs=["assistant"])
    assert info.value.exit_code == 2 and len(info.value.problems) == 5


def test_the_config_reader_expands_variables_in_rule_urls_and_commands_once() -> None:
    from trayapp.config import parse

    cfg = parse('[[alerts]]\nwhen = "gave up"\naction = "webhook"\nurl = "https://ntfy.sh/${TOPIC}"\n'
                '[[alerts]]\nwhen = "gave  up"\naction = "command"\ncommand = ["${HOME}/bin/page", "${ARG}"]\n',
                environ={"TOPIC": "secret-topic", "HOME": "/home/ada", "ARG": "${TOPIC}"})
    hook, page = cfg.alerts
    assert hook.url == "https://ntfy.sh/secret-topic" and hook.name == "gave up" and hook.timeout == 10
    assert page.command == ("/home/ada/bin/page", "${TOPIC}") and page.name == "gave up"


def test_rule_tables_are_read_as_given_never_expanded_here() -> None:
    (rule,) = parse_rules([{"when": "gave up", "action": "webhook", "url": "https://ntfy.sh/${TOPIC}"}])
    assert rule.url == "https://ntfy.sh/${TOPIC}"


@pytest.mark.parametrize("table, problem", [
    ({"when": ""}, "alerts[0].when: empty; write one of"),
    ({"when": 5}, "alerts[0].when: expected a string"),
    ({}, "alerts[0].when: missing"),
    ({"when": "gave up", "name": 3}, "alerts[0].name: expected a string"),
    ({"when": "gave up", "action": "command", "command": ["", "x"]}, "alerts[0].command: expected a non-empty"),
    ({"when": "gave up", "url": 7}, "alerts[0].url: expected a string"),
])
def test_every_rule_problem_is_told_once_in_words(table: dict[str, Any], problem: str) -> None:
    rules, problems = read_rules([table])
    assert rules == () and len(problems) == 1 and problems[0].startswith(problem), problems


# -- evaluation: scenario tables -----------------------------------------------------------

NOW = 10_000.0

SCENARIOS = [
    # (condition text, entries, fires?)
    ("restarts > 3 in 1h", [x for t in (100, 2000, 5000, 9000) for x in crash(NOW - 10_000 + t)], False),
    ("restarts > 3 in 1h", [x for t in (7000, 8000, 9000, 9500) for x in crash(t)], True),
    ("restarts > 3 in 1h", [x for t in (8000, 9000, 9500) for x in crash(t)], False),
    ("restarts > 3 in 1h", [e(9000 + i, "restart", reason="user") for i in range(5)], False),
    ("restarts > 3 in 1h", [e(9000 + i, "restart", reason="health") for i in range(4)], True),
    ("crashes >= 2 in 10m", [*crash(9500), e(9600, "exit", code=0, expected=True), *crash(9700)], True),
    ("crashes >= 2 in 10m", [*crash(9500), e(9600, "exit", code=0, expected=True)], False),
    ("uptime < 5m after restart", [*crash(9000), e(9100, "exit", code=1, uptime=100, expected=False)], True),
    ("uptime < 5m after restart", [*crash(9000), e(9500, "exit", code=1, uptime=400, expected=False)], False),
    ("uptime < 5m after restart", [e(9000, "start"), e(9100, "exit", code=1, uptime=100)], False),  # first start
    ("uptime < 5m after restart", [e(8000, "stop", by="user"), e(8000, "exit", expected=True),
                                   e(9000, "start"), e(9100, "exit", code=1, uptime=100)], False),
    ("uptime < 5m after restart", [e(8000, "restart", reason="health"), e(8000, "stop", by="health"),
                                   e(8001, "exit", expected=True), e(8002, "start"),
                                   e(8100, "exit", code=1, uptime=98)], True),
    ("memory > 1GB for 10m", [e(NOW - 700 + 10 * i, "sample", memory=2e9) for i in range(71)], True),
    ("memory > 1GB for 10m", [e(NOW - 700 + 10 * i, "sample", memory=2e9 if i != 40 else 5e8)
                              for i in range(71)], False),  # dipped under 5 min ago
    ("memory > 1GB for 10m", [e(NOW - 900 + 10 * i, "sample", memory=2e9) for i in range(50)], False),  # stale
    ("cpu > 90% for 5m", [e(NOW - 400 + 10 * i, "sample", cpu=150.0) for i in range(41)], True),
    ("health failing for 2m", [e(NOW - 200, "health", status="unhealthy", detail="HTTP 503")], True),
    ("health failing for 2m", [e(NOW - 60, "health", status="unhealthy")], False),
    ("health failing for 2m", [e(NOW - 300, "health", status="unhealthy"), e(NOW - 200, "start")], False),
    ("health failing for 2m", [e(NOW - 300, "health", status="unhealthy"),
                               e(NOW - 200, "health", status="healthy")], False),
    ("gave up", [*crash(9000), e(9005, "gave_up", reason="too many crashes")], True),
    ("gave up", [e(9005, "gave_up", reason="x"), e(9600, "start"), e(9602, "running")], False),
    ("gave up", [e(9005, "gave_up", reason="x", program="other")], False),  # another program
]


@pytest.mark.parametrize("when, entries, fires", SCENARIOS)
def test_evaluate(when: str, entries: list[dict[str, Any]], fires: bool) -> None:
    assert (evaluate(parse_condition(when), entries, NOW, P) is not None) is fires


def test_match_details_are_plain_words() -> None:
    entries = [e(NOW - 200, "health", status="unhealthy", detail="HTTP 503 from /health")]
    match = evaluate(parse_condition("health failing for 2m"), entries, NOW, P)
    assert match is not None and str(match.detail) == "health check failing for 3m 20s: HTTP 503 from /health"


# -- the engine ----------------------------------------------------------------------------

class Clock:
    def __init__(self, wall: float = NOW) -> None:
        self.wall = wall

    def monotonic(self) -> float:
        return self.wall

    def time(self) -> float:
        return self.wall


class Journal:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, event: str, program: str | None = None, **fields: Any) -> dict[str, Any]:
        self.entries.append({"event": event, "program": program, **fields})
        return self.entries[-1]


class Notes:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.channels: list[tuple[str, ...]] = []

    def notify(self, title: str, body: Message | str = "", *, slot: str = "", kind: str = "",
               channels: tuple[str, ...] = ()) -> None:
        self.calls.append((title, words(body), slot))  # what the user reads
        self.channels.append(channels)


def engine(when: str, clock: Clock, **kw: Any) -> tuple[AlertEngine, Journal, Notes]:
    journal, notes = Journal(), Notes()
    rules = parse_rules([{"when": when, "name": "watch it", **kw.pop("rule", {})}])
    return AlertEngine(rules, journal=journal, notifier=notes, clock=clock, threaded=False,
                       names={P: "nanobot"}, **kw), journal, notes


def feed(eng: AlertEngine, clock: Clock, entries: list[dict[str, Any]]) -> list[Any]:
    fired = []
    for entry in entries:
        clock.wall = entry["t"]
        eng.on_recorded(Recorded(entry))
        fired += eng.step()
    return fired


def test_engine_fires_once_when_a_condition_turns_true_and_journals_it() -> None:
    clock = Clock(0)
    eng, journal, notes = engine("restarts > 2 in 1h", clock)
    fired = feed(eng, clock, [x for t in (100, 200, 300, 400, 500) for x in crash(t)])
    assert len(fired) == 1
    assert notes.calls == [("nanobot: watch it", "3 restarts in the last 1h", "alert:watch it:assistant")]
    assert journal.entries == [{"event": "alert", "program": P, "rule": "watch it", "action": "notify",
                                "ok": True, "error": None, "detail": "3 restarts in the last 1h",
                                "detail_message": {"message": "{n} restarts in the last {window}",
                                                   "values": {"n": 3, "window": {"unit": "duration", "value": 3600.0}}}}]


def test_engine_rearms_after_false_but_respects_repeat() -> None:
    clock = Clock(0)
    eng, journal, _ = engine("gave up", clock, rule={"repeat": "10m"})
    feed(eng, clock, [e(100, "gave_up", reason="a"), e(200, "start"), e(300, "gave_up", reason="b")])
    assert len(journal.entries) == 1  # the second gave up came within 10 minutes
    feed(eng, clock, [e(900, "start"), e(1000, "gave_up", reason="c")])
    assert [x["detail"] for x in journal.entries] == ["trayapp gave up restarting it: a",
                                                      "trayapp gave up restarting it: c"]


def test_the_past_sets_the_state_without_firing() -> None:
    clock = Clock(NOW)
    history = [e(NOW - 100, "gave_up", reason="old news")]
    eng, journal, notes = engine("gave up", clock, history=history)
    assert eng.step() == [] and notes.calls == []


def test_time_alone_can_make_a_rule_fire() -> None:
    clock = Clock(1000)
    eng, journal, _ = engine("health failing for 2m", clock)
    feed(eng, clock, [e(1000, "health", status="unhealthy", detail="timeout")])
    assert journal.entries == []
    clock.wall = 1121
    assert len(eng.step()) == 1


def test_memory_samples_come_from_status_snapshots() -> None:
    clock = Clock(0)
    eng, journal, _ = engine("memory > 1GB for 1m", clock)
    bus = EventBus()
    eng.attach(bus)
    for t in range(0, 80, 10):
        clock.wall = float(t)
        bus.publish(StatusChanged(None, Status(program=P, display_name="nanobot", memory=1_500_000_000)))
        eng.step()
    assert [x["rule"] for x in journal.entries] == ["watch it"]
    assert "memory at 1.5GB" in journal.entries[0]["detail"]


def test_a_failing_action_is_journalled_and_does_not_stop_the_engine() -> None:
    clock = Clock(0)
    eng, journal, _ = engine("gave up", clock, rule={"action": "command", "command": ["x"]},
                             runner=lambda argv, timeout, env: Outcome(False, "command not found: x"))
    feed(eng, clock, [e(10, "gave_up", reason="r")])
    assert journal.entries[0]["ok"] is False and journal.entries[0]["error"] == "command not found: x"
    eng.on_recorded(Recorded({"event": "alert", "program": P}))  # our own entries are not evaluated
    assert eng.step() == []


def test_engine_worker_thread_runs_actions_off_the_publisher_thread() -> None:
    started = threading.Event()
    release = threading.Event()

    def slow_runner(argv: Any, timeout: float, env: Any) -> Outcome:
        started.set()
        release.wait(5)
        return Outcome(True)

    journal = Journal()
    rules = parse_rules([{"when": "gave up", "action": "command", "command": ["x"]}])
    eng = AlertEngine(rules, journal=journal, runner=slow_runner, tick=0.05)
    eng.on_recorded(Recorded({"event": "gave_up", "program": P, "ts": "2030-01-01T00:00:00+00:00"}))
    assert started.wait(5)  # the action is running on the worker while we carry on here
    assert journal.entries == []
    release.set()
    eng.close()
    assert journal.entries and journal.entries[0]["ok"] is True


# -- actions, for real ---------------------------------------------------------------------

def test_command_action_success_failure_missing_and_timeout() -> None:
    assert run_command((sys.executable, "-c", "pass"), 5) == Outcome(True)
    failed = run_command((sys.executable, "-c", "import sys; print('bad token', file=sys.stderr); sys.exit(3)"), 5)
    assert not failed.ok and "exit 3" in str(failed.error) and "bad token" in str(failed.error)
    assert run_command(("/no/such/program",), 5) == Outcome(False, "command not found: /no/such/program")
    slow = run_command((sys.executable, "-c", "import time; time.sleep(30)"), 0.3)
    assert not slow.ok and "did not finish within" in str(slow.error)


def test_command_action_sees_the_alert_in_its_environment(tmp_path: Any) -> None:
    out = tmp_path / "seen.txt"
    code = f"import os; open({str(out)!r}, 'w').write(os.environ['TRAYAPP_ALERT_RULE'])"
    assert run_command((sys.executable, "-c", code), 5, {"TRAYAPP_ALERT_RULE": "crash loop"}).ok
    assert out.read_text() == "crash loop"


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    """A real local HTTP server: records JSON bodies, answers with the status in `codes`."""
    received: list[dict[str, Any]] = []
    codes = [204]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers["Content-Length"])
            received.append({"type": self.headers["Content-Type"], **json.loads(self.rfile.read(length))})
            self.send_response(codes[0])
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received, codes
    server.shutdown()
    server.server_close()


def test_webhook_posts_json_and_reports_http_errors(http_server: Any) -> None:
    url, received, codes = http_server
    clock = Clock(0)
    eng, journal, _ = engine("gave up", clock, rule={"action": "webhook", "url": url, "timeout": "5s"})
    feed(eng, clock, [e(10, "gave_up", reason="too many crashes")])
    assert received[0]["type"] == "application/json"
    assert received[0]["rule"] == "watch it" and received[0]["program"] == P
    assert received[0]["display_name"] == "nanobot" and "too many crashes" in received[0]["detail"]
    assert journal.entries[-1]["ok"] is True
    codes[0] = 500
    failed = post_webhook(url, {"x": 1}, 5)
    assert not failed.ok and "HTTP 500" in str(failed.error) and url not in str(failed.error)


def test_webhook_unreachable_and_silent_servers_time_out() -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    port = listener.getsockname()[1]
    try:
        silent = post_webhook(f"http://127.0.0.1:{port}/", {}, 0.3)
        assert not silent.ok and "did not answer within" in str(silent.error)
    finally:
        listener.close()
    refused = post_webhook(f"http://127.0.0.1:{port}/", {}, 2)
    assert not refused.ok and "cannot reach the webhook" in str(refused.error)


def test_config_check_reports_alert_rule_problems_with_the_others() -> None:
    from trayapp.config import parse

    text = """
[programs.assistant]
command = ["nanobot", "gateway"]

[[alerts]]
when = "restarts > 3 in 1h"

[[alerts]]
when = "memory > 1GB for ever"
action = "webhook"
"""
    with pytest.raises(ConfigError) as info:
        parse(text, environ={})
    assert info.value.problems == [
        "alerts[1].when: 'memory > 1GB for ever': 'ever' is not a duration; write it like \"10s\", \"5m\", "
        "\"1h30m\" or \"250ms\"",
        "alerts[1].url: missing; action = \"webhook\" needs url = \"https://...\"",
    ]
    assert parse(text.split("[[alerts]]\nwhen = \"memory")[0], environ={}).alerts[0].condition == \
        Count("restarts", 4, 3600)
