"""What situation a message comes from, before any retrieval: a scam happening now (and what the person already
did), a stranger asking for money now, an honest mistake, or a calm question.

Rules on accent-folded words (teencode spelled out). The emergency reply depends on the act: money already sent
needs the bank's hotline now, a remote-control app needs the phone cut off the network first, and so on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.safety import is_ongoing_scam
from rag.text import fold, syllables

SCAM_NOW = "scam_now"
PAY_NOW = "pay_now"
MISTAKE = "honest_mistake"
CALM = "calm"

# What the person already did, most urgent first. Each needs a past marker near it ("đã", "vừa", "lỡ", "rồi").
_PAST = r"(?:da|vua|lo|moi|trot|nhat thoi)"
_ACTS: tuple[tuple[str, str], ...] = (
    ("remote_app", r"(?:cai|tai|cai dat|tai ve|bam cai)(?: \w+){0,4} (?:app|ung dung|phan mem|file|apk|teamviewer|"
                   r"ultraviewer|anydesk)|(?:cap|bat|cho)(?: \w+){0,3} quyen|chia se man hinh|dieu khien (?:\w+ ){0,2}"
                   r"tu xa|may tu (?:bat|tat|chay|bam|chuyen)|man hinh tu"),
    ("money_sent", r"(?:chuyen|ck|chuyen khoan|gui|nap|nop|dong|ban vang chuyen|quet (?:ma )?qr)(?: \w+){0,5} "
                   r"(?:tien|trieu|nghin|ngan|ty|k|dong|vao|cho (?:ho|nguoi|no|doi tuong))|mat (?:het |sach )?"
                   r"(?:\d+ )?(?:tien|trieu|ty)|tai khoan (?:\w+ ){0,2}(?:mat|bi tru|con \d)|bi tru (?:\w+ ){0,2}tien|"
                   r"mat sach|bay mau|chuyen roi|chuyen xong"),
    ("otp_read", r"(?:doc|dua|gui|nhap|cho|bao|chup|nhan)(?: \w+){0,4} (?:otp|ma (?:xac thuc|xac nhan|so|kich hoat|"
                 r"giao dich|bao mat)|ma (?:\d+ )?so|ma vua (?:nhan|gui|ve)|ma ngan hang gui|ma tin nhan)"),
    ("password_typed", r"(?:doc|dua|gui|nhap|cho|bao|go)(?: \w+){0,4} (?:mat khau|ma pin|passcode|pin|pass)"),
    ("card_photos", r"(?:chup|gui|dua|cho)(?: \w+){0,5} (?:anh|hinh)(?: \w+){0,4} (?:can cuoc|cccd|cmnd|the|"
                    r"chan dung|mat)|quay (?:video|clip) (?:khuon )?mat|(?:xac thuc|quet) (?:khuon )?mat (?:cho|theo)|"
                    r"(?:gui|dua|chup)(?: \w+){0,3} (?:so the|mat sau the|ma cvv|cvv)"),
    ("link_clicked", r"(?:bam|nhan|an|vao|mo|click|truy cap)(?: \w+){0,3} (?:link|duong link|duong dan|trang web|"
                     r"trang|web)|(?:dien|nhap|khai)(?: \w+){0,3} (?:thong tin|tai khoan|so dien thoai) (?:vao|tren)"),
)
_ACT_RES = tuple((name, re.compile(rf"\b(?:{pattern})\b")) for name, pattern in _ACTS)
_PAST_RE = re.compile(rf"\b{_PAST}\b")
_DONE_AFTER = re.compile(r"\b(?:roi|xong|het roi|mat roi|xong roi)\b")

# A stranger asks for money now: fees to get a prize, a loan, a job, a "frozen" account, a relative's hospital bill.
_PAY_ASK = re.compile(
    r"\b(?:phi|le phi|coc|tien coc|dat coc|ky quy|phi (?:van chuyen|ship|giai ngan|mo khoa|bao hiem|ho so|xac minh|"
    r"nhan thuong|thue|kich hoat|dich vu)|tien (?:thue|vien phi|mo|phau thuat|cap cuu|bao lanh)|nop truoc|chuyen truoc|"
    r"dong truoc|nap (?:them|tien)|chuyen (?:them|tien)|thanh toan|dong tien|nop tien|tai khoan tam giu|"
    r"tai khoan an toan|don hang|nhiem vu)\b")
_PAY_WHO = re.compile(
    r"\b(?:bao|doi|yeu cau|bat|phai|can|de nghi|giuc|moi|huong dan|xin|nho|keu|muon)\b")
_PAY_NOT_YET = re.compile(r"\b(?:co nen|nen|co phai|co (?:chuyen|nop|dong) khong|chua (?:chuyen|nop|dong|tra)|"
                          r"sap|dinh|co duoc|that khong|phai khong|khong|lam sao|gio sao|co sao)\b")

# Honest mistakes: money to a wrong account, money received by mistake, a forgotten password.
_WRONG_TRANSFER = re.compile(
    r"\b(?:chuyen|ck|chuyen khoan|gui)(?: \w+){0,4} (?:nham|sai|lon|nham so|sai so|nham nguoi|nham tai khoan|"
    r"du|thua|2 lan|hai lan)|(?:nhap|go|ghi|ban) (?:sai|nham|lon|thieu|thua)(?: \w+){0,2} (?:so|stk|tai khoan|so tien|"
    r"ten)|nham (?:so )?(?:tai khoan|stk)|sai (?:so )?(?:tai khoan|stk)")
_RECEIVED = re.compile(
    r"\b(?:nhan|duoc|co)(?: \w+){0,3} (?:tien|khoan tien|\d+ (?:trieu|nghin|k))(?: \w+){0,5} (?:chuyen nham|nham|"
    r"la|khong ro)|(?:ai do|nguoi la|so la|ai)(?: \w+){0,3} chuyen nham|tien (?:la|tu dung) (?:vao|ve)|"
    r"tu dung (?:co|nhan|duoc)(?: \w+){0,3} tien|bi chuyen nham")
# "…and now someone calls pressing to send it back to another account": the known trap, a scam in progress.
_RECEIVED_PRESSED = re.compile(
    r"\b(?:goi|nhan tin|doi|giuc|bat|de nghi|yeu cau|bao|doa|dung dung)(?: \w+){0,6} (?:chuyen lai|tra lai|hoan lai|"
    r"chuyen tra|gui lai)(?: \w+){0,6} (?:tai khoan khac|so khac|stk khac|so tai khoan khac|khac|vao so)")


@dataclass(frozen=True)
class Situation:
    kind: str  # scam_now | pay_now | honest_mistake | calm
    act: str | None = None  # scam_now: what was done; honest_mistake: wrong_transfer | received

    @property
    def alarming(self) -> bool:
        return self.kind in (SCAM_NOW, PAY_NOW)


def _words(text: str) -> str:
    return " ".join(syllables(text))


def act_of(t: str) -> str | None:
    """What the person already did, on folded words, or None when nothing is done yet."""
    for name, pattern in _ACT_RES:
        for m in pattern.finditer(t):
            before = t[max(0, m.start() - 40):m.start()]
            after = t[m.end():m.end() + 40]
            if _PAST_RE.search(before) or _DONE_AFTER.search(after) or name == "money_sent" and re.search(
                    r"\b(?:mat|tru|bay mau)\b", m.group(0)):
                return name
    return None


def classify(text: str) -> Situation:
    """The situation a message describes (rules only)."""
    t = _words(text)
    if _RECEIVED.search(t) or _WRONG_TRANSFER.search(t):
        if _RECEIVED_PRESSED.search(t):
            return Situation(SCAM_NOW, act_of(t) or "none_yet")
        scammed = is_ongoing_scam(text) and re.search(r"\b(?:lua|cong an|gia danh|xung|link|otp|app la)\b", t)
        if not scammed:
            return Situation(MISTAKE, "received" if _RECEIVED.search(t) else "wrong_transfer")
    act = act_of(t)
    ongoing = is_ongoing_scam(text)
    if ongoing and act is not None:
        return Situation(SCAM_NOW, act)
    if _PAY_ASK.search(t) and _PAY_WHO.search(t) and act is None and _PAY_NOT_YET.search(t) and not _calm(t):
        return Situation(PAY_NOW)
    if ongoing:
        return Situation(SCAM_NOW, "none_yet")
    if act is not None and re.search(r"\b(?:lua|gia danh|xung|nguoi la|so la|ho|doi tuong|ke gian)\b", t):
        return Situation(SCAM_NOW, act)
    return Situation(CALM)


_CALM = re.compile(r"^(?:lam sao|cach|the nao|lam the nao|nhan biet|dau hieu)\b|"
                   r"\b(?:la gi|nhu the nao|(?<!trung )thuong|co bao gio|neu (?:ai|co nguoi)|khi nao|nen lam gi khi)\b")


def _calm(t: str) -> bool:
    """A general question ("ngân hàng có bao giờ hỏi OTP không?"), not a story about the writer."""
    return bool(_CALM.search(t)) and not re.search(r"\b(?:toi|ba|ong|me|bo|minh|em|chau|con) (?:vua|dang|bi|da)\b",
                                                  t)


def fold_words(text: str) -> str:
    """Folded words of a message (for the classifier's features and the evaluation)."""
    return " ".join(re.findall(r"[0-9a-z]+", fold(text)))


class SituationModel:
    """A second opinion beside the rules: logistic regression over character n-grams of the folded text, trained
    on the tune split of real-case messages (knowledge/situations/tune.jsonl). It only ever raises the alarm on a
    message the rules found calm; it never calms one the rules found alarming, and never overrides a mistake."""

    ESCALATE_AT = 0.5  # the model's probability of scam_now or pay_now needed to override "calm"

    def __init__(self, rows: list[dict[str, str]]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        self.pipeline = Pipeline([
            ("grams", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
            ("model", LogisticRegression(C=5.0, class_weight="balanced", max_iter=2000)),
        ])
        self.pipeline.fit([fold_words(r["text"]) for r in rows], [r["situation"] for r in rows])
        self.classes = [str(c) for c in self.pipeline.classes_]

    @classmethod
    def load(cls, path: Path) -> SituationModel | None:
        """Trained from a JSON-lines file of {"text", "situation"}; None when the file is missing."""
        if not path.exists():
            return None
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return cls(rows) if len({r["situation"] for r in rows}) > 1 else None

    def predict(self, text: str) -> tuple[str, float]:
        """The most likely situation and its probability."""
        probs = self.pipeline.predict_proba([fold_words(text)])[0]
        best = max(range(len(probs)), key=lambda i: probs[i])
        return self.classes[best], float(probs[best])


def route(text: str, model: SituationModel | None) -> Situation:
    """Rules first; the model raises the alarm on what the rules found calm."""
    found = classify(text)
    if found.kind != CALM or model is None:
        return found
    kind, p = model.predict(text)
    if kind in (SCAM_NOW, PAY_NOW) and p >= model.ESCALATE_AT:
        t = _words(text)
        return Situation(kind, (act_of(t) or "none_yet") if kind == SCAM_NOW else None)
    return found
