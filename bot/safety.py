"""Secret redaction and detection of an ongoing scam, both before anything is stored or retrieved."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import fold

MASK = "[đã che]"

# OTP-like codes only count in context: "mã OTP là 123456", "ma xac thuc 4821", "otp: 9 9 1 2 3 4".
# "ma" is "mã" (code) or, without diacritics, possibly "mà"/"má": the original text is checked too (_is_code_word).
_OTP_CONTEXT = (r"\b(?:otp|ma(?!\s*(?:buu\s*chinh|so\s*thue|ho\s*so|vach|qr|tinh|bai|so\s*bhxh))"
                r"(?:\s*(?:xac\s*(?:thuc|nhan)|kich\s*hoat|so|bao\s*mat|pin|giao\s*dich))?|code|passcode|pin)\b")
# The digits end the code: "mã 23456a" is a volunteer's code, not an OTP.
_OTP = re.compile(rf"({_OTP_CONTEXT}\W{{0,12}}(?:\w+\W+){{0,5}}?)((?:\d[\s.-]?){{3,7}}\d)"
                  r"(?![^\W_]|\s*(?:mah|k\b|nghin))", re.I)
# A password needs an explicit "là", ":" or "=" and a value with a digit or a symbol ("mật khẩu là Abc@123").
_PASSWORD = re.compile(
    r"(\b(?:mat\s*khau|mk|pass(?:word)?|passcode)\b\s*(?:\w+\s*){0,3}?(?:la\b|:|=)\s*)"
    r"(\S*(?:\d|[^\w\s])\S*)", re.I)
_DIGIT_RUN = re.compile(r"(?<![\d])(\d[\d \-.]{7,26}\d)(?![\d])")
_TRANSFER_CONTEXT = re.compile(r"(so\s*tai\s*khoan|stk|tai\s*khoan|tk|chuyen\s*(?:khoan|tien)|ck)\W{0,12}"
                               r"(?:(?:vao|cho|toi|den|qua)\s+(?:\w+\s+){0,2}?)?$")
# Money, not an account: "15.000.000 đồng", "2.500.000đ", "500000 vnd".
_MONEY = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$|^\d+$")
_MONEY_AFTER = re.compile(r"^\s*(?:d\b|dong\b|vnd|k\b|nghin|ngan\b(?!\s*hang)|trieu|ty\b|\u0111)", re.I)


def _is_code_word(original: str, start: int) -> bool:
    """Whether "ma" at `start` is "mã" or an unaccented "ma", not "mà", "má", "mạ" or "mả"."""
    word = original[start:start + 2].lower()
    return not word.startswith("m") or word[1:] in ("ã", "a")


def _luhn_ok(digits: str) -> bool:
    total, alt = 0, False
    for ch in reversed(digits):
        d = int(ch)
        if alt:
            d = d * 2 - 9 if d > 4 else d * 2
        total, alt = total + d, not alt
    return total % 10 == 0


@dataclass(frozen=True)
class Redaction:
    text: str
    kinds: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def _replace_spans(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out.append(text[last:start])
        out.append(MASK)
        last = end
    out.append(text[last:])
    return "".join(out)


def redact(text: str) -> Redaction:
    """Mask OTPs, passwords, card numbers, 12-digit ID numbers and account numbers in a transfer context.

    Matching runs on the accent-folded text, which keeps the same length as NFC input for Vietnamese,
    so the spans found there are cut out of the original.
    """
    folded = fold(text)
    if len(folded) != len(text):  # unusual characters changed the length: match on the original
        folded = text.lower()
    spans: list[tuple[int, int]] = []
    kinds: list[str] = []
    for m in _OTP.finditer(folded):
        if not _is_code_word(text, m.start(1)):
            continue
        spans.append(m.span(2))
        kinds.append("otp")
    for m in _PASSWORD.finditer(folded):
        value = m.group(2).rstrip(".,;!?…)\"'")
        if not re.search(r"\d|[^\w\s]", value):  # "mật khẩu là gì?", "là sao," are questions, not passwords
            continue
        spans.append((m.start(2), m.start(2) + len(value)))
        kinds.append("password")
    for m in _DIGIT_RUN.finditer(folded):
        digits = re.sub(r"\D", "", m.group(1))
        before = folded[max(0, m.start() - 30):m.start()]
        if 13 <= len(digits) <= 19 and (_luhn_ok(digits) or digits.startswith("9704")):
            kinds.append("card")
        elif len(digits) == 12 and digits.startswith("0"):
            kinds.append("id_number")
        elif (8 <= len(digits) <= 19 and _TRANSFER_CONTEXT.search(before)
              and not (_MONEY.match(m.group(1).strip()) and "." in m.group(1)
                       or _MONEY_AFTER.match(folded[m.end():m.end() + 16]))):
            kinds.append("account")
        else:
            continue
        spans.append(m.span(1))
    if not spans:
        return Redaction(text, ())
    return Redaction(_replace_spans(text, spans), tuple(dict.fromkeys(kinds)))


# ---------------------------------------------------------------- ongoing scam
# Three kinds of evidence, matched on the accent-folded words:
# - what scammers make people do (or what it cost them),
# - who asked (someone posing as an authority, a stranger, "a relative" on a new number),
# - that it is happening now or just happened to the writer.
# A general question about scams ("công an có bao giờ gọi bắt chuyển tiền không?") has the first two
# but not the third, and gets the lesson instead of the emergency steps.

_ACTS = [
    r"chuyen (?:\w+ ){0,3}?(?:tien|trieu|nghin|khoan)", r"ck",
    r"(?:doc|dua|gui|nhap|cho) (?:\w+ ){0,3}?(?:ma (?:otp|xac \w+|so|pin|kich hoat|giao dich|bao mat)|otp|so the"
    r"|mat khau|pin)", r"otp", r"cai (?:\w+ ){0,2}?(?:ung dung|app|phan mem)", r"tai (?:\w+ ){0,2}?(?:ung dung|app)",
    r"bam (?:vao )?(?:\w+ )?link", r"nap tien", r"(?<![0-9] )(?:dong|nop|chuyen) (?:\w+ ){0,2}?(?:phi|coc|tien coc)",
    r"doc (?:\w+ ){0,2}?ma",
    r"tai khoan (?:tam giu|an toan)", r"mo app ngan hang", r"dieu khien (?:\w+ ){0,2}?tu xa", r"anh can cuoc",
    r"so the", r"bi tru (?:\w+ ){0,2}?(?:tien|trieu)", r"mat (?:\w+ ){0,2}?(?:tien|trieu)", r"bi lua", r"lua dao",
    r"(?:ho|nguoi ta) (?:van )?dang thay man hinh", r"bi hack",
    r"khong duoc (?:noi|ke|bao) (?:\w+ ){0,2}?(?:voi|cho) ai", r"(?:qua|goi) video",
]
_ACTORS = [
    r"cong an", r"canh sat", r"vien kiem sat", r"toa an", r"ngan hang", r"dien luc", r"thue", r"bao hiem",
    r"bhxh", r"buu dien", r"nha mang", r"can bo", r"nhan vien", r"giao vien", r"tu thien", r"nguoi la",
    r"so la", r"ai do", r"mot (?:nguoi|dua|ong|ba|co)", r"tu xung", r"xung", r"gia danh", r"gia giong",
    r"nguoi (?:goi|nhan|kia|ta|ban)", r"nguoi tuyen", r"ong ay", r"ba ay",
    r"ho(?! (?:tro|so|chieu|khau|ten|gia dinh|ngheo))",  # "họ", not "hỗ trợ", "hồ sơ", "hộ chiếu"
    r"doi so", r"trung thuong",
    r"cho vay", r"link", r"ung dung la", r"app la", r"livestream", r"dau tu",
]
_NOW = [
    r"vua", r"dang(?! (?:ky|ki|nhap|xuat|tai))", r"roi", r"lo", r"da (?:chuyen|doc|dua|gui|cai|bam|nop|dong|nhap)",
    r"bi (?:lua|tru|mat|hack|doa|bat)", r"cuu", r"gap", r"phai lam (?:sao|gi)", r"lam gi ngay",
    r"bay gio", r"gio (?:toi|ba|ong|me|phai|lam)", r"bat (?:toi|ba|ong|me|bo|minh|chau)",
    r"bao (?:toi|ba|ong|me|bo|minh|chau|nha toi)", r"doa", r"ep", r"con bao khong phai", r"khong vao duoc",
    r"(?:goi|nhan) (?:tin )?bao", r"khong thi", r"neu khong",
]
# General questions: no first-person story, just asking how scams work or what to do if.
_GENERAL = re.compile(r"\b(?:co bao gio|co phai|nhan biet|la gi|the nao|thuong|nghe noi|co nen|bao gio cung|khi|neu"
                      r")\b|\bkhong(?: vay| a| ha)?$")


def _words(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b")


_ACTS_RE, _ACTORS_RE, _NOW_RE = _words(_ACTS), _words(_ACTORS), _words(_NOW)
# The writer (or someone close) is the victim: a story, whatever the sentence's form.
_VICTIM = _words([r"(?:toi|minh|em|ba|ong|me|bo|chau|con|nha toi) (?:vua |da |dang )?(?:lo|bi lua|bi tru|bi hack)",
                  r"(?:toi|minh|em|ba|ong|me|bo|chau|con) (?:vua|dang|lo|da)", r"vua roi", r"cuu", r"bi lua mat",
                  r"bi tru (?:\w+ ){0,2}?(?:tien|trieu)", r"lo (?:chuyen|doc|dua|gui|cai|bam)",
                  r"(?:dang|vua) (?:goi|nhan tin|noi chuyen)"])


def is_ongoing_scam(text: str) -> bool:
    """True when the message describes a scam happening now or just happened (not a general question)."""
    t = " ".join(re.findall(r"[0-9a-z]+", fold(text)))
    if not _ACTS_RE.search(t) or not _NOW_RE.search(t):
        return False
    victim = bool(_VICTIM.search(t))
    if _GENERAL.search(t) and not victim:
        return False
    return victim or bool(_ACTORS_RE.search(t))
