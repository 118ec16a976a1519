"""The pending prompt: what the tutor is waiting for, which typed answers it accepts, how to offer it again.

Every message that asks something carries a `Prompt` (on its `Reply`). The dialogue keeps the last one in the
user's database row as a `Pending` (restart-safe), reads the next typed message against it with `read()`, and
when the message is something else (a question, a greeting, a scam emergency) handles that and offers the
prompt again in one short line with its buttons.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from bot import names, situation, understand, values
from bot.conversation import Conversation
from bot.types import Button, Prompt, Reply
from storage.models import utcnow

__all__ = ["Pending", "Prompt", "Reading", "read"]

PROMPT_LIFETIME = timedelta(hours=24)  # after a day the person has moved on: the prompt is not offered again
MAX_OFFERS = 3  # offered again after at most three messages that were not an answer, then let go

# What people call themselves for the four target groups (Quyết định 757: người dân, học sinh - sinh viên,
# cán bộ - công chức - viên chức, người lao động trong doanh nghiệp).
_GROUP_WORDS = {
    "nguoi-dan": ("nguoi dan", "dan", "nong dan", "huu tri", "ve huu", "nghi huu", "buon ban", "tieu thuong",
                  "noi tro", "lam ruong", "lam nong", "tu do", "o nha", "nguoi gia", "cao tuoi", "ban hang",
                  "tap hoa", "xe om", "lam vuon", "lam thue", "dan thuong", "thuong dan", "ban ca", "ban rau",
                  "ban thit", "ban do", "ban quan", "ban nuoc", "ban banh", "ban trai cay", "ngoai cho", "chay xe",
                  "chay ghe", "lai xe", "danh ca", "chan nuoi", "trong lua", "trong rau", "binh thuong", "trong chau",
                  "lam muon"),
    "hoc-sinh-sinh-vien": ("hoc sinh", "sinh vien", "di hoc", "hoc dai hoc", "hoc cap"),
    "can-bo-cong-chuc": ("can bo", "cong chuc", "vien chuc", "giao vien", "nha nuoc", "co quan", "uy ban",
                         "bac si", "y ta", "cong an", "quan doi", "bo doi"),
    "nguoi-lao-dong": ("cong nhan", "lao dong", "cong ty", "doanh nghiep", "nha may", "xi nghiep", "di lam thue",
                       "xuong", "khu cong nghiep", "lam ca", "van phong"),
}
# Retired or no longer working: "người dân", whatever the old job ("trước làm giáo viên, giờ nghỉ hưu").
_RETIRED = ("nghi huu", "ve huu", "huu tri", "nghi viec", "nghi lam", "nghi roi", "o nha trong chau", "het lam")
# The group named by its own label wins over any job mentioned beside it.
_GROUP_LABELS = {"nguoi-dan": ("nguoi dan",), "hoc-sinh-sinh-vien": ("hoc sinh", "sinh vien"),
                 "can-bo-cong-chuc": ("can bo cong chuc", "cong chuc", "vien chuc"),
                 "nguoi-lao-dong": ("nguoi lao dong", "lao dong trong doanh nghiep")}
# "duoi-30" is the key of the 16–29 band (see messages.AGE_BANDS).
_AGE_BANDS = ((0, 15, "duoi-16"), (16, 29, "duoi-30"), (30, 44, "30-44"), (45, 59, "45-59"), (60, 69, "60-69"),
              (70, 130, "70+"))
_DONT_KNOW = ("khong biet", "khong ro", "khong nho", "chang biet", "chua biet", "khong chac", "quen roi")


@dataclass(frozen=True)
class Reading:
    """How a typed message answers the prompt: a command to run (`value`) or text for the prompt's handler."""

    kind: Literal["command", "text"]
    value: str


def _age_band(text: str) -> str | None:
    ws = understand.words(text, reply=True)
    n = values.number(text)
    if understand.asks(text):
        return None
    numbers = [int(w) for w in ws if w.isdigit()]
    if len(numbers) == 2:  # "60 đến 69": a band typed as its two ends
        bands = {key for low, high, key in _AGE_BANDS for x in numbers if low <= x <= high}
        return bands.pop() if len(bands) == 1 else None
    if n is None:
        return None
    if n < 100 and re.search(r"\b(?:nam|sinh)\s+\d{2}\b|\btuoi (?:ty|suu|dan|mao|thin|ti|ngo|mui|than|dau|tuat|hoi)\b",
                             " ".join(ws)):
        n += 1900  # "năm 58", "sinh 58", "tuổi Tuất": a year of birth
    if 1900 <= n <= utcnow().year:
        n = utcnow().year - n  # "sinh năm 1958"
    if not 5 <= n <= 120:
        return None
    if any(w in ("duoi", "chua toi", "chua den") for w in ws):
        n -= 1  # "dưới 30"
    elif any(w in ("tren", "ngoai", "hon", "qua") for w in ws):
        n += 1  # "ngoài 70", "hơn 60"
    return next(key for low, high, key in _AGE_BANDS if low <= n <= high)


def _has(ws: list[str], phrase: str) -> bool:
    return understand.has_phrase(ws, phrase)


def _skips(text: str) -> bool:
    """"Bỏ qua", "không muốn nói", "xin phép không trả lời": the person passes on this question."""
    ws = understand.words(text, reply=True)
    if len(ws) > 20 or understand.asks(text):
        return False
    if _has(ws, "bo qua") or _has(ws, "khoi") or _has(ws, "bi mat") or _has(ws, "giu kin"):
        return True
    joined = " ".join(ws)
    return bool(re.search(r"\b(?:khong|chua|xin phep khong|khong muon|chua muon) (?:\w+ )?(?:noi|tra loi|khai|"
                          r"cho biet|tiet lo)\b|\bkhong muon\b$", joined))


def _option(prompt: Prompt, text: str) -> str | None:
    """The key of a registration option said in other words ("68 tuổi" -> 60-69, "hưu trí" -> người dân)."""
    ws = understand.words(understand.core(text), reply=True)
    if understand.asks(text) or len(ws) > 30:
        return None
    if prompt.name != "reg.vneid" and understand.topical(text):
        return None  # "cách chuyển tiền bằng mã QR cho an toàn" at the group question is a question
    if prompt.name == "reg.age":
        return _age_band(text)
    if prompt.name == "reg.vneid":
        if any(understand.has_phrase(ws, p) for p in _DONT_KNOW):
            return "khong-ro"
        if _skips(text):
            return None
        joined = " ".join(ws)
        if re.search(r"\bmuc (?:1|mot)\b", joined) or re.search(r"\bchua (?:\w+ ){0,2}muc (?:2|hai)\b", joined):
            return "chua"  # level 1 only
        if re.search(r"\b(?:co|la|len|duoc) (?:\w+ ){0,5}muc (?:2|hai)\b", joined):
            return "co"
        if any(understand.has_phrase(ws, p) for p in ("ai biet", "khong ranh", "muc may", "khong ro")):
            return "khong-ro"
        said = understand.yes_no(text)
        if said is None and any(w in ("roi", "co") for w in ws) and not understand.negated(ws):
            said = True
        return None if said is None else ("co" if said else "chua")
    if prompt.name == "reg.group":
        if _skips(text):
            return None
        labelled = [key for key, phrases in _GROUP_LABELS.items() if any(_has(ws, p) for p in phrases)]
        if len(labelled) == 1:
            return labelled[0]
        if any(_has(ws, p) for p in _RETIRED) and not re.search(r"\bchua (?:\w+ )?nghi\b", " ".join(ws)):
            return "nguoi-dan"
        found = {key for key, phrases in _GROUP_WORDS.items() if any(_has(ws, p) for p in phrases)}
        if len(found) > 1 and "nguoi-dan" in found and len(ws) > 3:
            found.discard("nguoi-dan")  # "dân", "bán", "chợ" are weak beside a named workplace
        if len(found) == 1 and not understand.negated([w for w in ws if w != "chua"]):
            return found.pop()
    return None


def _campaign_day(prompt: Prompt, text: str) -> Reading | None:
    """A campaign day typed: "01/11", "ngày 1 tháng 11" (yearly), "thứ Sáu tuần thứ 4" (monthly), or the same
    after "bỏ" to cancel it; "thôi" leaves."""
    ws = understand.words(text, reply=True)
    if understand.asks(text) or len(ws) > 20:
        return None
    day, point = values.day_month(text), values.month_point(text)
    cancel = "bo " if any(_has(ws, p) for p in ("bo", "huy", "thoi hen", "khong hen nua", "xoa")) else ""
    if day is not None and point is None:
        return Reading("command", prompt.value.format(f"{cancel}nam {day[0]}-{day[1]}"))
    if point is not None and day is None:
        return Reading("command", prompt.value.format(f"{cancel}thang {point[0]} {point[1]}"))
    if prompt.no and understand.yes_no(text) is False and len(ws) <= 3:
        return Reading("command", prompt.no)
    return None


def read(prompt: Prompt, text: str, buttons: tuple[Button, ...]) -> Reading | None:
    """The typed message as an answer to `prompt`, or None when it is something else."""
    if prompt.accepts == "relay":
        # Words a volunteer passes on to a learner: anything, questions and warnings about scams included; only the
        # message's own buttons ("Đã giúp xong") typed in words press them.
        pressed = understand.match_button(text, buttons)
        return Reading("command", pressed.value) if pressed is not None else Reading("text", text)
    if prompt.accepts != "quiz" and situation.classify(text).alarming:
        # Someone in a scam is never taken as answering a form: the emergency comes first. (A quiz's options
        # describe scams on purpose: typing one is an answer, and anything else goes on to the emergency.)
        return None
    accepts = prompt.accepts
    if accepts == "number":
        n = values.number(text)
        ws = understand.words(text)
        if n is not None and prompt.low <= n <= prompt.high and len(ws) <= 25 and not understand.asks(text):
            return Reading("command", prompt.value.format(n))
    if accepts == "options" and prompt.name == "reg.age":
        band = _age_band(text)  # "68" is an age here, not the 68th button
        if band is not None and len(understand.words(text)) <= 25:
            return Reading("command", prompt.value.format(band))
    if accepts == "campaign_day" and (day := _campaign_day(prompt, text)) is not None:
        return day  # before the buttons: "01/11" is a day to add, never the button that cancels it
    ws = understand.words(text)
    if text.strip().isdigit() and 1 <= int(text.strip()) <= len(buttons):
        return Reading("command", buttons[int(text.strip()) - 1].value)
    pressed = understand.match_button(text, buttons)
    if pressed is not None:
        return Reading("command", pressed.value)
    if accepts == "heard":
        said = values.heard_right(text)  # a voice read-back: "đúng rồi", "nói lại", "trở lại"
        if said is not None and (prompt.yes if said else prompt.no):
            return Reading("command", prompt.yes if said else prompt.no)
        return None
    if accepts == "yes_no":
        said = understand.yes_no(text)
        if said is not None and (prompt.yes if said else prompt.no):
            return Reading("command", prompt.yes if said else prompt.no)
        return None
    if accepts == "options":
        key = _option(prompt, text)
        if key is not None:
            return Reading("command", prompt.value.format(key))
        if prompt.no and _skips(text):
            return Reading("command", prompt.no)
        return None
    if accepts == "note":
        return Reading("text", text)  # an officer's free text for a report: the handler keeps it
    if accepts in ("name", "place", "commune", "code", "quiz"):
        if accepts != "quiz" and prompt.no and not names.starts_with_place_word(text) and (
                _skips(text) or (understand.yes_no(text) is False and len(ws) <= 2)):
            return Reading("command", prompt.no)  # "không muốn nói", "thôi", "bỏ qua": skip the step
        return Reading("text", text)  # the prompt's own handler decides (and may refuse)
    return None


@dataclass
class Pending:
    """The prompt waiting for an answer, as kept in the user's row: the prompt, the message that asked it."""

    prompt: Prompt
    text: str
    buttons: tuple[Button, ...]
    at: datetime = field(default_factory=utcnow)
    offered: int = 0

    @classmethod
    def of(cls, reply: Reply) -> Pending:
        assert reply.prompt is not None
        return cls(reply.prompt, reply.text, reply.buttons)

    @classmethod
    def load(cls, ctx: Conversation) -> Pending | None:
        """The pending prompt of a user's context, or None (none, unreadable, or left for over a day)."""
        raw = ctx.get("pending")
        if not isinstance(raw, dict):
            return None
        try:
            pending = cls(Prompt(**raw["prompt"]), str(raw["text"]),
                          tuple(Button(str(lbl), str(val)) for lbl, val in raw["buttons"]),
                          datetime.fromisoformat(raw["at"]), int(raw.get("offered", 0)))
        except (KeyError, TypeError, ValueError):
            return None
        if utcnow() - pending.at > PROMPT_LIFETIME:
            return None
        return pending

    def dump(self) -> dict[str, Any]:
        return {"prompt": asdict(self.prompt), "text": self.text, "buttons": [[b.label, b.value] for b in self.buttons],
                "at": self.at.isoformat(), "offered": self.offered}

    def again(self, head: str) -> Reply:
        """The prompt offered again in one short line, with its buttons."""
        return Reply(f"{head} {self.prompt.again}" if self.prompt.again else f"{head}\n{self.text}", self.buttons)
