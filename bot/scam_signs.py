"""The signs a message shows, on accent-folded words: what the person already did (an act and its past marker), who
else is in it, money asked for, a loss, a call, threats, a slip, a general question; bot/situation.py weighs them."""

from __future__ import annotations

import re
from functools import lru_cache

from bot import homographs, understand
from bot.homographs import AT_ONCE, BLOCKED, DEMAND, DEPOSIT, FLOOR, INVITE, MESSAGED, PASSWORD_TOLD, TELL, died_marked
from bot.message_forms import GENERAL_FORM, HEARD_OF, HOW_WHERE, HYPOTHETICAL, ONGOING_STORY, SELF_WISH, heard_claim
from bot.mistake_signs import (
    PAID_OFF,
    paid_for_goods,
    paid_to_me,
    then_demand,
    told_starts,
)
from bot.visit_signs import FAMILY_INSTALLED, ODD_APP, OFFICIAL_UPLOAD, OWN_OFFICIAL_APP, TOLD_TO_INSTALL

# What the person already did, most urgent first. Each needs a past marker near it ("đã", "vừa", "lỡ", "rồi").
# "mọi người" (everyone) folds like "mới" (just).
# not "mã OTP vừa gửi về máy"; "sim mới", "máy mới" are new things, not "just done"
_PAST = (r"(?:da|vua(?! gui (?:ve|den|toi)\b)|lo|(?<!sim )(?<!may )(?<!thoai )(?<!dt )(?<!the )(?<!app )(?<!khoan )"
         r"moi(?! nguoi| sinh| de\b)|trot|nhat thoi)")
_ACTS: tuple[tuple[str, str], ...] = (
    # "cài sinh trắc học trên app": setting something up in an app is not installing one.
    ("remote_app", r"(?:cai|tai(?! khoan)|cai dat|tai ve|bam cai)(?: (?!tren\b|trong\b)\w+){0,4} "
                   r"(?:app|ung dung|phan mem|file|apk|teamviewer|ultraviewer|anydesk)|"
                   r"(?:cap|bat|cho)(?: \w+){0,3} quyen(?! loi)|chia se man hinh|dieu khien (?:\w+ ){0,2}"
                   r"tu xa|(?:may|dien thoai|dt) (?:tu (?:bat|tat|chay|bam|chuyen|mo)|dung im|bi dieu khien)|"
                   r"man hinh tu|"
                   r"(?:cai|tai) (?:\w+ ){0,2}(?:app|ung dung|phan mem|file|apk|ve may) (?:\w+ ){0,3}(?:roi|xong)"),
    ("otp_read", r"(?:doc|dua|gui(?! lai ma\b(?! (?:\w+ )?cho))|nhap|cho|bao(?! hiem)|chup|nhan|noi|khai|cung cap|"
                 r"tiet lo)(?: \w+){0,4} (?:otp|ma (?:xac thuc|xac nhan|so|kich hoat|giao dich|bao mat)|ma (?:\d+ )?so|"
                 r"ma vua (?:nhan|gui|ve)|ma ngan hang gui|ma tin nhan)|(?:doc|gui|dua|noi) (?:\w+ ){0,3}?ma "
                 r"(?:\d+ so )?(?:cho|qua|gui)|(?:doc|gui|nhap|dua|go) (?:\w+ ){0,3}(?:sau so|6 so|day so|bon so|4 so|"
                 r"ma xac nhan)|(?:doc|dua|gui|noi|nhap) (?:cai |luon )?ma(?: \w+){0,2} (?:roi|xong|luon)"),
    ("password_typed", r"(?:doc|dua|gui|nhap|cho|go|noi|khai|cung cap|tiet lo)(?: \w+){0,4} (?<!doi )"
                       r"(?:mat khau|ma pin|passcode|pin|pass|user|ten dang nhap)|" + PASSWORD_TOLD +
                       r"|dang nhap (?:\w+ ){0,4}(?:vao|tren|trong) (?:link|trang|web|duong link|ung dung la|app la)|"
                       r"(?:vao|bam) (?:\w+ ){0,4}(?:link|trang|web) (?:\w+ ){0,3}dang nhap"),
    ("card_photos", r"(?:chup|gui|dua|cho|kem|nop)(?: \w+){0,5} (?:anh|hinh)(?: \w+){0,6} (?:can cuoc|cccd|cmnd|the|"
                    r"chan dung|mat)|(?:chup|gui) (?:\w+ ){0,2}(?:can cuoc|cccd|cmnd|the ngan hang|the atm)|"
                    r"quay (?:video |clip )?(?:khuon )?mat|(?:xac thuc|quet) (?:khuon )?mat (?:cho|theo)|"
                    r"quet (?:khuon )?mat (?:\w+ ){0,2}(?:tren|vao|theo) (?:web|link|trang|"
                    r"app(?! (?:ung dung )?ngan hang)|ung dung(?! ngan hang))|"
                    r"(?:gui|dua|chup|dien|nhap|khai|go)(?: \w+){0,3} (?:so the|mat sau the|ma cvv|cvv|the ngan hang|"
                    r"thong tin the|thong tin ngan hang)"),
    ("money_sent", r"(?:(?<!noi )(?<!ke )(?<!cau )chuyen|ck|gui(?! tiet kiem| ve\b| link| duong link)|nap|nop|"
                   r"(?<!\d )(?<!nghin )(?<!trieu )(?<!tu )dong|(?<!dieu )(?<!kiem )(?:tra truoc|tra(?= tien))|"
                   r"dat coc|chuyen coc|"
                   r"ban vang chuyen|rut (?:\w+ ){0,2}chuyen|quet (?:ma )?qr)(?: \w+){0,5} "
                   # "củ" is slang for a million, "cũ" is old ("máy cũ"); "vào được" is getting in, not paying in.
                   r"(?:tien|trieu|tr|(?<!may )(?<!thoai )(?<!so )(?<!sim )cu|nghin|ngan(?! hang)|ty|k|dong|coc|"
                   r"vao(?! duoc| dc\b)|cho (?:ho|"
                   r"nguoi|no|doi tuong|ben|fb|facebook|"
                   r"zalo|nick|shipper))|"
                   r"(?<!co )mat (?:het |sach )?(?:\d+ )?(?:tien|trieu|tr|ty)(?! moi\b| (?:khong|ko|gi)\b)|"
                   r"tai khoan (?:\w+ ){0,2}(?:mat(?! bao nhieu| bao lau| phi| khau|"
                   r" may (?:tien|nghin|ngay|hom|thang|tuan|gio))|"
                   r"(?<!co )bi tru|con \d)|"
                   r"(?<!co )(?<!cung )(?<!deu )(?<!thang )bi tru (?!luong)(?:\w+ ){0,2}"
                   r"(?:tien(?! hang thang| moi thang)|\d+ ?(?:trieu|tr|ty))|"
                   r"mat sach|bay mau|boc hoi|"
                   r"chuyen (?:roi|xong)|"
                   r"(?:chuyen|ck|nap|gui) (?:du|het|di|luon|sach|het sach|them) (?:\w+ ){0,2}?(?:roi|xong)|"
                   r"(?:chuyen|ck|chuyen khoan|nap|gui) (?:\d+|hai|ba|bon|may|nhieu) lan (?:\w+ ){0,2}?(?:roi|xong)|"
                   r"(?:da|vua|lo) (?:chuyen|ck|chuyen khoan|nap|chuyen tien)(?! nham| sai| lon| du \d)|"
                   r"(?:chuyen khoan|ck|tra truoc|dat coc|chuyen coc) (?:\w+ ){0,3}?(?:roi|xong)|"
                   r"(?:nap|chuyen|dong|coc|(?<!dieu )(?<!kiem )tra) (?:\w+ ){0,3}\d+ ?(?:tr|trieu|k|ty|nghin)\d*"),
    ("link_clicked", r"(?:bam|nhan|an|vao|mo|click|truy cap)(?: \w+){0,3} (?:link|duong link|duong dan|trang web|"
                     r"trang|web)|(?:dien|nhap|khai)(?: \w+){0,3} (?:thong tin|tai khoan|so dien thoai) (?:vao|tren)|"
                     r"(?:dien|nhap|khai) (?:\w+ ){0,2}(?:thong tin|so can cuoc)"),
)
_ACT_RES = tuple((name, re.compile(rf"\b(?:{pattern})\b")) for name, pattern in _ACTS)
# A phone already in someone else's hands, told by what it does now (police warnings on remote-control apps: it
# heats up, freezes, goes dark, cannot be closed or switched off): the app is installed, whatever the tense.
TAKEN_OVER = re.compile(r"\b(?:(?:may|dien thoai|dt|man hinh)(?: \w+){0,2} (?:nong (?:ran|bat thuong|ran len)|"
                        r"den thui|toi den|(?:bi )?treo cung|khong (?:bam|thao tac|tat|thoat|dieu khien) (?:duoc|dc))|"
                        r"khong (?:thoat|tat|tat nguon|thao tac|dieu khien) (?:duoc|dc) (?:\w+ ){0,2}"
                        r"(?:ung dung|app|may|man hinh|dien thoai))\b")
_PAST_RE = re.compile(rf"\b{_PAST}\b")
# Right after an act: it did not happen ("chuyển … không được", "quét chip mãi không được", "bị lỗi").
_FAILED = re.compile(r" (?:\w+ ){0,2}?(?:khong (?:duoc|dc|xong|thanh cong|vao)|ko (?:duoc|dc)|that bai|bao loi|"
                     r"bi loi)\b")
# Inside an act's words: "bưu phẩm gửi không được rồi nối máy cho người…" did not go.
_FAILED_IN = re.compile(r"\b(?:khong|ko|chua) (?:duoc|dc|thay|nhan duoc|nhan dc)\b")
# Right before an act: it was not done ("không nhận được", "chưa đọc", "đừng chuyển").
_NEGATED = re.compile(r"\b(?:(?:khong|chua|ko)(?: he| chiu| muon| the)?|chang|dung)\s*$")


# The verbs of the acts: "rút tiết kiệm chuyển vào…, có nên chuyển không" asks about the transfer.
_ACT_VERBS = frozenset("chuyen ck nap nop dong gui doc cai tai bam chup quet nhap dua".split())


@lru_cache(maxsize=64)
def _should_i(verb: str) -> re.Pattern[str]:
    """The person asks whether to do the act ("có nên cho chụp không", "có được chuyển không")."""
    return re.compile(rf"\b(?:co nen|nen|co duoc|co the) (?:\w+ ){{0,2}}{re.escape(verb)}\b(?: \w+){{0,5}} "
                      rf"(?:khong|ko|chua|k)\b|"
                      rf"\b{re.escape(verb)}(?: (?!roi|xong)\w+){{0,2}} (?:duoc|dc) (?:chua|khong|ko)\b")


# "chuyển cho xong chuyện" is to be done with it, not done.
# "có (bị) mất tiền (…) không": a yes-no question about a cost or a risk, not a loss told.
_YES_NO_BEFORE = re.compile(r"\b(?:co|se|lieu)(?: \w+){0,2} ?$")
_YES_NO_AFTER = re.compile(r"(?: \w+){0,4}? (?:khong|ko|hong|k|chua)\b")
_DONE_AFTER = re.compile(r"\b(?:(?<!gia )(?<!tuoi )(?<!yeu )(?<!met )roi(?! moi)|(?<!cho )xong|het roi|mat roi|"
                         r"xong roi)\b")

# A stranger asks for money now: fees to get a prize, a loan, a job, a "frozen" account, a relative's hospital bill.
PAY_ASK = re.compile(r"\b(?:(?<!mien )phi|le phi|" + DEPOSIT + r"|tien coc|dat coc|ky quy|"
    r"phi (?:van chuyen|ship|giai ngan|mo khoa|bao hiem|ho so|xac minh|"
    r"nhan thuong|thue|kich hoat|dich vu)|tien (?:thue|vien phi|mo|phau thuat|cap cuu|bao lanh)|nop truoc|chuyen truoc|"
    r"dong truoc|nap (?:them|tien)|(?<!dung )(?<!khong )chuyen (?:them|tien)|gop (?:\w+ )?(?:tien|"
    r"von)|thanh toan|dong tien|nop tien|tai khoan tam giu|"
    # "dọa không chuyển tiền thì gửi cho con cháu": money demanded under a threat
    r"doa (?:\w+ ){0,2}khong (?:chuyen|nop|dua|gui|dong)(?: \w+)? tien|"
    r"tai khoan an toan|don hang|nhiem vu|(?:nop|chuyen|dong|nap|gui|tra|ck)(?: \w+){0,3}? ?\d+ ?(?:trieu|tr|nghin|"
    r"ngan|k|ty|do|cu))\b")
# Money asked as a fee, a deposit or into a "safe" account: suspicious whoever asks.
FEE = re.compile(  # tuition ("học phí") alone is the school's bill, asked by a stranger still PAY_ASK's; "mai táng phí"
    # (a funeral allowance) is paid to the family
    r"\b(?:(?<!mien )(?<!hoc )(?<!tang )phi|le phi|" + DEPOSIT + r"|tien coc|dat coc|ky quy|"
    r"tien (?:thue|vien phi|mo|phau thuat|cap cuu|bao lanh|phat)|"
    r"nop truoc|chuyen truoc|dong truoc|(?:chuyen khoan|ck|chuyen tien|dong tien|nop tien) truoc|"
    r"tai khoan tam giu|tai khoan an toan|nap (?:them|tien) (?:de|moi)|"
    r"tien (?:boi thuong|ho so|giai ngan)|phat nguoi|khoan phat|(?:nop|dong) phat|giai ngan|tai khoan ca nhan|"
    r"truoc moi (?:nhan|duoc|rut)|(?:nop|dong|chuyen|doi) (?:\w+ ){0,2}(?:thue|(?<!hoc )phi|phat)|"
    r"(?:doi|xin|muon|can|vay) (?!chuyen|rut|gui|nap|ck)(?:\w+ ){0,2}\d+ ?(?:trieu|ty|tr|nghin)|"
    # "đòi lại tiền" is getting one's money back; "mua mã mở khóa" a locked screen's ransom
    r"(?:doi|vay) (?!lai\b)(?:\w+ ){0,2}tien|muon tien|mua ma (?:\w+ ){0,2}?mo khoa(?! mang))\b")
# One's own pension or salary received "qua tài khoản cá nhân" is no payment into a stranger's personal account.
_OWN_RECEIPT = re.compile(r"\bnhan (?:\w+ ){0,5}(?:qua|vao|bang|ve) (?:so )?tai khoan ca nhan")


def fee_named(t: str) -> bool:
    """A fee, a deposit or a payment into a personal account named in the message."""
    return any(m.group() != "tai khoan ca nhan" or not _OWN_RECEIPT.search(t) for m in FEE.finditer(t))


# "lạ" (strange) and "là" (is) fold alike: "app là được" is no strange app.
_NOT_IS = r"(?! (?:duoc|xong|co|gi|sao|the|nhu|cua|mot|vi|do|toi|minh|chinh|dung|that|gia|an toan|nen))"
STRANGER = re.compile(r"\b(?:nguoi la" + _NOT_IS + r"|so la" + _NOT_IS + r"|ai do|nick|tai khoan la" + _NOT_IS +
                       r"|nguoi ta(?! (?:den |toi )?(?:nha )?thu\b)|mot nguoi|tren mang|qua mang|"
                       r"ho (?:bao|goi|nhan|doi|bat|giuc)|nguoi (?:goi|" + MESSAGED + r"|tu xung|xung)|"
                       r"ben (?:kia|ho|tuyen dung)|tuyen dung|(?<!otp )tin nhan|"
                       r"(?<!qua )(?<!tren )(?<!bang )(?<!trong )(?<!ung dung )app(?! ung dung ngan hang|"
                       r" ngan hang)|shipper|"
                       r"luat su|fanpage|facebook|zalo|truong nhom|nhan vien|can bo|bac si|duoc si|"
                       r"tai khoan ca nhan)\b")
PAY_WHO = re.compile(
    r"\b(?:" + TELL + r"|" + DEMAND + r"|yeu cau|bat|phai(?! lam (?:gi|sao|the nao))|can(?! cuoc)|de nghi|giuc|"
    + INVITE + r"|doa|huong dan|xin|nho|keu|muon|hoi vay|hua|chi can|thi moi|moi (?:duoc|giai ngan|nhan|rut|mo)|"
    r"truoc khi|de (?:nhan|rut|duoc|kich hoat|giai ngan|mo))\b")


def words(text: str) -> str:
    return " ".join(understand.words(died_marked(text)))


# Found out afterwards that it was a scam ("sau mới biết là kẻ gian", "về nhà mới phát hiện bị lừa"): what was told
# before it was done, even in a message that ends with a question.
FOUND_OUT = re.compile(r"\b(?:(?:sau|sau do|hom sau|luc sau|ve nha|den khi) (?:\w+ )?(?:moi|thi) "
                       r"(?:biet|phat hien|vo le)|moi (?:biet|phat hien)(?: ra)? (?:\w+ ){0,2}"
                       r"(?:lua|ke gian|gia danh|gia mao|mao danh|bi hack))\b")
_DONE_LATER = re.compile(r"\b(?:toi|ba|ong|me|bo|minh|em|con|chau|anh|chi|e) (?:da |lo |cung )?(?:gui|lam|doc|nhap|"
                         r"dien|cai|tai|bam|quay|chup|chuyen|ck|nap|dua(?! hang)|go|quet) "
                         r"(?:\w+ ){0,2}?(?:roi|xong|luon)\b")


# A secret asked for by someone (then given, if the person says so later).
_ASKED_FOR = tuple((name, re.compile(rf"\b(?:{pattern})\b")) for name, pattern in (
    ("card_photos", r"(?:xin|doi|bat|yeu cau|can|muon|hoi)(?: \w+){0,3} (?:anh|"
                    r"hinh)(?: \w+){0,3} (?:can cuoc|cccd|cmnd|"
                    r"chan dung|the|mat)"),
    ("otp_read", r"(?:xin|doi|hoi|bat|yeu cau)(?: \w+){0,3} (?:otp|ma (?:xac thuc|xac nhan|so|vua|ngan hang))"),
    ("password_typed", r"(?:xin|doi|hoi|bat|yeu cau)(?: \w+){0,3} (?:mat khau|ma pin|passcode|pin)"),
))


def act_of(t: str, asking: bool = False, whole: str = "") -> str | None:
    """What the person already did, on folded words, or None when nothing is done yet.

    Vietnamese often leaves the past unmarked ("tôi nạp thêm 90 triệu"): an act counts as done when a past
    marker is near it ("đã", "vừa", "lỡ", "rồi"), or, in a message that is not a question, when nothing just
    before it says it was only asked for or planned ("họ bảo tôi chuyển", "có nên chuyển")."""
    if TAKEN_OVER.search(t) and re.search(r"\b(?:link|app|ung dung|phan mem|file|apk|cai|tai|lam theo)\b", t):
        return "remote_app"  # "bấm link họ gửi thì máy nóng ran, không thoát được ứng dụng"
    told_at = told_starts(t, [m.span() for _, pattern in _ACT_RES for m in pattern.finditer(t)])
    for name, pattern in _ACT_RES:
        for m in pattern.finditer(t):
            before = t[max(0, m.start() - 40):m.start()]
            only_told = m.start() in told_at
            after = t[m.end():m.end() + 50]
            if _FAILED.match(after) or _FAILED_IN.search(m.group(0)):
                continue  # "chuyển trên 10 triệu không được": tried, and it did not go through
            if _NEGATED.search(before) or name == "otp_read" and re.match(r"nhan (?:duoc|dc)\b", m.group(0)) or \
                    name == "money_sent" and (paid_to_me(before, m.group(0), after) or paid_for_goods(before, t)):
                continue  # "không nhận được mã", "chưa đọc mã": not done; a code received, money "được trả": not given
            verbs = {m.group(0).split()[0]} | (set(m.group(0).split()) & _ACT_VERBS)
            if any(_should_i(v).search(whole or t, 0 if whole else m.start()) for v in verbs) and not (
                    _PAST_RE.match(m.group(0)) or _PAST_RE.search(before[-25:])):
                continue  # "…chụp xong cho ít tiền. Có nên cho chụp không?": the person asks whether to do it
            if m.group(0).startswith("kem ") and re.search(r"\bnhan\b", before):
                continue  # "nhận tin nhắn … kèm mấy tấm ảnh ghép mặt tôi": photos received, not given
            if _PAST_RE.match(m.group(0)):
                return name  # "đã chuyển", "vừa chuyển khoản": the marker is part of the act
            if (m.group(0).startswith("mat ") and _YES_NO_BEFORE.search(before) or m.group(0).endswith(" co mat")) \
                    and _YES_NO_AFTER.match(after):
                continue  # "làm định danh có mất tiền không", "có bị mất tiền nữa không": a cost or a risk asked
            done_after = (_DONE_AFTER.search(after) or not only_told and re.match(r"\w+" + AT_ONCE, t[m.start():])) \
                and not (only_told and then_demand(after))  # "tôi chuyển liền": done at once, as told
            if _PAST_RE.search(before[-25:]) or done_after or name == "money_sent" and re.search(
                    r"\b(?:mat|tru|bay mau|boc hoi)\b", m.group(0)):
                return name
            if not asking and not only_told:
                return name
            if _DONE_LATER.search(t, m.end()) or FOUND_OUT.search(t, m.end()) and not only_told:
                return name  # "họ bắt quay mặt gửi qua Zalo…, tôi gửi rồi"; "tôi chuyển 50 triệu, sau mới biết…"
    for name, asked in _ASKED_FOR:
        found = asked.search(t)
        if found and _DONE_LATER.search(t, found.end()):
            return name  # "anh ấy xin ảnh CCCD 2 mặt…, em gửi rồi"
    if re.search(r"\b(?:tien|trieu|tr|ty|nghin)\b", t) and PAID_OFF.search(t) \
            and not re.search(r"\b(?:anh|hinh|ma|otp|mat khau|can cuoc|cccd|the)\b(?: \w+){0,2} "
                              r"(?:gui|nap|dong|nop|tra|chuyen|ck|ban)(?: cho \w+)? (?:xong|roi)", t):
        return "money_sent"  # "cháu mượn 15 triệu…, tôi gửi xong": the money is what was sent
    if "link" in t and re.search(r"\b(?:bam|an|click|nhan|mo)\b(?: \w+){0,5} (?:roi|xong|luon)\b", t):
        return "link_clicked"  # "cái link … bà bấm và nhập rồi"
    if re.search(r"\b(?:link|app|ung dung|phan mem|file)\b", t) and re.search(
            r"\b(?:cai|tai(?! khoan))\b(?: \w+){0,2} (?:roi|xong)\b", t):
        return "remote_app"  # "họ gửi link bắt tải, em tải và đăng nhập rồi"
    return None


# Who a code or password went to: a secret typed at one's own ATM or app is no scam.
_RECIPIENT = re.compile(r"\b(?:gui lai|nho gui|xin lai|chuyen tiep|"
                        r"(?:bao|bat|doi|xin|hoi|nho) (?:\w+ ){0,2}(?:doc|gui|dua|nhap|chup)|cho (?:mot|"
                        r"1) (?:nguoi|ong|ba|anh|chi|co|chu)|"
                        r"cho (?:ho|nguoi|ben|ong|ba|doi tuong|no|anh|chi|em|ai|cong an|"
                        r"nhan vien|can bo|chau|ban|tong dai|"
                        r"con|fanpage|shipper)|"
                        r"vao (?:link|trang|web|duong link)|qua (?:dien thoai|zalo|tin nhan|messenger)|nguoi goi|"
                        r"nguoi ta|ho (?:goi|bao|xin|hoi)|doi tuong)\b")


_CONTROL_WORDS = r"\b(?:link|dieu khien|chia se man hinh|tu bam|tu chay|dung im|quyen)\b|"


def secret_given(t: str, act: str | None, context: bool) -> bool:
    """A code, password, card detail or remote control handed to someone else (not typed wrong at one's ATM)."""
    if act not in SECRET_ACTS:
        return False
    if re.search(r"\b(?:nhap|go|bam|danh) (?:sai|nham|lon)\b|\bquen\b", t) and not context:
        return False
    signs = act == "remote_app" and bool(context or LOSS.search(t) or MESSAGE_SOURCE.search(t) or TAKEN_OVER.search(t)
                                         or re.search(_CONTROL_WORDS + ODD_APP, t))
    # Reinstalling one's own bank app or VNeID, or an app the children put on, is no scam; with one's own bank app,
    # a recipient is the money's ("cài lại app BIDV, chuyển cho cháu 500 nghìn"), unless someone said to install it.
    if act == "remote_app" and (not (signs or _RECIPIENT.search(t)) or FAMILY_INSTALLED.search(t)
                                or OWN_OFFICIAL_APP.search(t) and not (signs or TOLD_TO_INSTALL.search(t))):
        return False
    if act == "card_photos" and OFFICIAL_UPLOAD.search(t) and not (context or _RECIPIENT.search(t) or LOSS.search(t)):
        return False  # papers uploaded to the public services portal or VNeID by the person themselves
    return act in ("remote_app", "card_photos") or context or bool(_RECIPIENT.search(t) or LOSS.search(t))


# Someone posing as someone, a stranger, a threat: what turns a payment or a click into a scam.
# Someone threatening ("dọa khóa tài khoản"), not "mối đe dọa" (a threat to privacy: a worry, a headline).
_THREATENED = r"(?<!moi )(?<!moi de )doa|(?<!moi )de doa"
SCAM_CONTEXT = re.compile(
    r"\b(?:xung|tu xung|gia danh|mao danh|gia (?:lam|vo)|cong an gia|lua|lua dao|nguoi la" + _NOT_IS + r"|"
    r"so la" + _NOT_IS + r"|link la" + _NOT_IS + r"|app la" + _NOT_IS + r"|"
    r"ung dung la" + _NOT_IS + r"|" + _THREATENED + r"|truy na|rua tien|ma tuy|tam giu|dieu tra|nhiem vu|viec nhe|"
    r"hoa hong|trung thuong|"
    r"qua tang|tri an|vay tien|cho vay|giai ngan|dau tu|chung khoan|tien ao|" + FLOOR + r"|lai cao(?! nhat)|"
    r"nang cap sim|esim|ctv|cong tac vien|don ao|chot don|tha tim|giay trieu tap|trieu tap|bam phim|buu pham|"
    r"tong dai tu dong|dan chong|dan de|dan len|nhan qua|hai quan|dinh danh|mai moi|hen ho|"
    r"deepfake|gia giong|gia mat|hack|chiem|" + BLOCKED + r"|(?<!bam )(?<!cang )cap nhat(?! he dieu hanh| "
    r"(?:phien ban )?(?:android|ios))|"
    r"(?:bi|se|sap|doa|neu khong|khong thi) (?:\w+ )?khoa tai khoan|"
    r"zalo la" + _NOT_IS + r"|facebook la" + _NOT_IS + r"|nhom chat|quang cao|gia truyen|than duoc|ban ve|tour|"
                                                       r"benh vien|cap cuu|tai nan|nam vien|vao vien|"
    r"(?:goi|call) video (?:\w+ ){0,8}(?:muon|vay|nho chuyen|can gap|chuyen gap|can tien|xin tien)|"
    r"(?:video cal+|goi video|facetime)(?: \w+){0,6} (?:dung mat|giong het|thay mat|mo mo|chap chon)|"
    r"quen (?:\w+ ){0,2}(?:tren mang|qua mang|tren facebook|qua facebook|qua zalo|tren zalo|qua app)|"
    r"(?:dai uy|thieu ta|trung ta|si quan|quan nhan|bac si) (?:\w+ ){0,2}(?:my|anh|phap|nuoc ngoai|lien hop quoc)|"
    r"chia (?:loi|lai)|(?<!hop dong )(?<!ma )(?<!otp )het han|"  # not a code that timed out
    r"chan thuong|nhap vien|tam giam|lenh bat|" + homographs.ZOOM_ROOM + r"|"
    r"phau thuat|may man|nhan giai|giai thuong|trung giai|ve cao|qua tri an|ho tro tet|tien ho tro|binh chon|"
    r"huy (?:dang ky|giao dich|dich vu)|noi bo|khong duoc (?:noi|ke|bao)|"
    r"cam (?:gia dinh|nguoi nha|ai) (?:goi|lien lac)|o mot minh|nha nghi|lam viec voi (?:cong an|vien kiem sat)|"
    r"doi diem|diem thuong|phat nguoi|xem anh|tai lieu moi|ngung dich vu|sap bi khoa|hack|"
    r"(?:cong an|dien luc|ngan hang|can bo|app|ung dung|trang|web|fanpage|tong dai|nhan vien)(?: (?!nguoi )\w+)? gia\b|"
    r"(?:cong an|vien kiem sat|toa an|ngan hang|dien luc|thue|bao hiem|bhxh|nha mang|can bo|nhan vien)"
    r"(?: (?!khong\b|chua\b|chang\b|ko\b)\w+){0,3} (?:goi|nhan tin|nhan zalo|nhan(?! tho)))\b")
# After paying or acting, what shows it was a trap: no way to withdraw, blocked, no signal.
_DENIED = (r"(?:sep|giam doc|con|chau|anh|chi|no|nguoi do|ban|ong ay|ba ay|co ay|chu ay|thang be|con be) "
           r"(?:\w+ )?(?:bao |noi |lai )?(?:khong biet gi|khong he (?:biet|goi|nhan|nho|vay|muon))|"
           r"moi biet (?:la |minh )?(?:gia|bi lua|lua dao|mao danh)|hoa ra (?:\w+ ){0,3}(?:gia|lua dao|mao danh)|"
           r"(?:bao|noi)(?: la)? (?:khong he|chua he|khong co (?:nhan|goi|vay|muon)|khong biet gi|"
           r"khong phai (?:no|con|chau|em|minh|toi|anh|chi|nguoi do)\b|dau co (?:nhan|goi|vay|muon))|"
           r"khong phai (?:no|con|chau|em|minh|nguoi do) (?:nhan|goi|muon|vay)|(?:nick|zalo|facebook|tai khoan) "
           r"(?:\w+ ){0,2}bi (?:hack|chiem|mao danh)|(?:lai|con|gio|van) (?:xin|doi|muon|hoi|vay|bat|"
           r"giuc) (?:\w+ )?them")
LOSS = re.compile(
    r"\b(?:" + _DENIED + r"|khong (?:rut|lay lai|lien lac|goi(?! di\b| ra\b)) (?:\w+ )?(?:duoc|dc)|khong rut ra|"
    + BLOCKED + r"|"
                         r"(?<!muon )(?<!cach )(?<!de )(?<!sao )(?<!nao )(?<!the )chan (?:lien lac|zalo|"
    r"facebook|so)|(?:lai|con|gio|van) (?:xin|doi|muon|hoi|vay|bat|giuc) (?:\w+ )?them|tien (?:van )?(?:khong|"
    r"chua) ve (?:tai khoan|tk|stk)|khong (?:ai|thay ai) (?:tra|hoan|tra lai)|"
    r"mat (?:song|lien lac)|khong co dich vu|bat nap them|doi nap them|bao (?:nap|chuyen) them|"
    r"khong (?:tra|giao|thay|co|nhan duoc) (?:hang|tien)|chua nhan duoc hang|"
    r"bi dang xuat|bi chiem|(?<!bao )mat (?:tai khoan|zalo|facebook)|mat (?:\d+ )?(?:trieu|tr|ty)|"
    r"(?:tai khoan|the) (?:\w+ ){0,2}bi khoa|(?<!co )(?<!khong )"
    r"(?<!chua )(?<!chang )(?<!cung )(?<!deu )(?<!thang )bi tru(?! luong|(?: \w+){0,2} (?:hang|moi) thang)|"
    r"(?<!fi )(?<!wifi )(?<!4g )(?<!mang )mat song|"
    r"goi lai (?:\w+ )?(?:khong|chang) (?:duoc|dc|ai nghe|"
    r"nghe|bat may|lien lac)|thue bao (?:\w+ ){0,3}khong lien lac|(?:tat may|"
    r"chan so) (?:\w+ )?(?:luon|roi|mat)|sim (?:\w+ ){0,3}cap lai|hang (?:gia|dom|nhai)|"
    r"vai vun|ten (?:nguoi nhan )?la hoac|khong nhan duoc tien|"
    # After paying: the seller or "company" gone silent or vanished, the goods or ticket never come.
    r"(?:khong|chang|khong con|chang con|het) (?:tra loi(?! (?:lai )?(?:duoc|dc)\b)|nghe may|bat may|rep|hoi am)|"
    r"bien mat|bat vo am tin|"
    r"(?:shop|ho|nguoi ban|ben ban|cong ty|trang) (?:\w+ )?(?:khoa|xoa) "
    r"(?:trang|fanpage|nick|tai khoan|facebook|zalo)|"
    r"(?:khong|chua|chang) (?:nhan duoc|thay|giao) (?:ve|don|goi hang|phong|xe|hang)|khong giai ngan|"
    # Money taken from the account by someone else: "tiền đã bị chuyển đi hết", "bị rút sạch".
    r"bi (?:chuyen|rut|lay|tru) (?:\w+ )?(?:di|het|sach|mat)|tai khoan(?: \w+){0,3} boc hoi)\b")
# A call still going on: "đang giữ máy", "không được cúp máy" (not "còn gọi nhầm cả số cấp cứu": a slip).
IN_CALL = re.compile(
    r"\b(?:(?:dang|van|con) (?:giu may(?! (?:cu|moi|cua|nay|kia))|cho may|nghe may|noi chuyen|"
    r"goi(?: video)?(?! nham)(?!(?: \w+){0,3} (?:duoc|dc) (?:khong|ko|k|nua))|huong dan|o dau day)|"
    r"(?:dang co|co) (?:nguoi|ai|so la|so) (?:\w+ )?dang goi|dang co (?:nguoi|ai|so la) goi|giu may|"
    + homographs.ZOOM_ROOM + r"|goi zoom|dang o trong phong|(?:goi|nhan tin) (?:lai )?lien tuc|"
    r"bat (?:\w+ ){0,2}tat may|dang cho (?:toi|ba|ong|me) hop tac|"
    r"(?:dang )?ngoi o (?:phong giao dich|ngan hang)|dang o phong giao dich|"
    r"khong (?:duoc|cho) cup may|chua cup may|(?:dang|van|con) hoi (?:ten|thong tin|so|nam sinh|dia chi)|"
    r"(?:dang|ngoi|van) o (?:ngan hang|khach san)|bat (?:\w+ )?(?:ra|"
    r"thue) khach san)\b")
# A general or hypothetical question: how to recognise, what if, what to tell a parent.
VICTIM_NOW = re.compile(
    r"\b(?:toi|ba|ong|me|bo|minh|em|chau|con|nha toi|vo|chong|anh|chi) (?:vua|bi|lo|(?:dang|da|moi) "
    r"(?:bi|chuyen|doc|gui|cai|bam|nhan|nghe|noi|goi|o ngan hang|mat|nop|dong|nap|quet|chup))\b|"
    r"\b(?:bay gio|ngay bay gio|(?<!cap )(?<!tra )cuu|luc nay|vua nhan (?:duoc )?(?:tin nhan|cuoc goi|email|link))\b")
# A stranger telling the person to do something other than pay: type a syntax, install, go to the bank.
ASKED_TO = re.compile(
    r"\b(?:bao|bat|yeu cau|huong dan|(?<!qua )doi|giuc|noi|ep|du|hen)(?: \w+){0,4} (?:soan|cai|tai|bam|doc|gui|chup|"
    r"quay|nhap|dien|tich hop|cap nhat|xac minh|dong bo|kich hoat|nang cap|khai bao|"
    r"cung cap|ra ngan hang|rut|mo app|dang nhap|quet|ket ban|vao nhom|goi cho|lien he|cai lai|tat may|"
    r"ky (?:lai )?(?:hop dong|giay|xac nhan))\b")
# Where a link came from: a message, a chat, a leaflet (not a site the person looked up).
MESSAGE_SOURCE = re.compile(r"\b(?:tin nhan|zalo|sms|email|messenger|facebook|nhom|to roi|ma qr|ho gui|nguoi ta gui|"
                             r"nhan tin(?! (?:kiem tra|tra cuu|xem))|gui link|gui qua)\b")  # not one's own check
# A sum of money named: a demand being weighed is concrete, not a general question.
AMOUNT = re.compile(r"\b\d+ ?(?:trieu|tr|nghin|ngan|k|ty|cu)\b")
# What shows a scammer even beside an honest-looking slip.
STRONG_CONTEXT = re.compile(
    r"\b(?:" + _DENIED + r"|xung|tu xung|gia danh|mao danh|(?<!so )(?<!ngai )(?<!lo )lua dao|bi lua|"
                         r"lua (?:toi|ba|ong|me|bo|minh|nguoi|"
                         r"tien)|" + _THREATENED + r"|link la" + _NOT_IS + r"|"
    r"gui nham ma|nham ma|(?:ho|nguoi ta|ben kia|nhan vien|trang|app|ung dung|web|cong ty|ben) (?:\w+ ){0,3}"
    r"bao (?:\w+ ){0,4}(?:nham|sai)|" + BLOCKED + r"|nhiem vu|giai ngan|phong toa|dong bang|hoa hong|"
    r"rut (?:von|loi|lai)|"
    r"app la" + _NOT_IS + r"|hack|tam giu|truy na|cong an gia|"
    r"nguoi (?:goi|nhan tin) (?:\w+ ){0,3}(?:bao|bat|doi|noi))\b")
MONEY_OR_SECRET = re.compile(
    r"\b(?:tien|trieu|chuyen tien|chuyen khoan|nap tien|" + DEPOSIT + r"|vay|otp|"
    r"ma (?:otp|xac thuc|xac nhan|pin)|mat khau|"
    r"pin|link|app|ung dung|tai khoan|ngan hang|the atm|the ngan hang|can cuoc|cccd|sim|qr|vneid|zalo|facebook|"
    r"lua dao|bi lua|xung|gia danh|mao danh|cong an|vien kiem sat|toa an|dien luc|shipper|trung thuong)\b")
# The same with the words that are only unambiguous with their accents ("thẻ", not "thế"; "mã", not "mà").
MONEY_ACCENTED = re.compile(r"(?<!\w)(?:thẻ|mã|giả|quà|lừa|phí|cọc|nạp|chuyển|đầu tư|lãi|nhiệm vụ|hoàn tiền|"
                             r"trúng|giải ngân)(?!\w)")


# A threat made by whoever calls: fines, arrest, the power or the account cut off.
# A caller from a number telling the person to do something: bring papers somewhere, change or update them, go
# to an office ("ba cuộc điện thoại từ số 0994… yêu cầu mang xe và giấy đăng kiểm đến … để đổi giấy mới").
_ME = r"(?<!toi )(?<!minh )(?<!em )(?<!con )(?<!chau )(?<!tui )"  # the person calling someone is no caller's demand
CALL_DEMAND = re.compile(r"\b(?:cuoc (?:goi|dien thoai)|" + _ME + r"goi dien|" + _ME + r"goi (?:den|toi)) "
                         r"(?:\w+ ){0,8}?(?:yeu cau|bat|doi|"
                         r"de nghi|giuc) (?:\w+ ){0,3}(?:mang|den|nop|doi|cap nhat|chuyen|cai|gui|xac minh|"
                         r"kich hoat|chup|dong|lam lai)\b")
THREAT = re.compile(r"\b(?:" + _THREATENED + r"|bi phat|phat nang|bi bat|bat giam|truy na|khoi to|cat dien|ngung cap|"
                     r"khoa (?:tai khoan|sim|so|thue bao)|phong toa|bi kien|cuong che)\b")
CALLED = re.compile(r"\b(?:goi|nhan tin|nhan zalo|dien thoai|tin nhan|ket ban)\b")
URGENT = re.compile(r"\b(?:(?<!tra )(?<!cap )cuu(?! (?:cay|vuon|lua|rau|ca|ga|heo|xe))|gap gap|khan cap|chet roi|"
                    r"nguy roi)\b")  # "cứu tôi", not "cứu cây ớt"
# Talk of news passed around ("tin vỡ đê khẩn cấp, có nên gửi tiếp không"): its urgency is the news's, not the person's.
NEWS_TALK = re.compile(r"\b(?:tin (?:\w+ ){0,4}(?:that gia|that hay gia|that hay khong|gia|don)|tin don|lan truyen|"
                       r"ru nhau|(?:bao|noi|don) (?:la )?dang co (?:dot|dot tan cong|lan song)|"
                       r"(?:gui|chuyen|chia se|dang) (?:tiep|lai) (?:tin|cho (?:con|chau|moi nguoi|ban|nhom))|"
                       r"(?:gui|chia se|chuyen) tiep|(?:chuyen|gui|chia se|dang) tin)\b")
SECRET_ACTS = ("remote_app", "otp_read", "password_typed", "card_photos")
# Filling in personal or bank details after a link is giving them away, like a card photo.
DETAILS_GIVEN = re.compile(r"\b(?:dien|nhap|khai|gui)(?: \w+){0,3} (?:thong tin|so can cuoc|so tai khoan|mat khau|"
                            r"ten dang nhap)\b")


# Someone else says a relative is in hospital or hurt: how the "relative in emergency" scam opens.
RELATIVE_EMERGENCY = re.compile(
    r"\b(?:bao|goi|nhan|noi|bao tin|goi bao|nhan tin)(?: \w+){0,4} (?:con|chau|chong|vo|bo|me|em|anh|chi|e)"
    r"(?: \w+){0,3} (?:hon me|cap cuu|bi tai nan|tai nan|nhap vien|nguy kich|phau thuat|bi thuong|dot quy|"
    r"ngat xiu|te|nga|dang o benh vien|vao vien|mo gap|can mo|bi danh|bi dam|gay (?:chan|tay)|bi dien giat|"
    r"duoi nuoc)\b")


# "Lỡ đọc mã", "lỡ bấm": an act regretted, done for someone else.
REGRET = re.compile(r"\blo (?:tay )?(?:doc|gui|bam|nhan|cai|dua|nhap|chup|chuyen|an|cho)\b")
# "Nếu …", "giả sử …" opening the message: what follows is imagined.
_IF_FIRST = re.compile(r"(?:\w+ ){0,3}?(?:neu|gia su|phong khi|lo ma|truong hop)\b")


# "Hướng dẫn thanh toán lệ phí", "cách chặn tài khoản Zalo": a request for steps, opening the message.
_HOW_TO_OPEN = re.compile(r"^(?:(?:cho (?:toi|minh|em|chau) hoi|xin hoi|chau oi|cho hoi) )?(?:huong dan|cach|cac buoc|"
                          r"lam sao de|lam the nao de|muon biet cach)\b")


def general_question(t: str) -> bool:
    """A question about scams in general or "what if", not a story happening to the writer."""
    if _HOW_TO_OPEN.match(t) and not (VICTIM_NOW.search(t) or LOSS.search(t) or IN_CALL.search(t)
                                      or STRONG_CONTEXT.search(t) or AMOUNT.search(t) or _PAST_RE.search(t)):
        return True
    if STRONG_CONTEXT.search(t) and not HEARD_OF.search(t) and not _IF_FIRST.match(t) and (
            VICTIM_NOW.search(t) or _DONE_AFTER.search(t) or _PAST_RE.search(t) or IN_CALL.search(t)
            or ONGOING_STORY.search(t) or ASKED_TO.search(t) and re.search(r"\b(?:xung|gia danh|mao danh)\b", t)):
        return False  # someone posing, and it is happening or has happened: a story, whatever question ends it
    if HOW_WHERE.search(t) and not VICTIM_NOW.search(t) and not LOSS.search(t) and not IN_CALL.search(t) \
            and not (_DONE_AFTER.search(t) and act_of(t) is not None):
        return True  # "tra phạt nguội ở trang nào", "cài ứng dụng ngân hàng ở đâu cho đúng"
    if SELF_WISH.search(t) and not (VICTIM_NOW.search(t) or LOSS.search(t) or STRANGER.search(t)
                                      or IN_CALL.search(t) or SCAM_CONTEXT.search(t)):
        return True  # the asker's own plan, told to no one who asks for money
    if LOSS.search(t) and not (HYPOTHETICAL.search(t) or heard_claim(t)):
        return False  # something is being lost now ("mất sóng từ sáng… có phải bị chiếm?")
    if HYPOTHETICAL.search(t) and not IN_CALL.search(t) and not re.search(
            r"\b(?:toi|ba|ong|me|bo|minh|em|con|chau) (?:vua|da) (?!bi (?:ai|nguoi))|\b(?:bay gio|luc nay|cuu)\b", t):
        return True
    # A call going on ("họ gọi lại liên tục") is no general question, unless it is a story heard or read.
    return bool(GENERAL_FORM.search(t)) and not VICTIM_NOW.search(t) and not (
        IN_CALL.search(t) and not HEARD_OF.search(t))
