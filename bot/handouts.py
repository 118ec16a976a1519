"""Lessons to pass on: a short message a learner forwards to the family, and a printable one-page handout.

The handout is an A4 portrait PNG at 150 dpi (Pillow): the lesson title, its key steps, a QR code to the
bot when its username is known, and the source. Every line drawn is kept, so callers (and tests) know
exactly what is on the page without reading pixels back.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from bot import messages as msg
from bot.answers import plain
from bot.images import DARK, GREEN, font
from rag.lessons import Lesson

A4_150DPI = (1240, 1754)
MARGIN = 90
MAX_STEPS = 6
STEP_CHARS = 160
_STEP = re.compile(r"^\s*(\d{1,2})[.)]\s+(.+)$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def key_steps(lesson: Lesson, limit: int = MAX_STEPS) -> tuple[str, list[str]]:
    """The heading and steps of the lesson's first numbered list; else its summary, sentence by sentence."""
    for section in lesson.sections:
        steps = [m.group(2).strip() for line in plain(section.body).splitlines() if (m := _STEP.match(line))]
        if len(steps) >= 2:
            return section.heading, [_short(x) for x in steps[:limit]]
    return "", [_short(x) for x in _SENTENCE.split(plain(lesson.summary).strip()) if x][:limit]


def _short(text: str, limit: int = STEP_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[:cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


def bot_link(bot_username: str) -> str:
    """https://t.me/<bot>, or "" when the bot's username is not configured."""
    name = bot_username.strip().lstrip("@")
    return f"https://t.me/{name}" if name else ""


def share_text(lesson: Lesson, bot_username: str) -> str:
    """A short message to forward to a child or grandchild: title, the key steps, the bot's link."""
    heading, steps = key_steps(lesson)
    lines = [msg.SHARE_HEAD.format(title=lesson.title)]
    if heading and heading != lesson.title:
        lines.append(heading + ":")
    lines += [f"{i}. {step}" for i, step in enumerate(steps, 1)]
    link = bot_link(bot_username)
    lines += ["", msg.SHARE_LINK.format(url=link) if link else msg.SHARE_NO_LINK]
    return "\n".join(lines)


@dataclass
class Handout:
    """A rendered handout: the file and every line of text drawn on it, top to bottom."""

    path: Path
    title_lines: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    title_box: tuple[int, int, int, int] = (0, 0, 0, 0)  # where the title is on the page


def _wrap(draw: ImageDraw.ImageDraw, text: str, f: ImageFont.FreeTypeFont, width: int) -> list[str]:
    out: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=f) > width:
            out.append(line)
            line = word
        else:
            line = candidate
    return out + ([line] if line else [])


class _Page:
    """The drawing of one handout: wraps text to a width, keeps the words drawn (for the PNG's text chunks)."""

    def __init__(self, out: Handout) -> None:
        self.img = Image.new("RGB", A4_150DPI, "white")
        self.d = ImageDraw.Draw(self.img)
        self.out = out
        self.w, self.h = A4_150DPI

    def put(self, text: str, y: int, size: int, bold: bool = False, fill: tuple[int, int, int] = DARK,
            x: int = MARGIN, width: int | None = None) -> tuple[int, list[str]]:
        f = font(size, bold)
        drawn = _wrap(self.d, text, f, width if width is not None else self.w - 2 * MARGIN)
        for line in drawn:
            self.d.text((x, y), line, font=f, fill=fill)
            self.out.lines.append(line)
            y += int(size * 1.35)
        return y, drawn

    def steps(self, steps: list[str], y: int, bottom: int) -> None:
        """Numbered steps in green circles, as many as fit above `bottom`."""
        text_w = self.w - 2 * MARGIN
        for i, step in enumerate(steps, 1):
            needed = len(_wrap(self.d, step, font(32), text_w - 70)) * int(32 * 1.35)
            if y + 14 + needed > bottom:
                break
            self.d.ellipse([MARGIN, y + 14, MARGIN + 48, y + 62], fill=GREEN)
            number = str(i)
            self.d.text((MARGIN + 24 - self.d.textlength(number, font=font(28, True)) / 2, y + 22), number,
                        font=font(28, True), fill="white")
            y, _ = self.put(step, y + 18, 32, x=MARGIN + 70, width=text_w - 70)
            y += 14

    def foot(self, lesson: Lesson, link: str, qr_side: int) -> None:
        """The QR code of the tutor (or how to find it) and the lesson's source line."""
        w, h = self.w, self.h
        text_w = w - 2 * MARGIN
        qr_top = h - 140 - qr_side
        if link:
            import segno

            buf = io.BytesIO()
            segno.make(link, error="m").save(buf, kind="png", scale=10, border=2)
            qr = Image.open(buf).convert("RGB").resize((qr_side, qr_side), Image.Resampling.NEAREST)
            self.img.paste(qr, (w - MARGIN - qr_side, qr_top))
            self.put(msg.HANDOUT_QR, qr_top + 40, 32, bold=True, width=text_w - qr_side - 40)
            self.put(link, qr_top + 140, 28, fill=(70, 70, 70), width=text_w - qr_side - 40)
        else:
            self.put(msg.HANDOUT_NO_QR, qr_top + 40, 32, bold=True)
        source = lesson.sources[0] if lesson.sources else None
        line = (msg.HANDOUT_SOURCE.format(title=source.title, date=source.checked.strftime("%d/%m/%Y"))
                if source else msg.HANDOUT_SOURCE_NONE)
        self.d.line([MARGIN, h - 120, w - MARGIN, h - 120], fill=(200, 200, 200), width=2)
        self.put(line, h - 105, 22, fill=(90, 90, 90))


def render(path: Path, lesson: Lesson, bot_username: str = "") -> Handout:
    """Draw the handout of one lesson at `path` (PNG, A4 portrait at 150 dpi)."""
    out = Handout(path)
    page = _Page(out)
    w, h = A4_150DPI
    page.d.rectangle([0, 0, w, 110], fill=GREEN)
    page.d.text((MARGIN, 32), msg.HANDOUT_BAND, font=font(34, bold=True), fill="white")
    out.lines.append(msg.HANDOUT_BAND)
    top = 160
    y, out.title_lines = page.put(lesson.title, top, 54, bold=True, fill=GREEN)
    out.title_box = (MARGIN, top, w - MARGIN, y)
    y, _ = page.put(plain(lesson.summary), y + 20, 30, fill=(70, 70, 70))
    heading, steps = key_steps(lesson)
    y, _ = page.put(heading or msg.HANDOUT_STEPS, y + 40, 36, bold=True)
    qr_side = 300
    page.steps(steps, y, bottom=h - 140 - qr_side - 40)  # the steps stop above the QR code and the source line
    page.foot(lesson, bot_link(bot_username), qr_side)
    # The words on the page travel inside the file too (PNG text chunks), for anyone checking a print run.
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", lesson.title)
    info.add_text("TitleLines", json.dumps(out.title_lines, ensure_ascii=False))
    info.add_text("Lines", json.dumps(out.lines, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    # Mostly white: the fastest compression is nearly as small and several times quicker.
    page.img.save(path, "PNG", dpi=(150, 150), pnginfo=info, compress_level=1)
    return out


def render_all(folder: Path, lessons: list[Lesson] | tuple[Lesson, ...], bot_username: str = "") -> list[Handout]:
    """One handout per lesson, named after the lesson id."""
    return [render(folder / f"{lesson.id}.png", lesson, bot_username) for lesson in lessons]
