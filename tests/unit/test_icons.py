"""The tray icons: sizes, modes, one distinct look per state (also without colour), both panel colours."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from PIL import Image

from trayapp.tray.icons import APP_SIZES, STATE_KEYS, TRAY_SIZES, export_plan, render, svg
from trayapp.tray.view import IconKey

ASSETS = Path(__file__).resolve().parents[2] / "assets"
DARK_PANEL, LIGHT_PANEL = (32, 32, 32), (240, 240, 240)


def structure(image: Image.Image) -> list[int]:
    """Colour-blind reading: 0 transparent, 1 darker half, 2 lighter half of the opaque pixels."""
    lum, alpha = image.convert("L").tobytes(), image.getchannel("A").tobytes()
    opaque = sorted(v for v, a in zip(lum, alpha) if a > 127)
    median = opaque[len(opaque) // 2]
    return [0 if a <= 127 else 1 if v <= median else 2 for v, a in zip(lum, alpha)]


def rgba(image: Image.Image) -> list[bytes]:
    data = image.tobytes()
    return [data[i:i + 4] for i in range(0, len(data), 4)]


def standing_out(image: Image.Image, panel: tuple[int, int, int]) -> float:
    """Share of the square whose brightness differs clearly from the panel behind the icon."""
    base = Image.new("RGBA", image.size, panel + (255,))
    base.alpha_composite(image)
    behind = Image.new("RGB", (1, 1), panel).convert("L").getpixel((0, 0))
    return sum(abs(v - behind) > 40 for v in base.convert("L").tobytes()) / (image.width * image.height)


def test_every_view_key_has_an_icon() -> None:
    assert set(STATE_KEYS) == {str(k) for k in IconKey}


@pytest.mark.parametrize("key", STATE_KEYS)
@pytest.mark.parametrize("size", TRAY_SIZES)
def test_size_mode_and_transparent_corners(key: str, size: int) -> None:
    image = render(key, size)
    assert image.size == (size, size) and image.mode == "RGBA"
    if key != "attached":  # the rounded square reaches further into the corner
        assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((size // 2, size // 2))[3] == 255


def test_renders_are_cached_per_state_and_size() -> None:
    assert render("running", 22) is render("running", 22)
    assert render("running", 22) is not render("running", 24)


@pytest.mark.parametrize("size", TRAY_SIZES)
def test_states_differ_in_colour(size: int) -> None:
    for a, b in itertools.combinations(STATE_KEYS, 2):
        pa, pb = rgba(render(a, size)), rgba(render(b, size))
        different = sum(sum(abs(x - y) for x, y in zip(p, q)) > 60 for p, q in zip(pa, pb))
        assert different >= size * size // 8, (a, b, different)


@pytest.mark.parametrize("size", TRAY_SIZES)
def test_states_differ_without_colour(size: int) -> None:
    """Shape and glyph alone tell the states apart (colour-blind users, monochrome panels)."""
    shapes = {k: structure(render(k, size)) for k in STATE_KEYS}
    for a, b in itertools.combinations(STATE_KEYS, 2):
        different = sum(x != y for x, y in zip(shapes[a], shapes[b]))
        assert different >= size * size // 10, (a, b, different)


@pytest.mark.parametrize("key", STATE_KEYS)
@pytest.mark.parametrize("panel", [DARK_PANEL, LIGHT_PANEL])
def test_icons_stand_out_on_dark_and_light_panels(key: str, panel: tuple[int, int, int]) -> None:
    for size in TRAY_SIZES:
        assert standing_out(render(key, size), panel) >= 0.3, (key, size)


def test_svg_draws_the_same_shapes() -> None:
    text = svg("given_up")
    assert text.startswith("<svg") and "<polygon" in text and 'stroke="#ffffff"' in text
    assert svg("running").count("<circle") == 1 and "<polyline" in svg("running")


def test_assets_are_generated_from_the_definition() -> None:
    """assets/ must be re-exported after the definition changes: python -m trayapp.tray.icons --export assets/"""
    for name, item in export_plan().items():
        path = ASSETS / name
        assert path.exists(), f"{path} is missing"
        if isinstance(item, str):
            assert path.read_text() == item, f"{path} is out of date"
        else:
            with Image.open(path) as image:
                assert image.size == (item[1], item[1]) and image.mode == "RGBA"
    assert (ASSETS / "trayapp.ico").exists()
    assert {f"trayapp-{s}.png" for s in APP_SIZES} <= {p.name for p in ASSETS.iterdir()}
