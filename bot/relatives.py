"""A scam told about someone else: a child, grandchild, spouse or volunteer asking for an older person.

"Mẹ tôi 80 tuổi bị gọi xưng công an…", "bo em bi nguoi la goi dieu khien may", "bà cụ hàng xóm nhờ em xem…": the
person writing is not the one on the call. The emergency steps are then written for the helper ("bảo người nhà cúp
máy", "cùng người đó gọi ngân hàng"), not "bác cúp máy ngay" to someone nobody is calling. Read on folded text
(`scam_signs.words`).
"""

from __future__ import annotations

import re
import unicodedata

from rag.text import fold

# A relative of the writer's, or an older neighbour or group member the writer helps, read on the lowercased text
# with its accents ("má tôi" is a mother, "mà tôi" is not; "bố em" is a father, "bỏ em" is not), each word either
# accented or typed plain. Not "con tôi", "cháu tôi": an older person telling of their own child is still the one in
# the story; "con" is never an owner here ("hai mẹ con").
_KIN = ("mẹ bố ba bà cha ông u vợ chồng cô dì chú cậu thím mợ bác bố_mẹ ba_mẹ ba_má cha_mẹ ông_bà ông_nội bà_nội "
        "ông_ngoại bà_ngoại bố_chồng mẹ_chồng bố_vợ mẹ_vợ").split()
_OWNER = "tôi em mình tui tao e cháu".split()
_NEAR = "hàng_xóm kế_bên trong_xóm trong_thôn trong_tổ trong_nhóm trong_hội".split()
# What the one in the story went through, soon after they are named ("mẹ tôi 87 tuổi bị gọi", "bố em vừa cài"), or
# what was done to them ("có đứa gọi cho mẹ tôi", "tài khoản của bố em").
_UNDERWENT = ("bị được vừa đang lỡ đã tin quen cài bấm chuyển đọc mua gặp nhận nghe cho làm nhắn ở sống hay cứ "
              "mới").split()
_BEFORE = "gọi_cho gọi_điện_cho gọi_điện gọi nhắn_cho nhắn_tin_cho lừa dụ của".split()


def _either(words: list[str], plain: bool = True) -> str:
    """Each word accented or (with `plain`) typed plain, spaces for underscores."""
    forms = {w.replace("_", " ") for w in words} | ({fold(w).replace("_", " ") for w in words} if plain else set())
    return "(?:" + "|".join(sorted(map(re.escape, forms), key=len, reverse=True)) + ")"


# "má" only accented: typed plain it is nearly always "mà tôi". "cán bộ tới" folds like "bố tôi"; "vợ chồng tôi" is
# the writer too.
_ONE = (rf"(?<!cán )(?<!can )(?<!vợ )(?<!vo )(?:{_either(_KIN)}|má) {_either(_OWNER)}(?!\w)|"
        rf"{_either('ông bà bác cô chú'.split())} (?:{_either(['cụ'])} )?{_either(_NEAR)}(?!\w)|"
        rf"{_either(['người_thân'])} (?:{_either(['của'])} )?{_either(_OWNER)}(?!\w)")
_RELATIVE = re.compile(rf"(?<!\w)(?:{_ONE})(?: [\w,.]+){{0,6}}? {_either(_UNDERWENT)}(?!\w)|"
                       rf"(?<!\w){_either(_BEFORE)} (?:{_ONE})")

_NAMED = re.compile(rf"\b{_either(_KIN)} {_either(_OWNER)}\b")  # on folded text: only plain forms matter there

# The writer did it too, or is the one called ("tôi cũng chuyển", "em lỡ đọc mã"): the steps stay the writer's own.
_WRITER_ACTED = re.compile(r"\b(?:toi|em|minh|tui|e) (?:da |cung |vua |lo |cung da |da lo )?(?:chuyen|ck|doc|bam|cai|"
                           r"nhap|dien|nap|gui tien|quet)\b|\b(?:goi|nhan tin|nhan|alo) (?:cho )?(?:toi|em|minh|tui)"
                           r" (?:bao|noi|xung|doa|doi|bat)\b")


def about_relative(text: str, told: str) -> bool:
    """The story (`text` as written, `told` folded) is about an older relative or neighbour, and the writer is not the
    one who acted."""
    if not _RELATIVE.search(unicodedata.normalize("NFC", text).lower()):
        return False
    return not _WRITER_ACTED.search(_NAMED.sub("nguoi nha", told))  # "mẹ tôi lỡ chuyển": the mother, not "tôi"
