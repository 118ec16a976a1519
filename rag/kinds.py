"""What kind of question was asked: a definition, how-to, a failure, a rule, is-it-safe, what-now or where/who.

Read from the accent-folded syllables (so "la gi" and "là gì" alike), with common abbreviations expanded.
The kind is one signal for choosing between a question entry and a lesson section; it never decides alone.
"""

from __future__ import annotations

import re

from rag.text import syllables

# Checked in this order: the first that matches wins ("lỡ chuyển rồi thì làm gì" is what-now, not how-to).
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern)) for kind, pattern in (
        ("what_now", r"\b(lo|da lo|trot|nham|da chuyen|chuyen mat|bi lua|bi chiem|bi hack|bi mat|mat tien|"
                     r"da doc|da dua|da cai|da bam|da gui|da nhap|vua chuyen|vua doc|vua bam|vua cai|vua gui)\b"
                     r".*\b(roi|xong|thi sao|lam gi|sao gio|gio sao|phai lam|the nao|lay lai|co sao)\b"
                     r"|\b(khi|sau khi|neu da|neu lo) (da )?(bi lua|bi chiem|bi hack|lo \w+|mat tien)\b"
                     r"|\b(phai lam gi|lam gi bay gio|gio phai lam|gio lam sao|bay gio lam sao|xu ly sao|"
                     r"xu ly the nao|xu ly nhu the nao|co lay lai duoc|lay lai tien)\b"),
        ("troubleshoot", r"\b(khong duoc|khong vao duoc|khong nhan duoc|khong nhan|chua nhan|khong thay|"
                         r"khong hien|khong doc|khong quet|khong mo|khong dang nhap|khong kich hoat|bao loi|"
                         r"loi|bi loi|quay mai|xoay mai|cho mai|treo|dung hinh|that bai|khong thanh cong|"
                         r"sai mat khau|bi khoa|khong xac thuc|khong khop|khong nhan dien|mai khong|"
                         r"khong gui|khong toi|khong ve|cham qua|ve cham|khong chay|bi dung|bi tu choi)\b"),
        ("is_safe", r"\b(co an toan|an toan khong|co phai lua|lua dao khong|lua dao a|lua khong|co lua|"
                    r"co that khong|that khong|that hay gia|gia mao khong|co nen|nen khong|tin duoc khong|"
                    r"co tin|co sao khong|co nguy hiem|co bi lua|bi lua khong|co rui ro|dang tin)\b"),
        ("definition", r"\b(la gi|la cai gi|nghia la|co nghia|la sao|khac gi|khac nhau|giong nhau|de lam gi|"
                       r"dung de lam gi|dung lam gi|co tac dung|tac dung gi|loi ich)\b"),
        ("rule", r"\b(co bat buoc|bat buoc|co phai|bi phat|phat bao nhieu|bao nhieu tuoi|may tuoi|tuoi nao|"
                 r"mat phi|mat tien khong|co mat|phi bao nhieu|bao nhieu tien|le phi|co can|can gi|can nhung gi|"
                 r"co duoc|duoc khong|duoc phep|quy dinh|bao lau|mat bao lau|han|thoi han|tu ngay|khi nao|"
                 r"bao gio|co gia tri|thay the|thay cho|gioi han|toi da|toi thieu)\b"),
        ("where_who", r"\b(o dau|cho nao|noi nao|goi so nao|so nao|goi dau|bao dau|to cao o dau|bao ai|hoi ai|"
                      r"co quan nao|ai lam|ai giup|tong dai|hotline|duong day nong)\b"),
        ("howto", r"\b(lam sao|lam the nao|the nao|nhu the nao|cach|huong dan|cac buoc|ra sao|kieu gi|"
                  r"lam gi de|muon)\b"),
    )
)


def question_kind(text: str) -> str | None:
    """The kind of the question, or None when nothing in the wording says it."""
    folded = " ".join(syllables(text))
    for kind, pattern in _PATTERNS:
        if pattern.search(folded):
            return kind
    return None
