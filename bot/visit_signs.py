"""Signs of fake officials who ask for more than a transfer: valuables handed over in person, secrecy, people who
mean to keep a scammer talking, a login the person never started; and of apps that are no danger (put on by family).

Fake police "investigations" do not always end in a transfer: a caller may say an officer will come to "seal" the
savings book and the gold for the case, and that the children must not be told. And someone who has seen through a
call may mean to stay on the line to expose the caller. Both are people in a scam now: the emergency steps first.
"""

from __future__ import annotations

import re

# Law enforcement named in a demand: never real (police, procuracy and courts never ask by phone).
_LAW = re.compile(r"\b(?:cong an|vien kiem sat|toa an|canh sat|an ninh|bo cong an|cuc an ninh|"
                  r"(?:phuc vu |co quan )?dieu tra)\b")
# The person's own report to them ("nên báo công an", "ra công an trình báo"); "nó bảo công an gọi" is not one.
_OWN_REPORT = re.compile(r"(?:\b(?:nen|phai|hay|di|de|muon|can|se|roi|va|hoac|hay la) bao|\btrinh bao|\bto giac|"
                         r"\b(?:den|len|ra|nho|hoi|toi|vao)) $")
# Valuables to be taken, held or sealed, or handed to someone who comes.
HANDOVER = re.compile(r"\b(?:lay|thu|thu giu|tam giu|niem phong|giu ho|giu|dua|giao|nop|mang|cat giu)(?: \w+){0,3} "
                      r"(?:so tiet kiem|vang|tien mat|the atm|the ngan hang|the tin dung|tai san|so do|so hong)\b")
# Someone coming to the house for them ("có người đến nhà bảo niêm phong sổ tiết kiệm"): nobody real does that.
# Savings drawn or things sold "để chuyển cho người ta / cho họ": money about to go to an unnamed payee.
SAVINGS_FOR_THEM = re.compile(r"\b(?:rut|ban|cam|tat toan)(?: \w+){1,5} de (?:chuyen|gui|dua|nop|ck)(?: \w+)? cho "
                              r"(?:nguoi ta|nguoi la|ho(?! hang)|no|chung no|ben do|ke do|ong ta|ba ta)\b")
COMES = re.compile(r"\b(?:den|toi|qua|ghe) (?:tan )?nha\b|\bnguoi (?:den|toi) (?:lay|nhan|thu)\b")
# Told to keep it from the family: no real official asks that.
SECRECY = re.compile(r"\b(?:khong duoc|cam|dung|khong) (?:noi|ke|bao|cho biet)(?: \w+){0,2} (?:voi |cho )?"
                     r"(?:ai|con|chau|con chau|nguoi nha|gia dinh|vo|chong|hang xom)\b|\bgiu bi mat\b")
# Knowing it is a scam and meaning to keep talking, play along or "expose" the caller.
KEEP_TALKING = re.compile(r"\b(?:biet|thua biet|du biet|nghi|doan)(?: \w+){0,2} (?:la )?lua(?: dao)?\b(?: \w+){0,6}? "
                          r"(?:nghe tiep|noi chuyen tiep|noi tiep|tiep tuc (?:nghe|noi|nhan tin)|choc|treu|vach mat|"
                          r"lat tay|gai lai|xem (?:no|ho|chung) (?:gio|lam|dinh))\b")
# A transfer told but stopped: the bank would not let it through, or the person says it is not made yet.
REFUSED = re.compile(r"\b(?:khong cho (?:toi |minh |ba |ong |me |bo )?(?:chuyen|ck|giao dich|rut)|"
                     r"(?:chan|ngan|giu) lai (?:giao dich|lenh chuyen|khong cho)|tu choi (?:chuyen|giao dich|lenh)|"
                     r"(?:toi|minh|ba|ong|me|bo) (?:van )?chua (?:chuyen|ck|gui|nop))\b")

# A login or a code the person did not ask for ("app ngân hàng cứ hiện xác nhận đăng nhập trên thiết bị mới, tôi có
# đăng nhập gì đâu"): someone else has the password and waits for a tap. Never "a new phone of one's own".
UNASKED_LOGIN = re.compile(r"\b(?:dang nhap|thiet bi (?:moi|la)|otp|ma (?:xac nhan|xac thuc))\b(?: \w+){0,12} "
                           r"(?:toi|minh|em|ba|ong|con)(?: (?:co|da|dau co|van))? (?:khong|chua|chang|dau|co) "
                           r"(?:he )?(?:dang nhap|yeu cau|lam gi|bam gi|dung may)(?: gi)?(?: dau| ca| nao)?\b")


# A QR code from someone else that, once scanned, asks to confirm a login ("quét mã QR 'nhận quà' người ta gửi, máy
# hiện hỏi xác nhận đăng nhập Zalo trên thiết bị khác"): the scan would hand them one's account.
_QR_FROM_OTHER = re.compile(r"\bquet (?:ma|qr)\b(?: \w+){0,6} (?:nguoi ta|nguoi la|ho|ai do|no|ke gian|doi phuong|"
                            r"ban (?:tren mang|moi quen)|nguoi quen tren mang) (?:gui|dua|cho|nhan)\b")
_LOGIN_PROMPT = re.compile(r"\b(?:hien|hien len|hoi|bao|yeu cau|bat)(?: \w+){0,4} (?:xac nhan )?dang nhap\b")


def qr_login_prompt(t: str) -> bool:
    """Someone else's QR code scanned, and the phone now asks to confirm a login."""
    return bool(_QR_FROM_OTHER.search(t) and _LOGIN_PROMPT.search(t))


# A strange or fake app ("ứng dụng lạ", "app giả"); "là" and "giá" fold the same and are not one.
ODD_APP = r"\b(?:app|ung dung|phan mem|file|link|trang|web|so|nguoi)(?: \w+){0,2} (?:la|gia)\b"
# An app the children or grandchildren installed for the person ("con cài cho tôi ứng dụng đo huyết áp").
FAMILY_INSTALLED = re.compile(r"\b(?:(?:thang|dua|be) )?(?:con|chau|con chau|vo|chong|ut|em gai|em trai)"
                              r"(?: (?:toi|minh|gai|trai|dau|re|noi|ngoai|ut))? "
                              r"(?:cai|tai|cai dat)(?: \w+){0,2} (?:cho|giup)\b")

# Papers uploaded to an official service one uses oneself ("chụp tải căn cước lên Cổng dịch vụ công"): no handover.
OFFICIAL_UPLOAD = re.compile(r"\b(?:len|vao|tren|qua) (?:cong dich vu cong|dich vu cong|dichvucong|cong dvc|vneid|"
                             r"vssid|ung dung vneid|app vneid)\b")


def law_demand(t: str) -> bool:
    """Police, procuracy or a court named as the ones asking, not as where the person will report."""
    return any(not _OWN_REPORT.search(t[max(0, m.start() - 12):m.start()]) for m in _LAW.finditer(t))


def visit_or_engaged(t: str, context: bool) -> bool:
    """A fake official after valuables in person or after silence, or a scammer the person means to keep talking
    to, or savings being drawn to send to whoever called; `context`: the message shows someone posing or a
    stranger."""
    if SAVINGS_FOR_THEM.search(t) and (context or _BY_CALL.search(t)):
        return True  # "nghe máy xong đòi ra ngân hàng rút sổ tiết kiệm để chuyển cho họ, cả nhà can không được"
    return context and (law_demand(t) and bool(HANDOVER.search(t) or SECRECY.search(t)) or bool(KEEP_TALKING.search(t))
                        or bool(HANDOVER.search(t) and COMES.search(t)))


def unasked_login(t: str) -> bool:
    """A login prompt or code the person says they never started: not their own new phone."""
    m = UNASKED_LOGIN.search(t)
    return m is not None and bool(re.search(r"\b(?:khong|chua|chang|dau)\b", m.group(0)))

# How the scam reached the person. A message, a post or a link with no call in the story ("tin nhắn báo trúng
# thưởng", "nhóm Zalo bảo nạp tiền") gets "đừng trả lời" instead of "cúp máy"; anything that may be a call keeps
# the call's wording (a folded "gói" reads as "gọi": the safe side).
_BY_CALL = re.compile(r"\b(?:goi|nghe (?:may|dien thoai|dt)|cuoc goi|dien thoai (?:bao|noi|hoi|doa)|video call|alo|"
                      r"cup may|giu may|dau day|nghe (?:giong|tieng))\b")
_BY_TEXT = re.compile(r"\b(?:tin nhan|nhan tin|nhan (?:zalo|sms|qua|cho)|sms|zalo|messenger|facebook|fb|email|link|"
                      r"duong dan|nhom|trang web|web|website|inbox|ib|binh luan|bai dang|quang cao)\b")


def written_only(t: str) -> bool:
    """The scam came in writing (a message, a post, a link) and nothing in the folded text speaks of a call."""
    return bool(_BY_TEXT.search(t)) and not _BY_CALL.search(t)



# The person's own Zalo or Facebook taken over: it asks their contacts for money by itself ("Zalo của tôi tự nhắn vay
# tiền khắp danh bạ", "bạn bè báo tài khoản của tôi đang hỏi mượn 10 triệu"), or it "bị hack". Not a payment asked of
# the person (a friend's hacked account asking them is); what to do is warn the contacts and take the account back.
_OWN_ACCOUNT = (r"\b(?:zalo|facebook|fb|face|nick|messenger|tai khoan(?: zalo| facebook| fb| mang xa hoi)?)"
                r"(?: cua)? (?:toi|minh|em|tao|me|bo|me toi|bo toi)\b")
_OWN_USED = re.compile(_OWN_ACCOUNT + r"(?: \w+){0,6} (?:tu |tu dong |dang |lai |cu )?(?:nhan|gui|hoi|di hoi|nt)"
                       r"(?: tin| tin nhan)?(?: \w+){0,3} (?:vay|muon|xin tien|hoi tien)\b|"
                       + _OWN_ACCOUNT + r"(?: \w+){0,2} (?:bi|da bi|vua bi) (?:hack|chiem|ke gian chiem|danh cap)\b")


def own_account_used(t: str) -> bool:
    """The person's own messaging account taken over (see `_OWN_USED`)."""
    return bool(_OWN_USED.search(t))


# One's own bank's app or VNeID installed again ("cài lại app BIDV", "tải ứng dụng ngân hàng về máy mới"); and someone
# else telling the person to install something.
OWN_OFFICIAL_APP = re.compile(r"\b(?:cai|tai|cai dat|tai ve)(?: lai)? (?:app |ung dung ){1,2}(?:\w+ ){0,2}"
                              r"(?:ngan hang|vneid|vssid)\b")
TOLD_TO_INSTALL = re.compile(r"\b(?:ho|nguoi ta|nguoi la|nhan vien|can bo|cong an|tong dai|doi tuong|no)"
                             r"(?: \w+){0,2} (?:bao|bat|huong dan|yeu cau|doi|giuc|xui) (?:\w+ ){0,3}(?:cai|tai)\b")
