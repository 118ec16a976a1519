"""What a story told as it ends in a question says was done (`act_in`), for bot/situation.py."""

from __future__ import annotations

import re

from bot import understand
from bot.homographs import SO_FOLDED
from bot.message_forms import GENERAL_FORM
from bot.mistake_signs import DIRECTED, LOCKOUT, SELF_SLIP
from bot.scam_signs import IN_CALL, LOSS, MESSAGE_SOURCE, MONEY_OR_SECRET, SCAM_CONTEXT, STRONG_CONTEXT, act_of, words
from bot.visit_signs import ODD_APP
from rag.text import normalize

# A closing question that asks whether to comply or whether the asker is genuine ("có nên giúp không", "có phải làm
# theo không", "có đúng là cán bộ xã không"), not about a remedy ("có nên khóa thẻ không").
_COMPLY = re.compile(r"\b(?:co nen (?:giup|lam theo|nghe theo|gui|chuyen|nop|cai|dua|doc|dong|tin|dang ky|ket ban|"
                     r"nho|ung ho|quyen gop|tham gia|bam|tai)|"
                     r"co phai (?:lam theo|nghe theo|nop|chuyen|gui|dong)|co (?:dung|that) la|"
                     r"(?:lam|nghe) theo (?:\w+ )?(?:duoc )?khong|"
                     r"(?:ban|gui|dua|chuyen|cho|doi) (?:\w+ )?cho (?:ho|nguoi ta|no|ben do) duoc khong)\b")
# A marker that something was done after all ("đã", "vừa", "lỡ", "xong", "tôi chuyển 5 triệu cho họ rồi").
# The asker's own transfer besides ("tôi đã chuyển lại tiền thừa cho khách"): then a transfer was made after all.
_OWN_TRANSFER = re.compile(r"\b(?:toi|minh|em|tui) (?:da |lo |vua )?(?:chuyen|ck|gui) (?:lai |tra )?(?:tien|\d)")
_DONE_MARK = re.compile(r"\b(?:da|vua|lo)\b|(?<!\bla )\bxong\b|"
                        r"\b(?:toi|minh|em|ba|ong|me|bo|chau|con|tui|mk) (?:da |lo |cung )?"
                        r"(?:gui|doc|nhap|dien|cai|tai|bam|quay|chup|chuyen|ck|nap|go|quet|lam theo)"
                        r"(?: \w+){0,5} roi\b")


# A seller shown a receipt: the transfer in the story is the buyer's ("khách gửi ảnh chuyển khoản thành công", "đưa
# điện thoại cho tôi xem hóa đơn chuyển khoản"), told by someone who sells; not money the asker sent.
_RECEIPT = re.compile(r"\b(?:anh|anh chup|hinh|bil|hoa don|bien lai|man hinh|phieu|uy nhiem chi)(?: \w+){0,5} "
                      r"(?:chuyen khoan|chuyen tien|ck|thanh cong)\b")
_SELLER = re.compile(r"\b(?:khach|nguoi mua|ben mua|ban hang|ban (?:\w+ )?(?:online|qua mang|tren mang)|toi ban|"
                     r"minh ban|em ban|shop cua (?:toi|minh)|(?:gui|giao|dua|ship) hang)\b")
# ...and the goods handed over all the same ("nên tôi gửi hàng theo xe khách", "tôi đưa hàng rồi"), not asked about
# ("có nên gửi hàng không").
_HANDED = re.compile(r"\b(?:(?:toi|minh|em|tui|chau|con)(?: da| vua| lo| cung)?|da|vua|lo) (?:gui|giao|dua|ship) "
                     r"(?:hang|do)\b(?! (?:duoc |luon |ngay |di |truoc )?(?:khong|chua)\b)")


def buyer_receipt(t: str) -> bool:
    """A seller's story of a receipt shown by the buyer: its transfer is the buyer's (claimed), not the asker's."""
    return bool(_RECEIPT.search(t) and _SELLER.search(t))


def goods_handed(text: str) -> bool:
    """A seller shown a receipt has handed the goods over already: what now, not whether to send them."""
    t = words(text)
    return buyer_receipt(t) and bool(_HANDED.search(t))


# What other people did ("nhiều người đã chuyển khoản", "mọi người đều ủng hộ rồi"): no act of the asker's.
_MULTI = re.compile(r"\b(?:đa (?:khoa|năng|dạng|số|cấp|phương tiện)|tối đa)\b", re.IGNORECASE)
_OTHERS_DID = re.compile(r"\b(?:nhieu nguoi|moi nguoi|nguoi khac|ai cung|bao nguoi|may nguoi|hang xom|ca xom)"
                         r"(?: (?:da|cung|deu|vua))* "
                         r"(?:chuyen khoan|chuyen tien|chuyen|ck|ung ho|quyen gop|gui tien|nop)"
                         r"(?: (?:tien|roi))*\b")


# An app put on from a link or a caller's say-so, and the account emptied afterwards with no transfer of one's own: the
# phone is in someone else's hands (cut its network first), whether or not the install was told as done.
_APP_THEN_LOSS = re.compile(r"\b(?:link|duong dan|duong link|ho|no|bao|huong dan)(?: \w+){0,3} (?:tai|cai)"
                            r"(?: \w+){0,2} (?:app|ung dung|phan mem)\b.*\b(?:mat (?:sach|het)|bay mau|boc hoi|"
                            r"bi (?:rut|tru|chuyen) (?:\w+ ){0,2}(?:het|sach|tien))\b")
_PAID_IN = re.compile(r"\b(?:chuyen|ck|chuyen khoan|nap|gui|dong|nop) (?:\w+ ){0,3}"
                      r"(?:tien|\d+ ?(?:trieu|tr|k|ty)|vao)\b")


def act_in(text: str, t: str, asking: bool) -> str | None:
    """`_act_in`, except that a seller's story of a buyer's receipt tells of no transfer by the asker (only of
    what else they did)."""
    found = _act_in(text, t, asking)
    if found in (None, "money_sent") and _APP_THEN_LOSS.search(t) and not _PAID_IN.search(t):
        return "remote_app"  # "gửi link tải app về làm theo, 1 tiếng sau tài khoản mất sạch tiền": the app took it
    if found != "money_sent" or not buyer_receipt(t) or _OWN_TRANSFER.search(t):
        return found
    other = act_of(_RECEIPT.sub(" ", t), asking)  # "…rồi bảo tôi bấm link nhập mã OTP để nhận tiền, tôi nhập rồi"
    return None if other == "money_sent" else other


def _act_in(text: str, t: str, asking: bool) -> str | None:
    """What was done, read sentence by sentence: a story that ends in a question ("…tôi đọc sáu số cho họ. Giờ
    làm gì ạ?") still tells what was done; only the question sentence itself is read as asking. A story that ends
    asking whether to comply tells what was asked for: nothing done unless a marker says so."""
    if _MULTI.search(text):  # "bệnh viện đa khoa" folds to the "đã" of a done act
        text = _MULTI.sub(" ", text)
        t = words(text)
    t = _OTHERS_DID.sub(" ", t)  # "nhiều người đã chuyển khoản, tôi có nên chuyển không": others' act, not theirs
    sentences = [s for s in re.split(r"[.!?;\n]+", text) if s.strip()]
    if asking and not _DONE_MARK.search(t) and asks_to_comply(text):
        return None
    found = act_of(t, asking)
    if found is not None or not asking:
        return found
    for sentence in sentences:
        if not understand.asks(sentence):
            st = _OTHERS_DID.sub(" ", words(sentence))
            found = act_of(st, bool(GENERAL_FORM.search(st)), whole=t)
            if found is not None:
                return found
    return None


def asks_to_comply(text: str) -> bool:
    """The message closes asking whether to do what someone asks, or whether that someone is genuine."""
    return any(understand.asks(s) and _COMPLY.search(words(s)) for s in re.split(r"[.!?;\n]+", text) if s.strip())


# Something found in one's own name that one never opened ("có tài khoản ngân hàng đứng tên mình mà tôi chưa từng mở",
# "thẻ tín dụng mang tên tôi, tôi chưa từng làm thẻ"): a misuse discovered afterwards, not a call to hang up on.
_IN_MY_NAME = re.compile(r"\b(?:tai khoan|tk|khoan vay|the tin dung|the|sim|so dien thoai|so|vi)(?: \w+){0,6} "
                         r"(?:dung|mang) ten (?:toi|minh|em|tui|bo|me|ba|ong)\b")
_NEVER_MINE = re.compile(r"\b(?:chua (?:he |tung |bao gio )?|khong (?:he |tung )?|chang )"
                         r"(?:mo|vay|dang ky|dk|lam|ky)\b")


def name_misused(t: str) -> bool:
    """An account, loan, card or SIM found in the asker's name that they never opened (folded words)."""
    return bool(_IN_MY_NAME.search(t) and _NEVER_MINE.search(t))


# "vậy" ("tôi bị bệnh gì vậy") folds to "vay", a loan, "chuyền" ("tin chuyền nhau trong nhóm", passed along) to
# "chuyen", a transfer, and "tiến" ("tiến sĩ") to "tien", money: written with their marks they name no money.
_SO = re.compile(r"(?<!\w)(?:vậy|chuyền|tiến)(?!\w)", re.IGNORECASE)


def money_named(text: str) -> bool:
    """Money, a code, an account or a scammer named (MONEY_OR_SECRET on folded words), "vậy" not read as "vay"
    (accented or not)."""
    return bool(MONEY_OR_SECRET.search(re.sub(SO_FOLDED, " ", marked_words(text))))


def marked_words(text: str) -> str:
    """Folded words without those that only their marks keep from naming money ("vậy", "chuyền")."""
    return words(_SO.sub(" ", normalize(text)))


# A carrier's charges on the SIM's credit for services one never asked for ("soạn tin kiểm tra thì thấy bị trừ tiền
# mấy năm cho dịch vụ gì đó mà tôi không đăng ký"): a billing matter for the carrier, no money taken by a thief.
_CARRIER = re.compile(r"\b(?:sim|thue bao|nha mang|vinaphone|vina|viettel|mobifone|mobi|vietnamobile|itel|"
                      r"tai khoan (?:goc|chinh)|cuoc)\b")
_SERVICE = re.compile(r"\b(?:dich vu|goi cuoc|goi data|dau so|tin nhan moi)\b")
_BANKING = re.compile(r"\b(?:ngan hang|the atm|the tin dung|vi dien tu|momo|zalopay|stk|so tai khoan|tk ngan hang)\b")


# Credit put on one's own phone ("nạp 50 nghìn vào điện thoại, mấy hôm sau hết sạch"), not on someone else's number.
_TOPUP = re.compile(r"\bnap (?:\w+ ){0,3}vao (?:dien thoai|dt|may|sim|thue bao)\b"
                    r"(?! (?:cho|cua) (?:ho|nguoi|no|ban)\b)")
_UNASKED = re.compile(r"\b(?:dich vu|goi cuoc|goi data|dau so|tin nhan moi|"
                      r"(?:co|khong|ko|chua) (?:\w+ )?(?:dang ky|dk))\b")


def carrier_charge(t: str) -> bool:
    """Money taken off a SIM's credit for a carrier's services, nothing of a bank's (folded words)."""
    carrier = (_CARRIER.search(t) or re.search(r"\b(?:dien thoai|dau so)\b", t)) and _SERVICE.search(t) \
        or _TOPUP.search(t) and _UNASKED.search(t)
    return bool(carrier and re.search(r"\btru\b", t) and not _BANKING.search(t))


# The bank's own text-message service and its fee ("tháng nào cũng bị trừ tiền tin nhắn ngân hàng", "con bảo hủy tin
# nhắn SMS ngân hàng cho đỡ tốn phí"): a price to ask the bank about; a link, a code or a stranger's words are not.
_BANK_SMS = re.compile(r"\b(?:(?:tin nhan|sms)(?: \w+){0,2} (?:ngan hang|banking|bien dong|so du)|sms ?banking)\b")
_FEE_ON = re.compile(r"\b(?:phi|tien|cuoc|huy|ngung|dang ky|dk|tat)(?: dich vu)? (?:tin nhan|sms)\b|"
                     r"\b(?:tin nhan|sms)(?: \w+){0,3} (?:ton|mat|het) (?:\w+ )?phi\b")
_BIG_SUM = re.compile(r"\b(?:trieu|tr|ty|cu)\b")
_BAIT = re.compile(r"\b(?:link|duong dan|otp|ma xac (?:nhan|thuc)|so la|lua|gia mao|gia danh|"
                   r"tong dai (?:\w+ )?(?:ghi|trong))\b")


def service_charged(t: str, act: str | None) -> bool:
    """A charge for a service one has (the carrier's on the SIM's credit, the bank's for its text messages), told or
    asked about with no bait in it, or one's own fee paid and still shown unpaid: a billing matter, not money taken by
    a thief (folded words)."""
    if act in (None, "money_sent") and (carrier_charge(t) or own_payment_lagging(t)):
        return True
    return act in (None, "money_sent") and bool(_BANK_SMS.search(t) and _FEE_ON.search(t)) \
        and not (_BAIT.search(t) or _BIG_SUM.search(t))


# A bill handed over in person at a hospital's, a school's or a shop's counter ("ở bệnh viện người ta đưa phiếu có mã QR
# bảo quét để đóng tiền"): a payment the person stands in front of, not a stranger's demand from afar.
_AT_PLACE = re.compile(r"\b(?:o|tai|ra|den|len|vao) (?:quay (?:\w+ )?)?(?:benh vien|phong kham|truong|buu dien|ubnd|"
                       r"uy ban|nha thuoc|sieu thi|cua hang|quay thu ngan|quay giao dich)\b")
_BILL = re.compile(r"\b(?:phieu|hoa don|bien lai|quay|thu ngan|vien phi|hoc phi)\b")
_FROM_AFAR = re.compile(r"\b(?:goi|dien thoai|zalo|facebook|fb|tin nhan|nhan tin|link|duong dan|so la|nguoi la)\b")


def at_counter(t: str) -> bool:
    """Asked to pay in person at an institution's counter, with no call, message or link in the story (folded)."""
    return bool(_AT_PLACE.search(t) and _BILL.search(t)) and not _FROM_AFAR.search(t)


# One's own fine, tax or bill paid, and a lookup that has not caught up ("nộp phạt nguội xong 2 tuần rồi mà tra trên
# mạng vẫn hiện chưa xử phạt", "thanh toán lệ phí trên cổng rồi mà hệ thống vẫn hiện nút thanh toán"): a record to ask
# the office about, not a scam, when nobody called, wrote or asked.
_OWN_PAID_LAGGING = re.compile(r"\b(?:nop|dong|tra|thanh toan) (?:tien )?(?:phat|thue|tien dien|tien nuoc|hoc phi|"
                               r"le phi)\b(?: \w+){0,12} (?:xong|roi|da tru tien|bi tru tien)\b.*\b(?:tra|tra cuu|"
                               r"kiem tra|xem|vao|he thong|cong|trang|app|ung dung|ho so)(?: \w+){0,4} (?:van|con) "
                               r"(?:hien|bao|ghi|thay)\b")


def own_payment_lagging(t: str) -> bool:
    """One's own payment to an office made, and its lookup still showing it unpaid, with nobody else in the story."""
    return bool(_OWN_PAID_LAGGING.search(t)) and not (_FROM_AFAR.search(t) or re.search(
        r"\b(?:ho bao|nguoi ta bao|bat|(?<!nut )doi|yeu cau|xung)\b", t))  # "nút đòi thanh toán" is the page's


# The app's or the bank's own message about a payment the person makes ("chuyển tiền cọc trên app mà nó báo vượt hạn
# mức"): a status shown on the screen, not someone telling the person to pay.
_APP_STATUS = re.compile(r"\b(?:(?:app|ung dung|no)(?: ung dung)?(?: ngan hang)? )?(?:bao|hien|thong bao)(?: la)? "
                         r"(?:vuot (?:qua )?han muc|het han muc|loi|that bai|"
                         r"khong thanh cong|(?:khong|ko) du so du|so du khong du|"
                         r"giao dich (?:khong|ko|that bai|loi))\b")


# The bank app's own check on a transfer one makes ("chuyển 12 triệu cho cháu, app đòi quét khuôn mặt"): the app
# asking for a face scan or a code, not a stranger demanding anything.
_APP_CHECK = re.compile(r"\b(?:app|ung dung)(?: ung dung)?(?: ngan hang)? (?:doi|bat|yeu cau|bao|hien|hoi)"
                        r"(?: phai| minh| toi)? (?:quet|xac thuc|xac minh|chup|nhap ma|nhap otp|"
                        r"(?:cap nhat |lam )?sinh trac|khuon mat|nhan dien)\b")


def without_app_status(t: str) -> str:
    """The message with the screen's status reports and the app's own checks taken out (folded text in and out)."""
    return _APP_CHECK.sub(" ", _APP_STATUS.sub(" ", t))


# A phone lost or stolen ("bố tôi bị mất điện thoại, trong máy vẫn đăng nhập app ngân hàng"), with nobody calling,
# writing or posing in the story: the lost-phone steps (lock the bank app and the SIM), not a scam call to hang up on.
_PHONE_LOST = re.compile(r"\b(?:(?<!lam )mat|danh roi|roi mat|bi trom|bi giat|bi cuop|that lac|de quen) "
                         r"(?:cai |chiec )?(?:dien thoai|dt|may dien thoai|iphone|smartphone)\b|"
                         r"\b(?:dien thoai|dt|iphone) (?:\w+ ){0,2}bi (?:mat|trom|giat|cuop|lay mat)\b")
_SOMEONE_ELSE = re.compile(r"\b(?:nguoi la|so la|xung|gia danh|mao danh|lua|ke gian|link|duong dan|ho goi|nguoi goi|"
                           r"goi (?:den|toi|cho|lai)|nhan tin|tin nhan|doi tien|chuyen tien|chuoc|tra lai may)\b")


def phone_lost(t: str) -> bool:
    """One's phone lost or stolen, and no one else in the story (folded text)."""
    return bool(_PHONE_LOST.search(t)) and not _SOMEONE_ELSE.search(t)


# One's own appointment with one's own clinic ("bệnh viện hẹn khám từ xa, gửi link qua email", "phòng khám hẹn khám
# online mà chưa thấy link") or one's own card payment the bank declined as suspicious ("đặt mua đồ bằng thẻ thì bị báo
# giao dịch bị từ chối vì nghi ngờ"): a practical matter, when nobody posing, no demand and no fee are in the story.
_OWN_MATTER = re.compile(r"\b(?:benh vien|phong kham|bac si)(?: \w+){0,2} hen (?:toi |ba |ong |me |bo )?"
                         r"(?:kham|tai kham)\b|"
                         r"\b(?:dat mua|mua|thanh toan)(?: \w+){0,8} (?:bi )?(?:bao )?giao dich bi tu choi\b")
_POSED = re.compile(r"\b(?:xung|tu xung|gia danh|mao danh|nguoi la|so la|chuyen tien|nop phi|phi|otp|ma xac)\b")


def own_matter(t: str) -> bool:
    """One's own phone lost, fee paid and still shown unpaid, clinic appointment or declined card payment, with nobody
    else posing or asking in the story (folded text): no scam for the model to raise."""
    return phone_lost(t) or own_payment_lagging(t) or bool(_OWN_MATTER.search(t)) and not _POSED.search(t)


# Where to put one's own savings for the best return ("có 500 triệu, nên gửi ngân hàng hay mua vàng, chứng khoán thì
# lời nhiều nhất"): investment advice the tutor declines, when nobody offers, calls, writes or asks anything.
_PLACES = re.compile(r"\b(?:chung khoan|co phieu|vang|gui tiet kiem|gui ngan hang|bat dong san|mua dat)\b")
_CHOICE = re.compile(r"\bnen (?:\w+ ){1,6}hay (?:\w+ ){0,6}|\b(?:loi|lai) (?:nhieu|cao) (?:nhat|hon)\b|\bloi hon\b")
_OFFERED = re.compile(r"\b(?:moi|ru|hua|cam ket|san|moi gioi|nguoi|ho|ben|nhom|trang|app|ung dung|link|goi|nhan|"
                      r"tin nhan|tien ao|coin|moi ngay|moi thang|hoa hong|lua|mat)\b")


def savings_choice(t: str) -> bool:
    """One's own money, and only the question where it earns most (folded text)."""
    return bool(_PLACES.search(t) and _CHOICE.search(t)) and not _OFFERED.search(t) and act_of(t) is None


# One's own bank app asking, during what the person does in it, for its usual checks ("lúc chuyển tiền nó vẫn bắt
# nhập mã gửi về tin nhắn", "app Vietcombank bắt tôi đổi mật khẩu đủ 8 ký tự"): the app, not a person, asks.
_APP_ASKS = re.compile(r"\b(?:app|ung dung|no)(?: \w+){0,4} (?:(?:van|con|lai|cu|cung|lien) )?(?:bat|doi|yeu cau|"
                       r"hien|hoi)(?: \w+){0,2} (?:nhap|quet|xac thuc|doi|tao|dat|go)\b")
_PEOPLE = re.compile(r"\b(?:ho|nguoi ta|nguoi la|nguoi|nhan vien|can bo|cong an|doi tuong|ke gian|tong dai|shipper|"
                     r"link|duong link|web|trang|goi|nhan tin|zalo|facebook|messenger)\b")


def app_asks_own_check(t: str) -> bool:
    """One's own app asking for a code, a face scan or a new password while the person uses it, with no one else
    in the story (folded words)."""
    return bool(_APP_ASKS.search(t)) and not (_PEOPLE.search(t) or STRONG_CONTEXT.search(t) or LOSS.search(t)
                                              or re.search(ODD_APP, t))


def own_slip(t: str) -> bool:
    """One's own slip with no one else in it: a wrong PIN, a failing face check, locked out after many tries."""
    strong = {m.group(0) for m in STRONG_CONTEXT.finditer(t)}
    if LOCKOUT.search(t):
        strong.discard("bi chan")  # "lấy mật khẩu qua OTP quá 3 lần, bị chặn": locked out, not blocked by a scammer
    return bool(SELF_SLIP.search(t) or LOCKOUT.search(t)) and not strong and not MESSAGE_SOURCE.search(t) \
        and "link" not in t and not DIRECTED.search(t)


def own_doing(t: str, act: str | None) -> bool:
    """One's own slip, one's own app's check while making one's own transfer, or one's own visit to an office, with
    no one else in the story."""
    return own_slip(t) or act in (None, "money_sent") and not (SCAM_CONTEXT.search(t) or IN_CALL.search(t)) and (
        app_asks_own_check(t) or act is None and at_office(t))


# At a public office in person ("mang giấy tờ ra bộ phận một cửa xã", "lúc nộp hồ sơ cán bộ một cửa xin số điện
# thoại"): the officer in front of the person is real; with nobody posing, calling, or asking for a transfer.
_OFFICE = re.compile(r"\b(?:bo phan (?:mot cua|tiep nhan)|mot cua|trung tam (?:phuc vu )?hanh chinh cong|ubnd|"
                     r"uy ban nhan dan|can bo (?:tu phap|mot cua|tiep nhan|dia chinh|ho tich))\b")
_IN_PERSON = re.compile(r"\b(?:ra|den|toi|tai|len|luc nop|khi nop|di nop)\b")
_FROM_ELSEWHERE = re.compile(r"\b(?:xung|gia danh|mao danh|gia mao|goi|cuoc goi|link|so la|nguoi la|ke gian|lua|"
                             r"chuyen khoan|chuyen tien|ck|zalo|facebook)\b")


def at_office(t: str) -> bool:
    """The person at a public office's counter themselves, nobody posing or calling (folded words)."""
    return bool(_OFFICE.search(t) and _IN_PERSON.search(t)) and not (
        _FROM_ELSEWHERE.search(t) or STRONG_CONTEXT.search(t) or LOSS.search(t))


def comply_with_others(text: str, t: str) -> bool:
    """Asking whether to do what someone else asks, in a story with someone else or their link ("họ gửi link bảo làm
    theo các bước… bán cho họ được không"): however the question is worded, not a rule asked about."""
    last = [s for s in re.split(r"[.!?;\n]+", text) if s.strip()][-1:]
    return bool(last and _COMPLY.search(words(last[0])) and _PEOPLE.search(t))
