"""The chat side of volunteers and admins: invitations, referral links and QR cards, the support log, and what a
volunteer may see of the learners who agreed to it. Learners meet this module when they open a volunteer's link.
Asking for a person and writing to each other through the tutor are in bot/handoffs.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot import images
from bot import messages as msg
from bot.answers import main_menu
from bot.commands import Commands
from bot.conversation import Conversation
from bot.types import Button, Prompt, Reply
from rag.knowledge import KnowledgeBase
from rag.text import fold
from storage import roles, units, volunteers
from storage.models import Consent, Staff, SupportSession, User
from storage.units import Scope

log = logging.getLogger(__name__)

REFERRAL_PREFIX = "r-"
INVITE_PREFIX = "i-"
MINE_SHOWN = 30
PEOPLE_BUTTONS = (1, 2, 3, 5, 10)
RELAY_MAX = 1000  # characters of one message passed on


def _count_prompt(topic: str) -> Prompt:
    """How many people were helped: any typed number ("4", "bốn", "mười hai"), not only the buttons."""
    return Prompt("count", "number", msg.COUNT_AGAIN, value=f"/nhatky {topic} {{}}", low=1, high=500)


def staff_name(staff: Staff) -> str:
    """How learners see a staff member."""
    if staff.display_name:
        return staff.display_name
    unit = roles.home_scope(staff)
    c = units.commune(unit.ward_code) if unit.ward_code else None
    return msg.STAFF_DEFAULT_NAME.format(unit=c.name if c else unit.name)


def unit_name(province_code: int | None, ward_code: int | None) -> str:
    return Scope(province_code, ward_code).name


class StaffDesk:
    def __init__(self, kb: KnowledgeBase, data_dir: Path, bot_username: str = "", web_url: str = "",
                 pass_ratio: float = 0.8) -> None:
        self.kb = kb
        self.qr_dir = data_dir / "qr"
        self.bot_username = bot_username.lstrip("@")
        self.web_url = web_url.rstrip("/")
        self.pass_ratio = pass_ratio

    def register(self, commands: Commands) -> None:
        commands.add("/canbo", lambda c: self.menu(c.s, c.user))
        commands.add("/moi", lambda c: self.invite(c.s, c.user, c.args))
        commands.add("/thamgia", lambda c: self.join(c.s, c.user, c.user.channel, c.args))
        commands.add("/ten", lambda c: self.set_name(c.s, c.user, c.args))
        commands.add("/quantri", lambda c: self.web_link(c.s, c.user))
        commands.add("/gioithieu", lambda c: self.links(c.s, c.user, c.args))
        commands.add("/chiase", lambda c: self.referral_answer(c.s, c.user, c.ctx, c.args))
        commands.add("/nguoicuatoi", lambda c: self.mine(c.s, c.user))
        commands.add("/daxacnhan", lambda c: self.platform_seen(c.s, c.user, c.args))
        commands.add("/nhatky", lambda c: self.support_log(c.s, c.user, c.ctx, c.args))
        commands.add("/thon", lambda c: self.set_hamlet(c.s, c.user, c.ctx, c.args))

    # ------------------------------------------------------------ menu and identity

    async def menu(self, s: AsyncSession, user: User) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if staff is None or not staff.active:
            return [Reply(msg.NOT_STAFF, main_menu())]
        buttons = [Button(msg.BTN_STAFF_QUEUE, "/hangdoi"), Button(msg.BTN_STAFF_LOG, "/nhatky"),
                   Button(msg.BTN_CLASS_NEW, "/molop"), Button(msg.BTN_CLASS_ATTEND, "/diemdanh"),
                   Button(msg.BTN_STAFF_LINK, "/gioithieu"), Button(msg.BTN_STAFF_MINE, "/nguoicuatoi"),
                   Button(msg.BTN_STAFF_NUDGE, "/dondoc"), Button(msg.BTN_STAFF_COVER, "/phutrach")]
        if staff.role in roles.STATS_ROLES:
            buttons = [Button(msg.BTN_STAFF_STATS, "/thongke"), Button(msg.BTN_STAFF_INVITE, "/moi"),
                       Button(msg.BTN_STAFF_WEB, "/quantri"), Button(msg.BTN_STAFF_TEAM, "/tocongnghe")] + (
                buttons if staff.ward_code else [])
        if staff.role == "province_admin":
            buttons.append(Button(msg.BTN_CAMPAIGN, "/ngayhoi"))
        text = msg.STAFF_MENU.format(role=msg.ROLE_NAMES[staff.role], unit=roles.home_scope(staff).name)
        return [Reply(text, tuple(buttons))]

    async def set_name(self, s: AsyncSession, user: User, args: list[str]) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if staff is None:
            return [Reply(msg.NOT_STAFF, main_menu())]
        name = " ".join(args).strip()[:60]
        if not name:
            return [Reply(msg.NAME_ASK)]
        staff.display_name = name
        return [Reply(msg.NAME_SET.format(name=name))]

    # ------------------------------------------------------------ invitations

    async def invite(self, s: AsyncSession, user: User, args: list[str]) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        allowed = volunteers.MAY_INVITE.get(staff.role, ()) if staff and staff.active else ()
        if staff is None or not allowed:
            return [Reply(msg.INVITE_NOT_ALLOWED if staff else msg.NOT_STAFF, main_menu())]
        keys = [k for k, role in msg.INVITE_ROLES.items() if role in allowed]
        if not args or args[0] not in keys:
            return [Reply(msg.INVITE_PICK, tuple(Button(msg.INVITE_BUTTONS[k], f"/moi {k}") for k in keys))]
        key, query = args[0], " ".join(args[1:]).strip()
        role = msg.INVITE_ROLES[key]
        scope = await self._invite_scope(staff, role, query)
        if isinstance(scope, Reply):
            return [scope]
        try:
            code = await volunteers.create_invite(s, staff, role, scope)
        except volunteers.InviteError:
            return [Reply(msg.INVITE_NOT_ALLOWED)]
        link = msg.INVITE_LINK.format(url=self._telegram_link(INVITE_PREFIX + code)) if self.bot_username else ""
        return [Reply(msg.INVITE_DONE.format(role=msg.ROLE_NAMES[role], unit=scope.name, code=code,
                                             days=volunteers.INVITE_DAYS, link=link))]

    async def _invite_scope(self, staff: Staff, role: str, query: str) -> Scope | Reply:
        """The unit to invite into: the inviter's own commune for a volunteer, else the one they name."""
        key = next(k for k, r in msg.INVITE_ROLES.items() if r == role)
        if role in ("volunteer", "commune_admin") and staff.ward_code is not None and not query:
            return roles.home_scope(staff)
        if not query:
            return Reply(msg.INVITE_UNIT_ASK.format(role=key))
        if query.upper().startswith(("X", "P")) and query[1:].isdigit():
            try:
                return Scope.parse(query)
            except ValueError:
                return Reply(msg.INVITE_UNIT_NONE.format(query=query[:40]))
        if role == "province_admin":
            q = fold(query)
            found = [code for code in units.all_province_codes()
                     if q and q in fold(units.province_name(code) or "")]
            options = [Scope(province_code=code) for code in sorted(found)]
        else:
            options = [Scope(c.province_code, c.code) for c in units.find_communes(query, limit=40)
                       if staff.role == "national_admin" or c.province_code == staff.province_code][:6]
        if not options:
            return Reply(msg.INVITE_UNIT_NONE.format(query=query[:40]))
        if len(options) == 1:
            return options[0]
        return Reply(msg.INVITE_UNIT_PICK, tuple(Button(o.name, f"/moi {key} {o.code}") for o in options))

    async def join(self, s: AsyncSession, user: User, incoming_channel: str, args: list[str]) -> list[Reply]:
        code = "".join(args)
        if not code:
            return [Reply(msg.JOIN_ASK)]
        try:
            staff = await volunteers.redeem_invite(s, code, incoming_channel, user.channel_user_id)
        except volunteers.InviteError as exc:
            return [Reply(msg.JOIN_USED if str(exc) == "used" else msg.JOIN_BAD)]
        if not staff.display_name and user.display_name:
            staff.display_name = user.display_name
        log.info("staff %s joined as %s", staff.id, staff.role)
        return [Reply(msg.JOIN_OK.format(role=msg.ROLE_NAMES[staff.role], unit=roles.home_scope(staff).name)),
                Reply(msg.JOIN_NAME.format(name=staff_name(staff)))] + await self.menu(s, user)

    async def web_link(self, s: AsyncSession, user: User) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if staff is None or staff.role not in roles.STATS_ROLES:
            return [Reply(msg.WEB_ONLY_ADMINS, main_menu())]
        code = await volunteers.password_link(s, staff)
        url = f"{self.web_url}/admin/setup?token={code}"
        return [Reply(msg.WEB_LINK.format(minutes=volunteers.PASSWORD_LINK_MINUTES, url=url))]

    # ------------------------------------------------------------ referral links

    def _telegram_link(self, payload: str) -> str:
        return f"https://t.me/{self.bot_username}?start={payload}"

    async def links(self, s: AsyncSession, user: User, args: list[str]) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if staff is None or not staff.active:
            return [Reply(msg.NOT_STAFF, main_menu())]
        if not args:
            core = self.kb.programme.core_lessons[:6] if self.kb.programme else ()
            buttons = [Button(msg.BTN_LINK_PERSONAL, "/gioithieu canhan")]
            buttons += [Button(x.title, f"/gioithieu {x.id}") for x in
                        (self.kb.lesson(i) for i in core) if x is not None]
            buttons.append(Button(msg.BTN_LINK_MORE_LESSONS, "/gioithieu tatca"))
            return [Reply(msg.LINK_PICK, tuple(buttons))]
        if args[0] == "tatca":
            return [Reply(msg.LINK_PICK_LESSON,
                          tuple(Button(x.title, f"/gioithieu {x.id}") for x in self.kb.lessons if x.quiz))]
        lesson = None if args[0] == "canhan" else self.kb.lesson(args[0])
        if args[0] != "canhan" and (lesson is None or not lesson.quiz):
            return [Reply(msg.UNKNOWN_LESSON)]
        link = await volunteers.referral_link(s, staff, lesson.id if lesson else "")
        what = msg.LINK_WHAT_LESSON.format(title=lesson.title) if lesson else msg.LINK_WHAT_PERSONAL
        if not self.bot_username:
            return [Reply(msg.LINK_DONE_NO_TELEGRAM.format(what=what, code=link.code))]
        url = self._telegram_link(REFERRAL_PREFIX + link.code)
        card = images.qr_card(self.qr_dir / f"{link.code}.png", url,
                              lesson.title if lesson else msg.QR_CARD_PERSONAL, staff_name(staff),
                              msg.QR_CARD_ZALO.format(code=link.code))
        return [Reply(msg.LINK_DONE.format(what=what, url=url, code=link.code), image_path=str(card))]

    async def open_link(self, s: AsyncSession, user: User, ctx: Conversation, code: str) -> tuple[
            list[Reply], str | None] | None:
        """A learner opened a volunteer's link (or typed its code): the greeting and the lesson to quiz, if any.

        The learner is linked to the volunteer only after agreeing (asked now, or after the quiz).
        """
        found = await volunteers.open_referral(s, code)
        if found is None:
            return None
        link, staff = found
        name = staff_name(staff)
        replies = [Reply(msg.REFERRAL_HELLO.format(name=name))]
        ctx["referral"] = {"staff": staff.id, "name": name, "asked": not link.lesson_id}
        if not link.lesson_id:
            replies.append(self.referral_question(ctx))
            return replies, None
        return replies, link.lesson_id

    def referral_question(self, ctx: Conversation) -> Reply:
        name = (ctx.get("referral") or {}).get("name", "")
        return Reply(msg.REFERRAL_ASK.format(name=name),
                     (Button(msg.BTN_REF_YES, "/chiase co"), Button(msg.BTN_REF_NO, "/chiase khong")),
                     prompt=Prompt("referral", "yes_no", msg.REFERRAL_AGAIN, yes="/chiase co", no="/chiase khong"))

    async def referral_answer(self, s: AsyncSession, user: User, ctx: Conversation, args: list[str]) -> list[Reply]:
        pending = ctx.pop("referral", None)
        if not pending:
            return [Reply(msg.ACK, main_menu())]
        if args[:1] != ["co"]:
            return [Reply(msg.REFERRAL_NO, main_menu())]
        await volunteers.link_learner(s, user.id, int(pending["staff"]), "referred")
        s.add(Consent(user_id=user.id, version="ref-1", text=msg.REFERRAL_CONSENT_TEXT))
        return [Reply(msg.REFERRAL_YES.format(name=pending.get("name", "")), main_menu())]

    async def mine(self, s: AsyncSession, user: User) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if staff is None:
            return [Reply(msg.NOT_STAFF, main_menu())]
        people = await volunteers.my_learners(s, staff, self.pass_ratio)
        if not people:
            return [Reply(msg.MINE_NONE)]
        lines = [msg.MINE_HEAD.format(n=len(people))]
        for p in people[:MINE_SHOWN]:
            lines.append(msg.MINE_LINE.format(name=p.name or msg.MINE_NONAME, passed=p.lessons_passed,
                                              done=(msg.MINE_DONE if p.completed else "")
                                              + (msg.MINE_CONFIRMED if p.confirmed else "")))
        if len(people) > MINE_SHOWN:
            lines.append(msg.MINE_MORE.format(n=len(people) - MINE_SHOWN))
        # Learners who finished here: the volunteer who saw their confirmation on the platform records it.
        seen = tuple(Button(msg.BTN_PLATFORM_SEEN.format(name=(p.name or msg.MINE_NONAME)[:20]),
                            f"/daxacnhan {p.user_id}") for p in people[:MINE_SHOWN] if p.completed and not p.confirmed)
        return [Reply("\n".join(lines), seen[:6])]

    async def platform_seen(self, s: AsyncSession, user: User, args: list[str]) -> list[Reply]:
        """/daxacnhan <learner>: the volunteer saw the learner confirmed on binhdanhocvuso.gov.vn."""
        staff = await roles.staff_of(s, user.id)
        if staff is None:
            return [Reply(msg.NOT_STAFF, main_menu())]
        learner = await volunteers.mark_platform_confirmed(s, staff, int(args[0])) \
            if args and args[0].isdigit() else None
        if learner is None:
            return [Reply(msg.PLATFORM_SEEN_NOT_YOURS)]
        return [Reply(msg.PLATFORM_SEEN_SAVED.format(name=learner.display_name or msg.MINE_NONAME))]

    # ------------------------------------------------------------ support log

    async def support_log(self, s: AsyncSession, user: User, ctx: Conversation, args: list[str]) -> list[Reply]:
        """Two taps: what was helped with, then how many people; the thôn is remembered."""
        staff = await roles.staff_of(s, user.id)
        if staff is None or staff.ward_code is None:
            return [Reply(msg.NOT_STAFF, main_menu())]
        if not args or args[0] not in volunteers.SUPPORT_TOPICS:
            return [Reply(msg.LOG_TOPIC, tuple(Button(label, f"/nhatky {key}")
                                               for key, label in msg.SUPPORT_TOPICS.items()))]
        topic = args[0]
        label = msg.SUPPORT_TOPICS[topic]
        if len(args) < 2:
            buttons = tuple(Button(str(n), f"/nhatky {topic} {n}") for n in PEOPLE_BUTTONS)
            more = Button(msg.BTN_LOG_MORE, f"/nhatky {topic} ?")
            return [Reply(msg.LOG_PEOPLE.format(topic=label), (*buttons, more), prompt=_count_prompt(topic))]
        if args[1] == "?":
            return [Reply(msg.LOG_MORE.format(topic=topic), prompt=_count_prompt(topic))]
        if not args[1].isdigit() or not 1 <= int(args[1]) <= 500:
            return [Reply(msg.LOG_BAD_NUMBER.format(topic=topic))]
        hamlet = ctx.get("support_hamlet") or user.hamlet
        row = await volunteers.log_support(s, staff, topic, int(args[1]), hamlet)
        ctx["support_last"] = row.id
        return [Reply(msg.LOG_DONE.format(topic=label, people=row.people, hamlet=hamlet or msg.LOG_NO_HAMLET),
                      (Button(msg.BTN_LOG_HAMLET, "/thon"), Button(msg.BTN_LOG_AGAIN, "/nhatky")))]

    async def set_hamlet(self, s: AsyncSession, user: User, ctx: Conversation, args: list[str]) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if staff is None or staff.ward_code is None:
            return [Reply(msg.NOT_STAFF, main_menu())]
        name = units.normalise_hamlet(" ".join(args))[:120] if args else ""
        if not name:
            return [Reply(msg.LOG_HAMLET_ASK)]
        ctx["support_hamlet"] = name
        last = ctx.get("support_last")
        if last:
            row = await s.get(SupportSession, int(last))
            if row is not None and row.staff_id == staff.id:
                row.hamlet = name
        return [Reply(msg.LOG_HAMLET_SET.format(hamlet=name), (Button(msg.BTN_LOG_AGAIN, "/nhatky"),))]
