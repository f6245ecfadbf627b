"""Redaction: every pattern is caught, near-misses are left alone, both entry points agree."""

from __future__ import annotations

import pytest

from trayapp.redact import REDACTED, is_secret_key, might_hold_secret, redact, redact_lines, redact_mapping

ANT = "sk-ant-api03-" + "Ab1_" * 20
PROJ = "sk-proj-" + "x9Y8z7" * 8
PLAIN_SK = "sk-" + "a1B2c3D4e5" * 5
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")

# (line, expected) - the secret part must be gone, everything else kept.
CAUGHT = [
    (f"using key {ANT} now", f"using key sk-ant-{REDACTED} now"),
    (f"OPENAI key {PROJ}", f"OPENAI key sk-proj-{REDACTED}"),
    (f"key={PLAIN_SK}", f"key={PLAIN_SK}".replace(PLAIN_SK, f"sk-{REDACTED}")),
    ("token xoxb-123456789012-abcdefABCDEF", f"token xoxb-{REDACTED}"),
    ("slack xoxp-1234-5678-abcdefghijkl done", f"slack xoxp-{REDACTED} done"),
    ("clone with ghp_" + "A1b2C3d4E5" * 4 + " ok", f"clone with ghp_{REDACTED} ok"),
    ("pat github_pat_11ABCDEFG0_" + "xY" * 30, f"pat github_pat_{REDACTED}"),
    ("maps AIzaSyD" + "-aB1_c2D3e" * 4, f"maps AIza{REDACTED}"),
    (f"session {JWT} issued", f"session {REDACTED} issued"),
    ("Authorization: Bearer abc.DEF-123_456~xyz", f"Authorization: Bearer {REDACTED}"),
    ("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='", f"curl -H 'Authorization: Basic {REDACTED}'"),
    ("sent with Bearer 0123456789abcdef", f"sent with Bearer {REDACTED}"),
    ("password=hunter2 user=bob", f"password={REDACTED} user=bob"),
    ("DB_PASSWORD = 's3cr3t value'", f"DB_PASSWORD = '{REDACTED}'"),
    ("passwd: letmein", f"passwd: {REDACTED}"),
    ('{"token": "abc123", "n": 1}', f'{{"token": "{REDACTED}", "n": 1}}'),
    ('{"access_token":"a.b.c","expires":3600}', f'{{"access_token":"{REDACTED}","expires":3600}}'),
    ("secret: swordfish", f"secret: {REDACTED}"),
    ("client_secret=abc&grant=x", f"client_secret={REDACTED}&grant=x"),
    ("api_key=XYZ123", f"api_key={REDACTED}"),
    ("OPENAI_API_KEY=not-a-sk-shape", f"OPENAI_API_KEY={REDACTED}"),
    ('"apiKey": "k-123"', f'"apiKey": "{REDACTED}"'),
    ("apikey: k-123", f"apikey: {REDACTED}"),
    ("x-api-key: k-123", f"x-api-key: {REDACTED}"),
    ("aws_access_key=AKIAABCDEF", f"aws_access_key={REDACTED}"),
    ("private_key: MIIEvQIBADAN", f"private_key: {REDACTED}"),
    ("auth=tok123", f"auth={REDACTED}"),
    ("authToken: tok123", f"authToken: {REDACTED}"),
    ('log {\\"password\\": \\"pw\\"}', f'log {{\\"password\\": \\"{REDACTED}\\"}}'),
    ("postgres://bob:pa55word@db.local/app", f"postgres://bob:{REDACTED}@db.local/app"),
    # an escaped quote inside the value must not end it early
    ('"apiKey": "x\\"y-secret"', '"apiKey": "[REDACTED]"'),
    ('secret="ab\\"cd"', 'secret="[REDACTED]"'),
    # command-line flags, as in a process list or a "started ..." line
    ("openclaw gateway run --token abcdef123456 --port 1", "openclaw gateway run --token [REDACTED] --port 1"),
    ("tool -password hunter22", "tool -password [REDACTED]"),
    ("GROQ_KEY=gsk_abc123def", "GROQ_KEY=[REDACTED]"),
]

# Lines that look close to a secret but are not one: they must come back unchanged.
LEFT_ALONE = [
    "max_tokens=4096 prompt_tokens: 12 token_count=5",
    '{"total_tokens": 812, "tokens": 3}',
    "author=ann authority: city",
    "secretary: Ann; secrets are fun",
    "password reset email sent to bob",
    "keyboard=us monkey: yes",
    "task-queue-worker-number-one-two-three",
    "sk-learn is a package",
    "the bearer of the letter",
    "eyJhbGciOiJIUzI1NiJ9 alone is only a header",
    "ghp_short",
    "AIza short",
    "xoxz-1234567890-abcdef",
    "mailto:bob@example.com and https://example.com/a@b",
    "password: [REDACTED] already",
    "",
    "run --verbose --tokens 5",
    "monkey=banana",
]


@pytest.mark.parametrize(("line", "expected"), CAUGHT)
def test_secret_is_redacted(line: str, expected: str) -> None:
    assert redact(line) == expected


@pytest.mark.parametrize(("line", "expected"), CAUGHT)
def test_pump_path_agrees_with_redact(line: str, expected: str) -> None:
    block = f"before\n{line}\nafter".encode()
    assert redact_lines(block) == f"before\n{expected}\nafter".encode()


@pytest.mark.parametrize("line", LEFT_ALONE)
def test_near_miss_is_left_alone(line: str) -> None:
    assert redact(line) == line
    assert redact_lines(line.encode()) == line.encode()


def test_redaction_is_idempotent() -> None:
    for line, expected in CAUGHT:
        assert redact(expected) == expected, line


def test_value_does_not_run_into_the_next_line() -> None:
    assert redact("password:\nnext line stays") == "password:\nnext line stays"


def test_many_secrets_in_one_block_all_go() -> None:
    block = "\n".join(f"line {i} token={i:06d}x and {PLAIN_SK}" for i in range(500)).encode()
    out = redact_lines(block)
    assert b"token=0" not in out and PLAIN_SK.encode() not in out
    assert out.count(REDACTED.encode()) == 1000
    assert out.count(b"\n") == 499


def test_pre_check_is_false_for_plain_text() -> None:
    assert not might_hold_secret("GET /api/v1/chat 200 in 12 ms")
    assert might_hold_secret("Authorization header missing")


@pytest.mark.parametrize(("key", "secret"), [
    ("password", True), ("apiKey", True), ("OPENAI_API_KEY", True), ("client_secret", True),
    ("botToken", True), ("auth", True), ("max_tokens", False), ("author", False), ("keyboard", False),
    ("token_count", False),
])
def test_secret_key_names(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_redact_mapping_is_a_redacted_deep_copy() -> None:
    config = {
        "providers": {"openai": {"apiKey": "sk-x", "apiBase": None}, "anthropic": {"apiKey": ""}},
        "channels": [{"token": "123:abc", "enabled": True}],
        "auth": {"user": "bob", "retries": 3},
        "agents": {"max_tokens": 4096, "note": f"old key {PLAIN_SK}"},
        "pair": ("password", "not under a key"),
    }
    out = redact_mapping(config)
    assert out["providers"]["openai"] == {"apiKey": REDACTED, "apiBase": None}
    assert out["providers"]["anthropic"]["apiKey"] == ""  # nothing to hide
    assert out["channels"] == [{"token": REDACTED, "enabled": True}]
    assert out["auth"] == {"user": REDACTED, "retries": REDACTED}
    assert out["agents"] == {"max_tokens": 4096, "note": f"old key sk-{REDACTED}"}
    assert out["pair"] == ("password", "not under a key")
    assert config["providers"]["openai"]["apiKey"] == "sk-x"  # the original is untouched


@pytest.fixture(params=["accelerated", "stdlib"])
def finder(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Run a test on both needle finders (the accelerated one only where ahocorasick-rs is installed)."""
    from trayapp import redact as module

    if request.param == "accelerated" and module._AUTOMATON is None:
        pytest.skip("ahocorasick-rs is not installed (optional extra `fast`)")
    before = module._accelerated
    module.use_accelerator(request.param == "accelerated")
    yield request.param
    module.use_accelerator(before)


def test_both_finders_redact_the_same_lines(finder: str) -> None:
    lines = [line for line, _ in CAUGHT] + LEFT_ALONE + [f"mixed {PLAIN_SK} and token=x and bob@x.io"]
    expected = [out for _, out in CAUGHT] + LEFT_ALONE + [f"mixed sk-{REDACTED} and token={REDACTED} and bob@x.io"]
    block = "\n".join(lines * 3).encode()
    assert redact_lines(block) == "\n".join(expected * 3).encode()


def test_a_command_line_list_masks_the_word_after_a_secret_flag() -> None:
    processes = {"cmdline": ["openclaw", "gateway", "--token", "abc123", "--port", "18789", "--api-key", "-x"]}
    assert redact_mapping(processes) == {"cmdline": ["openclaw", "gateway", "--token", "[REDACTED]", "--port",
                                                     "18789", "--api-key", "-x"]}
