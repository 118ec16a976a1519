"""How a message is put, on accent-folded words: "what if" and advice for others, a general question, a story told
as it happens, something heard of, a how/where question, the asker's own plan. Pure patterns; bot/scam_signs.py
weighs them with the signs of a scam."""

from __future__ import annotations

import re

# "What if" and advice for others: general whatever the pronouns ("nếu Facebook của mình bị hack thì…").
# "khi bị chặn Zalo sẽ thế nào": what happens when, not something happening now.
HYPOTHETICAL = re.compile(r"^khi (?!.*\b(?:da|vua|lo|roi|toi|ba|ong|me|bo|minh)\b)(?:\w+ ){1,8}(?:thi )?se\b|"
                           r"\b(?:neu(?! khong)|gia su|phong khi|lo ma|nen dan|dan (?:me|bo|ba|ong|con|chau) the nao|"
                           r"(?:muon|can|de|phai) dan (?:\w+ ){0,2}(?:me|bo|ba|ong|con|chau|vo|chong|em)|"
                           r"(?:nguoi gia|nguoi lon tuoi|nguoi cao tuoi|nhieu nguoi|moi nguoi) (?:hay|thuong|de|"
                           r"rat de|cu) "
                           r"(?:bi|mac)|"
                           r"nghe noi|hoi de biet|hoi truoc|hoi cho biet|bao dai|tren bao|chua ai goi|chua bi ai|"
                           r"(?:dang|nghe|co tin) don(?! hang)|tin don(?! hang)|loi don|don (?:rang|la)|"
                           r"(?<!so )(?:that|chinh thuc) thi|"
                           r"la gi|nghia la|chieu (?:\w+ ){0,3}la gi|loa phuong|nghe dai|doc bao|xem ti vi)\b")
GENERAL_FORM = re.compile(
    r"\b(?:neu(?! khong)|gia su|phong khi|lo ma|nhan biet|phan biet|dau hieu|nen dan|"
    r"(?:can|phai|muon|lam sao) dan (?:me|bo|ba|ong)|dan (?:me|bo|ba|ong)(?: \w+){0,4} the nao|la gi|"
    r"co bao gio|bao gio cung|co that|nghe noi|nghe dai|doc bao|xem ti vi|tren ti vi|loa phuong|canh giac|phong tranh|"
    r"lam sao de (?:khong|tranh)|tranh (?:bi )?lua|co phai|(?:lam sao|cach|lam the nao)(?: de)? nhan ra)\b|"
    # "có … không?" asks; "có người đòi …, nộp không" tells that someone is asking for something.
    r"\bco (?!nen |sao |bi gi |mat tien |nguy hiem |lam sao |van de |dung |that |phai |"
    r"nguoi (?:doi|bat|yeu cau|goi|nhan tin|bao|xin|hoi|den|muon) )(?:(?!nen\b)\w+ ){1,15}khong"
    # a polite particle may close the question: "có tốn phí không ạ", "có mất tiền không vậy"
    r"(?: (?:a|vay|nhi|ha|nhe|day|the|ban|ad|chau|em|oi))*$")
# A story told as it happens: "bà đang ở quầy", "mấy hôm nay họ gọi", "từ sáng".
ONGOING_STORY = re.compile(r"\b(?:dang (?:o|ngoi|nghe|goi|cho|lam)|may hom nay|tu sang|tu chieu|tu hom qua|"
                            r"sang nay|chieu nay|toi qua|hom qua)\b")
# Heard of, read about, or "what if": someone else's story or none at all.
HEARD_OF = re.compile(r"\b(?:chua (?:ai|bi ai|co ai) (?:goi|nhan|lua)|chua bi|doc bao|bao dai|bao noi|loa phuong|"
                       r"(?:dang|nghe|co tin) don(?! hang)|tin don(?! hang)|loi don|don (?:rang|la)|"
                       r"nghe noi|xem ti vi|tren ti vi|hang xom|nguoi quen (?:bi|vua)|neu (?:toi|minh|ba|ong|co ai|lo)|"
                       r"gia su|phong khi|co bao gio)\b")
HOW_WHERE = re.compile(r"\b(?:o dau|trang nao|cach nao|bang cach nao|nhu the nao|tra cuu|o trang|(?<!thuong )so nao|"
                        r"goi dau|truong hop nao|nhung truong hop|dieu kien (?:gi|nao|the nao|ra sao)|"
                        r"(?:can|nhung) dieu kien|hinh thuc nao|den dau|bao o dau|bao cho ai)\b")
# The asker's own plan ("tôi muốn chuyển 20 triệu thì làm sao", "muốn sang tên sổ đỏ"): nobody is asking for money.
# Folded words collide ("căn cước" and "cần", "định danh" and "định"): only "muốn", and "định" not before "danh".
SELF_WISH = re.compile(
    r"^(?:(?:da|cho (?:toi|minh|em|chau) hoi|cho hoi|xin hoi|chau oi|ad oi) )?"
    r"(?:(?:toi|minh|em|ba|ong|chau|con|co|chu|bac|nha toi) )?(?:muon|dinh(?! danh)) (?!tien|vay|muon|\d)"
    r"(?!(?:\w+ ){0,2}(?:bao|bat|doi|yeu cau|giuc))")


# A claim heard from others, asked to be checked ("nghe hàng xóm nói bắt máy số lạ là bị trừ hết tiền, có thật
# không"): a rumour to settle, not a loss of one's own, when nobody of the asker's did or suffered anything.
_HEARSAY = re.compile(r"\b(?:nghe (?:\w+ ){0,3}(?:noi|bao|ke|don)|(?:hang xom|nguoi quen|ban be|moi nguoi|nguoi ta|"
                      r"tren mang|tren facebook|tren zalo|tren tiktok) (?:\w+ ){0,2}(?:noi|bao|don|ke|dang))\b")
_TRUTH_CHECK = re.compile(r"\b(?:co (?:that|dung|phai that)(?: vay| the)? (?:khong|ko|k|hong)|that (?:khong|ko|hong)|"
                          r"dung (?:khong|ko|hong))\b")
_OWN_DONE = re.compile(r"\b(?:toi|minh|tui|em|me toi|bo toi|ba toi|ong toi|me minh|bo minh) (?:\w+ ){0,2}"
                       r"(?:da|vua|lo|bi|mat)\b")


def heard_claim(t: str) -> bool:
    """A rumour heard and asked about, with no act or loss of the asker's own in the message."""
    return bool(_HEARSAY.search(t) and _TRUTH_CHECK.search(t)) and not _OWN_DONE.search(t)


# An offer of returns asked to be checked ("trang web mời góp vốn, 30 phút lãi 1,32%, có thật không"): the asker
# wants to know whether it is a trap — a scam check, never investment advice to decline.
_OFFER = re.compile(r"\b(?:lai (?:suat )?\d|lai (?:\w+ ){0,3}(?:moi ngay|moi thang|sau \d+ (?:phut|gio|ngay))|"
                    r"loi nhuan|gop von|sinh loi|moi (?:\w+ ){0,2}dau tu|nhan hoa hong|hoa hong (?:cao|\d))\b")
_SCAM_CHECK = re.compile(r"\b(?:co (?:that|dung|phai that)(?: vay| the)? (?:khong|ko|k|hong)|that (?:khong|ko|hong)|"
                         r"that hay gia|(?:co )?(?:phai )?lua(?: dao)? (?:khong|ko|hong)|co uy tin (?:khong|ko)|"
                         r"tin duoc (?:khong|ko))\b")


def offer_check(t: str) -> bool:
    """An offer of profit or commission, and the question whether it is real or a trap."""
    return bool(_OFFER.search(t) and _SCAM_CHECK.search(t))


# The asker's own doubt ("chuyển 15 triệu cho con mà app bắt quét mặt, có phải bị lừa không"): a question whether
# something is a scam is no sign of one; the story around it must show it.
_DOUBT = re.compile(r"\b(?:co )?(?:phai )?(?:bi )?lua(?: dao)? (?:khong|ko|k|hong)\b")


def without_doubt(t: str) -> str:
    """The message with the asker's "is it a scam?" taken out (folded text in, folded text out)."""
    return _DOUBT.sub(" ", t)
