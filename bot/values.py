"""Values in a reply, typed or said: a yes or no to the voice read-back, a number ("mười hai", "12 người"),
a day of the calendar ("10/10", "mùng 1 tháng 11") and a monthly point ("thứ Sáu tuần thứ tư")."""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from bot.understand import FILLERS, asks, core, has_phrase, negated, settle, words
from rag.text import fold, normalize

# ---------------------------------------------------------------- the voice read-back

# "Cháu nghe bác hỏi «…». Có phải vậy không ạ?" is answered in a word or two, said aloud, and a speech engine
# gets short words wrong in three ways: the tone ("dùng", "vàng" for "đúng", "vâng": gone once folded), one
# letter ("khôn" for "không", "dún" for "đúng": one edit from a keyword of four letters or more), and the verb
# before "lại" ("chạy lại", "để lại", "trả lại" for "trở lại", measured in issue 24). A verb + "lại" ("again"),
# whichever verb, asks to say it again. Negations are read first: "không phải" is never "phải".
_HEARD_YES = frozenset({"dung", "phai", "u", "uh", "um", "vang", "da", "o", "ok", "duoc", "chuan", "yes"})
_HEARD_YES_PHRASES = ("dong y", "chinh xac", "chinh no", "tat nhien")
_HEARD_NO = frozenset({"khong", "sai", "chua", "nham", "lon", "trat"})
# Keywords long enough for a one-letter near miss to still be them (shorter ones are too close to other words).
_HEARD_NEAR = (("dung", True), ("phai", True), ("vang", True), ("duoc", True), ("khong", False))
# Words that say nothing in a short reply: pronouns and particles ("dạ đúng rồi cháu ạ", "đúng đó bác").
_HEARD_FILLERS = frozenset("a ah nhe nha nhen nhi the thi la di oi chau bac toi minh em con ong ba co chu anh chi "
                           "cu luon voi vay day ay do nay roi ma".split())
HEARD_MAX_WORDS = 3  # words of a reply after its fillers; anything longer is a new question, not an answer


def heard_right(text: str) -> bool | None:
    """The reply to a voice read-back: True (heard right, answer it), False (say it again), None (neither: a new
    question or something else, handled as if no read-back were waiting).

    "đúng rồi", "phải", "ừ", "vâng", "dạ" → True; "không", "không phải", "sai rồi", "nói lại", "trở lại",
    "làm lại", "chạy lại" → False; "tôi không nhận được mã otp", "không biết", "đúng không?" → None.
    """
    if asks(text):
        return None
    ws = words(settle(text), reply=True)
    if not ws or len(ws) > 12:
        return None
    joined = " ".join(ws)
    for phrase in _HEARD_YES_PHRASES:
        joined = re.sub(rf"\b{phrase}\b", "dung", joined)
    said = [w for w in joined.split() if w not in _HEARD_FILLERS]
    if not said or len(said) > HEARD_MAX_WORDS:
        return None
    if any(has_phrase(said, p) for p in ("khong biet", "khong hieu", "khong ro", "khong sao", "khong nho")):
        return None  # "không biết" is not an answer to "is this what you asked?"
    if said[-1] == "lai":
        return False  # "nói lại", "làm lại", "trở lại" and the engine's "chạy lại", "trả lại"
    meant = [_heard_word(w) for w in said]
    if False in meant or negated(said):
        return False
    if all(m is True for m in meant):
        return True
    return None


def _heard_word(word: str) -> bool | None:
    """One folded word of a read-back reply: a yes word, a no word, or one letter away from exactly one of them."""
    if word in _HEARD_YES:
        return True
    if word in _HEARD_NO:
        return False
    if len(word) < 3:
        return None
    near = {meaning for key, meaning in _HEARD_NEAR if Levenshtein.distance(word, key) <= 1}
    return near.pop() if len(near) == 1 else None


# ---------------------------------------------------------------- numbers

_DIGITS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9}
_UNITS_AFTER_TENS = {"mot": 1, "mots": 1, "lam": 5, "nham": 5, "tu": 4}  # "hai mươi mốt", "mười lăm", "ba mươi tư"
_AMBIGUOUS_DIGITS = frozenset({"nam", "tu", "ba", "bay", "sau", "mot", "tam", "chin", "bon", "hai"})
_NUMBER_NEXT = frozenset({"muoi", "tram", "chuc", "nghin", "ngan", "tuoi", "nguoi", "ruoi", "trieu", "may", "lan",
                          "dua", "bac", "chi", "anh", "em", "chu", "co", "vi", "cu", "ong", "ba", "roi", "a",
                          "thoi", "nhe", "nha", "do", "day", "hay", "hoac", "den", "toi"})
_NUMBER_FILLERS = frozenset({"nguoi", "tuoi", "khoang", "chung", "hon", "linh", "le", "ca", "thay", "tat", "ng"})


def number(text: str) -> int | None:
    """A whole number typed in digits or words: "4", "bốn", "mười hai", "hai mươi lăm", "2 chục", "sáu tám"."""
    ws = words(core(text), reply=True)
    joined = re.sub(r"\b(?:sinh )?nam (?=mot nghin|hai nghin|\d{4})", "", " ".join(ws))  # "sinh năm một nghìn…"
    ws = joined.split()
    digits = [w for w in ws if w.isdigit()]
    if digits:
        if len(digits) > 1:
            return None
        i = ws.index(digits[0])
        after = ws[i + 1] if i + 1 < len(ws) else ""
        return int(digits[0]) * {"chuc": 10, "tram": 100}.get(after, 1)
    total, current, last, seen = 0, None, "", False
    for i, w in enumerate(ws):
        nxt = ws[i + 1] if i + 1 < len(ws) else ""
        if not seen and w in _AMBIGUOUS_DIGITS and nxt and nxt not in _DIGITS and nxt not in _NUMBER_NEXT:
            continue  # "năm nay", "bây giờ", "bà", "sau đó", "từ": words, not numbers
        if w in ("nghin", "ngan") and seen:
            total = (total + (current or 0)) * 1000
            current, last = None, "tram"
        elif w == "may" and last in ("digit", "muoi") and current is not None:
            current = (current if last == "muoi" else current * 10) + 5  # "ba mươi mấy", "ba mấy": about 35
            last = "digit"
        elif last == "muoi" and w in _UNITS_AFTER_TENS:
            current = (current or 0) + _UNITS_AFTER_TENS[w]
            last = "digit"
        elif w in _DIGITS and not (w == "tu" and last != "muoi" and seen):
            d = _DIGITS[w]
            if current is None:
                current = d
            elif last == "muoi":
                current += d  # "hai mươi lăm"
            elif last == "digit" and current < 10:
                current = current * 10 + d  # "sáu tám": 68
            else:
                break
            last, seen = "digit", True
        elif w in ("muoi", "chuc"):
            if current is not None and current >= 10 and last == "digit":
                current %= 10  # "bà bảy mươi": the first word was "bà", not three
            current = (current if current is not None else 1) * 10
            last, seen = "muoi", True
        elif w == "tram":
            total += (current if current is not None else 1) * 100
            current, last, seen = None, "tram", True
        elif w == "ruoi" and seen:
            total += 50 if last == "tram" else 0
            current = (current or 0) + (5 if last == "muoi" else 0)
        elif seen and w not in FILLERS and w not in _NUMBER_FILLERS:
            break
    if not seen:
        return None
    return total + (current or 0)


# ---------------------------------------------------------------- days of the calendar

_DAY_SLASH = re.compile(r"(?<![\d/.-])(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(?:\d{4}|\d{2}))?(?![\d/.-])")
_DAY_WORDS = ("ngay", "mung", "mong", "hom")
# Weekdays as people say them: "thứ Sáu", "thứ 6", "t6", "chủ nhật", "CN".
_WEEKDAY_WORDS = {"hai": 0, "2": 0, "ba": 1, "3": 1, "tu": 2, "bon": 2, "4": 2, "nam": 3, "5": 3, "sau": 4, "6": 4,
                  "bay": 5, "7": 5}
_NTH_WORDS = {"1": 1, "mot": 1, "nhat": 1, "dau": 1, "dau tien": 1, "2": 2, "hai": 2, "3": 3, "ba": 3, "4": 4,
              "tu": 4, "bon": 4, "cuoi": 5, "cuoi cung": 5, "chot": 5}


def day_month(text: str) -> tuple[int, int] | None:
    """A day of the year typed as "1/11", "01-11", "ngày 1 tháng 11", "mùng một tháng mười một": (day, month).

    The numbers are read as typed; whether the day exists is for the caller to say ("31/2")."""
    folded = fold(normalize(text))
    found = _DAY_SLASH.findall(folded)
    if len(found) == 1:
        day, month = int(found[0][0]), int(found[0][1])
        return (day, month) if 1 <= day <= 31 and 1 <= month <= 12 else None
    ws = words(text)
    if "thang" not in ws or found:
        return None
    at = ws.index("thang")
    head = ws[:at]
    while head and head[0] not in _DAY_WORDS and not head[0].isdigit() and head[0] not in _DIGITS:
        head = head[1:]  # "hẹn ngày 1 tháng 11", "chọn mùng 1 tháng 11"
    head = [w for w in head if w not in _DAY_WORDS]
    tail: list[str] = []
    for w in ws[at + 1:]:
        if not (w.isdigit() or w in _DIGITS or w in ("muoi", "mot", "lam", "tu")):
            break
        tail.append(w)
    if not head or not tail or len(head) > 3:
        return None
    said_day, said_month = number(" ".join(head)), number(" ".join(tail))
    if said_day is None or said_month is None or not (1 <= said_day <= 31 and 1 <= said_month <= 12):
        return None
    return said_day, said_month


def month_point(text: str) -> tuple[int, int] | None:
    """A monthly day typed as "thứ Sáu tuần thứ 4", "thu 6 tuan 4", "T6 tuần cuối", "tuần thứ tư, thứ Sáu",
    "chủ nhật tuần đầu": (nth week 1-4, or 5 for the last; weekday, 0 = Monday)."""
    ws = [x for w in words(text) for x in (["thu", w[1:]] if re.fullmatch(r"t[2-7]", w) else [w])]  # "t6"
    if "tuan" not in ws:
        return None
    at = ws.index("tuan")
    after = ws[at + 1:]
    if after[:1] == ["thu"]:
        after = after[1:]  # "tuần thứ 4"
    if not after:
        return None
    nth = _NTH_WORDS.get(" ".join(after[:2]), _NTH_WORDS.get(after[0]))
    weekday: int | None = None
    around = ws[:at] + ["|"] + after[1:]  # the weekday is said before the week, or after it
    for i, w in enumerate(around[:-1]):
        if w == "thu" and around[i + 1] in _WEEKDAY_WORDS:
            weekday = _WEEKDAY_WORDS[around[i + 1]]
        elif (w, around[i + 1]) == ("chu", "nhat"):
            weekday = 6
    if "cn" in around:
        weekday = 6
    if nth is None or weekday is None:
        return None
    return nth, weekday
