"""Consent and registration: skippable, resumable, editable; nothing personal is stored before consent."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import messages as msg
from bot.types import Button, Reply
from storage import units
from storage.models import Consent, User, utcnow

STEPS = ("name", "commune", "hamlet", "group", "age", "vneid")
SKIP = Button(msg.BTN_SKIP, "/dk skip")


def consent_reply() -> Reply:
    """The consent question with its two answers."""
    return Reply(msg.CONSENT_ASK, (Button(msg.BTN_AGREE, "/dongy"), Button(msg.BTN_DISAGREE, "/khongdongy")))


def _choices(values: dict[str, str], field: str) -> tuple[Button, ...]:
    return tuple(Button(label, f"/dk {field} {key}") for key, label in values.items()) + (SKIP,)


def _ask(step: str) -> Reply:
    if step == "name":
        return Reply(msg.ASK_NAME, (SKIP,))
    if step == "commune":
        return Reply(msg.ASK_COMMUNE, (SKIP,))
    if step == "hamlet":
        return Reply(msg.ASK_HAMLET, (SKIP,))
    if step == "group":
        return Reply(msg.ASK_GROUP, _choices(msg.GROUPS, "group"))
    if step == "age":
        return Reply(msg.ASK_AGE, _choices(msg.AGE_BANDS, "age"))
    return Reply(msg.ASK_VNEID, _choices(msg.VNEID_CHOICES, "vneid"))


def _first_open(ctx: dict[str, Any]) -> str | None:
    """The first question neither answered nor skipped: where "tiếp tục đăng ký" resumes."""
    seen = set(ctx.get("reg_seen") or [])
    return next((step for step in STEPS if step not in seen), None)


class Registration:
    """The registration conversation; its position lives in the user's context row."""

    async def start(self, user: User, ctx: dict[str, Any], edit: bool) -> list[Reply]:
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

    async def consent(self, s: AsyncSession, user: User, ctx: dict[str, Any], agreed: bool) -> list[Reply]:
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

    async def button(self, user: User, ctx: dict[str, Any], args: list[str]) -> list[Reply]:
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

    async def text(self, user: User, ctx: dict[str, Any], text: str) -> list[Reply] | None:
        """Free text while a question expecting text is open; None when the text is not for us."""
        step = ctx.get("reg")
        if user.consent_at is None or step not in ("name", "commune", "hamlet"):
            return None
        if step == "name":
            user.display_name = " ".join(text.split())[:80]
            return self._next(user, ctx, step)
        if step == "hamlet":
            user.hamlet = units.normalise_hamlet(text)[:120] or None
            return self._next(user, ctx, step)
        found = units.find_communes(text)
        if not found:
            return [Reply(msg.COMMUNE_NOT_FOUND.format(query=text[:60]), (SKIP,))]
        if len(found) == 1:
            c = found[0]
            return [Reply(msg.COMMUNE_CONFIRM.format(label=c.label),
                          (Button(msg.BTN_YES, f"/dk commune {c.code}"), Button(msg.BTN_NO, "/dk no"), SKIP))]
        return [Reply(msg.COMMUNE_PICK, tuple(Button(c.label, f"/dk commune {c.code}") for c in found) + (SKIP,))]

    def _next(self, user: User, ctx: dict[str, Any], done: str) -> list[Reply]:
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
