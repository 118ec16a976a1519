"""What situation a message comes from, before any retrieval: a scam happening now (and what the person already
did), a stranger asking for money now, an honest mistake, or a calm question.

Rules on accent-folded words (teencode spelled out). The emergency reply depends on the act: money already sent
needs the bank's hotline now, a remote-control app needs the phone cut off the network first, and so on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import story_acts, understand
from bot.homographs import CODE, DEMAND, INVITE, TELL
from bot.message_forms import GENERAL_FORM, HEARD_OF, HYPOTHETICAL, offer_check, without_doubt
from bot.mistake_signs import CHARGED_TWICE, RECEIVED, RECEIVED_PRESSED, UNAUTHORIZED, WRONG_TRANSFER, to_trace
from bot.safety import is_ongoing_scam
from bot.scam_signs import (
    AMOUNT,
    ASKED_TO,
    CALL_DEMAND,
    CALLED,
    DETAILS_GIVEN,
    FOUND_OUT,
    IN_CALL,
    LOSS,
    MESSAGE_SOURCE,
    MONEY_ACCENTED,
    NEWS_TALK,
    PAY_ASK,
    PAY_WHO,
    REGRET,
    RELATIVE_EMERGENCY,
    SCAM_CONTEXT,
    SECRET_ACTS,
    STRANGER,
    STRONG_CONTEXT,
    THREAT,
    URGENT,
    VICTIM_NOW,
    act_of,
    fee_named,
    general_question,
    secret_given,
    words,
)
from bot.situation_model import SituationModel as SituationModel  # re-exported
from bot.situation_model import fold_words as fold_words
from bot.story_acts import act_in, at_counter, buyer_receipt, money_named, name_misused, own_slip, service_charged
from bot.visit_signs import (
    FAMILY_INSTALLED,
    REFUSED,
    law_demand,
    own_account_used,
    qr_login_prompt,
    unasked_login,
    visit_or_engaged,
)
from rag.kinds import question_kind
from rag.text import normalize

SCAM_NOW = "scam_now"
PAY_NOW = "pay_now"
MISTAKE = "honest_mistake"
CALM = "calm"

@dataclass(frozen=True)
class Situation:
    kind: str  # scam_now | pay_now | honest_mistake | calm
    act: str | None = None  # scam_now: what was done; honest_mistake: wrong_transfer | received | charged_twice

    @property
    def alarming(self) -> bool:
        return self.kind in (SCAM_NOW, PAY_NOW)


_SCAMMER = re.compile(r"\b(?:lua|ke gian|ke xau|gia danh|gia mao|mao danh|(?:app|trang|web|link|so) gia)\b")


# A loss the scam message or caller claims ("tin nhắn báo tài khoản bị khóa, kèm đường link"): the bait, not a loss.
_CLAIMED = re.compile(r"\b(?:tin nhan|sms|email|cuoc goi|ho|no|nguoi ta|trang|web|link)(?: \w+){0,2} "
                      r"(?:bao|thong bao|noi)(?: rang| la)? (?:tai khoan|the|sim|so|zalo|facebook)(?: \w+){0,3} "
                      r"bi (?:khoa|tam khoa|"
                      r"dong bang|phong toa|vo hieu hoa)\b")


def _apart(t: str) -> bool:
    """A scam shown by more than "bị chặn": alone it is also someone blocked on Zalo or a SIM cut off for unpaid
    credit ("sao biết mình bị chặn zalo"); after a payment ("ck rồi gọi lại bị chặn") it is the scammer leaving."""
    rest = _BLOCKED.sub(" ", t)
    return bool(SCAM_CONTEXT.search(rest) or FOUND_OUT.search(rest) and _SCAMMER.search(rest)
                or _PAID.search(t))


# Someone asking for the money (a fee with only "cần", "phải" is a rule asked about: "làm hồ sơ cần nộp phí không").
_REQUESTER = re.compile(r"\b(?:" + TELL + r"|" + DEMAND + r"|yeu cau|bat|de nghi|giuc|" + INVITE + r"|xin|nho|keu|hua|"
                        r"huong dan|thi moi|moi (?:duoc|giai ngan|nhan|rut|mo)|chi can|"
                        r"de (?:nhan|rut|duoc|kich hoat|giai ngan|mo))\b")
_OWN_TELLER = re.compile(r"\b(?:(?:con|chau|vo|chong)(?: (?:toi|minh|gai|trai|dau|re))? (?:bao|noi|huong dan|dan)|"
                         r"(?:ung dung|may|dien thoai)(?: \w+){0,3} (?:bao|hien|thong bao))\b")


def _told_by_own(t: str) -> bool:
    """Told to do something by family or by one's own phone ("con bảo tôi cập nhật máy", "ứng dụng ngân hàng báo phải
    cập nhật"), with no stranger, message or scammer in the story."""
    return bool(_OWN_TELLER.search(t)) and not (STRANGER.search(t) or MESSAGE_SOURCE.search(t)
                                                 or STRONG_CONTEXT.search(t))


# A call's own trouble: the picture freezes, the sound is faint, the connection drops.
_CALL_TROUBLE = re.compile(r"\b(?:mat (?:wi fi|wifi|mang|ket noi|tieng|hinh|song)|hinh (?:bi )?(?:dung|giat|mo|den)|"
                           r"tieng (?:re|nho|be|bi mat|vong|ro)|(?:khong|ko) nghe (?:ro|thay|duoc|dc)|"
                           r"nghe (?:khong|ko) ro|"
                           r"bi (?:giat|dung hinh|ngat)|rot cuoc goi|tu (?:tat|ngat))\b")


_BLOCKED = re.compile(r"\bbi chan\b")
_PAID = re.compile(r"\b(?:tien|ck|chuyen khoan|chuyen|trieu|tr|nghin|k|coc|tra)\b|\d+ ?k\b")


# Whether something costs money, asked ("đổi thẻ trên VNeID có mất tiền không"), and no one demanding a payment.
_FEE_ASKED = re.compile(r"\b(?:mat|ton|tra|dong|nop|thu|tinh) (?:them )?(?:tien|phi|le phi)(?: gi)? (?:khong|ko|k)\b|"
                        r"\b(?:mat|het|ton|phi) bao nhieu\b")
_DEMANDED = re.compile(r"\b(?:bat|doi|yeu cau|giuc|bao) (?:\w+ ){0,3}(?:chuyen|nop|dong|tra|ck|coc|thanh toan)\b")


def _pay_asked(t: str, context: bool, in_call: bool) -> bool:
    """Someone asks for a fee, a deposit or a payment (not a fee asked about: "làm lại căn cước hết bao nhiêu")."""
    if at_counter(t) or UNAUTHORIZED.search(t) or _FEE_ASKED.search(t) and not (
            _DEMANDED.search(t) or context or in_call):
        return False  # a bill at the counter; the bank's notice of a transfer one never made; "có mất phí không"
    stranger = bool(STRANGER.search(shown := story_acts.without_app_status(t)))  # "app báo lỗi": nobody asks
    concrete = bool(AMOUNT.search(t)) and (context or stranger) and not HYPOTHETICAL.search(t)
    asked = bool(_REQUESTER.search(shown)) or context or in_call or stranger
    return bool((fee_named(t) or (PAY_ASK.search(t) and (context or stranger))) and PAY_WHO.search(t)
                and (concrete or not general_question(t)) and asked)


def _later_signs(t: str, act: str | None, context: bool, asking: bool, ongoing: bool) -> Situation:
    """The last rules of `classify`: control taken, a link from a message, a relative in trouble, an urgent plea,
    being told to do something, a scam going on with someone in it (`ongoing`)."""
    taken = _taken(t) if act in (None, "money_sent") else None  # "họ chuyển hết tiền của tôi đi": money gone
    if taken is not None:
        return Situation(SCAM_NOW, taken)
    if act == "link_clicked" and MESSAGE_SOURCE.search(t):
        return Situation(SCAM_NOW, act)
    if RELATIVE_EMERGENCY.search(t) and not (general_question(t) or HYPOTHETICAL.search(t) or HEARD_OF.search(t)):
        return Situation(SCAM_NOW, _kept(act, t))
    if URGENT.search(t) and (context or STRANGER.search(t) or LOSS.search(t)) \
            and not (NEWS_TALK.search(t) and act is None and not LOSS.search(t)):
        return Situation(SCAM_NOW, _kept(act, t))
    if context and ASKED_TO.search(t) and not asking and not _told_by_own(t):
        return Situation(SCAM_NOW, "none_yet")  # told to type a code, install, go to the bank: not done yet
    if ongoing:
        return Situation(SCAM_NOW, act or "none_yet")
    return Situation(CALM)


# In a call, words of money, codes or authorities: a scam being played now.
_CALL_TALK = re.compile(r"\b(?:tien|chuyen|ck|trieu|otp|" + CODE + r"|cup may|cong an|vien kiem sat|toa an|ngan hang|"
                        r"dien luc)\b")


def _astray(t: str) -> bool:
    """Money received by mistake or sent astray (a wrong account, charged twice)."""
    return bool(RECEIVED.search(t) or WRONG_TRANSFER.search(t))


def classify(text: str) -> Situation:
    """The situation a message describes (rules only)."""
    t = words(text)
    asking = understand.asks(text) or bool(GENERAL_FORM.search(t))
    act = act_in(text, t, asking)
    # "ra ngân hàng chuyển 1 tỷ…, nhân viên không cho chuyển": a transfer told, stopped before it was made
    stopped = "money_sent" in (act, act_of(t)) and bool(REFUSED.search(t)) and act_of(t, asking) is None
    act = None if stopped else act
    # "…sau mới biết là kẻ gian": found out afterwards who it was; the story is a scam whatever words it used.
    context = bool(SCAM_CONTEXT.search(without_doubt(t)) or FOUND_OUT.search(t) and _SCAMMER.search(t))
    in_call = bool(IN_CALL.search(t))
    if HYPOTHETICAL.search(t) and general_question(t) and not RECEIVED_PRESSED.search(t):
        return Situation(CALM)
    if (story_acts.own_doing(t, act) or act is None and buyer_receipt(t)) and not _astray(t) \
            or service_charged(t, act) and not (in_call or STRONG_CONTEXT.search(t)):
        return Situation(CALM)  # a wrong PIN, an ATM that kept the money, a buyer's receipt, a carrier's charges
    if _astray(t) and not _NOT_MONEY.search(t):
        found = _money_astray(t, act, in_call)
        if found is not None:
            return found
        context = True  # the story around the money shows a scam (a stranger's pressure, a relative "in hospital")
    if in_call and _CALL_TROUBLE.search(t) and not (STRONG_CONTEXT.search(t) or STRANGER.search(t) or act is not None):
        return Situation(CALM)  # "đang gọi video thì mất Wi-Fi": a call with family that goes wrong, no caller
    if in_call and (context or is_ongoing_scam(text) or _CALL_TALK.search(t)):
        return Situation(SCAM_NOW, _kept(act, t))
    if law_demand(t) and re.search(r"\b(?:chuyen|nop|gui(?! ve\b)|rut|tam giu|xac minh|bat|doa)\b", t) \
            and not general_question(t):
        return Situation(SCAM_NOW, act or "none_yet")  # "police" asking for money: the full emergency, not a fee
    if visit_or_engaged(t, context):
        return Situation(SCAM_NOW, _kept(act, t))  # "người xưng công an đến lấy sổ tiết kiệm", "định nghe tiếp"
    if act is None and own_account_used(t) and not (HYPOTHETICAL.search(t) or general_question(t)):
        return Situation(SCAM_NOW, "account_taken")  # "Zalo của tôi tự nhắn vay tiền khắp danh bạ"
    if qr_login_prompt(t) and not HYPOTHETICAL.search(t):
        return Situation(SCAM_NOW, _kept(act, t))  # "quét mã người ta gửi, máy hỏi xác nhận đăng nhập Zalo"
    if unasked_login(t) and not secret_given(t, act, context):
        return Situation(SCAM_NOW, "none_yet")  # "hiện xác nhận đăng nhập thiết bị mới, tôi có đăng nhập gì đâu"
    if act is None and (stopped or _pay_asked(t, context, in_call)):
        return Situation(PAY_NOW)  # a stranger asks for money and it is not paid yet
    if context and THREAT.search(t) and CALLED.search(t) and not general_question(t):
        return Situation(SCAM_NOW, _kept(act, t))  # "cán bộ thuế gọi dọa mẹ bị phạt"
    if act == "money_sent" and _TO_THEM.search(t) and _WHAT_NOW.search(t):
        return Situation(SCAM_NOW, act)  # "tôi đã chuyển 5 triệu cho họ rồi, giờ làm sao": sent to "them", and lost
    if general_question(t) and not (act is not None and VICTIM_NOW.search(t)):
        return Situation(CALM)
    ongoing = is_ongoing_scam(text)
    if secret_given(t, act, context):
        return Situation(SCAM_NOW, act)  # a code, password, card photo or remote control given away
    if act == "link_clicked" and (DETAILS_GIVEN.search(t) or context):
        return Situation(SCAM_NOW, act)
    other_party = bool(STRANGER.search(t) or MESSAGE_SOURCE.search(t) or URGENT.search(t) or in_call
                       or re.search(r"\b(?:goi video|video cal+|goi dien|goi zalo|goi messenger)\b", t)
                       or REGRET.search(t) or act == "link_clicked")
    trace = to_trace(t, act, context or other_party)  # the app said done, the family has not seen it yet
    own_app = act == "remote_app" and not secret_given(t, act, context)  # an app one put on oneself, nobody in it
    if trace or act is not None and (context or LOSS.search(t) or (ongoing and other_party and not own_app)):
        return Situation(CALM) if trace else Situation(SCAM_NOW, act)
    if act is None and context and _apart(t) and not _RECURRING.search(t) and any(  # no signal lost, fee, lock
            not re.match(r"mat song|.*(?<!sap )bi khoa$", m.group(0)) for m in LOSS.finditer(_CLAIMED.sub(" ", t))):
        return Situation(SCAM_NOW, "money_sent")
    return _later_signs(t, act, context, asking, ongoing and not own_app and (other_party or bool(LOSS.search(t))))


# A small sum taken every month ("tháng nào cũng bị trừ mấy nghìn"): a fee to ask the bank about, not money gone; and
# "mất sóng" is a SIM at risk.
_RECURRING = re.compile(r"\b(?:thang nao cung|hang thang|moi thang|thang nao (?:\w+ )?cung)\b")
_TO_THEM = re.compile(r"\b(?:chuyen|ck|gui|nap|dong|nop)(?: \w+){0,4} cho (?:ho|nguoi ta|no|chung no|ben do)\b")
_WHAT_NOW = re.compile(r"\b(?:gio|bay gio|gio thi)(?: \w+){0,2} (?:lam sao|lam gi|the nao|phai lam gi)\b")
_TAKEN_OVER = re.compile(r"\b(?:(?<!fi )(?<!wifi )(?<!4g )(?<!mang )mat song|sim (?:\w+ ){0,3}cap lai|bi chiem|"
                         r"bi hack)\b")
_MONEY_TAKEN = re.compile(r"\b(?:tien|tai khoan|tk|the)(?: \w+){0,4} bi (?:ho |no |ke gian |hacker )?"
                          r"(?:rut|chuyen|lay) (?:\w+ )?(?:di|het|sach|mat)\b|"
                          # "họ chuyển hết tiền của tôi đi": the same told with the thief as the subject
                          r"\b(?:ho|no|ke gian|chung no|nguoi ta|hacker)(?: \w+){0,2} (?:rut|chuyen|lay|cuom) "
                          r"(?:het |sach |mat )?(?:\w+ ){0,2}tien (?:cua|trong) (?:toi|minh|me|bo|tai khoan|tk|the)\b")


def _kept(act: str | None, t: str) -> str:
    """The act to answer for in a call, a threat or an emergency: a secret given away, or money sent when the
    message also tells of the loss ("bấm vào thì tài khoản bị trừ 700 triệu"); else the steps for during the call."""
    return act if act in SECRET_ACTS or (act == "money_sent" and LOSS.search(t)) else "none_yet"


# A weak signal where one lives ("sóng yếu, chỉ còn một vạch, nhiều khi mất sóng"): coverage, not a SIM taken over.
_COVERAGE = re.compile(r"\b(?:song (?:\w+ ){0,3}yeu|yeu song|(?:chi con|con) (?:mot|1) vach|vung lom|"
                       r"(?:nhieu khi|thinh thoang|hay bi|luc co luc) mat song)\b")


# Signal lost with a sign of a SIM swap around it (an "upgrade" call, a new SIM, the bank, codes, money): without one,
# "mất sóng mấy tiếng liền, gọi đâu để hỏi" is a network fault to report, not a SIM taken over.
_SWAP_TRACE = re.compile(r"\b(?:nang cap|len sim|doi sim|cap lai|sim (?:moi|4 ?g|5 ?g)|e ?sim|chiem|hack|ngan hang|"
                         r"tai khoan|tk|otp|ma xac (?:nhan|thuc)|tien|tin nhan la|cu phap|soan tin|nhan vien|nguoi la|"
                         r"lua|goi den|ho goi|nha mang goi|quet|link)\b")


def _taken(t: str) -> str | None:
    """With nothing done by the person: the SIM or an account taken over now ("none_yet": the steps to stop it), or
    money taken from the account by someone else ("money_sent": block and trace now)."""
    lone = all(m.group(0) == "mat song" for m in _TAKEN_OVER.finditer(t)) and not _SWAP_TRACE.search(t)
    if _TAKEN_OVER.search(t) and not (_COVERAGE.search(t) or lone):
        return "none_yet"
    return "money_sent" if _MONEY_TAKEN.search(t) or UNAUTHORIZED.search(t) else None


# Something other than money sent "by mistake": a code ("hệ thống gửi nhầm mã OTP, gửi giúp mình") or goods.
# ("nhầm mã" folds like "nhầm mà": "chuyển nhầm mà người nhận không trả" is money.)
# a code, a parcel, a message or a photo sent by mistake: no money astray
_NOT_MONEY = re.compile(r"\b(?:gui|chuyen|nhan) nham (?:\w+ )?(?:otp|hang|don hang|goi hang)\b|\b(?:gui|chuyen) nham "
                        r"(?:(?:tam|buc|cai|doan|mot|may) )?(?:tin nhan|anh|hinh|video|clip|file|loi nhan)\b|"
                        # two months of pension paid together before Tết: no stranger's money
                        r"\bluong huu\b(?: \w+){0,6} (?:gap doi|hai thang|2 thang|ca hai thang|hai lan|2 lan)\b|"
                        r"\bnham (?:ma (?!nguoi|ho\b|khong|chua|toi|minh|ben|lai|cung|van|sao)|otp)")


_TOLD_WRONG = re.compile(r"\b(?:ho|nguoi ta|ben kia|nhan vien|trang|app|ung dung|web|cong ty|ben) (?:\w+ ){0,3}"
                         r"bao (?:\w+ ){0,4}(?:nham|sai)\b")


_CALLED_TO_PAY = re.compile(r"\b(?:goi|nhan tin|nhan)(?: \w+)? (?:bat|doi|yeu cau|bao) (?:\w+ )?(?:dong|nop|chuyen)\b")


def charged_twice(t: str) -> bool:
    """Charged twice for one payment, and nothing sent to a wrong account (folded words)."""
    return bool(CHARGED_TWICE.search(t)) and not _WRONG_WORD.search(t)


_WRONG_WORD = re.compile(r"\b(?:nham|sai)\b")


def _money_astray(t: str, act: str | None, in_call: bool) -> Situation | None:
    """Money received by mistake or sent to a wrong account: an honest mistake, unless someone presses for it back
    or the story shows a scam (then None when it is for the rules after this one to say which)."""
    # "sang số lạ" alone is no scammer in a wrong transfer; a stranger's news of a relative in hospital is.
    context = bool(STRONG_CONTEXT.search(t) or RELATIVE_EMERGENCY.search(t)
                   or SCAM_CONTEXT.search(t) and _CALLED_TO_PAY.search(t))  # a caller said pay: no slip of theirs
    pressed = context and re.search(r"\b(?:goi|nhan tin|bao|nho|doi|giuc|yeu cau)\b", t) and re.search(
        r"\b(?:chuyen tra|tra lai|chuyen lai|hoan lai|gui lai)\b", t)
    if RECEIVED_PRESSED.search(t) or secret_given(t, act, context) or pressed:
        return Situation(SCAM_NOW, act if act in SECRET_ACTS else "none_yet")
    # Someone else saying the person typed it wrong ("app vay báo nhập sai tài khoản") is a scammer's line, told or
    # asked about; and a question at the end ("giờ báo ai?") does not undo a transfer told before it.
    if not (context and (act is not None or in_call or act_of(t) is not None or _TOLD_WRONG.search(t))):
        return Situation(MISTAKE, "received" if RECEIVED.search(t) else "charged_twice" if charged_twice(t)
                         else "wrong_transfer")
    return None


# Questions whose form is a failure, a rule, a definition or a where/who: the model does not raise the alarm on them.
_CALM_KINDS = frozenset({"troubleshoot", "rule", "definition", "where_who"})


_PLATFORM = re.compile(r"\b(?:zalo|facebook|messenger|fanpage)\b")


def _traces(t: str) -> bool:
    """Some trace of a scam for the model to weigh: another party, something done, a loss, a call, a demand. The
    bare name of an app is none ("những tính năng bảo mật của Zalo"): it must come with someone or something."""
    t = _PLATFORM.sub("", t)
    return bool(STRANGER.search(t) or SCAM_CONTEXT.search(t) or LOSS.search(t) or IN_CALL.search(t)
                or MESSAGE_SOURCE.search(t) or URGENT.search(t) or act_of(t) is not None
                or fee_named(t) or RELATIVE_EMERGENCY.search(t) or ASKED_TO.search(t))


_PAY_INTO = re.compile(r"\b(?:nap|dau tu|gop von|chuyen|ck|chuyen khoan|dong|coc|dat coc)\b")


def _money_or_fee(t: str) -> bool:
    """Money, an amount or a fee in the message (folded words; an app's or a group's name is none)."""
    return bool(_PAID.search(t) or AMOUNT.search(t) or fee_named(t) or _PAY_INTO.search(t))


def _payee(t: str) -> bool:
    """Someone or something the money would go to: a stranger, a message, a call, a demand, a fee, a relative "in
    trouble", or money put into a scheme ("định nạp 50tr tiền ảo lãi 30%")."""
    return bool(STRANGER.search(t) or MESSAGE_SOURCE.search(t) or IN_CALL.search(t) or ASKED_TO.search(t)
                or PAY_WHO.search(t) or fee_named(t) or RELATIVE_EMERGENCY.search(t) or _PAY_INTO.search(t))


# Put on because someone said so ("theo lệnh 'công an'", "họ bảo cài"): not an app of one's own choosing.
_TOLD = re.compile(r"\b(?:theo (?:lenh|loi|huong dan|yeu cau|chi dan)|bao|bat|yeu cau|huong dan|nho)\b")


def route(text: str, model: SituationModel | None) -> Situation:
    """Rules first; the model raises the alarm on what the rules found calm."""
    found = classify(text)
    t = words(text)
    if found.kind != CALM or model is None or general_question(t) or not money_named(text) or own_slip(t) \
            or story_acts.own_matter(t) or story_acts.app_asks_own_check(t):
        return found  # the model only speaks where money, a code, an account or a scammer is mentioned
    if question_kind(text) in _CALM_KINDS and not (STRONG_CONTEXT.search(t) or story_acts.comply_with_others(text, t)):
        return found  # "quét căn cước trên app ngân hàng báo lỗi": a failing app or a rule, not a scam in progress
    own_app = act_of(t) == "remote_app" and not (secret_given(t, "remote_app", False) or _TOLD.search(t))
    if (FAMILY_INSTALLED.search(t) or own_app) and not (LOSS.search(t) or STRONG_CONTEXT.search(t)
                                                         or IN_CALL.search(t)):
        return found  # "thằng út cài cho tôi app đo huyết áp": an app the family (or the person) put on, nobody posing
    if name_misused(t) and not IN_CALL.search(t):
        return found  # "giờ phát hiện có tài khoản đứng tên mình mà chưa từng mở": found out later, not in a call
    if not _traces(t) or NEWS_TALK.search(t) and act_of(t) is None and not LOSS.search(t):
        # nobody else and nothing done ("bố tôi mất, lương hưu… được nhận bao nhiêu?"), or a rumour going round
        # that asks nothing of this person ("tin ngân hàng sắp phá sản lan truyền, có nên rút không?")
        return found
    kind, p = model.predict(text)
    marked = story_acts.marked_words(text)
    if kind == PAY_NOW and (not (_payee(marked) and _money_or_fee(marked)) or buyer_receipt(t)):
        # "có 100 triệu nên gửi tiết kiệm hay mua vàng", a buyer's receipt: nobody asks them to pay; news "chuyền"
        # round a Zalo group with no money or fee in it: nothing to pay
        return found
    if kind in (SCAM_NOW, PAY_NOW) and p >= model.ESCALATE_AT:
        t = words(text)
        return Situation(kind, (act_of(t) or "none_yet") if kind == SCAM_NOW else None)
    return found


def scam_signals(text: str) -> bool:
    """Whether a message speaks of a scam at all (someone posing, an act, a loss, a call going on): such a message
    is never declined as off-topic, however it is told."""
    t = words(text)
    return bool(LOSS.search(t) or IN_CALL.search(t) or URGENT.search(t) or STRONG_CONTEXT.search(t)
                or CALL_DEMAND.search(t) or act_of(t) is not None and (STRANGER.search(t) or MESSAGE_SOURCE.search(t)))


def never_decline(text: str, model: SituationModel | None) -> bool:
    """A message that may come from someone in a scam is answered, never declined as off-topic: by the rules'
    signals, an offer of profit asked to be checked, or when the model gives it one chance in four of being a scam or
    a demand for money and the message shows a trace of one (someone else, something done, a loss, a demand). Money
    words alone are no trace, nor is where one's own savings earn most ("có nên rút ra mua vàng"): declined."""
    t = words(text)
    if scam_signals(text) or offer_check(t):
        return True
    lexical = (money_named(text) or MONEY_ACCENTED.search(normalize(text).lower())) and not story_acts.savings_choice(t)
    return model is not None and bool(lexical) and _traces(t) and model.alarm_probability(text) >= 0.25
