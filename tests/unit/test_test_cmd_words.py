"""`trayapp test` refuses a program trayapp already runs, naming its state in the user's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trayapp import control
from trayapp.cli import test_cmd
from trayapp.cli.common import load_config
from trayapp.errors import SpawnError
from trayapp.paths import AppPaths


def _refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state: str) -> str:
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text('[programs.web]\ncommand = ["web-server"]\n')

    def request(where: AppPaths, cmd: str, **kwargs: Any) -> dict[str, Any]:
        return {"programs": [{"program": "web", "state": state}]}

    monkeypatch.setattr(control, "request", request)
    where = test_cmd.paths()
    with pytest.raises(SpawnError) as refused:
        test_cmd._refuse_if_busy(where, load_config(where).programs["web"])
    return refused.value.message


@pytest.mark.parametrize(("state", "said"), [("running", "运行中"), ("backoff", "等待重启"), ("starting", "正在启动")])
def test_the_state_is_said_in_chinese(zh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state: str,
                                      said: str) -> None:
    refusal = _refusal(tmp_path, monkeypatch, state)
    assert said in refusal and state not in refusal, refusal


def test_the_state_is_english_in_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _refusal(tmp_path, monkeypatch, "backoff") == "web is already backoff under trayapp"
