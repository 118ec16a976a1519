"""Words that fold alike once the diacritics are gone, and which of them a pattern means.

The rules read accent-folded words (people type without diacritics, and the same sentence typed both ways must be
read alike), so "cọc" (a deposit) and "cóc" (in "bắt cóc", to kidnap) are one word to them, and so are "bảo" (to
tell) and "bao" (in "bao nhiêu", how much). Each pattern here is one meaning, with what the other meanings look like
around it kept out.
"""

from __future__ import annotations

import re

# A deposit ("cọc"), but not a kidnapping ("bắt cóc trẻ em"); "bắt cọc 500k" is a deposit demanded.
# "bị bắt cóc", "vụ bắt cóc", "tin bắt cóc" is a kidnapping told, not a deposit demanded ("bắt cọc").
DEPOSIT = (r"(?:(?<!bat )coc|(?<=bat )(?<!bi bat )(?<!vu bat )(?<!tin bat )(?<!gia bat )"
           r"coc(?! (?:tre|em be|be|chau|con|hoc sinh|nguoi|tong tien)))")
# Telling someone ("bảo"), not "bao nhiêu", "bao lâu", "bao giờ", "bảo mật", "bảo hiểm", nor a notice ("báo" in
# "giấy báo cước", "thông báo", "tin nhắn báo cước": the bill, not a person asking).
# "Ngân hàng báo tăng phí" is a notice of a change, not someone telling the person to pay.
TELL = r"(?<!giay )(?<!thong )bao(?! mat| hiem| ve\b| cao| nhieu| lau| gio\b| tuoi| cuoc| tang\b| giam\b)"
# An investment "floor" ("sàn"), not a shopping platform ("mua trên sàn", "khiếu nại lên sàn Shopee"), nor "sẵn"
# (ready: "lưu sẵn", "có sẵn", "sẵn sàng") or "sân" (a yard: "sân bay", "sân nhà").
FLOOR = (r"(?<!mua tren )(?<!mua hang tren )(?<!dat tren )(?<!dat hang tren )(?<!khieu nai len )(?<!khieu nai voi )"
         r"(?<!khieu nai tren )(?<!co )(?<!luu )(?<!lam )(?<!de )(?<!in )(?<!cai )(?<!viet )(?<!bi )(?<!ghi )"
         r"san(?! (?:thuong mai|tmdt|shope+|lazada|tiki|tiktok|sang|co|bay|nha|truong|van|bong|khau)\b)")
# A password told to someone ("báo mật khẩu cho họ"), not what someone says about one ("người ta bảo mật khẩu kiểu đó
# dễ bị đoán").
PASSWORD_TOLD = (r"bao (?:cho (?:\w+ ){0,2})?(?:mat khau|ma pin|passcode|pin|pass)\b(?:(?: \w+){0,3} (?:cho|qua)\b)?"
                 r"(?!(?: \w+){0,3} (?:de|kho|yeu|manh|kieu|nhu the|the nao|phai)\b)")
# Blocked by someone ("bị chặn"), not a line barred by the carrier ("bị chặn một chiều", "bị chặn gọi đi").
BLOCKED = r"bi chan(?! (?:\w+ ){0,2}(?:mot chieu|hai chieu|1 chieu|2 chieu|goi di|chieu goi))"
# A code ("mã") read, sent, typed or named as one, not "mà" (but): "đang gọi mà không nghe rõ".
CODE = r"(?:(?:doc|gui|nhap|bam|go|dua|xin|doi|hoi) (?:\w+ )?ma|ma (?:otp|so|pin|xac|bao mat|giao dich|kich hoat|\d+))"
# Demanding ("đòi"), not exchanging ("đổi thẻ từ sang thẻ chip", "đổi sim", "đổi mật khẩu"): both fold to "doi".
DEMAND = (r"doi(?! (?:the|sim|mat khau|mk|ma pin|pin|sang|tu|ten|so dien thoai|sdt|giay to|bang|can cuoc|cccd|cmnd|"
          r"dia chi|thong tin|may|dien thoai|app|ung dung|tai khoan|tk|pass|hinh|anh dai dien|"
          r"cho(?! (?:\w+ )?(?:vay|muon|tien|ho|no)\b))\b)")  # "nút đổi chỗ hết": buttons moved
# Receiving ("nhận"), not sending a message ("nhắn tin", "nhắn Zalo"): "bạn nhắn tin mượn 5 triệu" asks for money;
# nor "nhắn đóng / nộp / cọc 2 triệu", a message telling to pay.
RECEIVE = r"nhan(?! (?:tin|zalo|messenger|qua zalo|cho|dong|nop|coc|dat coc)\b)"

# "Mất" is also to die: "mẹ tôi vừa mất, tài khoản của bà…" speaks of a death, and with the comma gone (the rules read
# words only) "mất, tài khoản" would read as "lost the account". A relative who "mất" at the end of a clause died.
# (Not "em", "con", "cháu", "anh", "chị": people call themselves so, "điện thoại của em mất, giờ…" is a lost phone.)
_DIED = re.compile(r"\b((?:me|bo|cha|ong|ba|chong|vo|bo me|cha me|ong ba)"
                   r"(?: (?:toi|minh|em|chau|con|nha toi))?(?: (?:vua|da|moi|da vua))?) mat(?=\s*(?:[,.;!?]|$))")


# "Chuyển" is also to move things that are not money: "đã chuyển hết dữ liệu từ máy cũ sang rồi", "chuyển danh bạ
# qua máy mới". Read as a transfer, a new phone's "Không có SIM" got the steps for money sent. Photos and messages
# only when moved to a device ("chuyển ảnh căn cước cho họ" is sent to someone; "chuyển sim", "chuyển eSIM" at a
# stranger's word is a takeover).
_DATA_MOVED = re.compile(r"\bchuyen(?= (?:het |toan bo |tat ca |cac |nhung |lai |bot )?(?:(?:du lieu|danh ba|ung dung|"
                         r"app|nhat ky|(?:anh|hinh|hinh anh) (?:voi|va|cung|lan) (?:danh ba|du lieu|video))\b|"
                         r"(?:anh|hinh|hinh anh|tin nhan|file|tai lieu|video|nhac)(?: \w+){0,3} "
                         r"(?:sang|qua|ve|vao|len) (?:may|dien thoai|dt|icloud|google|the nho|may tinh|usb|o cung)\b))")


def died_marked(text: str) -> str:
    """The text accent-folded, with a death told by "mất" at a clause's end written as "qua đời", and things that are
    not money moved ("chuyển dữ liệu") written as copied ("chep")."""
    from rag.text import fold

    return _DATA_MOVED.sub("chep", _DIED.sub(r"\1 qua doi", fold(text)))
# Inviting ("mời"), not "mới" (new, just): "cấp mới", "làm mới", "thẻ mới", "máy mới", "mới đây", "mới được".
INVITE = (r"(?<!cap )(?<!lam )(?<!doi )(?<!the )(?<!atm )(?<!may )(?<!so )(?<!sim )(?<!ban )(?<!nha )(?<!xe )"
          r"(?<!mua )(?<!tai khoan )(?<!ho chieu )(?<!cuoc )(?<!mat khau )"
          r"moi(?! (?:nhat|day|roi|xong|toanh|tinh|biet|nhan|thay|phat hien|ngay|thang|tuan|nam|lan|khi|buoi|sang|"
          r"toi|nguoi|qua doi|mat)\b)")  # nor "mỗi", "mọi" ("mỗi ngày", "mọi người"); "mới qua đời"
# Someone who wrote ("người nhắn"), not the recipient of one's transfer ("người nhận bảo chưa thấy tiền").
MESSAGED = r"nhan(?! (?:bao |noi )?(?:chua|khong|ko|van chua) (?:thay|nhan|co|duoc)\b)"
# "Vậy" typed without its accents ("làm vay có an toàn không", "như vay", "sao vay"), not a loan ("vay"): the words
# before it are ones a loan never follows.
SO_FOLDED = r"(?:(?<=\blam )|(?<=\bnhu )|(?<=\bneu )|(?<=\bsao )|(?<=\bgi ))vay\b(?! (?:tien|no|von|online|nong|lai)\b)"
# Done at once ("tôi chuyển liền", right after the act), not "liên" (inter-, linked: "chuyển liên ngân hàng",
# "liên kết", "liên hệ"): both fold to "lien".
AT_ONCE = r" lien\b(?! (?:ngan hang|ket|he|thong|tuc|lac|quan|tiep|doanh|vung|minh)\b)"
# A "Zoom room" a caller sends one into ("vào phòng Zoom làm việc với công an"), not the family's own meeting ("con làm
# chủ phòng Zoom", "phòng Zoom họp gia đình").
ZOOM_ROOM = r"(?<!chu )phong zoom(?! (?:gia dinh|hop gia dinh|cua (?:nha|ca nha|gia dinh|con|chau)))"
