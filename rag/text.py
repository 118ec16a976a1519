"""Vietnamese text handling: normalisation, accent folding, abbreviations, syllable tokens."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TOKEN = re.compile(r"[0-9a-z]+")

# Abbreviations and "teencode" older people and their grandchildren type, in accent-folded form.
ABBREVIATIONS: dict[str, str] = {
    "ko": "khong", "k": "khong", "kh": "khong", "khg": "khong", "hok": "khong", "hem": "khong",
    "dc": "duoc", "dk": "duoc", "j": "gi", "ji": "gi", "r": "roi", "ntn": "nhu the nao",
    "tk": "tai khoan", "mk": "mat khau", "dt": "dien thoai", "dth": "dien thoai", "sdt": "so dien thoai",
    "ng": "nguoi", "ngta": "nguoi ta", "nv": "nhan vien", "ck": "chuyen khoan", "stk": "so tai khoan",
    "nh": "ngan hang", "vs": "voi", "bn": "bao nhieu", "ib": "nhan tin", "nt": "nhan tin",
    "cccd": "cccd can cuoc cong dan", "cmnd": "cmnd chung minh nhan dan", "app": "app ung dung",
    "dvc": "dich vu cong", "bhyt": "bhyt bao hiem y te", "bhxh": "bhxh bao hiem xa hoi",
    "gplx": "gplx giay phep lai xe", "fb": "facebook", "face": "facebook", "zl": "zalo",
    "pass": "mat khau", "password": "mat khau", "sms": "sms tin nhan",
    "2fa": "2fa xac thuc hai lop", "mfa": "mfa xac thuc hai lop",
    "sotp": "smart otp", "smartotp": "smart otp", "sth": "sinh trac hoc", "ctv": "cong tac vien",
    "cskh": "cham soc khach hang", "tttb": "tttb thong tin thue bao",
}
# Names people use instead of the thing: a bank, its app, an e-wallet, a carrier. The general words are added so
# "quên mật khẩu iPay" finds what the lessons say about bank apps.
_BANKS = ("vietcombank vcb vietinbank bidv agribank techcombank tcb mbbank vpbank sacombank acb tpbank hdbank ocb "
          "shb msb seabank vib lpbank eximbank").split()
ABBREVIATIONS.update({name: f"{name} ngan hang" for name in _BANKS})
ABBREVIATIONS.update({
    "ipay": "ipay ung dung ngan hang", "digibank": "digibank ung dung ngan hang",
    "smartbanking": "smartbanking ung dung ngan hang", "ebanking": "ebanking ngan hang dien tu",
    "momo": "momo vi dien tu", "zalopay": "zalopay vi dien tu", "viettelpay": "viettelpay vi dien tu",
    "shopeepay": "shopeepay vi dien tu", "vinaphone": "vinaphone nha mang", "mobifone": "mobifone nha mang",
})


def normalize(text: str) -> str:
    """NFC, drop zero-width and control characters, trim and collapse white space."""
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics ("Đăng nhập" -> "dang nhap")."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d").replace("Đ", "d")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


def syllables(text: str, expand: bool = True) -> list[str]:
    """Accent-folded syllables; with `expand`, common abbreviations are spelled out."""
    tokens = _TOKEN.findall(fold(text))
    if not expand:
        return tokens
    out: list[str] = []
    for tok in tokens:
        out.extend(ABBREVIATIONS.get(tok, tok).split())
    return out


# The frame of a question, not its subject ("thì làm gì", "có được không", "bác ơi cho hỏi"): on the word channel
# these would make "nhận tin phê duyệt thì làm gì tiếp" match "mất điện thoại thì làm gì". Kept inside bigrams
# with a content word ("lam_sao" goes, "doi_may" stays).
FRAME_WORDS = frozenset(
    "thi la lam gi the nao sao co khong duoc a ah oi nhe vay va voi cho cua toi minh em bac ba ong chau con "
    "hoi xin nhu ra roi di ma nay do phai can nen biet duoc".split())


def lexical_terms(text: str) -> list[str]:
    """Syllables plus adjacent-syllable bigrams, without the words that only frame a question: the terms of the
    BM25 channel."""
    syl = syllables(text)
    bigrams = [f"{a}_{b}" for a, b in zip(syl, syl[1:], strict=False) if not (a in FRAME_WORDS and b in FRAME_WORDS)]
    content = [w for w in syl if w not in FRAME_WORDS]
    return (content or syl) + bigrams


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese tone or vowel mark."""
    return fold(text) != text.lower()


def expand_abbreviations(text: str) -> str:
    """Rewrite the text with abbreviations spelled out (accent-folded where it was expanded)."""
    words = normalize(text).split(" ")
    out = []
    for w in words:
        key = fold(w).strip(".,?!:;")
        out.append(ABBREVIATIONS.get(key, w))
    return " ".join(out)
