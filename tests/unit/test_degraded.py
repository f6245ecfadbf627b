"""The degraded level's quiet sources: output patterns and nanobot's provider settings."""

from __future__ import annotations

import pytest

from trayapp.supervisor.degraded import PROVIDER_PATTERNS, Pattern, Verdict, nanobot_provider

# What a fresh `nanobot onboard` (nanobot-ai 0.3.5) writes, trimmed to the keys that matter.
DEFAULTS = {"model": "anthropic/claude-opus-4-5", "provider": "auto"}
ONBOARDED = {
    "agents": {"defaults": DEFAULTS},
    "providers": {"anthropic": {"apiKey": None}, "openai": {"apiKey": None}, "ollama": {"apiKey": None}},
}


def with_defaults(**defaults: object) -> dict[str, object]:
    return {**ONBOARDED, "agents": {"defaults": {**DEFAULTS, **defaults}}}


@pytest.mark.parametrize("data, usable", [
    (ONBOARDED, False),                                                   # the fresh onboard: no key
    (with_defaults(provider="ollama", model="llama3.2"), True),           # local: no key needed
    (with_defaults(model="ollama/llama3.2"), True),                       # local by the model's prefix
    (with_defaults(provider="lm-studio"), True),                          # spelled with a dash
    ({**ONBOARDED, "providers": {"anthropic": {"apiKey": "sk-ant-x"}}}, True),
    ({**ONBOARDED, "providers": {"anthropic": {"apiKey": "  "}}}, False),  # blank is no key
    ({**ONBOARDED, "providers": {"openai": {"apiKey": "sk-x"}}}, False),   # a key, but for another provider
    (with_defaults(model="gpt-4o"), False),                               # no prefix, no key anywhere
    ({"agents": {"defaults": {"model": "gpt-4o"}}, "providers": {"openai": {"apiKey": "sk-x"}}}, True),
    ({}, False), ({"agents": "junk", "providers": []}, False),            # damaged settings never raise
])
def test_nanobot_provider_follows_nanobots_own_choice(data: dict[str, object], usable: bool) -> None:
    verdict = nanobot_provider(data)
    assert (verdict is None) is usable
    if verdict is not None:
        assert "nanobot is running but" in str(verdict.reason) and "ollama" in str(verdict.fix)


def test_the_fresh_onboard_names_the_provider_and_model() -> None:
    verdict = nanobot_provider(ONBOARDED)
    assert verdict is not None and str(verdict.reason) == ("nanobot is running but its model provider (anthropic) "
                                                           "has no API key for anthropic/claude-opus-4-5")


@pytest.mark.parametrize("line, reason", [
    ("openai.AuthenticationError: Error code: 401 - {'error': {'message': 'Incorrect API key provided'}}",
     "rejects the API key"),
    ('anthropic.AuthenticationError: {"type":"authentication_error","message":"invalid x-api-key"}',
     "rejects the API key"),
    ("RateLimitError: Error code: 429 - You exceeded your current quota", "quota or rate limit"),
    ("litellm.RateLimitError: rate limit exceeded for model", "quota or rate limit"),
    ("2026-11-30 | INFO | Cron: registered system job 'heartbeat'", None),
    ("Processed 401 messages in 429 ms", None),  # numbers alone are not errors
])
def test_provider_patterns(line: str, reason: str | None) -> None:
    found = [v for v in (p.verdict(line) for p in PROVIDER_PATTERNS) if v is not None]
    assert [reason is not None and reason in str(v.reason) for v in found] == ([True] if reason else [])


def test_named_groups_fill_the_reason_and_stray_braces_do_not_crash() -> None:
    pattern = Pattern.of(r"setup is incomplete: (?P<detail>.+)", "cannot answer: {detail}")
    assert pattern.verdict("Provider/model setup is incomplete: No provider") == Verdict("cannot answer: No provider")
    odd = Pattern.of(r"boom", "reason with {unknown} braces")
    assert odd.verdict("boom") == Verdict("reason with {unknown} braces")
