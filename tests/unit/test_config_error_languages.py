"""A broken config.toml reads in the user's language and carries the same error in English for the
journal and --json (config.parse reads it once more under english())."""

from __future__ import annotations

from pathlib import Path

import pytest

from trayapp import config
from trayapp.errors import ConfigError

GHOST = '[programs.assistant]\ncommand = ["nanobot", "gateway"]\ndepends_on = { ghost = "started" }\nrestarts = 3\n'


def broken(text: str, source: Path | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        config.parse(text, source=source, environ={"HOME": "/home/u"})
    return caught.value


def test_the_problems_read_in_chinese_and_the_twin_is_english(zh: None) -> None:
    error = broken(GHOST, source=Path("/tmp/c.toml"))
    twin = error.in_english()
    assert (error.message, twin.message) == ("/tmp/c.toml 有 2 个问题：", "/tmp/c.toml has 2 problems:")
    assert twin.problems == ["programs.assistant.restarts: unknown key; did you mean 'restart'?",
                             "programs.assistant.depends_on: no program named 'ghost'; the programs are: assistant"]
    assert error.problems[1] == "programs.assistant.depends_on：没有名为 'ghost' 的程序；现有程序：assistant"
    assert (error.fix, twin.fix) == ("请修改文件，然后运行 `trayapp config check`",
                                     "edit the file, then run `trayapp config check`")


def test_bad_toml_has_an_english_twin_too(zh: None) -> None:
    twin = broken("[programs.assistant\n").in_english()
    assert twin.message.startswith("config is not valid TOML: ") and twin.fix is not None
    assert twin.fix.startswith("correct the line named above")


def test_an_unreadable_file_has_an_english_twin(zh: None, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert caught.value.message.startswith(f"无法读取 {path}")
    assert caught.value.in_english().message.startswith(f"cannot read {path}: ")


def test_an_error_made_once_is_its_own_english() -> None:
    error = ConfigError("made in English")
    assert error.in_english() is error
