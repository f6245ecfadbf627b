"""The tray icons, drawn with pillow from one definition; the same definition writes the SVGs.

Each state has its own colour AND its own shape or glyph, so it reads without colour too:

    running    green disc, check mark          starting   blue disc, circular arrow
    unhealthy  amber triangle, "!"             given_up   red octagon, "X"
    stopped    grey disc, square (stop)        attached   teal rounded square, check mark
    degraded   violet diamond, "..." (it runs, but cannot answer)
    config_error  magenta page with a folded corner, "!" (config.toml has a problem)

Shapes are given on a 64-unit grid. Fills are mid-tones with a darker rim, so every icon stands
out on dark and on light panels. Run `python -m trayapp.tray.icons --export assets/` to rewrite
the PNG and SVG files in assets/.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from trayapp.atomic import atomic_write

GRID = 64
TRAY_SIZES = (16, 22, 24, 32, 48)
APP_SIZES = (48, 64, 128, 256)
_SUPERSAMPLE = 4  # draw large, then shrink: smooth edges at 16 px

Point = tuple[float, float]


@dataclass(frozen=True)
class Shape:
    """One drawing primitive on the 64-unit grid.

    kind: "circle" (points[0] = centre, radius), "polygon", "rect" (two corners, radius = corner
    radius) or "line" (a polyline of `width`, round caps and joins). `fill`/`stroke` are "#rrggbb".
    """

    kind: str
    points: tuple[Point, ...]
    fill: str | None = None
    stroke: str | None = None
    width: float = 0.0
    radius: float = 0.0


def _octagon(cx: float, cy: float, r: float) -> tuple[Point, ...]:
    return tuple((cx + r * math.cos(math.radians(22.5 + 45 * i)), cy + r * math.sin(math.radians(22.5 + 45 * i)))
                 for i in range(8))


def _arc(cx: float, cy: float, r: float, start: float, end: float, steps: int = 24) -> tuple[Point, ...]:
    """Points along a circle from `start` to `end` degrees (0 = east, clockwise on screen)."""
    return tuple((round(cx + r * math.cos(math.radians(a)), 2), round(cy + r * math.sin(math.radians(a)), 2))
                 for a in (start + (end - start) * i / steps for i in range(steps + 1)))


def _arrowhead(cx: float, cy: float, r: float, angle: float, length: float, half: float) -> tuple[Point, ...]:
    """A triangle at `angle` on the circle, pointing clockwise along it (the way the arc runs)."""
    a = math.radians(angle)
    ex, ey = cx + r * math.cos(a), cy + r * math.sin(a)
    dx, dy = -math.sin(a), math.cos(a)  # clockwise tangent on screen (y grows downwards)
    nx, ny = math.cos(a), math.sin(a)  # outward normal
    pts = ((ex + length * dx, ey + length * dy), (ex + half * nx, ey + half * ny), (ex - half * nx, ey - half * ny))
    return tuple((round(x, 2), round(y, 2)) for x, y in pts)


def _disc(fill: str, rim: str) -> Shape:
    return Shape("circle", ((32, 32),), fill=fill, stroke=rim, width=3, radius=28.5)


WHITE, INK = "#ffffff", "#1f2328"
_CHECK = Shape("line", ((18, 33), (28, 43), (46, 22)), stroke=WHITE, width=8)

DEFINITION: dict[str, tuple[Shape, ...]] = {
    "running": (_disc("#1f9d4c", "#0b5d2a"), _CHECK),
    "starting": (
        _disc("#2f6fde", "#173f8a"),
        Shape("line", _arc(32, 32, 15, -40, 200), stroke=WHITE, width=7),
        Shape("polygon", _arrowhead(32, 32, 15, 200, length=12, half=9), fill=WHITE),
    ),
    "unhealthy": (
        Shape("polygon", ((32, 4), (61, 58), (3, 58)), fill="#f5a524", stroke="#8a4b00", width=3),
        Shape("line", ((32, 24), (32, 40)), stroke=INK, width=7),
        Shape("circle", ((32, 49.5),), fill=INK, radius=4.2),
    ),
    "given_up": (
        Shape("polygon", _octagon(32, 32, 30), fill="#d93636", stroke="#7d1111", width=3),
        Shape("line", ((21, 21), (43, 43)), stroke=WHITE, width=8),
        Shape("line", ((43, 21), (21, 43)), stroke=WHITE, width=8),
    ),
    "degraded": (
        Shape("polygon", ((32, 2), (62, 32), (32, 62), (2, 32)), fill="#8250df", stroke="#4c2889", width=3),
        Shape("circle", ((20, 32),), fill=WHITE, radius=4.6),
        Shape("circle", ((32, 32),), fill=WHITE, radius=4.6),
        Shape("circle", ((44, 32),), fill=WHITE, radius=4.6),
    ),
    "stopped": (
        _disc("#737b86", "#3a4048"),
        Shape("rect", ((21, 21), (43, 43)), fill=WHITE, radius=3),
    ),
    "attached": (
        Shape("rect", ((4, 4), (60, 60)), fill="#0f958a", stroke="#064e48", width=3, radius=12),
        _CHECK,
    ),
    "config_error": (
        Shape("polygon", ((12, 4), (41, 4), (54, 17), (54, 60), (12, 60)), fill="#c2327f", stroke="#651040",
              width=3),
        Shape("polygon", ((41, 4), (41, 17), (54, 17)), fill="#f2b8d8", stroke="#651040", width=3),
        Shape("line", ((33, 25), (33, 40)), stroke=WHITE, width=7),
        Shape("circle", ((33, 49.5),), fill=WHITE, radius=4.2),
    ),
    # The application icon (menus, installers, .desktop files): a pulse line, "kept alive".
    "app": (
        Shape("rect", ((2, 2), (62, 62)), fill="#1d2a3a", stroke="#0b121b", width=2, radius=13),
        Shape("line", ((9, 35), (22, 35), (27, 22), (35, 47), (41, 29), (45, 35), (55, 35)),
              stroke="#3ddc84", width=5.5),
    ),
}
STATE_KEYS = tuple(k for k in DEFINITION if k != "app")


# -- pillow ---------------------------------------------------------------------------------

def _scaled(points: Sequence[Point], k: float) -> list[Point]:
    return [(x * k, y * k) for x, y in points]


def _draw_line(draw: ImageDraw.ImageDraw, shape: Shape, k: float) -> None:
    pts, w = _scaled(shape.points, k), shape.width * k
    draw.line(pts, fill=shape.stroke, width=round(w), joint="curve")
    for x, y in (pts[0], pts[-1]):  # round caps
        draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=shape.stroke)


def _draw_shape(draw: ImageDraw.ImageDraw, shape: Shape, k: float) -> None:
    width = round(shape.width * k) if shape.stroke else 0
    if shape.kind == "circle":
        (cx, cy), r = shape.points[0], shape.radius
        draw.ellipse(((cx - r) * k, (cy - r) * k, (cx + r) * k, (cy + r) * k),
                     fill=shape.fill, outline=shape.stroke, width=width)
    elif shape.kind == "polygon":
        draw.polygon(_scaled(shape.points, k), fill=shape.fill, outline=shape.stroke, width=width)
    elif shape.kind == "rect":
        draw.rounded_rectangle(_scaled(shape.points, k), radius=shape.radius * k,
                               fill=shape.fill, outline=shape.stroke, width=width)
    elif shape.kind == "line":
        _draw_line(draw, shape, k)
    else:
        raise ValueError(f"unknown shape kind {shape.kind!r}")


@functools.cache
def render(key: str, size: int) -> Image.Image:
    """The icon for `key` as a `size`x`size` RGBA image. Cached: treat the result as read-only."""
    big = size * _SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for shape in DEFINITION[key]:
        _draw_shape(draw, shape, big / GRID)
    return image.resize((size, size), Image.Resampling.LANCZOS)


@functools.cache
def render_on(key: str, size: int, background: tuple[int, int, int]) -> Image.Image:
    """The icon flattened onto an opaque background, for tray hosts that take RGB only."""
    image = Image.new("RGBA", (size, size), background + (255,))
    image.alpha_composite(render(key, size))
    return image.convert("RGB")


# -- SVG ------------------------------------------------------------------------------------

def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _paint(shape: Shape) -> str:
    fill = f'fill="{shape.fill}"' if shape.fill else 'fill="none"'
    if not shape.stroke:
        return f'{fill} stroke="none"'
    caps = ' stroke-linecap="round" stroke-linejoin="round"' if shape.kind == "line" else ' stroke-linejoin="round"'
    return f'{fill} stroke="{shape.stroke}" stroke-width="{_num(shape.width)}"{caps}'


def _svg_element(shape: Shape) -> str:
    pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in shape.points)
    if shape.kind == "circle":
        (cx, cy) = shape.points[0]
        return f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(shape.radius)}" {_paint(shape)}/>'
    if shape.kind == "polygon":
        return f'<polygon points="{pts}" {_paint(shape)}/>'
    if shape.kind == "rect":
        (x0, y0), (x1, y1) = shape.points
        return (f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" height="{_num(y1 - y0)}" '
                f'rx="{_num(shape.radius)}" {_paint(shape)}/>')
    return f'<polyline points="{pts}" {_paint(shape)}/>'


def svg(key: str) -> str:
    """The icon for `key` as an SVG document (same shapes as `render`)."""
    body = "\n".join(f"  {_svg_element(s)}" for s in DEFINITION[key])
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {GRID} {GRID}" '
            f'width="{GRID}" height="{GRID}">\n  <title>trayapp {key}</title>\n{body}\n</svg>\n')


# -- export ---------------------------------------------------------------------------------

def _png_bytes(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def export_plan() -> dict[str, "bytes | str | tuple[str, int]"]:
    """Every file under assets/ (relative name -> SVG text or (key, size) to render as PNG)."""
    plan: dict[str, bytes | str | tuple[str, int]] = {"trayapp.svg": svg("app")}
    plan.update({f"trayapp-{s}.png": ("app", s) for s in APP_SIZES})
    for key in STATE_KEYS:
        plan[f"status/{key}.svg"] = svg(key)
        plan.update({f"status/{key}-{s}.png": (key, s) for s in TRAY_SIZES})
    return plan


def export(folder: Path) -> list[Path]:
    """Write the icons into `folder` (PNG, SVG, and trayapp.ico for Windows installers)."""
    written = []
    (folder / "status").mkdir(parents=True, exist_ok=True)
    for name, item in export_plan().items():
        data = _png_bytes(render(*item)) if isinstance(item, tuple) else item
        atomic_write(folder / name, data, mode=0o644)
        written.append(folder / name)
    written.append(_export_ico(folder / "trayapp.ico"))
    return written


def _export_ico(path: Path) -> Path:
    import io

    buffer = io.BytesIO()
    render("app", 256).save(buffer, format="ICO", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    atomic_write(path, buffer.getvalue(), mode=0o644)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trayapp.tray.icons",
                                     description="Write trayapp's icons as PNG and SVG files.")
    parser.add_argument("--export", metavar="FOLDER", type=Path, required=True,
                        help="folder to write into (the repository's assets/)")
    args = parser.parse_args(argv)
    written = export(args.export)
    print(f"wrote {len(written)} files to {args.export}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
