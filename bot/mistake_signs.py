"""Honest mistakes with money, on accent-folded words: money sent to a wrong account, money received by mistake, and
how far the story has gone. Pure patterns; bot/situation.py weighs them with the signs of a scam."""

from __future__ import annotations

import re

from bot.homographs import AT_ONCE, RECEIVE

# Honest mistakes: money to a wrong account, money received by mistake, a forgotten password.
_WRONG_TRANSFER = re.compile(
    # "tránh lừa đảo, sai sót": errors in general, not a transfer gone wrong.
    # "gửi tiết kiệm … thua lỗ": savings and a loss-making bank, not money sent astray.
    # "chuyển vào một khoản tiền lớn": big ("lớn"), not wrong ("lộn").
    r"\b(?:chuyen|ck|chuyen khoan|gui(?! tiet kiem))(?: \w+){0,6} (?:nham(?! lan)|sai(?! sot)|"
    r"(?<!tien )(?<!mot khoan )(?<!1 khoan )lon|nham so|sai so|"
    r"nham nguoi|nham tai khoan|"
    r"chon nham|chon sai|"
    r"du (?=\d|mot|hai|ba|nam|muoi|tien|so tien)|"
    r"thua(?! lo\b| kien\b| bac\b| cuoc\b| ke\b| nhan\b)|(?<!them )(?:2|hai) lan)"
    # "gửi sai nơi tiếp nhận", "gửi nhầm hồ sơ": papers sent to the wrong office, not money.
    r"(?! (?:noi|dia chi|co quan|don vi|ho so|thong tin|mau|to khai|giay to)\b)|"
    r"(?:nhap|go|ghi|ban|danh|bam) (?:sai|nham|"
    # "người ta ghi sai số (công tơ)": a meter read wrong, not an account number typed wrong
    r"lon|thieu|thua)(?: \w+){0,2} (?:so(?! dien thoai| dt\b| may\b)(?<!ghi sai so)(?<!ghi nham so)|stk|"
    r"tai khoan|so tien|"
    r"ten)|nham (?:so )?(?:tai khoan|stk)|sai (?:so )?(?:tai khoan|stk)|"
    # "người nhận nhầm không trả": the other side got one's money by mistake.
    r"\bnguoi (?:ta )?nhan nham\b")
_RECEIVED = re.compile(
    # "đòi được / lấy lại được tiền chuyển nhầm" is getting one's own money back, not receiving a stranger's.
    r"\b(?:" + RECEIVE + r"|(?<!doi )(?<!lay )(?<!lai )duoc|co)(?: \w+){0,3} (?:tien|khoan tien|\d+ (?:trieu|nghin|k))"
    r"(?: \w+){0,5} (?:chuyen nham|nham|la|khong ro)|"
    r"\b(?:ai do|nguoi la|so la|ai)(?: \w+){0,3} chuyen nham|"
    r"tien (?:la|tu dung) (?:chuyen |do )?(?:vao|ve)|"
    r"tu dung (?:co|nhan|duoc)(?: \w+){0,3} (?:tien|trieu)|bi chuyen nham|"
    # "người chuyển nhầm gọi xin lại": the sender asks the asker for it back.
    r"\b(?:nguoi|ng|ben kia) (?:da )?chuyen nham (?:\w+ ){0,3}(?:goi|nhan tin|xin|lien he)|"
    r"chuyen nham (?:\w+ ){0,3}(?:cho|vao (?:tai khoan|tk|so tai khoan|stk)(?: \w+){0,2}) (?:cua )?"
    r"(?:toi|minh|tui)\b(?! \w+ (?:nguoi|ban|chi|anh|co|chu|ong|ba|con)\b)")
# Charged twice for one purchase ("bị trừ tiền 2 lần cho 1 đơn"): money taken twice, not sent to a wrong account.
CHARGED_TWICE = re.compile(r"\b(?:bi tru|tru|thanh toan|tra|dong|quet)(?: \w+){0,3} (?:2|hai) lan\b")
WRONG_TRANSFER = re.compile(f"(?:{_WRONG_TRANSFER.pattern}|{CHARGED_TWICE.pattern})\\b")
# "tự nhiên có 3 tin nhắn trừ gần 3 triệu": money taken out, not come in ("tin nhắn" folds like "tin nhận").
RECEIVED = re.compile(f"(?:{_RECEIVED.pattern}|\\btu nhien co (?:\\w+ ){{0,2}}(?:tien|trieu|\\d+)"
                       f"(?! (?:\\w+ ){{0,2}}(?:bi )?tru\\b)|"
                       f"\\b(?:tu nhien|bong dung|tu dung) (?:\\w+ ){{0,3}}(?<!tin )nhan (?:\\w+ ){{0,4}}"
                       f"(?:chuyen khoan|tien|khoan|trieu)|\\bnhan (?:\\w+ ){{0,4}}(?:chuyen khoan|"
                       f"khoan tien) (?:\\w+ ){{0,5}}tu (?:mot )?(?:nguoi|"
                       f"so|tai khoan) (?:la|khong quen)|"
                       # "được chuyển vào một khoản tiền, không biết ai chuyển": a stranger's money come in
                       f"\\bduoc chuyen (?:vao|den) (?:\\w+ ){{0,5}}(?:khong biet|khong ro) (?:ai|cua ai|tu dau)|"
                       f"\\b(?:(?<!nguoi )nhan|bi chuyen) nham (?:\\w+ ){{0,2}}(?:tien|khoan|\\d+)|"
                       # "được ai đó chuyển cho mấy chục triệu", "có người lạ chuyển 5 triệu vào tk"
                       f"\\b(?:duoc|co) (?:ai do|nguoi la|mot nguoi la|so la) chuyen (?:\\w+ ){{0,4}}(?:tien|trieu|"
                       f"vao tai khoan|vao tk)|"
                       # "tài khoản báo cộng 50 triệu" (not "chưa thấy báo cộng": money sent that has not arrived)
                       f"(?<!chua thay )(?<!khong thay )(?<!chua )(?<!khong )\\b(?:bao|duoc) cong (?:them )?"
                       f"(?:\\d+ )?(?:trieu|nghin|k|tien))\\b")
# "…and now someone calls pressing to send it back to another account": the known trap, a scam in progress.
RECEIVED_PRESSED = re.compile(
    r"\b(?:goi|nhan tin|doi|giuc|bat|de nghi|yeu cau|bao|doa|nhac)(?: \w+){0,8} (?:chuyen lai|tra lai|hoan lai|"
    r"chuyen tra|gui lai|doi lai|tra|chuyen)(?: \w+){0,6} (?:tai khoan khac|so khac|stk khac|tk khac|khac|so tai khoan "
    r"(?:\w+ )?khac|qua link|quet ma)\b")
# A mistake story past its first steps: the bank or the other side already said no, the money is still not back
# after a while, papers already filed ("ngân hàng bảo không hủy được", "người nhận không chịu trả", "bảy tháng nay").
LATER_STORY = re.compile(
    r"\b(?:khong|ko|k|chua) (?:the )?(?:huy|hoan|lay lai|doi lai|doi|lay|thu hoi)(?: \w+){0,2} (?:duoc|dc)\b|"
    r"\b(?:khong|ko|chua) (?:chiu )?tra(?: lai)?(?! loi)\b|\bbo tay\b|\bchiu thua\b|\bbao chiu\b|\blau roi\b|"
    r"\b(?:\d+|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi|may|nhieu|hon \w+) (?:tuan|thang|nam) (?:nay|roi|van|ma|chua|"
    r"truoc|di lai)\b|\bca (?:tuan|thang|nam)\b|\bda (?:lam don|tra soat|len ngan hang|ra ngan hang|bao ngan hang)\b")
# One's own slip with no one else involved: a wrong PIN, a failed face check, an ATM fault, "no one called".
SELF_SLIP = re.compile(
    r"\b(?:(?:nhap|go|bam|danh) (?:sai|nham)|(?:quen|(?:khong|chang|ko) nho) (?:mat khau|ma pin|pin|passcode|mk)|"
    r"may (?:khong nha|nuot)|"
    # one's own factory reset ("lỡ bấm khôi phục cài đặt gốc, giờ máy đòi tài khoản Google cũ")
    r"khoi phuc (?:cai dat goc|du lieu goc)|"
    r"nuot the|(?:atm|may rut tien)(?: \w+){0,2} (?:khong|chua|chang) nha|"
    # the machine paid out more than asked ("máy lại nhả ra 5 triệu"): money to give back to the bank, no scammer
    r"(?:atm|may) (?:\w+ ){0,3}nha (?:ra )?(?:\w+ ){0,2}(?:\d+ (?:trieu|nghin)|thua|du|them)|"
    r"(?:khong|chang) (?:co )?ai (?:goi|lua|huong dan|nhan)|khong ai lua|tu lam|chon nham|nham ngan hang|"
    r"(?:lam|cap nhat) sinh trac|chua (?:xac thuc|lam) sinh trac|xac thuc (?:khuon mat|thiet bi)|"
    r"bao (?:anh mo|khong khop)|khong khop|anh mo|(?:cai|dang ky|thiet lap|lam|cap nhat|xac thuc) (?:\w+ )?sinh trac|"
    r"khong nhan (?:ra |dien )?(?:khuon )?mat|(?:quet|xac thuc) (?:khuon )?mat (?:\w+ ){0,6}(?:khong|ko|chang) nhan\b|"
    r"(?:quet|doc) (?:\w+ ){0,2}chip (?:\w+ ){0,3}khong (?:duoc|dc)|"
    # phone credit taken by the carrier (a value-added service, a plan renewing itself): no scammer in it
    r"(?:tien|tai khoan|tk|cuoc) (?:\w+ )?(?:dien thoai|dt|sim|di dong|thue bao)(?: \w+){0,4} (?:bi )?tru|"
    r"tru (?:\w+ ){0,2}(?:tien|cuoc) (?:\w+ )?(?:dien thoai|dt|sim|di dong|thue bao|nha mang)|"
    r"(?:sim|thue bao)(?: \w+){0,5} (?:bi )?tru (?:tien|cuoc)|"
    r"dich vu gia tri gia tang|goi cuoc (?:\w+ ){0,2}(?:tu )?gia han|"
    # one's own transfer to family not arrived yet ("gửi tiền cho con qua app, trừ rồi mà nó không thấy về")
    r"(?:gui|chuyen|ck|chuyen khoan)(?: tien)? (?:\w+ ){0,3}cho (?:con|chau|vo|chong|bo|me|em|anh|chi|ong|ba)\b"
    r"(?: \w+){0,12} (?:chua|khong|ko) (?:thay|nhan)(?: duoc)?(?: tien)?(?: ve)?|"
    r"bao loi)\b")
# Too many tries: the app or bank locks the person out for a while (no scammer).
LOCKOUT = re.compile(r"\b(?:(?:qua|sai|nhap sai|go sai) (?:\d+|ba|nam|nhieu|may) lan|lay (?:lai )?(?:mk|mat khau))\b")


# Money taken from one's card or account that one did not spend ("tự nhiên có 3 tin nhắn trừ gần 3 triệu … tôi chưa
# nghe bao giờ", "tài khoản bỗng dưng bị trừ tiền"): someone else is using the card; lock it before the next charge.
# A transfer or payment the bank reports that the person never made ("ngân hàng báo có lệnh chuyển tiền mà tôi không hề
# làm"): someone else has the account; lock it now.
UNAUTHORIZED = re.compile(r"\b(?:lenh|giao dich|khoan) (?:chuyen tien|chuyen khoan|ck|rut tien|thanh toan)"
                          r"(?: \w+){0,5} ma (?:toi|minh|ba|ong|me|bo|em|chau) (?:khong|chua|dau co) (?:he )?"
                          r"(?:lam|thuc hien|giao dich|chuyen|rut|bam)\b|"
                          # "vào thì tài khoản mất hơn 24 triệu, mẹ khẳng định không chuyển cho ai"
                          r"\b(?:tai khoan|tk|the)(?: \w+){0,2} (?:bi )?mat (?:het |hon |gan |tron )?(?:\d+ )?"
                          r"(?:trieu|nghin|tien)\b(?=.*\bkhong (?:he )?(?:chuyen|ck|dua|doc|bam|lam|giao dich)\b)")
# Someone else telling the person what to do ("người ta gọi bảo tôi khôi phục cài đặt gốc"), or money gone that the
# person never sent ("cập nhật lại khuôn mặt, vào thì tài khoản mất hơn 24 triệu"): no slip of one's own.
DIRECTED = re.compile(r"\b(?:nguoi ta|ho|nguoi la|ai do|so la|nguoi (?:goi|xung|tu xung))(?: \w+){0,2} "
                      r"(?:bao|bat|huong dan|yeu cau|doi|giuc|xui)\b|" + UNAUTHORIZED.pattern)
CHARGED = re.compile(UNAUTHORIZED.pattern + r"|"
                     r"\b(?:tin nhan|the|tai khoan|tk)(?: \w+){0,3} (?:bi )?tru (?:\w+ ){0,2}(?:tien|gan|hon|\d+)|"
                     r"\b(?:tu nhien|tu dung|bong dung)(?: \w+){0,3} (?:bi )?(?:tru|rut|mat) (?:\w+ ){0,2}(?:tien|\d+)|"
                     r"\bgiao dich (?:la|khong phai cua toi|toi khong (?:lam|thuc hien))\b")
# Someone promising to get lost money back for a fee paid first ("luật sư trên Facebook nói lấy lại được hết, chỉ cần
# nộp trước 30% phí"): the second scam that follows the first.
# (a password, an account or a SIM got back for a fee is another matter: "nhận lấy lại mật khẩu VssID, có thu phí")
_NOT_MONEY_BACK = (r"(?! (?:mat khau|mk|pass|password|tai khoan|tk|nick|zalo|facebook|fb|sim|so dien thoai|ma pin|pin|"
                   r"email|gmail)\b)")
RECOVERY_FEE = re.compile(r"\b(?:lay lai|thu hoi|doi lai|hoan lai)" + _NOT_MONEY_BACK + r"(?: \w+){0,8} "
                          r"(?:phi|nop truoc|dong truoc|chuyen truoc|dat coc|coc)\b|"
                          r"\b(?:phi|nop truoc|dong truoc)(?: \w+){0,6} (?:lay lai|thu hoi|doi lai)"
                          + _NOT_MONEY_BACK + r"\b")

# Money someone else sent to the person ("làm nhiệm vụ, mỗi lần được 6 nghìn, họ chuyển tiền thật"): the bait of a
# task scam, not money the person sent; unless it is the person's own money they moved ("họ chuyển hết tiền của tôi
# đi") or it went to them ("gửi cho họ").
_THEY = re.compile(r"\b(?:ho|nguoi ta|ben do|ben kia|chung no|shop|cong ty|ben ho|tro cap|luong huu|phu cap|"
                   r"tien ho tro)(?: (?:da|vua|cung|van|co|se|duoc))?\s*$")  # or an allowance paid in
_AWAY = re.compile(r"(?: \w+){0,4} (?:cua (?:toi|minh|em|me|bo|ba|tao)|di\b|het|sach|khoi)|\s*(?:\w+ ){0,3}cho (?:ho|"
                   r"nguoi ta|ben do|chung no)\b")


def paid_to_me(before: str, act: str, after: str) -> bool:
    """Money the person got, not sent: "được chuyển tiền", a transfer receipt shown to them ("cho tôi xem hóa đơn
    chuyển khoản"), or a transfer told with another party as its subject and nothing of the person's own money going
    away."""
    if before.endswith(("duoc ", "dc ", "xem hoa don ", "xem bien lai ", "xem bill ", "xem anh ")):
        return True
    return act.split()[0] in ("chuyen", "ck", "gui", "tra") and bool(_THEY.search(before)) and not (
        _AWAY.match(act[len(act.split()[0]):]) or _AWAY.match(after))
# Paid, sent or sold and done ("tôi gửi xong", "chuyển cho họ rồi"); "giúp bạn xong" is a friend helped ("bạn" folds
# like "bán", sold).
PAID_OFF = re.compile(r"\b(?:gui|nap|dong|nop|(?<!dieu )(?<!kiem )tra|chuyen|ck|"
                      r"(?<!giup )(?<!cho )(?<!voi )(?<!cua )ban)(?: cho (?:ho|no|nguoi ta|ben do))? "
                      r"(?:xong|roi|luon roi)\b|"
                      # "tôi chuyển liền" told by the one who paid ("nó bảo chuyển liền" is only asked)
                      r"\b(?:toi|minh|tui|em|ba|me|bo|ong) (?:chuyen|ck|gui|nap)" + AT_ONCE)

# A parcel received and paid for on delivery ("nhận hàng trả tiền rồi") is the ordinary purchase, not a scam's act,
# unless the goods turned out fake or empty ("mở ra toàn gạch").
_GOODS_RECEIVED = re.compile(r"\bnhan (?:hang|don hang|buu pham|goi hang|kien hang)(?: (?:roi|xong|va|thi|la))?\s*$")
_GOODS_FAKE = re.compile(r"\b(?:hang gia|hang dom|hang nhai|do dom|do gia|gach|da cuoi|rong|mo ra|khong dung hang|"
                         r"khong phai hang|khong dat)\b")


def paid_for_goods(before: str, t: str) -> bool:
    """Money paid for a parcel just received, with nothing wrong found in it."""
    return bool(_GOODS_RECEIVED.search(before)) and not _GOODS_FAKE.search(t)

# "bảo trả tiền qua Western Union rồi gửi link bắt nhập…", "…nhập số tài khoản rồi đóng phí": after something only
# asked for, "rồi" that goes on to the asker's next demand or the next step demanded is "and then", not "already".
_THEN_DEMAND = re.compile(r"(?: \w+){0,8}? roi (?:gui|bat|bao|doi|xin|yeu cau|nhan tin|goi|dong|nop|nhap|bam|mua|"
                          r"cai|khai|quet|chup)\b")


def then_demand(after: str) -> bool:
    """The words after an act go on with "rồi" and another demand."""
    return bool(_THEN_DEMAND.match(after))


# Just before an act, words that say it is not done (yet): asked to ("xin chụp ảnh"), told to, about to, should I,
# how to.
# "để cài ứng dụng": what it was for (told to install it), not what was done.
NOT_DONE = re.compile(
    r"\b(?:bao|bat|yeu cau|doi|huong dan|de nghi|nho|dinh|sap|muon|co nen|khong nen|phai|can|chua|khong|dung|neu|"
    r"lo ma|xin|nai|nan ni|"
    r"cach|lam sao|the nao|hay|thuong|ru|du|xui|giuc|ep|khuyen|doa|se|dung co|khong duoc|dan|de)(?: \w+){0,2} ?$|"
    r"\b(?:bao|bat|yeu cau|huong dan|de nghi|giuc|ep)(?!(?: \w+){0,8} (?:da|roi|xong)\b)(?: \w+){1,8} va ?$|"
    # "muốn nhận nhanh thì cài ứng dụng theo link": the condition of an instruction, not what was done
    r"\bmuon (?:\w+ ){1,4}thi(?: \w+){0,4} ?$")


# "…thì cài ứng dụng theo link họ gửi, nhập số căn cước, rồi đóng phí": acts listed right after one that was only told
# are told too, until the person speaks of themselves or of the past.
_SELF_OR_PAST = re.compile(r"\b(?:toi|tui|tao|minh|mk|em|e|ba|ong|me|bo|chau|con|da|vua|lo)\b")


def told_starts(t: str, spans: list[tuple[int, int]]) -> set[int]:
    """The starts of the acts (`spans`, read in the order of the text) that were only asked for or told, or that
    continue a list of things told."""
    starts: set[int] = set()
    until = -1
    for start, end in sorted(spans):
        if NOT_DONE.search(t[max(0, start - 40):start]) or (
                0 <= until <= start <= until + 60 and not _SELF_OR_PAST.search(t, until, start)):
            starts.add(start)
            until = end
    return starts


# A transfer the app reported as done that the recipient has not seen yet ("báo thành công mà con chưa nhận được").
_NOT_ARRIVED = re.compile(r"\b(?:bao|hien|thong bao|da) (?:\w+ ){0,3}thanh cong\b(?: \w+){0,12} "
                          r"(?:chua|khong) (?:\w+ ){0,2}(?:nhan|thay|ve|co)\b")

# ...unless someone asks for it again or the payee is an online seller: "shop bảo chưa nhận, đòi chuyển lại" is a trick.
_RESEND = re.compile(r"\b(?:(?:chuyen|ck|gui|nap) (?:lai|them|lan nua|bu)|shop|nguoi ban|ben ban|facebook|fb|zalo|"
                     r"tiktok|nick|fanpage)\b")


def to_trace(t: str, act: str | None, others: bool) -> bool:
    """A transfer to trace, not a theft: money sent, reported done, not seen yet, and nobody else in the story
    (`others`: a stranger, a message, a call, regret)."""
    return act == "money_sent" and not (others or _RESEND.search(t)) \
        and bool(_NOT_ARRIVED.search(t))
