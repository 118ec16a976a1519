"""Pictures sent to learners: the completion certificate and the progress chart (PNG, Pillow).

The font is DejaVu Sans as shipped inside matplotlib, so Vietnamese renders on any machine.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot import messages as msg

CERT_SIZE = (1400, 990)
PROGRESS_WIDTH = 900
GREEN, DARK, GREY, GOLD = (22, 110, 60), (30, 30, 30), (200, 200, 200), (176, 135, 34)


@lru_cache(maxsize=8)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans at a size, from matplotlib's bundled fonts (found without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations, "matplotlib is a dependency"
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    data = os.path.join(next(iter(spec.submodule_search_locations)), "mpl-data")
    return ImageFont.truetype(os.path.join(data, "fonts", "ttf", name), size)


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str, size: int, bold: bool = False,
             fill: tuple[int, int, int] = DARK, width: int = CERT_SIZE[0]) -> None:
    f = font(size, bold)
    while draw.textlength(text, font=f) > width - 120 and size > 18:
        size -= 2
        f = font(size, bold)
    draw.text(((width - draw.textlength(text, font=f)) / 2, y), text, font=f, fill=fill)


def certificate(path: Path, name: str, programme: str, date: str, place: str | None, code: str) -> Path:
    """Draw the certificate PNG at `path`."""
    img = Image.new("RGB", CERT_SIZE, (255, 253, 245))
    d = ImageDraw.Draw(img)
    w, h = CERT_SIZE
    d.rectangle([20, 20, w - 20, h - 20], outline=GOLD, width=8)
    d.rectangle([44, 44, w - 44, h - 44], outline=GREEN, width=3)
    _centred(d, 120, msg.CERT_TITLE, 72, bold=True, fill=GREEN)
    _centred(d, 250, msg.CERT_LINE, 36)
    _centred(d, 310, f"«{programme}»", 44, bold=True)
    _centred(d, 430, name or msg.CERT_NAME_DEFAULT, 64, bold=True, fill=GOLD)
    y = 560
    if place:
        _centred(d, y, msg.CERT_PLACE.format(place=place), 32)
        y += 60
    _centred(d, y, msg.CERT_DATE.format(date=date), 32)
    _centred(d, y + 60, msg.CERT_CODE.format(code=code), 34, bold=True)
    _centred(d, h - 150, msg.CERT_FOOTER, 26, fill=(90, 90, 90))
    for i, part in enumerate(msg.CERT_NOT_OFFICIAL.split(". ", 1)):  # two short lines: whose record it is
        _centred(d, h - 110 + 34 * i, part.rstrip(".") + ".", 22, fill=(90, 90, 90))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "PNG")
    return path


def progress(path: Path, name: str, rows: list[tuple[str, bool]], core_passed: int, core_total: int) -> Path:
    """Draw a simple progress picture: a bar for the core programme and one line per core lesson."""
    line_h, top = 52, 200
    h = top + line_h * len(rows) + 40
    img = Image.new("RGB", (PROGRESS_WIDTH, h), "white")
    d = ImageDraw.Draw(img)
    _centred(d, 30, msg.PROGRESS_IMAGE_TITLE.format(name=name), 40, bold=True, width=PROGRESS_WIDTH)
    _centred(d, 90, msg.PROGRESS_IMAGE_CORE.format(passed=core_passed, total=core_total), 32,
             width=PROGRESS_WIDTH)
    x0, x1, y0 = 60, PROGRESS_WIDTH - 60, 145
    d.rounded_rectangle([x0, y0, x1, y0 + 30], radius=15, fill=GREY)
    if core_total and core_passed:
        d.rounded_rectangle([x0, y0, x0 + (x1 - x0) * core_passed / core_total, y0 + 30], radius=15, fill=GREEN)
    f = font(28)
    for i, (title, done) in enumerate(rows):
        y = top + i * line_h
        d.text((60, y), "✓" if done else "○", font=font(30, bold=True), fill=GREEN if done else (150, 150, 150))
        text = title if d.textlength(title, font=f) < PROGRESS_WIDTH - 160 else title[:48] + "…"
        d.text((110, y), text, font=f, fill=DARK if done else (110, 110, 110))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "PNG")
    return path


QR_CARD = (1000, 1300)


def qr_card(path: Path, url: str, title: str, volunteer: str, zalo_line: str | None) -> Path:
    """A printable card: a large QR code of `url`, what it opens, who shares it, and a code for Zalo."""
    import io

    import segno

    buf = io.BytesIO()
    # High error correction: a card that is folded or smudged still scans.
    segno.make(url, error="h").save(buf, kind="png", scale=20, border=2)
    qr = Image.open(buf).convert("RGB")
    side = 760
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    w, h = QR_CARD
    img = Image.new("RGB", QR_CARD, "white")
    d = ImageDraw.Draw(img)
    d.rectangle([10, 10, w - 10, h - 10], outline=GREEN, width=6)
    _centred(d, 50, msg.QR_CARD_HEAD, 44, bold=True, fill=GREEN, width=w)
    _centred(d, 115, title, 38, bold=True, width=w)
    img.paste(qr, ((w - side) // 2, 190))
    _centred(d, 980, msg.QR_CARD_SCAN, 32, width=w)
    _centred(d, 1040, msg.QR_CARD_BY.format(name=volunteer), 30, fill=(90, 90, 90), width=w)
    if zalo_line:
        _centred(d, 1110, zalo_line, 34, bold=True, fill=DARK, width=w)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "PNG")
    return path
