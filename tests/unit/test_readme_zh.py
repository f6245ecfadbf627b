"""README.zh-CN.md keeps step with README.md: the same sections in the same order, the same two
commands, and a link to it at the top of the English one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_SECTION = re.compile(r"<!-- (/?)section: ([\w-]+) -->")


def sections(path: Path) -> list[str]:
    return [("/" if close else "") + name for close, name in _SECTION.findall(path.read_text(encoding="utf-8"))]


def test_both_readmes_have_the_same_sections() -> None:
    english, chinese = sections(ROOT / "README.md"), sections(ROOT / "README.zh-CN.md")
    assert english and chinese == english


def test_both_readmes_start_with_the_same_two_commands() -> None:
    def commands(path: Path) -> list[str]:
        block = path.read_text(encoding="utf-8").split("```sh", 1)[1].split("```", 1)[0]
        return [line.split("#")[0].strip() for line in block.strip().splitlines()]

    assert commands(ROOT / "README.zh-CN.md") == commands(ROOT / "README.md") == ["scripts/run", "scripts/test"]


def test_the_english_readme_links_the_chinese_one_at_the_top() -> None:
    top = (ROOT / "README.md").read_text(encoding="utf-8").split("```", 1)[0]
    assert "(README.zh-CN.md)" in top
