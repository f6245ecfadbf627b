"""Config checks: OpenClaw's security advice (pure), nanobot's provider keys, config.toml errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from trayapp import config as config_mod
from trayapp.doctor import Level, configs, diagnose, nanobot, openclaw
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.json5 import loads
from trayapp.paths import AppPaths


def levels(checks) -> dict[str, Level]:
    return {c.name: c.level for c in checks}


@pytest.mark.parametrize("gateway, name, level", [
    ({"auth": {"mode": "none"}}, "openclaw gateway auth", Level.FAIL),
    ({"auth": {"mode": "token", "token": "t" * 40}}, "openclaw gateway auth", Level.OK),
    ({"auth": {"mode": "password", "password": "short"}}, "openclaw gateway password", Level.WARN),
    ({"auth": {"mode": "password", "password": "long enough pw"}}, "openclaw gateway password", Level.OK),
    ({"bind": "lan", "auth": {"mode": "none"}}, "openclaw gateway bind", Level.FAIL),
    ({"bind": "tailnet", "auth": {"mode": "token"}}, "openclaw gateway bind", Level.FAIL),  # no token anywhere
    ({"bind": "lan", "auth": {"mode": "token", "token": "x" * 32}}, "openclaw gateway bind", Level.OK),
    ({"bind": "custom", "host": "127.0.0.1", "auth": {"mode": "none"}}, "openclaw gateway bind", Level.OK),
    ({"bind": "loopback"}, "openclaw gateway bind", Level.OK),
])
def test_openclaw_gateway_rules(gateway: dict, name: str, level: Level) -> None:
    assert levels(openclaw.checks({"gateway": gateway}, environ={}))[name] is level


def test_openclaw_token_from_the_environment_counts_as_auth() -> None:
    data = {"gateway": {"bind": "lan", "auth": {"mode": "token"}}}
    assert levels(openclaw.checks(data, {"OPENCLAW_GATEWAY_TOKEN": "x" * 32}))["openclaw gateway bind"] is Level.OK


def test_openclaw_dm_policy_not_pairing_warns_per_enabled_channel() -> None:
    data = {"channels": {"whatsapp": {"dmPolicy": "open"}, "telegram": {"dmPolicy": "pairing"},
                         "discord": {"enabled": False, "dmPolicy": "open"}}}
    found = levels(openclaw.checks(data, {}))
    assert found["openclaw whatsapp DM policy"] is Level.WARN
    assert "openclaw telegram DM policy" not in found and "openclaw discord DM policy" not in found


def test_openclaw_secrets_never_appear_in_the_checks() -> None:
    data = {"gateway": {"auth": {"mode": "password", "password": "hunter2pw"}, "bind": "lan"}}
    text = json.dumps([c.to_dict() for c in openclaw.checks(data, {})])
    assert "hunter2" not in text


def test_json5_reader_handles_what_hand_edited_openclaw_configs_use() -> None:
    text = """{
      // the gateway
      gateway: { bind: 'lan', auth: { mode: "password", password: "a//b/*c*/", }, },
      /* channels */ channels: { whatsapp: { dmPolicy: "open" } },
    }"""
    data = loads(text)
    assert data["gateway"]["auth"]["password"] == "a//b/*c*/" and data["gateway"]["bind"] == "lan"
    with pytest.raises(ValueError):
        loads("{ gateway: ")


def test_nanobot_provider_keys_are_never_printed_and_no_usable_provider_warns() -> None:
    """A nanobot with no usable provider runs but cannot answer: a warning, as the instance's degraded state."""
    data = {"agents": {"defaults": {"model": "openrouter/some-model"}},
            "providers": {"openrouter": {"apiKey": "sk-or-v1-abcdefabcdefabcdefabcdef"}, "anthropic": {"apiKey": None},
                          "openai": {"apiKey": ""}}}
    (check,) = nanobot.checks(data)
    assert check.level is Level.OK
    assert "sk-or" not in json.dumps(check.to_dict())
    (none,) = nanobot.checks({"agents": {"defaults": {"model": "openai/gpt-4o"}},
                              "providers": {"openai": {"apiKey": None}}})
    assert none.level is Level.WARN and "no API key" in none.evidence and "(openai)" in none.evidence


def _inputs(tmp_path: Path, toml: str) -> Inputs:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "t")})
    return Inputs(config=config_mod.parse(toml, environ={"HOME": str(tmp_path)}), paths=paths,
                  environ={"HOME": str(tmp_path)}, platform="linux")


def test_openclaw_config_file_is_read_as_json5_from_home(tmp_path: Path) -> None:
    (tmp_path / ".openclaw").mkdir()
    (tmp_path / ".openclaw" / "openclaw.json").write_text('{ gateway: { auth: { mode: "none" } }, }')
    found = levels(configs.checks(_inputs(tmp_path, '[programs.assistant]\npreset = "openclaw"\n')))
    assert found["openclaw gateway auth"] is Level.FAIL


def test_unreadable_assistant_config_fails_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / ".nanobot").mkdir()
    (tmp_path / ".nanobot" / "config.json").write_text("{ not json")
    checks = configs.checks(_inputs(tmp_path, '[programs.assistant]\npreset = "nanobot"\n'))
    bad = next(c for c in checks if c.name == "nanobot config")
    assert bad.level is Level.FAIL and "cannot be read" in bad.evidence


def test_broken_config_toml_is_a_fail_line_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "t"
    home.mkdir()
    (home / "config.toml").write_text("[programs.assistant]\nrestrat = 'always'\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    report = diagnose(AppPaths.discover({"TRAYAPP_HOME": str(home)}), environ={"HOME": str(tmp_path),
                      "PATH": os.defpath}, platform="linux")
    check = next(c for c in report.checks if c.name == "config.toml")
    assert check.level is Level.FAIL and "restrat" in check.evidence and report.exit_code == 1
