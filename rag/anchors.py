"""The app or service a question names, and whether an answer is written about the same one.

"Quét khuôn mặt VNeID xoay mãi không xong" and "quét khuôn mặt app ngân hàng không qua" are close in meaning, and
the dense channel easily hands one the other's answer. When a question names an app or service, an answer whose
own question (an entry's ways of asking; a section's heading and its lesson's title and asks) names none of the
same ones is less likely to be about it. Only what the person named counts; a question that names nothing is
not touched.
"""

from __future__ import annotations

from collections.abc import Iterable

from rag.text import syllables

# Accent-folded phrases (teencode spelled out by `syllables`), matched on whole syllables.
ANCHORS: dict[str, tuple[str, ...]] = {
    "vneid": ("vneid", "dinh danh dien tu", "dinh danh muc", "tai khoan dinh danh", "ung dung dinh danh",
              "app dinh danh", "can cuoc dien tu"),
    "bank": ("ngan hang", "bank", "banking", "smart banking", "app nh"),
    "public_services": ("dich vu cong", "dvc", "dichvucong", "cong dich vu"),
    "zalo": ("zalo",),
    "facebook": ("facebook", "fb", "messenger", "face book"),
    "social_insurance_app": ("vssid",),
    "carrier": ("sim", "nha mang", "viettel", "vinaphone", "mobifone", "thue bao", "esim"),
    "google": ("google", "gmail"),
    "wallet": ("momo", "zalopay", "zalo pay", "vi dien tu", "shopeepay", "viettel money", "vi momo"),
    "health_book": ("so suc khoe",),
    "atm": ("atm", "cay rut tien"),
    "tiktok": ("tiktok", "tik tok"),
    "youtube": ("youtube",),
    "microsoft": ("microsoft", "windows", "win 10", "win 11", "hotmail", "outlook", "skype", "onedrive"),
    "apple_account": ("icloud", "apple id", "id apple", "tai khoan apple"),
    "television": ("tivi", "smart tv", "android tv", "google tv"),
}


# The app stores are where an app comes from, not what a question is about ("app vay trên CH Play có an toàn?").
_STORES = (" google play ", " ch play ", " cho play ", " app store ", " appstore ", " play store ")


def _padded(text: str) -> str:
    padded = " " + " ".join(syllables(text)) + " "
    for store in _STORES:
        padded = padded.replace(store, " ")
    return padded


def anchors_in(texts: Iterable[str]) -> frozenset[str]:
    """The apps and services named in any of the texts."""
    padded = " ".join(_padded(t) for t in texts)
    return frozenset(name for name, phrases in ANCHORS.items() if any(f" {p} " in padded for p in phrases))
