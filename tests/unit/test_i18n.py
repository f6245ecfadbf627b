"""The translation layer: which language, and English whenever a catalog is missing or broken."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trayapp import i18n
from trayapp.i18n import _, ngettext
from trayapp.procs import CommandResult
from trayapp.units import format_ago, format_duration, format_size


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    i18n.activate("en")


@pytest.mark.parametrize(("tag", "expected"), [
    ("zh_CN", "zh_CN"), ("zh_CN.UTF-8", "zh_CN"), ("zh_Hans", "zh_CN"), ("zh-CN", "zh_CN"), ("zh", "zh_CN"),
    ("zh-Hans-CN", "zh_CN"), ("zh_SG.UTF-8", "zh_CN"), ("zh_CN.GB18030@euro", "zh_CN"),
    ("en_US.UTF-8", "en"), ("en-GB", "en"), ("C", "en"), ("POSIX", "en"), ("C.UTF-8", "en"),
    ("zh_TW.UTF-8", None), ("zh_HK", None), ("zh-Hant-TW", None), ("fr_FR.UTF-8", None), ("", None),
])
def test_locale_names_map_to_the_languages_trayapp_speaks(tag: str, expected: str | None) -> None:
    assert i18n.normalize(tag) == expected


@pytest.mark.parametrize(("env", "expected"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "LANGUAGE": "zh_CN:en"}, "zh_CN"),
    ({"LANGUAGE": "fr:zh_CN", "LANG": "fr_FR.UTF-8"}, "zh_CN"),  # the first catalog trayapp has wins
    ({"LANGUAGE": "", "LANG": "zh_CN.UTF-8"}, "zh_CN"),  # an empty variable does not count
    ({"LANG": "fr_FR.UTF-8"}, "en"),  # no French catalog: English, not a later variable
    ({"LANG": "zh_TW.UTF-8"}, "en"),  # Traditional Chinese is not translated yet
    ({}, None),
])
def test_linux_reads_the_locale_variables_the_way_gettext_does(env: dict[str, str], expected: str | None) -> None:
    assert i18n.from_env(env) == expected


def test_macos_preferred_languages_are_read_from_defaults() -> None:
    class Defaults:
        def run(self, argv: object) -> CommandResult:
            assert argv == ["defaults", "read", "-g", "AppleLanguages"]
            return CommandResult(0, '(\n    "zh-Hans-CN",\n    "en-US"\n)\n')

    assert i18n.mac_languages(Defaults()) == ["zh-Hans-CN", "en-US"]
    assert i18n.os_language("darwin", {"LANG": "en_US.UTF-8"}, mac=lambda: ["zh-Hans-CN", "en"]) == "zh_CN"
    # French first (no catalog), then English: English, not the terminal's LANG
    assert i18n.os_language("darwin", {"LANG": "zh_CN.UTF-8"}, mac=lambda: ["fr-FR", "en-US"]) == "en"
    assert i18n.os_language("darwin", {"LANG": "zh_CN.UTF-8"}, mac=lambda: []) == "zh_CN"


def test_a_failing_defaults_command_means_no_preference() -> None:
    class Broken:
        def run(self, argv: object) -> CommandResult:
            return CommandResult(1, "", "The domain/default pair does not exist")

    assert i18n.mac_languages(Broken()) == []


@pytest.mark.parametrize(("langid", "expected"), [
    (0x0804, "zh_CN"), (0x1004, "zh_CN"), (0x0409, "en"), (0x0809, "en"), (0x0404, "en"), (0x0C04, "en"),
    (0x040C, "en"),
])
def test_windows_ui_language(langid: int, expected: str) -> None:
    assert i18n.os_language("win32", {}, windows=lambda: langid) == expected


def test_config_and_lang_win_over_the_computer() -> None:
    env = {"LANG": "zh_CN.UTF-8"}
    assert i18n.choose("en", "linux", env) == "en"
    assert i18n.choose("zh_CN", "linux", {"LANG": "en_US.UTF-8"}) == "zh_CN"
    assert i18n.choose("auto", "linux", env) == "zh_CN"
    assert i18n.choose(None, "win32", {}, windows=lambda: 0x0804) == "zh_CN"


def test_cli_lang_is_a_global_option_taken_before_the_command() -> None:
    from trayapp.cli import _take_lang

    assert _take_lang(["--lang", "zh_CN", "status"]) == ("zh_CN", ["status"])
    assert _take_lang(["--lang=en", "history", "-n", "3"]) == ("en", ["history", "-n", "3"])
    assert _take_lang(["status", "--lang", "zh_CN"]) == (None, ["status", "--lang", "zh_CN"])
    assert _take_lang(["--lang", "klingon", "status"]) == (None, ["--lang", "klingon", "status"])


def test_config_ui_language(tmp_path: Path) -> None:
    from trayapp.cli.common import configured_language
    from trayapp.config import ConfigError, parse
    from trayapp.paths import AppPaths

    assert parse('[ui]\nlanguage = "zh_CN"\n').ui.language == "zh_CN"
    assert parse("").ui.language == "auto"
    with pytest.raises(ConfigError) as caught:
        parse('[ui]\nlanguage = "klingon"\n')
    assert "language" in str(caught.value) + " ".join(caught.value.problems)
    where = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path)})
    assert configured_language(where) == "auto"  # no file yet
    where.config_file.parent.mkdir(parents=True, exist_ok=True)
    where.config_file.write_text('[ui]\nlanguage = "zh_CN"\n')
    assert configured_language(where) == "zh_CN"
    where.config_file.write_text('[ui\nlanguage = ')  # broken TOML: the command itself reports it
    assert configured_language(where) == "auto"


def test_chinese_catalog_is_used_when_chosen() -> None:
    assert i18n.activate("zh_CN") == "zh_CN"
    assert _("Quit trayapp") == "退出 trayapp"
    assert format_duration(8040) == "2 小时 14 分钟"
    assert format_ago(180) == "3 分钟前"
    assert format_size(1.2e9) == "1.2 GB"
    assert ngettext("{n} file", "{n} files", 3).format(n=3) == "3 个文件"


def test_a_missing_catalog_falls_back_to_english(tmp_path: Path) -> None:
    assert i18n.activate("zh_CN", locale_dir=tmp_path) == "en"
    assert i18n.language() == "en"
    assert _("Quit trayapp") == "Quit trayapp"
    assert format_duration(8040) == "2h 14m"


@pytest.mark.parametrize("junk", [b"", b"not a catalog at all", b"\xde\x12\x04\x95" + b"\0" * 3])
def test_a_broken_catalog_falls_back_to_english(tmp_path: Path, junk: bytes) -> None:
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "trayapp.mo").write_bytes(junk)
    assert i18n.activate("zh_CN", locale_dir=tmp_path) == "en"
    assert _("Quit trayapp") == "Quit trayapp"


def test_a_translation_with_wrong_placeholders_is_not_used(tmp_path: Path) -> None:
    """A translator's typo ({nom} for {name}) would crash .format(): English is said instead."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale="zh_CN")
    catalog.add("{name} crashed ({exit})", "{nom} 崩溃了（{exit}）")
    catalog.add("{name} is running again", "{name} 已恢复运行")
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "trayapp.mo", "wb") as f:
        write_mo(f, catalog)
    assert i18n.activate("zh_CN", locale_dir=tmp_path) == "zh_CN"
    assert _("{name} crashed ({exit})").format(name="nanobot", exit="exit 1") == "nanobot crashed (exit 1)"
    assert _("{name} is running again").format(name="nanobot") == "nanobot 已恢复运行"


def test_the_shipped_catalogs_are_inside_the_package() -> None:
    """The wheel and the frozen bundles carry trayapp/locale (package data): the .mo files are there."""
    for lang in ("en", "zh_CN"):
        assert (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "trayapp.mo").stat().st_size > 1000


def test_json_output_stays_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from trayapp import cli

    chosen: list[str | None] = []
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    monkeypatch.setattr(cli, "_activate_language", chosen.append)
    cli.main(["--lang", "zh_CN", "history", "--json"])
    cli.main(["--lang", "zh_CN", "history"])
    cli.main(["history"])
    assert chosen == ["en", "zh_CN", None]  # None: [ui] language, else the computer's


def test_lang_picks_the_language_of_one_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from trayapp import cli

    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    cli.main(["--lang", "zh_CN", "history"])
    assert capsys.readouterr().out.strip() == "暂无记录"
    cli.main(["history"])
    assert capsys.readouterr().out.strip() == "no history yet"
    (tmp_path / "config.toml").write_text('[ui]\nlanguage = "zh_CN"\n')
    cli.main(["history"])
    assert capsys.readouterr().out.strip() == "暂无记录"


def test_a_notification_says_the_exit_in_the_users_language() -> None:
    """The journal's exit entry carries English `text` (its JSON is language-neutral): the notice says
    the exit from the code or signal instead (the desktop test found "崩溃了（exit 1）")."""
    from trayapp.notify import messages

    i18n.activate("zh_CN")
    crash = messages.crash("nanobot", {"code": 1, "text": "exit 1"}, delay=4.0)
    assert crash.title == "nanobot 崩溃了（退出码 1） — 4 秒后重启"
    killed = messages.crash("nanobot", {"signal": 9, "text": "killed by SIGKILL"})
    assert killed.title == "nanobot 崩溃了（被 SIGKILL 终止）"
    owner = messages.crash("nanobot", {"text": "failed (Result: exit-code)"})
    assert owner.title == "nanobot 崩溃了（failed (Result: exit-code)）"


def test_no_function_hides_the_translation_function() -> None:
    """`host, _, port = ...` makes `_` a local name in the whole function: a `_("…")` in the same
    function then fails at run time (UnboundLocalError, or a call of whatever `_` holds)."""
    import ast

    package = Path(i18n.__file__).parent
    found = []
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            names = [n for n in ast.walk(func) if isinstance(n, ast.Name) and n.id == "_"]
            stored = any(isinstance(n.ctx, ast.Store) for n in names)
            called = any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == "_"
                         for c in ast.walk(func))
            if stored and called:
                found.append(f"{path.relative_to(package)}:{func.lineno} {func.name}")
    assert found == []


def test_the_tray_speaks_chinese_the_way_chinese_desktops_do() -> None:
    from tests.unit.pseudo_cases import NOW, statuses
    from trayapp.tray.view import Extras, tray_view

    i18n.activate("zh_CN")
    running = statuses(lambda text: text)[4]  # running 2h 14m, 3 restarts today
    view = tray_view([running], NOW, Extras(backup=True, last_backup_at=NOW - 180, autostart=True))
    assert view.tooltip == "nanobot — 已运行 2 小时 14 分钟 · 今天重启 3 次"
    labels = [e.label for e in view.menu]
    assert labels[2:7] == ["启动", "停止", "重启", "日志", "-"]
    assert "上次备份：3 分钟前" in labels and "开机自启" in labels and "暂停通知 1 小时" in labels
    assert labels[-1] == "退出 trayapp"


def test_a_reload_that_changes_the_language_is_applied() -> None:
    from trayapp.config import diff, parse

    before = parse('[programs.a]\ncommand = ["x"]\n')
    after = parse('[programs.a]\ncommand = ["x"]\n[ui]\nlanguage = "zh_CN"\n')
    change = diff.diff(before, after)
    assert change.sections == ("ui",) and not change.restarted


def test_an_unknown_lang_is_refused_naming_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    from trayapp import cli

    with pytest.raises(SystemExit) as exited:
        cli.main(["--lang", "klingon", "status"])
    assert exited.value.code == 2
    assert "invalid choice: 'klingon'" in capsys.readouterr().err


def test_catalogs_ship_in_the_wheel_and_the_frozen_bundles() -> None:
    import importlib.util
    import tomllib

    root = Path(i18n.__file__).parents[1]
    with open(root / "pyproject.toml", "rb") as f:
        package_data = tomllib.load(f)["tool"]["setuptools"]["package-data"]["trayapp"]
    assert "locale/*/LC_MESSAGES/*.mo" in package_data
    spec = importlib.util.spec_from_file_location("trayapp_bundle", root / "installers" / "trayapp_bundle.py")
    assert spec is not None and spec.loader is not None
    bundle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bundle)
    assert (str(root / "trayapp" / "locale"), "trayapp/locale") in bundle.datas()
