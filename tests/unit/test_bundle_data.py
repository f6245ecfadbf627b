"""The frozen bundles carry every data file the wheel carries: PyInstaller collects modules, not data."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).parents[2]


def bundle() -> ModuleType:
    spec = importlib.util.spec_from_file_location("trayapp_bundle", ROOT / "installers" / "trayapp_bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def package_data() -> list[str]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        found: list[str] = tomllib.load(f)["tool"]["setuptools"]["package-data"]["trayapp"]
    return found


def test_every_package_data_pattern_matches_files() -> None:
    for pattern in package_data():
        assert list((ROOT / "trayapp").glob(pattern)), f"{pattern} matches nothing in trayapp/"


def test_every_data_file_of_the_wheel_is_in_the_bundle_too() -> None:
    bundled = [(Path(source), dest) for source, dest in bundle().datas()]
    for pattern in package_data():
        for path in (ROOT / "trayapp").glob(pattern):
            inside = path.relative_to(ROOT).as_posix()
            assert any(path.is_relative_to(source) and inside.startswith(dest + "/") for source, dest in bundled), (
                f"{inside} ships in the wheel but not in the frozen bundles: add its folder to "
                "installers/trayapp_bundle.py datas()")
