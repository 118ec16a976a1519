"""Reading what people type in answer to a prompt: yes/no, numbers, a button's words, a name, a place.

Older people rarely press buttons: they type "dong y", "ko", "sau muoi tam", "lam lai bai nay". Everything
here works on accent-folded words with teencode spelled out (rag.text.syllables), so "Đồng ý", "dong y" and
"đông y" read alike. Negations are caught before any fuzzy matching: a fuzzy matcher alone reads "ko phai"
as "phải".
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from bot.types import Button
from rag.text import ABBREVIATIONS, fold, normalize, syllables

# Words that turn an answer into a no ("không", "ko", "hok", "chưa", "sai", "đâu có", "chẳng").
NEGATIONS = frozenset({"khong", "chua", "sai", "chang", "cha", "dau", "no", "thoi", "huy", "tu", "choi"})
_NEGATION_PHRASES = ("khong", "chua", "sai", "chang", "cha", "dau co", "dau phai", "tu choi", "huy",
                     "dung co", "khoi", "nham", "trat", "lon roi", "lon", "nhe dau", "khong chiu", "de sau",
                     "luc khac", "bua khac", "hom khac")
_YES_PHRASES = ("dong y", "ok", "oke", "okie", "okay", "vang", "u", "uh", "um", "uhm", "da", "co", "duoc",
                "dung", "phai", "chinh xac", "chuan", "yes", "y", "roi", "chac chan", "tat nhien", "nhat tri",
                "luu", "vg", "xac nhan", "ua", "o", "ung", "dung vay", "dung the", "chinh no", "duoc do",
                "phai do", "dung do", "okela", "oce", "yep")
# Words that carry nothing in a short reply ("dạ, cháu cứ lưu đi ạ").
FILLERS = frozenset("a ah a ha nhe nha nhen nhi the thi la di oi chau bac toi minh em con ong ba co chu anh chi "
                     "cu luon voi cho vay day ay nay nao ma lai roi".split())
# Question and request words: a message with these is a question, not a name or a place.
ASKING = frozenset("sao gi nao cach giup hoi muon can bi quen chuyen gui nhap bam xem hoc vay ai khong".split())
_ASKING_PHRASES = ("the nao", "lam sao", "bao nhieu", "huong dan", "dang nhap", "dang ky", "tai sao", "o dau",
                   "bao gio", "cai dat", "tai ve", "lam gi", "de lam", "la gi")
# Things the tutor teaches about: a "name" or "place" containing them is a question typed at the wrong time.
_TOPICAL = tuple(
    "vneid,otp,zalo,app,ung dung,ngan hang,tai khoan,mat khau,passcode,link,qr,dich vu cong,can cuoc,cccd,cmnd,"
    "dien thoai,facebook,lua dao,cong an,so tien,chuyen tien,bai hoc,hoc bai,kiem tra,chung nhan,thong ke,du lieu,"
    "wifi,sim,the atm,chuyen khoan,dinh danh,mat ma".split(","))
_EMOJI = re.compile(r"[^\w\s,.–-]")


# Short-reply spellings beside rag.text's abbreviations: the south's "hông", "hổng", typing slips like "khôg".
_REPLY_SPELLINGS = {
    "khog": "khong", "hong": "khong", "hk": "khong", "kg": "khong", "hok": "khong", "hoq": "khong", "khum": "khong",
    "hem": "khong", "k0": "khong", "ok0": "khong", "chx": "chua",
    "uk": "u", "uki": "u", "um": "u", "ua": "u", "oki": "ok", "okie": "ok", "oke": "ok", "okey": "ok", "oka": "ok",
    "oce": "ok", "vg": "vang", "fai": "phai", "dug": "dung", "rui": "roi",
    "bt": "biet", "bik": "biet", "tui": "toi", "t": "toi", "skip": "bo qua", "qa": "qua", "sd": "su dung",
    "sv": "sinh vien", "cty": "cong ty", "lm": "lam", "ns": "noi", "dc": "duoc",
    # Central and southern words: "răng" (sao), "ni" (này), "cấy" (cái), "mô" (đâu), "dzậy"/"z" (vậy), "kiu" (kêu).
    "ni": "nay", "cay": "cai", "mo": "dau", "dzay": "vay", "z": "vay", "dzo": "vao", "kiu": "keu",
    "nghen": "nhe", "nhen": "nhe", "trung": "dung", "ung": "dong y", "hi": "nhi", "rua": "vay", "chiu": "dong y",
}
# "nỏ" (không) in the centre, before what it denies: "nỏ có", "nỏ phải", "nỏ biết".
_NO_NEXT = frozenset("co phai biet muon noi nho can duoc chiu dong ung hieu ro lam hoc thi xem di".split())
# Words Telex decoding leaves alone: English and the abbreviations people type.
_NOT_TELEX = frozenset({"yes", "sms", "ios", "pass", "bus", "gps", "ks", "ns", "ms", "bs", "vs", "thanks",
                        "tks", "wifi",
                        "web", "www", "news", "apps", "kids", "mbs", "tps", "ups", "dhs", "cs"})
_TELEX_TONE = re.compile(r"^([a-z]*[aeiouyw](?:c|ch|m|n|ng|nh|p|t)?)[sfrxj]$")
# Letter groups of English words that Vietnamese syllables never have ("shipper", "store", "user").
_ENGLISH = re.compile(r"^(?:sh|st|sp|sc|sk|sw|sl|sm|sn|bl|br|cl|cr|dr|fl|fr|gl|gr|pl|pr|tw|wh|wr|j|f|z|w(?!$))|"
                      r"(?:pp|ll|ss|ff|rr|tt|ck)$")


def _telex(token: str) -> str:
    """A syllable typed in Telex without the keyboard converting it ("DDOONGF" -> dong, "chuwa" -> chua)."""
    if token in _NOT_TELEX or token in ABBREVIATIONS or token in _REPLY_SPELLINGS or not token.isalpha():
        return token
    toned = _TELEX_TONE.match(token)
    marked = re.search(r"dd|aa|ee|oo|aw|ow|uw|w", token)
    if not toned and not marked:
        return token
    if _ENGLISH.search(token):
        return token  # "shipper", "user", "store": English, not Vietnamese typed in Telex
    out = toned.group(1) if toned else token
    out = out[:-1] if out.endswith("w") and len(out) > 2 and not out.endswith(("aw", "ow", "uw")) else out
    for pair, single in (("dd", "d"), ("aa", "a"), ("ee", "e"), ("oo", "o"), ("aw", "a"), ("ow", "o"), ("uw", "u"),
                         ("w", "u")):
        out = out.replace(pair, single)
    return out


def words(text: str, reply: bool = False) -> list[str]:
    """Accent-folded syllables with teencode spelled out ("ko dc" -> khong duoc); letters typed twice at the end
    of a word folded ("đồng ýy"); "62t" split. With `reply`, short-reply spellings too ("hông" -> khong)."""
    folded = re.sub(r"\b2k(\d)\b", r"200\1", fold(normalize(text)))  # "2k1": born in 2001
    folded = re.sub(r"(\d)\s?k\b", r"\1 nghin", folded)  # "350k": thousands, not "không"
    # "6 tỉ", "mấy tỉ", "hàng chục tỉ": the other spelling of "tỷ" (billions), read as one word for money
    folded = re.sub(r"(\d|\b(?:may|hang|vai|nua|chuc|tram))\s?ti\b", r"\1 ty", folded)
    folded = re.sub(r"(\d+)([a-z]+)", r"\1 \2", folded)
    folded = re.sub(r"[a-z]+", lambda m: _telex(m.group(0)), folded)
    # "hưu" folds to "huu": a doubled "u" is a slip only after a vowel ("cháuu"); other doubled endings always are,
    # but for "pp" ("app").
    folded = re.sub(r"\b([a-z]*?)(?:([a-oq-tv-z])\2+|(?<=[aeioy])(u)u+)\b",
                    lambda m: m.group(1) + (m.group(2) or m.group(3)), folded)
    out = syllables(folded)
    if reply:
        short = len(out) <= 4
        # "hông"/"hổng" is the south's "không" only in a short reply ("hông phải"), never in "Hồng Bàng".
        out = " ".join(_REPLY_SPELLINGS.get(w, w) if w != "hong" or i + 1 == len(out) or (
            short or i > 0) and out[i + 1] in _HONG_NEXT else w for i, w in enumerate(out)).split()
        out = ["khong" if w == "no" and i + 1 < len(out) and out[i + 1] in _NO_NEXT else w for i, w in enumerate(out)]
    return out


_HONG_NEXT = frozenset("phai dong biet co nho noi can muon duoc dau chiu ro lam hoc thi xem di dang that".split())


def has_phrase(ws: list[str], phrase: str) -> bool:
    parts = phrase.split()
    n = len(parts)
    return any(ws[i:i + n] == parts for i in range(len(ws) - n + 1))


def negated(ws: list[str]) -> bool:
    """Whether the words say no ("không", "chưa", "sai rồi", "đâu có", "thôi"), but not "không sao"."""
    if has_phrase(ws, "khong sao") or has_phrase(ws, "sao khong"):
        return False
    if ws[:1] == ["thoi"] or ws == ["thoi"] or ws[-1:] == ["dau"]:
        return True  # "thôi", "thôi khỏi" (but "nội trợ thôi" is "only"); "hổng nói đâu"
    return any(has_phrase(ws, p) for p in _NEGATION_PHRASES)


_INTERROGATIVES = ("sao", "gi", "nao", "bao nhieu", "bao lau", "the nao", "lam sao", "bao gio", "tai sao", "vi sao",
                   "de lam gi", "la gi", "co phai", "ai", "lam chi", "hoi chi", "de chi")


def asks(text: str) -> bool:
    """A question by its form: "?", a question word, or "có … không/chưa" at the end."""
    if "?" in text:
        return True
    ws = words(text, reply=True)
    joined = " ".join(ws)
    # "chưa … bao giờ" is "never", "chưa có gì" is "nothing": statements, not questions.
    joined = re.sub(r"\b(chua|khong|chang)\b(.*?)\b(?:bao gio|gi)\b", r"\1\2", joined)
    joined = re.sub(r"\b(?:gi|nao|dau|sao|ai) (?:do|day|ca|cung)\b|\bai biet\b", " ", joined)  # indefinites
    if any(has_phrase(joined.split(), p) for p in _INTERROGATIVES):
        return True
    # "ở đâu" at the end is a question, "ở đầu ngõ" is not; the centre's "răng" (sao), but not "Cái Răng".
    if re.search(r"\bo dau\b(?! (?:ngo|duong|lang|xom|thon|pho|hem|kiet|cau|nha|tien|ban|day|kia))|"
                 r"(?<!cai )\brang\b", joined):
        return True
    if re.search(r"\bhay\b.*\b(?:vay|khong|chua)$", joined):
        return True  # "ấp hay thôn vậy", "cũ hay mới z"
    return bool(re.search(r"\b(?:co|da|con) \w+(?: \w+)*? (?:chua|khong)$", " ".join(ws)))


_HEDGE_TAIL = re.compile(r"\s*(?:(?:ha|a|nhi|phai khong|dung khong|duoc khong|dc khong|khong|ko|nhe|chu)\s*)?\?+\s*$")


def settle(text: str) -> str:
    """What a hesitant reply settles on: the part after its last question ("ờ… đúng hả? ừ đúng" -> "ừ đúng"),
    or a short answer without its hedge ("b hả?" -> "b", "làm lại đc ko" -> "làm lại")."""
    clean = normalize(text)
    if "?" in clean:
        head, _, rest = clean.rpartition("?")
        if rest.strip(" .,!…") and len(words(rest)) <= 6:
            return rest.strip(" .,!…")
        hedge = re.search(r"\s+(?:ha|nhi|phai khong|dung khong|duoc khong|dc khong|ko|khong|duoc ko|dc ko|a)\s*$",
                          fold(head))
        if hedge and len(fold(head)) == len(head) and 0 < len(words(head[:hedge.start()])) <= 3:
            return head[:hedge.start()].strip()  # "b hả?", "làm lại đc ko?"
        return clean  # a real question
    folded = fold(clean)
    if len(folded) == len(clean) and len(words(clean)) <= 8:
        m = re.search(r"\s+(?:ha|nhi|phai khong|dung khong|duoc khong|dc khong|ko|khong|duoc ko|dc ko)\s*\?*\s*$",
                      folded)
        head = clean[:m.start()].lower() if m else ""
        accented = head != fold(head)
        if m and m.start() > 0 and not re.search(r"\b(?:có|đã)\b" if accented else r"\b(?:co|da)\b", head):
            return clean[:m.start()].strip()
        return clean.rstrip("? ")
    return clean


_SMALL_TALK = ("chao", "xin chao", "hello", "hi", "alo", "cam on", "troi oi", "troi", "nong qua", "lanh qua", "met qua",
               "hom nay")
OCCUPATIONS = ("nong dan", "cong nhan", "giao vien", "huu tri", "noi tro", "buon ban", "sinh vien", "hoc sinh",
                "can bo", "cong chuc", "ve huu", "lam ruong")


def small_talk(text: str) -> bool:
    """A greeting, thanks or a remark ("chào cháu", "trời nóng quá"): never a name or a place."""
    ws = words(text, reply=True)
    return any(has_phrase(ws, p) for p in _SMALL_TALK)


POLITE_HEAD = re.compile(r"^(?:(?:da|vang|u|thi|ok|oke|chau oi|con oi|hinh nhu|chac la|chac|om|um|oi|"
                          r"the thi|vay thi|cai nay thi|toi nghi la|chac chan la)\s+)+")
POLITE_TAIL = re.compile(r"(?:\s+(?:a|ah|nhe|nha|nhen|nghe|con|chau|oi|di|ha|vay|do|day|duoc roi|dc roi|roi|"
                          r"nua|voi|giup|luon|the|thoi|hi|nhi|cho|te|ni|chac luon|chac|do hi|cung duoc|la duoc|"
                          r"la duoc roi|cho than mat))+$")
_SUBJECT = re.compile(r"^(?:(?:cho|de)\s+(?:(?:toi|tui|tao|minh|ba|ong|bac|em|con|chau|t|me|bo)\s+)?|"
                      r"(?:toi|tui|tao|minh|ba|ong|bac|em|con|chau|t|me|bo|co|chu)\s+"
                      r"(?:(?:dang|hien|thi|la)\s+)?(?:o|song o|nha o|chon|chon cau|muon|xin|la|thuoc)\s+"
                      r"(?:(?:ngoai|trong|tren|duoi)\s+)?|nha (?:toi|tui|minh|ba|ong|em|con|chau)\s+o\s+)")


def core(text: str) -> str:
    """The answer inside a polite frame: "Dạ bà ở thôn 4 ạ" -> "thôn 4" (original letters kept)."""
    clean = normalize(re.sub(r"[,;!]+", " ", text)).strip(" .")
    folded = fold(clean)
    if len(folded) != len(clean):
        return clean
    start, end = 0, len(folded)
    for _ in range(2):
        if m := POLITE_HEAD.match(folded, start):
            start = m.end()
        if m := _SUBJECT.match(folded[start:]):
            start += m.end()
    if m := POLITE_TAIL.search(folded[start:]):
        end = start + m.start()
    out = clean[start:end].strip()
    return out or clean


def topical(text: str) -> bool:
    """Whether the text names something the tutor teaches (VNeID, OTP, a bank, money transfers, QR…)."""
    ws = words(text)
    return any(has_phrase(ws, t) for t in _TOPICAL)


def is_question(text: str) -> bool:
    """A question or a request rather than a short answer: "?", question words, or topics the tutor teaches."""
    if asks(text):
        return True
    ws = words(text)
    joined = " ".join(ws)
    if len(ws) >= 3 and (any(w in ASKING for w in ws) or any(has_phrase(ws, p) for p in _ASKING_PHRASES)):
        return True
    if any(has_phrase(ws, t) for t in _TOPICAL):
        return True
    return bool(re.search(r"\b(?:co|da) \w+(?: \w+)? (?:chua|khong)$", joined)) or len(ws) > 12


def yes_no(text: str) -> bool | None:
    """True for a yes, False for a no, None when the words say neither or say more than an answer."""
    text = settle(text)
    if asks(text):
        return None  # "ở đâu?", "đúng không?": a question back, not an answer
    ws = [w for w in words(text, reply=True) if w]
    if not ws:
        return None
    if len(ws) > 8:
        return _decisive(ws)
    if ws[0] == "thoi" and len(ws) > 1 and any(has_phrase(ws[1:], p) for p in ("ok", "duoc", "dong y", "u", "vang")):
        ws = ws[1:]  # "thôi oke": "well, OK"
    no = negated(ws)
    if no and (has_phrase(ws, "khong biet") or has_phrase(ws, "khong hieu") or has_phrase(ws, "khong ro")):
        return None  # "không biết" is not a no
    rest = [w for w in ws if w not in FILLERS and w not in NEGATIONS]
    for phrase in sorted(_YES_PHRASES, key=len, reverse=True):
        if has_phrase(rest, phrase):
            rest = " ".join(rest).replace(phrase, " ", 1).split()
    rest = [w for w in rest if w not in ("cam", "on", "biet", "hieu", "phien", "can", "muon", "luu", "y", "ghi",
                                         "nhan", "thong", "tin", "dang", "ky", "ki")]
    if len(rest) > 1 and not no:
        return _decisive(ws)  # "có, nhưng làm sao cài VNeID" is more than an answer; "đúng rồi tôi ở đó" is one
    if no:
        return False
    if any(has_phrase(ws, p) for p in _YES_PHRASES):
        return True
    return None


# In a long reply, the phrases that decide it ("Dạ, cái này thì tôi đồng ý, cháu cứ ghi lại cho tôi nhé").
_DECISIVE_NO = ("khong dong y", "chua dong y", "khong phai", "khong dung", "chua muon", "khong muon", "nham roi",
                "chua co", "chua lam", "chua dang ky", "khong co",
                "sai roi", "khong o do", "khong o day", "tu choi", "de khi khac", "de hom khac", "de luc khac",
                "thoi khong", "khong can", "chua can", "cau nham", "chau nham")
_DECISIVE_YES = ("dong y", "dung roi", "dung la", "dung vay", "dung the", "chinh xac", "phai roi", "vang", "duoc roi",
                 "co roi", "lam roi", "lam cho roi", "cai roi", "cai cho", "lam cho", "lam ho",
                 "ok", "dung day", "dung do", "dung o do", "o do", "o day", "chac chan", "cung duoc")


def _decisive(ws: list[str]) -> bool | None:
    """Yes or no from the deciding phrases of a longer reply; None when it has none, or both."""
    if len(ws) > 30:
        return None
    no = any(has_phrase(ws, p) for p in _DECISIVE_NO)
    yes = any(has_phrase(ws, p) for p in _DECISIVE_YES if not (p == "dong y" and no))
    if no:
        return False
    return True if yes else None


# ---------------------------------------------------------------- buttons

def label_words(label: str) -> str:
    """A button's label as words: emoji and signs dropped, accent-folded."""
    return " ".join(words(_EMOJI.sub(" ", label)))


def match_button(text: str, buttons: tuple[Button, ...] | list[Button]) -> Button | None:
    """The one button whose words were typed ("lam lai bai nay" -> "🔁 Làm lại bài này"), or None.

    Typos are forgiven (rapidfuzz), a negation must agree ("ko dong y" never presses "Tôi đồng ý"), and the
    text may not say much more than the label: a question that shares a word with a button is a question.
    """
    if not buttons or asks(text):
        return None
    ws = words(core(text), reply=True)
    if not ws:
        return None
    typed = " ".join(ws)
    scored: list[tuple[float, Button]] = []
    for b in buttons:
        lw = " ".join(words(_EMOJI.sub(" ", b.label), reply=True))
        if not lw:
            continue
        lws = lw.split()
        if negated(lws) != negated(ws):
            continue
        if typed == lw:
            return b
        if len(ws) > len(lws) + 3:
            continue
        score = fuzz.ratio(typed, lw)
        if len(lws) <= 2 and len(lw) < 12:
            score = score if score >= 92 else 0.0  # "khong co" is not "khong ro"
        elif len(typed) >= 4 and len(ws) >= 2:
            score = max(score, fuzz.token_set_ratio(typed, lw) - 5 * max(0, len(ws) - len(lws)))
        scored.append((score, b))
    if not scored:
        return None
    scored.sort(key=lambda t: -t[0])
    best, button = scored[0]
    second = scored[1][0] if len(scored) > 1 else 0.0
    if best >= 85 and best - second >= 8:
        return button
    return None


_SENTENCE = re.compile(r"(?<=[?？])\s*|(?<=[.!;])\s+|\n+")


def split_questions(text: str) -> list[str]:
    """Two or more questions in one message, each with the sentences that lead up to it; one part otherwise.

    "Làm sao cài VNeID? Còn quên mật khẩu thì sao?" -> two parts. A story ending in one question stays whole.
    """
    sentences = [x.strip() for x in _SENTENCE.split(text) if x and x.strip()]
    parts: list[str] = []
    pending: list[str] = []
    for sentence in sentences:
        pending.append(sentence)
        if asks(sentence) and len(words(sentence)) >= 3:
            parts.append(" ".join(pending))
            pending = []
    if pending and parts:
        parts[-1] = f"{parts[-1]} {' '.join(pending)}"
    return parts if len(parts) >= 2 else [text]


# What people ask of the tutor itself, in their own words: retake the quiz, another lesson, learn, progress, help.
# Most specific first: "học bài khác" is another lesson before it is "học".
_INTENTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("retry", r"\b(?:lam lai|thi lai|kiem tra lai|lam bai lai|thu lai|lam (?:\w+ )?lan nua|lam tu dau)\b"),
    ("other_lesson", r"\b(?:bai khac|doi bai|sang bai|qua bai|chuyen (?:qua |sang )?bai|danh sach (?:cac )?bai|"
                     r"chon bai|bai (?:\w+ )?khac)\b"),
    ("progress", r"\b(?:tien do|diem|ket qua|hoc (?:\w+ )?(?:toi|den|duoc) (?:dau|bai may|bao nhieu|may bai|bai nao)|"
                 r"hoc toi dau|hoc den dau|da hoc (?:duoc )?(?:may|bao nhieu))\b"),
    ("help", r"\b(?:huong dan|cach (?:dung|xai|su dung)|chi (?:\w+ ){0,3}(?:cach|dung|xai)|(?:dung|xai|bam) "
             r"(?:the nao|sao|ra sao|rang)|(?:khong|chua) (?:biet|ranh) (?:dung|xai)|su dung (?:the nao|sao))\b"),
    ("learn", r"\b(?:hoc|bat dau hoc|vao hoc|bai moi|bai tiep)\b"),
))


def intent(text: str) -> str | None:
    """What a short message asks of the tutor itself ("cho mệ làm lại cái bài ni" -> retry), or None.

    A question about a topic ("làm lại mật khẩu VNeID thế nào") is not one: it names something the tutor teaches.
    """
    settled = settle(text)
    ws = words(settled, reply=True)
    if not ws or len(ws) > 20 or any(has_phrase(ws, t) for t in _TOPICAL if t not in ("bai hoc", "hoc bai",
                                                                                       "kiem tra")):
        return None
    joined = " ".join(ws)
    found = [name for name, pattern in _INTENTS if any(
        not re.search(r"\b(?:khong|chua|chang|dung|thoi khong)(?: \w+)?\s*$", joined[:m.start()])
        for m in pattern.finditer(joined))]
    if not found:
        return None
    if asks(settled) and found[0] not in ("progress", "help"):
        return None
    if found[0] == "help" and len(ws) > 6 and not _ABOUT_TUTOR.search(joined):
        return None  # "máy trợ lý ảo ở phường dùng thế nào": a question about something else, not about the tutor
    return found[0]


# Words that make a longer request for help about the tutor itself ("chỉ bà cách dùng cái này với").
_ABOUT_TUTOR = re.compile(r"\b(?:chau|bot|cai nay|cai ni|tro ly nay|app nay|ung dung nay|may nay|o day|ben nay)\b")
