"""Secret redaction and detection of an ongoing scam, both before anything is stored or retrieved."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rag.text import fold

MASK = "[đã che]"

# OTP-like codes only count in context: "mã OTP là 123456", "ma xac thuc 4821", "otp: 9 9 1 2 3 4".
# "ma" is "mã" (code) or, without diacritics, possibly "mà"/"má": the original text is checked too (_is_code_word).
_OTP_CONTEXT = (r"\b(?:otp|ma(?!\s*(?:buu\s*chinh|so\s*thue|ho\s*so|vach|qr|tinh|bai|so\s*bhxh))"
                r"(?:\s*(?:xac\s*(?:thuc|nhan)|kich\s*hoat|so|bao\s*mat|pin|giao\s*dich))?|code|passcode|pin)\b")
# What follows a number that is a quantity, not a code: "5000 mAh", "2 phút", "500 nghìn", "năm 2025".
_UNIT_AFTER = (r"(?!\s*(?:mah|k\b|nghin|ngan\b(?!\s*hang)|dong\b|d\b|vnd|trieu|ty\b|phut|giay|gio\b|ngay\b|thang\b"
               r"|nam\b|tuoi|lan\b|%|phan\s*tram|so\b|chu\s*so|ky\s*tu))")
_CODE = r"((?:\d[\s.-]?){3,7}\d)(?![\s.-]?\d)"  # 4 to 8 digits, perhaps spaced: "482913", "48 29 13"
# The digits end the code: "mã 23456a" is a volunteer's code, not an OTP. The code may come several words
# after the code word ("mã xác thực giao dịch của quý khách tại TPBank là 739146"), within one sentence.
_OTP = re.compile(rf"({_OTP_CONTEXT}[^\w.!?]{{0,12}}(?:(?!\d)\w+[^\w.!?]+){{0,14}}?)(?<!nam )(?!1[89]00){_CODE}"
                  rf"(?![^\W_]){_UNIT_AFTER}", re.I)
# A bank message pasted whole puts the code first: "739146 la ma xac thuc giao dich…", "123456 is your OTP".
_OTP_FIRST = re.compile(rf"(?<![\d.,]){_CODE}(?![^\W_])\W{{0,3}}(?:\w+\W+){{0,2}}?(?:la\s+)?"
                        r"(?:ma\s+(?:xac\s*(?:thuc|nhan)|otp|giao\s*dich|kich\s*hoat|bao\s*mat|dang\s*nhap)|otp\b"
                        r"|is\s+your)", re.I)
# Read out or typed in at someone's request, without a code word: "nó bảo tôi đọc số 482913".
_READ_OUT = re.compile(rf"\b(?:doc|dua|nhap|go|bam|gui|(?:day|may|cac|\d|sau|bon)\s+so)\b"
                       rf"(?:\s+(?!\d)\w+){{0,5}}?\s+(?!1[89]00|5656(?!\d)){_CODE}(?![^\W_]){_UNIT_AFTER}", re.I)
# A code sent on its own, as the whole message ("738291"): five to eight digits.
_BARE_CODE = re.compile(r"^\W*((?:\d[\s.-]?){4,7}\d)\W*$")
# Card security codes: "cvv 372", "3 số sau thẻ là 604", "mã bảo mật sau thẻ visa là 227".
_CVV = re.compile(r"\b(?:cvv2?|cvc2?|ma\s+bao\s+mat\s+(?:\w+\s+){0,2}?the|(?:3|ba)\s+so\s+(?:\w+\s+){0,3}?sau)\b"
                  r"[^\w.!?]{0,12}(?:(?!\d)\w+[^\w.!?]+){0,5}?(\d{3,4})(?!\d)", re.I)
# A password needs an explicit "là", ":" or "=" ("mật khẩu là hoa mai vàng"), or, without one, a value with
# a digit or a symbol ("mật khẩu thẻ 8642"). The value runs to the end of the clause (passwords may have spaces).
_PASSWORD_WORD = r"\b(?:mat\s*khau|mk|pass(?:word)?|passcode)\b"
_PASSWORD = re.compile(
    rf"({_PASSWORD_WORD}(?:\s+(?!la\b)[^\W\d]+){{0,4}}?\s*(?:\bla\b\s*:?|:|=)\s*)"
    r"((?:[^\s,;!?]|[!?](?=[^\s,;!?]))+?(?:\s+(?!(?:va|nhung|con|roi|nhe|nha|a|ha|thi|ma|vay|chau|oi|ai|nen|co|duoc|khong|bi|da|ho"
    r"|toi|ba|ong|me)\b)(?:[^\s,;!?]|[!?](?=[^\s,;!?]))+?){0,4})(?=[.,;!?…)\"']*(?:\s|$))", re.I)
_PASSWORD_BARE = re.compile(rf"{_PASSWORD_WORD}(?:\s+[^\W\d]+){{0,3}}?\s+(\S*\d\S*)", re.I)
# Words that begin a question or a description, not a password: "mật khẩu là gì", "mk là một dãy ký tự".
_NOT_A_PASSWORD = re.compile(r"^(?:gi|sao|bao|the|nhu|ai|dau|cai|mot|gom|phai|do|chu|ky|so|day|tu|cac|nhung|loai"
                             r"|cua|de|khi|neu|hay|gan|it|nhieu|mat|ma|can|nen|co|khong|manh|yeu|an\s*toan|de\s*doan|kho|tot|dung|sai"
                             r"|\d{1,2}(?:\s|$))\b")
_DIGIT_RUN = re.compile(r"(?<![\d])(\d[\d \-.]{7,26}\d)(?![\d])")
# A card number: 13–19 digits, perhaps grouped with spaces, dots, dashes or slashes, or spaced out one by one.
_CARD_RUN = re.compile(r"(?<![\d])(\d(?:[ ./-]?\d){12,18})(?![ ./-]?\d)")
_CARD_CONTEXT = re.compile(r"(?:so\s*the|the\s*(?:atm|tin\s*dung|ghi\s*no|visa|ngan\s*hang|ngan\s*hang)|visa"
                           r"|master\s*card|amex|jcb|napas)\W+(?:\w+\W+){0,4}?$")
_TRANSFER_CONTEXT = re.compile(r"(so\s*tai\s*khoan|stk|tai\s*khoan|tk|chuyen\s*(?:khoan|tien)|ck)\W{0,12}"
                               r"(?:(?:vao|cho|toi|den|qua)\s+(?:\w+\s+){0,2}?)?$")
# "số tài khoản Vietcombank của tôi là …": the account words, then a few words (a bank, whose) before the number.
_ACCOUNT_CONTEXT = re.compile(r"\b(?:so\s*tai\s*khoan|stk|tai\s*khoan(?:\s*ngan\s*hang)?|tk)\b"
                              r"(?:[^\w.!?]+(?!\d)\w+){0,8}?[^\w.!?]*(?:\bla\b)?[^\w.!?]*$")
# Identity numbers: 12-digit căn cước / số định danh, 9-digit chứng minh nhân dân, after their name.
_ID_CONTEXT = re.compile(r"\b(?:cmnd|cmt|chung\s*minh(?:\s*nhan\s*dan|\s*thu)?|can\s*cuoc(?:\s*cong\s*dan)?|cccd"
                         r"|(?:so\s*)?dinh\s*danh(?:\s*ca\s*nhan)?)\b(?:[^\w.!?]+(?!\d)\w+){0,5}?[^\w.!?]*$")
# Money, not an account: "15.000.000 đồng", "2.500.000đ", "500000 vnd".
_MONEY = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$|^\d+$")
_MONEY_AFTER = re.compile(r"^\s*(?:d\b|dong\b|vnd|k\b|nghin|ngan\b(?!\s*hang)|trieu|ty\b|\u0111)", re.I)
# Digits said in words ("bốn tám hai chín một ba"): six or more in a row always; four or more after a code word.
_DIGIT_WORD = r"(?:khong|mot|hai|ba|bon|nam|sau|bay|tam|chin|linh)"
_WORD_DIGITS = re.compile(rf"\b({_DIGIT_WORD}(?:[\s,.-]+{_DIGIT_WORD}){{3,}})\b")
_WORD_DIGITS_CONTEXT = re.compile(r"\b(?:otp|ma|pin|mat\s*khau|mk|so|doc|cvv|can\s*cuoc|dinh\s*danh|cmnd|stk"
                                  r"|tai\s*khoan|code|la)\b\W*$")


def _ascii_digits(text: str) -> str:
    """Full-width and other Unicode digits as ASCII, one character for one (spans stay where they were)."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


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
            if end > last:  # overlapping finds: the mask covers both
                last = end
            continue
        out.append(text[last:start])
        out.append(MASK)
        last = end
    out.append(text[last:])
    return "".join(out)


def redact(text: str) -> Redaction:
    """Mask OTPs and other codes, passwords and PINs, card numbers and security codes, ID numbers (căn cước,
    chứng minh nhân dân) and account numbers, in the forms people really paste and type: codes before or
    far after their name or with none, digits spaced out, written in words or full-width, bank names between
    "số tài khoản" and the number, passwords with spaces.

    Matching runs on the accent-folded text, which keeps the same length as NFC input for Vietnamese,
    so the spans found there are cut out of the original.
    """
    folded = _ascii_digits(fold(text))
    if len(folded) != len(text):  # unusual characters changed the length: match on the original
        folded = _ascii_digits(text.lower())
    found = [*_code_spans(text, folded), *_password_spans(text, folded), *_number_spans(folded)]
    spans = [span for span, _ in found]
    kinds = [kind for _, kind in found]
    if not spans:
        return Redaction(text, ())
    return Redaction(_replace_spans(text, spans), tuple(dict.fromkeys(kinds)))


Found = list[tuple[tuple[int, int], str]]


def _code_spans(text: str, folded: str) -> Found:
    """One-time codes (before or after their name, read out, alone, in words) and card security codes."""
    out: Found = []
    for m in _OTP.finditer(folded):
        if _is_code_word(text, m.start(1)):
            out.append((m.span(2), "otp"))
    out += [(m.span(1), "otp") for m in _OTP_FIRST.finditer(folded)]
    out += [(m.span(1), "otp") for m in _READ_OUT.finditer(folded)]
    if bare := _BARE_CODE.match(folded):
        out.append((bare.span(1), "otp"))
    out += [(m.span(1), "card") for m in _CVV.finditer(folded)]
    for m in _WORD_DIGITS.finditer(folded):
        if len(m.group(1).split()) >= 6 or _WORD_DIGITS_CONTEXT.search(folded[max(0, m.start() - 25):m.start()]):
            out.append((m.span(1), "otp"))
    return out


def _password_spans(text: str, folded: str) -> Found:
    """Passwords and PINs after their name ("mật khẩu là …"), or typed alone where one is plainly meant."""
    out: Found = []
    for m in _PASSWORD.finditer(folded):
        value = m.group(2).rstrip(".,;!?…)\"'")
        said = re.search(r"\bla\b\s*:?\s*$", m.group(1))
        if said and text[m.start(1) + said.start():m.start(1) + said.start() + 2].lower() not in ("là", "la"):
            continue  # "lạ" (strange), not "là" (is): "nhập mật khẩu vào link lạ rồi"
        if value and not _NOT_A_PASSWORD.match(value):
            out.append(((m.start(2), m.start(2) + len(value)), "password"))
    for m in _PASSWORD_BARE.finditer(folded):
        value = m.group(1).rstrip(".,;!?…)\"'")
        if len(re.sub(r"\D", "", value)) > 2 or re.search(r"[^\w\s]", value):
            out.append(((m.start(1), m.start(1) + len(value)), "password"))
    return out


def _number_spans(folded: str) -> Found:
    """Card numbers, ID numbers (căn cước, chứng minh) and account numbers, told apart from sums of money."""
    out: Found = []
    for m in _CARD_RUN.finditer(folded):
        digits = re.sub(r"\D", "", m.group(1))
        before = folded[max(0, m.start() - 40):m.start()]
        grouped = re.fullmatch(r"\d{4}([ ./-])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?", m.group(1)) is not None
        if _luhn_ok(digits) or digits.startswith("9704") or grouped or _CARD_CONTEXT.search(before):
            out.append((m.span(1), "card"))
    for m in _DIGIT_RUN.finditer(folded):
        digits = re.sub(r"\D", "", m.group(1))
        before = folded[max(0, m.start() - 60):m.start()]
        after = folded[m.end():m.end() + 16]
        if len(digits) == 12 and digits.startswith("0") or len(digits) in (9, 12) and _ID_CONTEXT.search(before):
            out.append((m.span(1), "id_number"))
        elif 8 <= len(digits) <= 19 and not _MONEY_AFTER.match(after) and (
                _ACCOUNT_CONTEXT.search(before)
                or _TRANSFER_CONTEXT.search(before[-30:]) and not (_MONEY.match(m.group(1).strip())
                                                                   and "." in m.group(1))):
            out.append((m.span(1), "account"))
    return out


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
# The writer (or someone close) is the victim: a story, whatever the sentence's form ("mẹ tôi đăng nhập" is a login,
# not "đang").
_VICTIM = _words([r"(?:toi|minh|em|ba|ong|me|bo|chau|con|nha toi) (?:vua |da |dang )?(?:lo|bi lua|bi tru|bi hack)",
                  r"(?:toi|minh|em|ba|ong|me|bo|chau|con) (?:vua|dang(?! (?:nhap|ky|ki|xuat))|lo|da)", r"vua roi",
                  r"cuu", r"bi lua mat",
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
