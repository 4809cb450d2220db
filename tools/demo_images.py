"""Draw the demo site's own illustrations with Pillow (run once; the PNG files are committed).

    python tools/demo_images.py

Makes: ``content/fa/girih-pattern.png`` (an eight-pointed star pattern),
``content/images/grain-chart.png`` (a bar chart), ``content/images/football-pitch.png``,
``content/authors/rana-khatib.png`` and ``hannah-clarke.png`` (drawn portraits, not
photographs of anyone) and ``static/social.png`` (the site's preview card, the favicon's
newspaper page). Everything is drawn from shapes: no text, no outside material.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
SCALE = 2  # drawn at twice the size, then reduced: smooth edges


def _finish(image: Image.Image, path: Path) -> None:
    size = (image.width // SCALE, image.height // SCALE)
    image = image.resize(size, Image.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    print(path.relative_to(ROOT), image.size)


def star(cx: float, cy: float, r_out: float, r_in: float, points: int = 8, turn: float = 0) -> list:
    pts = []
    for i in range(points * 2):
        r = r_out if i % 2 == 0 else r_in
        a = turn + math.pi * i / points
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def girih(path: Path) -> None:
    w, h, cell = 1600 * SCALE, 1000 * SCALE, 200 * SCALE
    image = Image.new("RGB", (w, h), "#0f3d62")
    draw = ImageDraw.Draw(image)
    for row in range(-1, h // cell + 2):
        for col in range(-1, w // cell + 2):
            cx, cy = col * cell + (cell // 2 if row % 2 else 0), row * cell * 0.87
            draw.polygon(star(cx, cy, cell * 0.5, cell * 0.3, 8, math.pi / 8), fill="#d9a33b")
            draw.polygon(star(cx, cy, cell * 0.36, cell * 0.22, 8, 0), fill="#1f6f9f")
            draw.polygon(star(cx, cy, cell * 0.18, cell * 0.1, 8, math.pi / 8), fill="#f4e6c4")
            draw.ellipse(
                (cx - cell * 0.04, cy - cell * 0.04, cx + cell * 0.04, cy + cell * 0.04), fill="#0f3d62"
            )
    _finish(image, path)


def grain_chart(path: Path) -> None:
    w, h = 1600 * SCALE, 900 * SCALE
    image = Image.new("RGB", (w, h), "#f7f3ea")
    draw = ImageDraw.Draw(image)
    left, right, top, bottom = 140 * SCALE, w - 100 * SCALE, 110 * SCALE, h - 120 * SCALE
    for n in range(6):  # grid lines
        y = bottom - (bottom - top) * n / 5
        draw.line((left, y, right, y), fill="#d8cfbd", width=2 * SCALE)
    values = [42, 44, 43, 47, 49, 52, 51, 55, 58, 61, 64, 70]
    step = (right - left) / len(values)
    for i, v in enumerate(values):
        x0 = left + i * step + step * 0.18
        x1 = left + (i + 1) * step - step * 0.18
        y = bottom - (bottom - top) * v / 75
        draw.rounded_rectangle((x0, y, x1, bottom), radius=8 * SCALE, fill="#b5651d" if i < 11 else "#8a1c1c")
    draw.line((left, bottom, right, bottom), fill="#3a372f", width=4 * SCALE)
    _finish(image, path)


def pitch(path: Path) -> None:
    w, h = 1600 * SCALE, 1000 * SCALE
    image = Image.new("RGB", (w, h), "#2f7d32")
    draw = ImageDraw.Draw(image)
    for i in range(10):  # mown stripes
        if i % 2:
            draw.rectangle((i * w / 10, 0, (i + 1) * w / 10, h), fill="#358a38")
    m, line = 80 * SCALE, 6 * SCALE
    draw.rectangle((m, m, w - m, h - m), outline="white", width=line)
    draw.line((w / 2, m, w / 2, h - m), fill="white", width=line)
    r = 120 * SCALE
    draw.ellipse((w / 2 - r, h / 2 - r, w / 2 + r, h / 2 + r), outline="white", width=line)
    for side in (0, 1):
        x = m if side == 0 else w - m
        d = 1 if side == 0 else -1
        box = sorted((x, x + d * 260 * SCALE))
        draw.rectangle(
            (box[0], h / 2 - 300 * SCALE, box[1], h / 2 + 300 * SCALE), outline="white", width=line
        )
        small = sorted((x, x + d * 90 * SCALE))
        draw.rectangle(
            (small[0], h / 2 - 130 * SCALE, small[1], h / 2 + 130 * SCALE), outline="white", width=line
        )
    ball = (w * 0.62, h * 0.42)
    draw.ellipse(
        (ball[0] - 22 * SCALE, ball[1] - 22 * SCALE, ball[0] + 22 * SCALE, ball[1] + 22 * SCALE), fill="white"
    )
    _finish(image, path)


def portrait(path: Path, skin: str, hair: str, shirt: str, long_hair: bool) -> None:
    s = 600 * SCALE
    image = Image.new("RGB", (s, s), "#e9e2d3")
    draw = ImageDraw.Draw(image)
    cx = s / 2
    draw.ellipse((cx - 230 * SCALE, s * 0.72, cx + 230 * SCALE, s * 1.3), fill=shirt)  # shoulders
    if long_hair:
        draw.rounded_rectangle(
            (cx - 150 * SCALE, s * 0.2, cx + 150 * SCALE, s * 0.75), radius=120 * SCALE, fill=hair
        )
    draw.rectangle((cx - 45 * SCALE, s * 0.55, cx + 45 * SCALE, s * 0.78), fill=skin)  # neck
    draw.ellipse((cx - 120 * SCALE, s * 0.2, cx + 120 * SCALE, s * 0.62), fill=skin)  # face
    draw.chord((cx - 130 * SCALE, s * 0.15, cx + 130 * SCALE, s * 0.5), 180, 360, fill=hair)  # hair
    _finish(image, path)


def social(path: Path) -> None:
    w, h = 1200 * SCALE, 630 * SCALE
    image = Image.new("RGB", (w, h), "#8a1c1c")
    draw = ImageDraw.Draw(image)
    u = 8 * SCALE  # the favicon's 64-unit page, centred
    ox, oy = (w - 64 * u) / 2, (h - 64 * u) / 2
    paper = "#fdfcf9"
    for x, y, rw, rh in (
        (12, 12, 40, 8),
        (12, 26, 18, 26),
        (34, 26, 18, 4),
        (34, 34, 18, 4),
        (34, 42, 18, 4),
        (34, 50, 12, 2),
    ):
        draw.rounded_rectangle(
            (ox + x * u, oy + y * u, ox + (x + rw) * u, oy + (y + rh) * u), radius=1.5 * u, fill=paper
        )
    _finish(image, path)


if __name__ == "__main__":
    girih(ROOT / "content/fa/girih-pattern.png")
    grain_chart(ROOT / "content/images/grain-chart.png")
    pitch(ROOT / "content/images/football-pitch.png")
    portrait(ROOT / "content/authors/rana-khatib.png", "#c99a74", "#2b1d16", "#24527a", True)
    portrait(ROOT / "content/authors/hannah-clarke.png", "#f0c8a8", "#a8652e", "#5d3a6b", True)
    social(ROOT / "static/social.png")
