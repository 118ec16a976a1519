"""Secret redaction and detection of an ongoing scam, both before anything is stored or retrieved."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import fold

MASK = "[đã che]"

# OTP-like codes only count in context: "mã OTP là 123456", "ma xac thuc 4821", "otp: 9 9 1 2 3 4".
_OTP_CONTEXT = r"(?:otp|ma\s*(?:xac\s*(?:thuc|nhan)|kich\s*hoat|so|bao\s*mat|pin|giao\s*dich)?|code|passcode|pin)"
_OTP = re.compile(rf"({_OTP_CONTEXT}\W{{0,12}}(?:\w+\W+){{0,3}}?)((?:\d[\s.-]?){{3,7}}\d)", re.I)
# A password needs an explicit "là", ":" or "=" and a value with a digit or symbol ("mật khẩu là Abc@123").
_PASSWORD = re.compile(
    r"((?:mat\s*khau|mk|pass(?:word)?|passcode)\s*(?:moi\s*)?(?:cua\s*\w+\s*)?(?:la|:|=)\s*)"
    r"(\S*[\d\W_]\S*)", re.I)
_DIGIT_RUN = re.compile(r"(?<![\d])(\d[\d \-.]{7,26}\d)(?![\d])")
_TRANSFER_CONTEXT = re.compile(r"(so\s*tai\s*khoan|stk|tai\s*khoan|tk|chuyen\s*(?:khoan|tien)|ck)\W{0,12}$")


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
        spans.append(m.span(2))
        kinds.append("otp")
    for m in _PASSWORD.finditer(folded):
        spans.append(m.span(2))
        kinds.append("password")
    for m in _DIGIT_RUN.finditer(folded):
        digits = re.sub(r"\D", "", m.group(1))
        before = folded[max(0, m.start() - 30):m.start()]
        if 13 <= len(digits) <= 19 and (_luhn_ok(digits) or digits.startswith("9704")):
            kinds.append("card")
        elif len(digits) == 12 and digits.startswith("0"):
            kinds.append("id_number")
        elif 8 <= len(digits) <= 19 and _TRANSFER_CONTEXT.search(before):
            kinds.append("account")
        else:
            continue
        spans.append(m.span(1))
    if not spans:
        return Redaction(text, ())
    return Redaction(_replace_spans(text, spans), tuple(dict.fromkeys(kinds)))


# ---------------------------------------------------------------- ongoing scam

_AUTHORITY = ("cong an", "vien kiem sat", "toa an", "canh sat", "ngan hang", "dien luc", "can bo thue",
              "co quan thue", "buu dien", "nha mang", "nguoi la", "so la", "ai do", "mot nguoi", "ho ")
_DEMAND = ("chuyen tien", "chuyen khoan", "doc ma", "doc otp", "ma otp", "gui ma", "cai ung dung",
           "cai app", "tai ung dung", "bam link", "bam vao link", "nap tien", "dong phi", "mo tai khoan moi")
_PRESSURE = ("bao toi", "bao bac", "bat toi", "yeu cau", "doa", "giuc", "dang goi", "vua goi", "goi dien",
             "noi toi", "bao phai", "doi", "nhan tin bao", "keu", "bao doc", "bao chuyen", "goi bao",
             "goi noi", "bao cai", "bao bam")
_ALREADY = ("da chuyen", "lo chuyen", "da doc", "lo doc", "da gui ma", "lo gui ma", "da cai", "lo cai",
            "lo bam", "da bam vao link", "bi lua mat", "bi lua chuyen", "mat het tien", "bi tru tien",
            "tai khoan bi tru", "mat tien trong tai khoan")


def is_ongoing_scam(text: str) -> bool:
    """True when the message describes a scam happening now or just happened (not a general question)."""
    t = " " + " ".join(re.findall(r"[0-9a-z]+", fold(text))) + " "
    if any(f" {p}" in t for p in _ALREADY) and any(d in t for d in ("tien", "otp", " ma ", "ung dung", "app",
                                                                    "link")):
        return True
    authority = any(f" {a}" in t for a in _AUTHORITY)
    demand = any(f" {d}" in t for d in _DEMAND)
    pressure = any(f" {p}" in t for p in _PRESSURE)
    return authority and demand and pressure
