"""What a story told as it ends in a question says was done (`act_in`), for bot/situation.py."""

from __future__ import annotations

import re

from bot import understand
from bot.message_forms import GENERAL_FORM
from bot.scam_signs import act_of, words

# A closing question that asks whether to comply or whether the asker is genuine ("có nên giúp không", "có phải làm
# theo không", "có đúng là cán bộ xã không"), not about a remedy ("có nên khóa thẻ không").
_COMPLY = re.compile(r"\b(?:co nen (?:giup|lam theo|nghe theo|gui|chuyen|nop|cai|dua|doc|dong|tin|dang ky|ket ban)|"
                     r"co phai (?:lam theo|nghe theo|nop|chuyen|gui|dong)|co (?:dung|that) la|"
                     r"(?:lam|nghe) theo (?:\w+ )?(?:duoc )?khong)\b")
# A marker that something was done after all ("đã", "vừa", "lỡ", "xong", "tôi chuyển 5 triệu cho họ rồi").
_DONE_MARK = re.compile(r"\b(?:da|vua|lo|xong)\b|\b(?:toi|minh|em|ba|ong|me|bo|chau|con|tui|mk) (?:da |lo |cung )?"
                        r"(?:gui|doc|nhap|dien|cai|tai|bam|quay|chup|chuyen|ck|nap|go|quet|lam theo)"
                        r"(?: \w+){0,5} roi\b")


def act_in(text: str, t: str, asking: bool) -> str | None:
    """What was done, read sentence by sentence: a story that ends in a question ("…tôi đọc sáu số cho họ. Giờ
    làm gì ạ?") still tells what was done; only the question sentence itself is read as asking. A story that ends
    asking whether to comply tells what was asked for: nothing done unless a marker says so."""
    sentences = [s for s in re.split(r"[.!?;\n]+", text) if s.strip()]
    if asking and not _DONE_MARK.search(t) and asks_to_comply(text):
        return None
    found = act_of(t, asking)
    if found is not None or not asking:
        return found
    for sentence in sentences:
        if not understand.asks(sentence):
            st = words(sentence)
            found = act_of(st, bool(GENERAL_FORM.search(st)), whole=t)
            if found is not None:
                return found
    return None


def asks_to_comply(text: str) -> bool:
    """The message closes asking whether to do what someone asks, or whether that someone is genuine."""
    return any(understand.asks(s) and _COMPLY.search(words(s)) for s in re.split(r"[.!?;\n]+", text) if s.strip())
