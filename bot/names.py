"""Free text at a registration prompt: a person's name ("tôi tên là Tư", "cứ gọi bà là bà Hoa") and their thôn or
tổ dân phố ("thôn 3", "ở xóm Đông"), told apart from a question typed at the wrong time."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understand import (
    ASKING,
    OCCUPATIONS,
    POLITE_HEAD,
    POLITE_TAIL,
    asks,
    core,
    has_phrase,
    is_question,
    negated,
    settle,
    small_talk,
    words,
    yes_no,
)
from rag.text import fold, normalize

# ---------------------------------------------------------------- free text: names and places

# "tôi tên là Tư", "cứ gọi bà là bà Hoa", "kêu tui là Tám", "gọi t là chú Hùng": the name comes after these.
_NAME_LEADS = re.compile(
    r"^.*?\b(?:(?:goi|keu|kiu|ten)\s+(?:(?:toi|tui|tao|minh|ba|ong|bac|em|con|chau|t|co|chu|me|bo)\s+)?la|"
    r"(?:toi|tui|tao|minh|em|con|chau)\s+ten\s+la|ten\s+(?:toi|tui|minh|em)\s+la|"
    r"ten\s+(?:day du|that|khai sinh|trong can cuoc)\s+(?:cua\s+(?:toi|tui|minh)\s+)?la|"
    r"(?:toi|tui|minh|em|con|chau)\s+ho|"
    r"(?:toi|tui|tao|minh|em|con|chau)\s+(?:ten|la)|(?:ba|ong|bac)\s+la|ten\s+la|ten|"
    r"(?:chau |con )?cu (?:goi|keu|kiu)(?: (?:toi|tui|minh|tao))?(?!.*\bla\b))\s+")
_HAMLET_WORDS = ("thon", "xom", "to", "ap", "khu", "ban", "buon", "khom", "khoi", "doi", "lang", "tdp", "kp", "pho",
                 "so", "cum", "xu", "phum", "soc", "tieu khu", "khu pho", "to dan pho")


@dataclass(frozen=True)
class Name:
    value: str


_HESITATION = frozenset("om um a o u da vang uhm hmm thi".split())


def _clauses(text: str) -> list[str]:
    """The parts of a reply between commas and full stops, in order."""
    return [c.strip() for c in re.split(r"[,;.!…()]+|\s+[-–]\s+", normalize(text)) if c.strip()]


def name_answer(text: str) -> Name | None:
    """The name in a reply to "Cháu nên gọi bác là gì?" ("toi ten la Tu" -> "Tu"), or None if it is not one.

    In a longer reply the name is taken from the part that names it ("Dạ tên tôi là Xuân, năm nay bảy mươi")."""
    whole = settle(text)
    whole = re.sub(r"(?i)\b(tên|ten)\s*:\s*", r"\1 là ", whole)  # "Tên: Lan"
    if not whole or asks(whole) or small_talk(whole) or re.search(r"[@/:#]", whole):
        return None
    parts = [c for c in _clauses(whole) if not all(w in _HESITATION for w in words(c))]
    led = [c for c in parts if _NAME_LEADS.match(fold(c))]
    for clause in (led[:1] or parts[:1]) if len(parts) > 1 else (parts or [whole]):
        found = _name_in(clause)
        if found is not None:
            return found
    return None


# "cô Hạnh ở xóm 3", "bác Tư thôn Đông": where the person lives, after the name.
_PLACE_TAIL = re.compile(r"\s+(?:o|tai|thuoc|nha o)\s+(?:" + "|".join(
    ("thon", "xom", "to", "ap", "khu", "ban", "lang", "xa", "phuong", "so", "khom", "khoi", "doi", "tdp", "kp",
     "pho", "duong", "huyen", "tinh", "thi tran")) + r")\b.*$")


def _name_in(clause: str) -> Name | None:
    if tail := _PLACE_TAIL.search(fold(clause)):
        clause = clause[:tail.start()] if len(fold(clause)) == len(clause) else clause
    if re.search(r"\d", clause):
        return None
    folded = fold(clause)
    if len(folded) != len(clause):
        return None
    folded = re.sub(r"([b-df-hj-np-tv-z])\1\b", r"\1 ", folded)  # "tênn là": a slip, same length
    m = _NAME_LEADS.match(folded)
    start = m.end() if m and m.end() < len(folded) else 0
    if start == 0 and (h := POLITE_HEAD.match(folded)):
        start = h.end()
    end = len(folded)
    if t := POLITE_TAIL.search(folded[start:]):
        end = start + t.start()
    value = clause[start:end].strip(" .-–")
    ws = words(value)
    # "Sài Gòn" in "anh Ba Sài Gòn" is no "sai": only a name that starts with a no is refused.
    if not ws or len(ws) > 5 or negated(ws[:1]) or (negated(ws) and len(ws) <= 2) or (
            len(ws) == 1 and yes_no(value) is not None):
        return None
    if any(has_phrase(ws, p) for p in OCCUPATIONS) or ws == ["bo", "qua"] or is_question(value):
        return None
    if value == value.lower() or value == value.upper():
        value = " ".join(w[:1].upper() + w[1:].lower() for w in value.split())
    return Name(value[:80])


def hamlet_place(text: str) -> str | None:
    """The thôn or tổ dân phố named in a reply ("Dạ, nhà tôi ở tổ dân phố số 9, gần nhà văn hóa" -> "tổ dân phố
    số 9"), or None when the reply is a question, a request or small talk."""
    whole = settle(text)
    if not whole or asks(whole) or small_talk(whole):
        return None
    parts = _clauses(whole)
    for clause in parts:
        place = core(clause)
        ws = words(place)
        if ws and len(ws) <= 7 and any(has_phrase(ws[:len(h.split())], h) for h in _HAMLET_WORDS) \
                and not is_question(place):
            return place
    place = core(whole)
    ws = words(place)
    chatty = {"con", "chau", "qua", "oi", "nhe", "nha", "a", "roi", "toi", "ba", "ong", "em"}
    if len(parts) == 1 and len(ws) <= 3 and not is_question(place) and yes_no(place) is None \
            and not any(w in ASKING or w in chatty for w in ws):
        return place
    return None


def hamlet_answer(text: str) -> bool:
    """Whether a reply to "thôn, tổ dân phố nào?" names a place."""
    return hamlet_place(text) is not None


def starts_with_place_word(text: str) -> bool:
    """"Thôn …", "xóm …", "tổ …": the reply names a place whatever follows ("xóm Chùa")."""
    ws = words(core(text))
    return any(has_phrase(ws[:len(h.split())], h) for h in _HAMLET_WORDS)
