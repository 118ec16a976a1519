"""Reading what people type in answer to a prompt: yes/no, numbers, a button's words, a name, a place.

Older people rarely press buttons: they type "dong y", "ko", "sau muoi tam", "lam lai bai nay". Everything
here works on accent-folded words with teencode spelled out (rag.text.syllables), so "Đồng ý", "dong y" and
"đông y" read alike. Negations are caught before any fuzzy matching: a fuzzy matcher alone reads "ko phai"
as "phải".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.types import Button
from rag.text import fold, normalize, syllables

# Words that turn an answer into a no ("không", "ko", "hok", "chưa", "sai", "đâu có", "chẳng").
NEGATIONS = frozenset({"khong", "chua", "sai", "chang", "cha", "dau", "no", "thoi", "huy", "tu", "choi"})
_NEGATION_PHRASES = ("khong", "chua", "sai", "chang", "dau co", "dau phai", "no", "tu choi", "huy",
                     "dung co", "khoi", "nham", "trat", "nhe dau")
_YES_PHRASES = ("dong y", "ok", "oke", "okie", "okay", "vang", "u", "uh", "um", "uhm", "da", "co", "duoc",
                "dung", "phai", "chinh xac", "chuan", "yes", "y", "roi", "chac chan", "tat nhien", "nhat tri",
                "luu", "vg", "xac nhan")
# Words that carry nothing in a short reply ("dạ, cháu cứ lưu đi ạ").
_FILLERS = frozenset("a ah a ha nhe nha nhen nhi the thi la di oi chau bac toi minh em con ong ba co chu anh chi "
                     "cu luon voi cho vay day ay nay nao ma lai roi".split())
# Question and request words: a message with these is a question, not a name or a place.
_ASKING = frozenset("sao gi nao cach giup hoi muon can bi quen chuyen gui nhap bam xem hoc vay ai khong".split())
_ASKING_PHRASES = ("the nao", "lam sao", "bao nhieu", "huong dan", "dang nhap", "dang ky", "tai sao", "o dau",
                   "bao gio", "cai dat", "tai ve", "lam gi", "de lam", "la gi")
# Things the tutor teaches about: a "name" or "place" containing them is a question typed at the wrong time.
_TOPICAL = tuple(
    "vneid,otp,zalo,app,ung dung,ngan hang,tai khoan,mat khau,passcode,link,qr,dich vu cong,can cuoc,cccd,cmnd,"
    "dien thoai,facebook,lua dao,cong an,so tien,chuyen tien,bai hoc,hoc bai,kiem tra,chung nhan,thong ke,du lieu,"
    "wifi,sim,the atm,chuyen khoan,dinh danh,mat ma".split(","))
_EMOJI = re.compile(r"[^\w\s,.–-]")


# Short-reply spellings beside rag.text's abbreviations: the south's "hông", "hổng", typing slips like "khôg".
_REPLY_SPELLINGS = {"khog": "khong", "hong": "khong", "qa": "qua", "sd": "su dung",
                    "hk": "khong", "kg": "khong", "hok": "khong", "chx": "chua",
                    "uk": "u", "uki": "u", "um": "u", "bt": "biet", "bik": "biet", "tui": "toi", "t": "toi",
                    "skip": "bo qua", "sv": "sinh vien", "cty": "cong ty", "lm": "lam", "ns": "noi", "dc": "duoc",
                    "ok": "ok", "oki": "ok", "okie": "ok", "oke": "ok", "dung r": "dung roi", "ròi": "roi"}


def words(text: str, reply: bool = False) -> list[str]:
    """Accent-folded syllables with teencode spelled out ("ko dc" -> khong duoc); letters typed twice at the end
    of a word folded ("đồng ýy"); "62t" split. With `reply`, short-reply spellings too ("hông" -> khong)."""
    folded = re.sub(r"(\d+)([a-z]+)", r"\1 \2", fold(normalize(text)))
    # "hưu" folds to "huu": a doubled "u" is a slip only after a vowel ("cháuu"); other doubled endings always are.
    folded = re.sub(r"\b([a-z]*?)(?:([a-tv-z])\2+|(?<=[aeioy])(u)u+)\b",
                    lambda m: m.group(1) + (m.group(2) or m.group(3)), folded)
    out = syllables(folded)
    if reply:
        short = len(out) <= 4
        # "hông"/"hổng" is the south's "không" only in a short reply ("hông phải"), never in "Hồng Bàng".
        out = " ".join(_REPLY_SPELLINGS.get(w, w) if w != "hong" or (short and (
            i + 1 == len(out) or out[i + 1] in _HONG_NEXT)) else w for i, w in enumerate(out)).split()
    return out


_HONG_NEXT = frozenset("phai dong biet co nho noi can muon duoc dau chiu ro".split())


def _has_phrase(ws: list[str], phrase: str) -> bool:
    parts = phrase.split()
    n = len(parts)
    return any(ws[i:i + n] == parts for i in range(len(ws) - n + 1))


def negated(ws: list[str]) -> bool:
    """Whether the words say no ("không", "chưa", "sai rồi", "đâu có", "thôi"), but not "không sao"."""
    if _has_phrase(ws, "khong sao") or _has_phrase(ws, "sao khong"):
        return False
    if ws[:1] == ["thoi"] or ws == ["thoi"] or ws[-1:] == ["dau"]:
        return True  # "thôi", "thôi khỏi" (but "nội trợ thôi" is "only"); "hổng nói đâu"
    return any(_has_phrase(ws, p) for p in _NEGATION_PHRASES)


_INTERROGATIVES = ("sao", "gi", "nao", "bao nhieu", "the nao", "lam sao", "o dau", "bao gio", "tai sao", "vi sao",
                   "de lam gi", "la gi", "co phai", "ai")


def asks(text: str) -> bool:
    """A question by its form: "?", a question word, or "có … không/chưa" at the end."""
    if "?" in text:
        return True
    ws = words(text, reply=True)
    joined = " ".join(ws)
    # "chưa … bao giờ" is "never", "chưa có gì" is "nothing": statements, not questions.
    joined = re.sub(r"\b(chua|khong|chang)\b(.*?)\b(?:bao gio|gi)\b", r"\1\2", joined)
    if any(_has_phrase(joined.split(), p) for p in _INTERROGATIVES):
        return True
    return bool(re.search(r"\b(?:co|da) \w+(?: \w+)*? (?:chua|khong)$", " ".join(ws)))


_SMALL_TALK = ("chao", "xin chao", "hello", "hi", "alo", "cam on", "troi oi", "troi", "nong qua", "lanh qua", "met qua",
               "hom nay")
_OCCUPATIONS = ("nong dan", "cong nhan", "giao vien", "huu tri", "noi tro", "buon ban", "sinh vien", "hoc sinh",
                "can bo", "cong chuc", "ve huu", "lam ruong")


def small_talk(text: str) -> bool:
    """A greeting, thanks or a remark ("chào cháu", "trời nóng quá"): never a name or a place."""
    ws = words(text, reply=True)
    return any(_has_phrase(ws, p) for p in _SMALL_TALK)


_POLITE_HEAD = re.compile(r"^(?:(?:da|vang|u|thi|ok|oke|chau oi|con oi)\s+)+")
_POLITE_TAIL = re.compile(r"(?:\s+(?:a|ah|nhe|nha|nhen|nghe|con|chau|oi|di|ha|vay|do|day|duoc roi|dc roi|roi|"
                          r"nua|voi|giup|luon|the|thoi))+$")
_SUBJECT = re.compile(r"^(?:(?:cho|de)\s+(?:(?:toi|tui|tao|minh|ba|ong|bac|em|con|chau|t|me|bo)\s+)?|"
                      r"(?:toi|tui|tao|minh|ba|ong|bac|em|con|chau|t|me|bo|co|chu)\s+"
                      r"(?:(?:dang|hien|thi|la)\s+)?(?:o|song o|nha o|chon|chon cau|muon|xin|la|thuoc)\s+)")


def core(text: str) -> str:
    """The answer inside a polite frame: "Dạ bà ở thôn 4 ạ" -> "thôn 4" (original letters kept)."""
    clean = normalize(re.sub(r"[,;!]+", " ", text)).strip(" .")
    folded = fold(clean)
    if len(folded) != len(clean):
        return clean
    start, end = 0, len(folded)
    for _ in range(2):
        if m := _POLITE_HEAD.match(folded, start):
            start = m.end()
        if m := _SUBJECT.match(folded[start:]):
            start += m.end()
    if m := _POLITE_TAIL.search(folded[start:]):
        end = start + m.start()
    out = clean[start:end].strip()
    return out or clean


def is_question(text: str) -> bool:
    """A question or a request rather than a short answer: "?", question words, or topics the tutor teaches."""
    if asks(text):
        return True
    ws = words(text)
    joined = " ".join(ws)
    if len(ws) >= 3 and (any(w in _ASKING for w in ws) or any(_has_phrase(ws, p) for p in _ASKING_PHRASES)):
        return True
    if any(_has_phrase(ws, t) for t in _TOPICAL):
        return True
    return bool(re.search(r"\b(?:co|da) \w+(?: \w+)? (?:chua|khong)$", joined)) or len(ws) > 12


def yes_no(text: str) -> bool | None:
    """True for a yes, False for a no, None when the words say neither or say more than an answer."""
    if "?" in text:
        return None
    ws = [w for w in words(text, reply=True) if w]
    if not ws or len(ws) > 8:
        return None
    no = negated(ws)
    if no and (_has_phrase(ws, "khong biet") or _has_phrase(ws, "khong hieu") or _has_phrase(ws, "khong ro")):
        return None  # "không biết" is not a no
    rest = [w for w in ws if w not in _FILLERS and w not in NEGATIONS]
    for phrase in sorted(_YES_PHRASES, key=len, reverse=True):
        if _has_phrase(rest, phrase):
            rest = " ".join(rest).replace(phrase, " ", 1).split()
    rest = [w for w in rest if w not in ("cam", "on", "biet", "hieu", "phien", "can", "muon", "luu", "y", "ghi",
                                         "nhan", "thong", "tin", "dang", "ky", "ki")]
    if len(rest) > 1 and not no:
        return None  # "có, nhưng làm sao cài VNeID": more than an answer
    if no:
        return False
    if any(_has_phrase(ws, p) for p in _YES_PHRASES):
        return True
    return None


# ---------------------------------------------------------------- numbers

_DIGITS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9}
_UNITS_AFTER_TENS = {"mot": 1, "mots": 1, "lam": 5, "nham": 5, "tu": 4}  # "hai mươi mốt", "mười lăm", "ba mươi tư"
_NUMBER_FILLERS = frozenset({"nguoi", "tuoi", "khoang", "chung", "hon", "linh", "le", "ca", "thay", "tat", "ng"})


def number(text: str) -> int | None:
    """A whole number typed in digits or words: "4", "bốn", "mười hai", "hai mươi lăm", "2 chục", "sáu tám"."""
    ws = words(core(text), reply=True)
    digits = [w for w in ws if w.isdigit()]
    if digits:
        if len(digits) > 1:
            return None
        i = ws.index(digits[0])
        after = ws[i + 1] if i + 1 < len(ws) else ""
        return int(digits[0]) * {"chuc": 10, "tram": 100}.get(after, 1)
    total, current, last, seen = 0, None, "", False
    for w in ws:
        if last == "muoi" and w in _UNITS_AFTER_TENS:
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
        elif seen and w not in _FILLERS and w not in _NUMBER_FILLERS:
            break
    if not seen:
        return None
    return total + (current or 0)


# ---------------------------------------------------------------- buttons

def label_words(label: str) -> str:
    """A button's label as words: emoji and signs dropped, accent-folded."""
    return " ".join(words(_EMOJI.sub(" ", label)))


def match_button(text: str, buttons: tuple[Button, ...] | list[Button]) -> Button | None:
    """The one button whose words were typed ("lam lai bai nay" -> "🔁 Làm lại bài này"), or None.

    Typos are forgiven (rapidfuzz), a negation must agree ("ko dong y" never presses "Tôi đồng ý"), and the
    text may not say much more than the label: a question that shares a word with a button is a question.
    """
    if not buttons or asks(text):
        return None
    ws = words(core(text), reply=True)
    if not ws:
        return None
    typed = " ".join(ws)
    scored: list[tuple[float, Button]] = []
    for b in buttons:
        lw = " ".join(words(_EMOJI.sub(" ", b.label), reply=True))
        if not lw:
            continue
        lws = lw.split()
        if negated(lws) != negated(ws):
            continue
        if typed == lw:
            return b
        if len(ws) > len(lws) + 3:
            continue
        score = fuzz.ratio(typed, lw)
        if len(lws) <= 2 and len(lw) < 12:
            score = score if score >= 92 else 0.0  # "khong co" is not "khong ro"
        elif len(typed) >= 4 and len(ws) >= 2:
            score = max(score, fuzz.token_set_ratio(typed, lw) - 5 * max(0, len(ws) - len(lws)))
        scored.append((score, b))
    if not scored:
        return None
    scored.sort(key=lambda t: -t[0])
    best, button = scored[0]
    second = scored[1][0] if len(scored) > 1 else 0.0
    if best >= 85 and best - second >= 8:
        return button
    return None


# ---------------------------------------------------------------- free text: names and places

# "tôi tên là Tư", "cứ gọi bà là bà Hoa", "kêu tui là Tám", "gọi t là chú Hùng": the name comes after these.
_NAME_LEADS = re.compile(
    r"^.*?\b(?:(?:goi|keu|ten)\s+(?:(?:toi|tui|tao|minh|ba|ong|bac|em|con|chau|t|co|chu|me|bo)\s+)?la|"
    r"(?:toi|tui|tao|minh|em|con|chau)\s+ten\s+la|ten\s+(?:toi|tui|minh|em)\s+la|"
    r"(?:toi|tui|tao|minh|em|con|chau)\s+(?:ten|la)|(?:ba|ong|bac)\s+la|ten\s+la|ten)\s+")
_HAMLET_WORDS = ("thon", "xom", "to", "ap", "khu", "ban", "buon", "khom", "doi", "lang", "tdp", "kp", "pho",
                 "so", "cum", "xu", "phum", "soc", "tieu khu", "khu pho", "to dan pho")


@dataclass(frozen=True)
class Name:
    value: str


def name_answer(text: str) -> Name | None:
    """The name in a reply to "Cháu nên gọi bác là gì?" ("toi ten la Tu" -> "Tu"), or None if it is not one."""
    clean = normalize(re.sub(r"[,;!]+", " ", text)).strip(" .")
    if not clean or is_question(clean) or small_talk(clean) or re.search(r"\d|[@/:#]", clean):
        return None
    folded = fold(clean)
    if len(folded) != len(clean):
        return None
    m = _NAME_LEADS.match(folded)
    start = m.end() if m and m.end() < len(folded) else 0
    if start == 0 and (h := _POLITE_HEAD.match(folded)):
        start = h.end()
    end = len(folded)
    if t := _POLITE_TAIL.search(folded[start:]):
        end = start + t.start()
    value = clean[start:end].strip(" .")
    ws = words(value, reply=True)
    if not ws or len(ws) > 5 or negated(ws) or (len(ws) == 1 and yes_no(value) is not None):
        return None
    if any(_has_phrase(ws, p) for p in _OCCUPATIONS) or ws == ["bo", "qua"]:
        return None
    if value == value.lower():
        value = " ".join(w[:1].upper() + w[1:] for w in value.split())
    return Name(value[:80])


def hamlet_answer(text: str) -> bool:
    """Whether a reply to "thôn, tổ dân phố nào?" names a place (not a question, a request or small talk)."""
    clean = core(text)
    if not clean or is_question(clean) or small_talk(clean):
        return False
    ws = words(clean)
    if len(ws) > 7:
        return False
    if any(_has_phrase(ws[:len(h.split())], h) for h in _HAMLET_WORDS):
        return True
    chatty = {"con", "chau", "qua", "oi", "nhe", "nha", "a", "roi", "toi", "ba", "ong", "em"}
    return len(ws) <= 3 and yes_no(clean) is None and not any(w in _ASKING or w in chatty for w in ws)


def starts_with_place_word(text: str) -> bool:
    """"Thôn …", "xóm …", "tổ …": the reply names a place whatever follows ("xóm Chùa")."""
    ws = words(core(text))
    return any(_has_phrase(ws[:len(h.split())], h) for h in _HAMLET_WORDS)
