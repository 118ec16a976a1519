"""Consent and registration: skippable, resumable, editable; nothing personal is stored before consent."""

from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from bot import messages as msg
from bot import names, understand
from bot.commands import Call, Commands
from bot.conversation import Conversation
from bot.types import Button, Prompt, Reply
from storage import units
from storage.models import Consent, User, utcnow

STEPS = ("name", "commune", "hamlet", "group", "age", "vneid")
SKIP = Button(msg.BTN_SKIP, "/dk skip")


CONSENT = Prompt("consent", "yes_no", msg.CONSENT_AGAIN, yes="/dongy", no="/khongdongy")
_PROMPTS = {
    "name": Prompt("reg.name", "name", msg.NAME_AGAIN, no="/dk skip"),
    "commune": Prompt("reg.commune", "commune", msg.COMMUNE_AGAIN, no="/dk skip"),
    "hamlet": Prompt("reg.hamlet", "place", msg.HAMLET_AGAIN, no="/dk skip"),
    "group": Prompt("reg.group", "options", msg.GROUP_AGAIN, value="/dk group {}", no="/dk skip"),
    "age": Prompt("reg.age", "options", msg.AGE_AGAIN, value="/dk age {}", no="/dk skip"),
    "vneid": Prompt("reg.vneid", "options", msg.VNEID_AGAIN, value="/dk vneid {}", no="/dk skip"),
}


def consent_reply() -> Reply:
    """The consent question with its two answers."""
    return Reply(msg.CONSENT_ASK, (Button(msg.BTN_AGREE, "/dongy"), Button(msg.BTN_DISAGREE, "/khongdongy")),
                 prompt=CONSENT)


def _choices(values: dict[str, str], field: str) -> tuple[Button, ...]:
    return tuple(Button(label, f"/dk {field} {key}") for key, label in values.items()) + (SKIP,)


def _ask(step: str) -> Reply:
    prompt = _PROMPTS[step]
    if step == "name":
        return Reply(msg.ASK_NAME, (SKIP,), prompt=prompt)
    if step == "commune":
        return Reply(msg.ASK_COMMUNE, (SKIP,), prompt=prompt)
    if step == "hamlet":
        return Reply(msg.ASK_HAMLET, (SKIP,), prompt=prompt)
    if step == "group":
        return Reply(msg.ASK_GROUP, _choices(msg.GROUPS, "group"), prompt=prompt)
    if step == "age":
        return Reply(msg.ASK_AGE, _choices(msg.AGE_BANDS, "age"), prompt=prompt)
    return Reply(msg.ASK_VNEID, _choices(msg.VNEID_CHOICES, "vneid"), prompt=prompt)


def _first_open(ctx: Conversation) -> str | None:
    """The first question neither answered nor skipped: where "tiếp tục đăng ký" resumes."""
    seen = set(ctx.get("reg_seen") or [])
    return next((step for step in STEPS if step not in seen), None)


# How people shorten province and unit words when they type a commune ("ben thanh hcm", "p hai chau dn").
_PLACE_SHORT = {"hn": "ha noi", "hcm": "ho chi minh", "tphcm": "ho chi minh", "sg": "ho chi minh",
                "sai gon": "ho chi minh", "ct": "can tho", "dn": "da nang", "hp": "hai phong", "p": "phuong",
                "x": "xa", "tp": "thanh pho", "tt": "thi tran"}


def _query(text: str) -> str:
    query = " ".join(understand.words(understand.core(text)))
    for short, full in sorted(_PLACE_SHORT.items(), key=lambda t: -len(t[0])):
        query = re.sub(rf"\b{short}\b", full, query)
    # "tỉnh"/"thành phố" before a province's name is not part of the commune's name.
    return _before_province().sub("", query).strip()


def _lookup(query: str) -> list[units.Commune]:
    parts = query.split()
    for cut in range(0, min(3, len(parts) - 1) + 1):
        kept = " ".join(parts[:len(parts) - cut])
        if cut and (len(kept.split()) < 2 or len(kept) < 5):
            break  # a single short word left is no longer a name
        found = units.find_communes(kept)
        if found:
            return found
    # A district or city of before 1/7/2025 named in between ("Trường Vinh thành phố Vinh Nghệ An").
    old_level = re.sub(r"\b(?:quan|huyen|thi xa|thanh pho|thi tran) \w+(?: \w+)?(?= \w)", "", query, count=1)
    if old_level != query and old_level.strip():
        return units.find_communes(" ".join(old_level.split()))
    return []


def commune_answer(text: str) -> list[units.Commune] | None:
    """The communes a reply to "xã, phường nào?" names (empty when none is found), or None when the reply is
    not a place at all: a question, small talk, "mệ nỏ biết tên mới"."""
    if understand.asks(text) or understand.small_talk(text):
        return None
    if any(understand.has_phrase(understand.words(text, reply=True), p)
           for p in ("khong biet", "khong nho", "quen", "khong ro")):
        return None
    found = lookup_commune(text)
    if not found and understand.is_question(text):
        return None
    return found


def lookup_commune(text: str) -> list[units.Commune]:
    """Communes for what was typed at the commune question: the polite frame dropped, short forms spelled out,
    then clause by clause ("Dạ, nhà tôi ở xã Bát Tràng, Hà Nội, cái làng gốm ấy"), narrowed by a province named
    anywhere; when nothing matches, trailing words dropped (an old province name, "Mỹ Tho Tiền Giang")."""
    whole = _query(text)
    found = _lookup(whole)
    if found:
        return found
    clauses = [_query(c) for c in re.split(r"[,;.]+", understand.settle(text)) if c.strip()]
    if len(clauses) < 2:
        return []
    named = {code for code, name in _provinces_folded().items() if re.search(rf"\b{name}\b", whole)}
    for i in range(len(clauses)):
        for j in range(len(clauses), i, -1):
            found = _lookup(" ".join(clauses[i:j]))
            if named:
                found = [c for c in found if c.province_code in named]
            if found:
                return found
    return []


@lru_cache(maxsize=1)
def _provinces_folded() -> dict[int, str]:
    out = {}
    for code in units.all_province_codes():
        name = units.province_name(code) or ""
        out[code] = " ".join(understand.words(re.sub(r"^(?:Thành phố|Tỉnh)\s+", "", name)))
    return out


@lru_cache(maxsize=1)
def _before_province() -> re.Pattern[str]:
    names = "|".join(sorted(_provinces_folded().values(), key=len, reverse=True))
    return re.compile(rf"\b(?:tinh|thanh pho|tp)\s+(?=(?:{names})\b)")


class Registration:
    """The registration conversation; its position lives in the user's context row."""

    def register(self, commands: Commands) -> None:
        commands.add("/dangky", lambda c: self.start(c.user, c.ctx, edit=not c.ctx.get("reg")))
        commands.add("/dongy", lambda c: self.consent(c.s, c.user, c.ctx, True))
        commands.add("/khongdongy", self._decline)
        commands.add("/dk", lambda c: self.button(c.user, c.ctx, c.args))

    async def _decline(self, c: Call) -> list[Reply]:
        c.ctx["consent_declined"] = True
        return await self.consent(c.s, c.user, c.ctx, False)

    async def start(self, user: User, ctx: Conversation, edit: bool) -> list[Reply]:
        """Ask for consent, or continue (or, with `edit`, restart) the questions."""
        if user.consent_at is None:
            ctx["reg"] = "consent"
            return [consent_reply()]
        step = None if edit else _first_open(ctx)
        if step is None:
            ctx["reg_seen"] = []
            step = STEPS[0]
        ctx["reg"] = step
        return [_ask(step)]

    async def consent(self, s: AsyncSession, user: User, ctx: Conversation, agreed: bool) -> list[Reply]:
        """Record an explicit yes (with the exact text shown) or a no."""
        if not agreed:
            ctx.pop("reg", None)
            return [Reply(msg.CONSENT_DECLINED)]
        if user.consent_at is None:
            user.consent_at = utcnow()
            user.consent_version = msg.CONSENT_VERSION
            s.add(Consent(user_id=user.id, version=msg.CONSENT_VERSION, text=msg.CONSENT_ASK))
        step = _first_open(ctx) or STEPS[0]
        ctx["reg"] = step
        return [Reply(msg.CONSENT_THANKS), _ask(step)]

    async def button(self, user: User, ctx: Conversation, args: list[str]) -> list[Reply]:
        """A registration button: "/dk skip", "/dk group nguoi-dan", "/dk commune 11311", "/dk no"."""
        step = ctx.get("reg")
        if user.consent_at is None or step not in STEPS:
            return await self.start(user, ctx, edit=False)
        if args == ["skip"]:
            return self._next(user, ctx, step)
        if len(args) == 2:
            field, value = args
            if field == "group" and value in msg.GROUPS:
                user.target_group = value
            elif field == "age" and value in msg.AGE_BANDS:
                user.age_band = value
            elif field == "vneid" and value in msg.VNEID_CHOICES:
                user.vneid_level2 = {"co": True, "chua": False}.get(value)
            elif field == "commune" and value.isdigit() and (c := units.commune(int(value))) is not None:
                user.ward_code, user.province_code = c.code, c.province_code
            else:
                return [_ask(step)]
            return self._next(user, ctx, field if field in STEPS else step)
        if args == ["no"] and step == "commune":
            return [_ask("commune")]
        return [_ask(step)]

    async def text(self, user: User, ctx: Conversation, step: str, text: str) -> list[Reply] | None:
        """Typed text at the name, commune or thôn question; None when it is not an answer (a question, a
        request): then it is handled as what it is and the question is asked again, never filled with it."""
        if user.consent_at is None or step not in ("name", "commune", "hamlet"):
            return None
        if step == "name":
            name = names.name_answer(text)
            if name is None:
                return None
            user.display_name = name.value
            return self._next(user, ctx, step)
        if step == "hamlet":
            place = names.hamlet_place(text)
            if place is None:
                return None
            user.hamlet = units.normalise_hamlet(place)[:120] or None
            return self._next(user, ctx, step)
        found = commune_answer(text)
        if found is None:
            return None
        if not found:
            return [Reply(msg.COMMUNE_NOT_FOUND.format(query=text[:60]), (SKIP,), prompt=_PROMPTS["commune"])]
        if len(found) == 1:
            c = found[0]
            confirm = Prompt("reg.commune.confirm", "yes_no", msg.CONFIRM_AGAIN, yes=f"/dk commune {c.code}",
                             no="/dk no")
            return [Reply(msg.COMMUNE_CONFIRM.format(label=c.label),
                          (Button(msg.BTN_YES, f"/dk commune {c.code}"), Button(msg.BTN_NO, "/dk no"), SKIP),
                          prompt=confirm)]
        return [Reply(msg.COMMUNE_PICK, tuple(Button(c.label, f"/dk commune {c.code}") for c in found) + (SKIP,),
                      prompt=_PROMPTS["commune"])]

    def _next(self, user: User, ctx: Conversation, done: str) -> list[Reply]:
        ctx["reg_seen"] = sorted(set(ctx.get("reg_seen") or []) | {done}, key=STEPS.index)
        later = [step for step in STEPS[STEPS.index(done) + 1:] if step not in ctx["reg_seen"]]
        if later:
            ctx["reg"] = later[0]
            return [_ask(later[0])]
        ctx.pop("reg", None)
        # Classes and households need the commune: offered once it is known.
        done = msg.REG_DONE.format(name=user.display_name or msg.REG_DEFAULT_NAME)
        if user.ward_code is None:
            return [Reply(done)]
        return [Reply(f"{done}\n{msg.REG_OFFER}", (Button(msg.BTN_CLASS_ON, "/lophoc bat"),
                                                    Button(msg.BTN_HOUSEHOLD, "/giadinh"),
                                                    Button(msg.BTN_LATER, "/ok")))]
