"""The community side of the chat: households ("Gia đình số"), classes and events of a commune,
"Tôi sẽ đến", attendance after a class, and a province's campaign days ("ngày hội học tập số"): the national
day (10/10 by default), a day of its own each year, and monthly points such as "thứ Sáu tuần thứ 4".

Staff announce with buttons; each step's choices travel in the button values ("/molop vneid thang 4 ..."),
only the place and the thôn are typed (their draft waits in the user's context).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import messages as msg
from bot.answers import main_menu
from bot.commands import Call, Commands
from bot.conversation import Conversation
from bot.staffdesk import staff_name
from bot.types import Button, Prompt, Reply
from storage import community, roles, units, volunteers
from storage.models import TZ, ClassEvent, Staff, User, utcnow

WEEKDAYS = ("t2", "t3", "t4", "t5", "t6", "t7", "cn")
TIMES = ("0730", "0800", "0900", "1400", "1500", "1930")
PEOPLE_BUTTONS = (5, 10, 15, 20, 30)
UPCOMING_DAYS = 21
CAMPAIGN_AT = time(8, 0)  # campaign days are whole days; the hour only anchors the rule
CLASS_PLACE = Prompt("class.place", "place", msg.CLASS_AGAIN, no="/molophuy")
CLASS_HAMLET = Prompt("class.hamlet", "place", msg.CLASS_AGAIN, no="/molopxong")
DRAFT_MINUTES = timedelta(minutes=30)  # a class left half-way is forgotten after this


def today() -> date:
    return utcnow().astimezone(TZ).date()


def day_label(day: date) -> str:
    return f"{msg.WEEKDAY_NAMES[day.weekday()]} {day:%d/%m}"


def when_label(event: ClassEvent, day: date) -> str:
    return f"{community.local_start(event):%H:%M}, {msg.WEEKDAY_NAMES[day.weekday()].lower()} {day:%d/%m/%Y}"


def rule_label(event: ClassEvent) -> str:
    start = community.local_start(event)
    weekday = msg.WEEKDAY_NAMES[start.weekday()].lower()
    if event.repeat == "weekly":
        return msg.RULE_WEEKLY.format(weekday=weekday)
    if event.repeat == "monthly":
        return msg.RULE_MONTHLY.format(weekday=weekday, nth=msg.NTH_NAMES[event.nth or 1])
    if event.repeat == "yearly":
        return msg.RULE_YEARLY.format(day=f"{start:%d/%m}")
    return msg.RULE_ONCE


class Community:
    """Chat flows over storage.community; every method works inside the caller's transaction."""

    def __init__(self, national_day: tuple[int, int] = (10, 10)) -> None:
        self.national_day = national_day  # (day, month) of "Ngày hội toàn dân học tập số" (settings.campaign)

    def register(self, commands: Commands) -> None:
        commands.add("/giadinh", lambda c: self.household(c.s, c.user, c.ctx, c.args))
        commands.add("/lophoc", lambda c: self.classes(c.s, c.user, c.args))
        commands.add("/molop", lambda c: self.announce(c.s, c.user, c.ctx, c.args))
        commands.add("/molopxong", lambda c: self.finish(c.s, c.user, c.ctx, None))
        commands.add("/molophuy", self._cancel_draft)
        commands.add("/diemdanh", lambda c: self.attendance(c.s, c.user, c.args))

    @staticmethod
    def _cancel_draft(c: Call) -> list[Reply]:
        c.ctx.pop("class_draft", None)
        return [Reply(msg.CLASS_CANCELLED)]

    def reminder(self, event: ClassEvent, day: date) -> Reply:
        """The day-before message of one occurrence: "Tôi sẽ đến" for a class; for a campaign day, what it is."""
        if event.kind == "campaign":
            province = units.province_name(event.province_code or 0) or ""
            if event.repeat == "monthly":
                text = msg.CAMPAIGN_REMINDER_MONTHLY.format(
                    weekday=msg.WEEKDAY_NAMES[day.weekday()], day=f"{day:%d/%m}", province=province,
                    rule=self.campaign_rule(event))
            elif self.is_national(event):
                text = msg.CAMPAIGN_REMINDER.format(day=f"{day:%d/%m}")
            else:
                text = msg.CAMPAIGN_REMINDER_PROVINCE.format(day=f"{day:%d/%m}", province=province)
            return Reply(text, (Button(msg.BTN_CONTINUE, "/hoctiep"), Button(msg.BTN_CLASS_OFF, "/lophoc tat")))
        hamlet = f", {event.hamlet}" if event.hamlet else ""
        text = msg.CLASS_REMINDER.format(topic=msg.SUPPORT_TOPICS.get(event.topic, event.topic), place=event.place,
                                         hamlet=hamlet, when=when_label(event, day), organiser=event.organiser)
        return Reply(text, (Button(msg.BTN_GOING, f"/lophoc den {event.id} {day.isoformat()}"),
                            Button(msg.BTN_CLASS_OFF, "/lophoc tat")))

    @staticmethod
    def attendance_prompt(event: ClassEvent, day: date) -> Reply:
        """To the organiser the day after: how many came, in one tap."""
        base = f"/diemdanh {event.id} {day.isoformat()}"
        text = msg.ATTEND_PROMPT.format(topic=msg.SUPPORT_TOPICS.get(event.topic, event.topic),
                                        when=when_label(event, day))
        return Reply(text, tuple(Button(str(n), f"{base} {n}") for n in PEOPLE_BUTTONS))

    # ------------------------------------------------------------ households

    async def household(self, s: AsyncSession, user: User, ctx: Conversation, args: list[str]) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if args[:1] == ["moi"] and staff is not None and staff.active and staff.ward_code is not None:
            made = await community.create_household(s, staff.province_code, staff.ward_code,
                                                    ctx.get("support_hamlet"), "volunteer")
            return [Reply(msg.HOUSEHOLD_MADE_BY_STAFF.format(code=made.code))]
        if user.consent_at is None or user.ward_code is None:
            return [Reply(msg.HOUSEHOLD_NEED_PLACE, (Button(msg.BTN_REGISTER, "/dangky"),))]
        if user.household_id is not None and args[:1] != ["roi"]:
            from storage.models import Household

            mine = await s.get(Household, user.household_id)
            if mine is not None:
                n = await community.household_size(s, mine.id)
                return [Reply(msg.HOUSEHOLD_MINE.format(code=mine.code, n=n),
                              (Button(msg.BTN_HOUSEHOLD_LEAVE, "/giadinh roi"),))]
        if args[:1] == ["roi"]:
            user.household_id, user.household_joined_at = None, None
            return [Reply(msg.HOUSEHOLD_LEFT, main_menu())]
        if args[:1] == ["tao"]:
            made = await community.create_household(s, user.province_code, user.ward_code, user.hamlet)
            await community.join_household(s, user, made)
            return [Reply(msg.HOUSEHOLD_MADE.format(code=made.code))]
        if args[:1] == ["nhap"]:
            return [Reply(msg.HOUSEHOLD_ASK_CODE, prompt=Prompt("household", "code", msg.HOUSEHOLD_AGAIN))]
        if args:
            joined = await self.join_by_code(s, user, args[0])
            if joined is not None:
                return joined
            return [Reply(msg.HOUSEHOLD_BAD_CODE, (Button(msg.BTN_HOUSEHOLD_NEW, "/giadinh tao"),))]
        buttons = [Button(msg.BTN_HOUSEHOLD_NEW, "/giadinh tao"), Button(msg.BTN_HOUSEHOLD_JOIN, "/giadinh nhap")]
        if staff is not None and staff.ward_code is not None:
            buttons.append(Button(msg.BTN_HOUSEHOLD_STAFF, "/giadinh moi"))
        return [Reply(msg.HOUSEHOLD_MENU, tuple(buttons))]

    async def join_by_code(self, s: AsyncSession, user: User, text: str) -> list[Reply] | None:
        """Join the household of a code typed or pressed; None when no household has that code."""
        found = await community.household_by_code(s, text)
        if found is None:
            return None
        if user.consent_at is None or user.ward_code is None:
            return [Reply(msg.HOUSEHOLD_NEED_PLACE, (Button(msg.BTN_REGISTER, "/dangky"),))]
        await community.join_household(s, user, found)
        n = await community.household_size(s, found.id)
        return [Reply(msg.HOUSEHOLD_JOINED.format(n=n), main_menu())]

    # ------------------------------------------------------------ learners: news of classes

    async def classes(self, s: AsyncSession, user: User, args: list[str]) -> list[Reply]:
        if user.consent_at is None or user.ward_code is None:
            return [Reply(msg.CLASS_NEED_PLACE, (Button(msg.BTN_REGISTER, "/dangky"),))]
        if args[:1] in (["bat"], ["tat"]):
            user.class_news = args[0] == "bat"
            return [Reply(msg.CLASS_NEWS_ON if user.class_news else msg.CLASS_NEWS_OFF, main_menu())]
        if args[:1] == ["den"] and len(args) == 3 and args[1].isdigit():
            return await self._going(s, user, int(args[1]), args[2])
        soon = []
        for event in await community.classes_for(s, user.province_code, user.ward_code):
            if event.kind != "class":
                continue
            soon += [(day, event) for day in community.occurrences(event, today(), today() + timedelta(UPCOMING_DAYS))]
        soon.sort(key=lambda p: (p[0], p[1].id))
        toggle = (Button(msg.BTN_CLASS_OFF, "/lophoc tat") if user.class_news
                  else Button(msg.BTN_CLASS_ON, "/lophoc bat"))
        if not soon:
            return [Reply(msg.CLASS_NONE, (toggle,))]
        lines = [msg.CLASS_LIST_HEAD]
        buttons = []
        for day, event in soon[:3]:
            lines.append(msg.CLASS_LIST_LINE.format(when=when_label(event, day), place=event.place,
                                                    topic=msg.SUPPORT_TOPICS.get(event.topic, event.topic)))
            buttons.append(Button(msg.BTN_GOING_ON.format(day=day_label(day)), f"/lophoc den {event.id} {day}"))
        return [Reply("\n".join(lines), (*buttons, toggle))]

    async def _going(self, s: AsyncSession, user: User, class_id: int, day_text: str) -> list[Reply]:
        event = await s.get(ClassEvent, class_id)
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            day = None
        if (event is None or day is None or day < today() or event.ward_code != user.ward_code
                or day not in community.occurrences(event, day, day)):
            return [Reply(msg.CLASS_GONE, main_menu())]
        await community.reply_going(s, event.id, day, user.id)
        return [Reply(msg.CLASS_GOING_OK.format(when=when_label(event, day), place=event.place))]

    # ------------------------------------------------------------ staff: announce a class

    async def _class_staff(self, s: AsyncSession, user: User) -> Staff | None:
        staff = await roles.staff_of(s, user.id)
        if staff is None or not staff.active or staff.ward_code is None:
            return None
        return staff

    async def announce(self, s: AsyncSession, user: User, ctx: Conversation, args: list[str]) -> list[Reply]:
        """/molop <topic> <once|weekly|monthly> [<day>|<weekday>|<nth> <weekday>] <HHMM>, then place and thôn."""
        staff = await self._class_staff(s, user)
        if staff is None:
            return [Reply(msg.CLASS_ONLY_STAFF, main_menu())]
        base = "/molop"
        if not args or args[0] not in volunteers.SUPPORT_TOPICS:
            return [Reply(msg.CLASS_ASK_TOPIC, tuple(Button(label, f"{base} {key}")
                                                     for key, label in msg.SUPPORT_TOPICS.items()))]
        topic, rest = args[0], args[1:]
        base = f"{base} {topic}"
        if not rest or rest[0] not in ("1lan", "tuan", "thang"):
            return [Reply(msg.CLASS_ASK_REPEAT, (Button(msg.BTN_REPEAT_ONCE, f"{base} 1lan"),
                                                 Button(msg.BTN_REPEAT_WEEKLY, f"{base} tuan"),
                                                 Button(msg.BTN_REPEAT_MONTHLY, f"{base} thang")))]
        repeat, rest = rest[0], rest[1:]
        base = f"{base} {repeat}"
        nth: int | None = None
        first: date | None = None
        if repeat == "thang":
            if not rest or not rest[0].isdigit() or not 1 <= int(rest[0]) <= community.LAST:
                return [Reply(msg.CLASS_ASK_NTH, tuple(Button(msg.NTH_NAMES[n], f"{base} {n}")
                                                       for n in range(1, community.LAST + 1)))]
            nth, rest = int(rest[0]), rest[1:]
            base = f"{base} {nth}"
        if repeat == "1lan":
            if not rest or _parse_day(rest[0]) is None:
                days = [today() + timedelta(days=i) for i in range(1, 8)]
                return [Reply(msg.CLASS_ASK_DAY, tuple(Button(day_label(d), f"{base} {d.isoformat()}") for d in days))]
            first, rest = _parse_day(rest[0]), rest[1:]
            base = f"{base} {first}"
        else:
            if not rest or rest[0] not in WEEKDAYS:
                return [Reply(msg.CLASS_ASK_WEEKDAY, tuple(Button(msg.WEEKDAY_NAMES[i], f"{base} {w}")
                                                           for i, w in enumerate(WEEKDAYS)))]
            weekday, rest = WEEKDAYS.index(rest[0]), rest[1:]
            base = f"{base} {WEEKDAYS[weekday]}"
            first = first_on(repeat, weekday, nth)
        if not rest or _parse_time(rest[0]) is None:
            return [Reply(msg.CLASS_ASK_TIME, tuple(Button(f"{t[:2]}:{t[2:]}", f"{base} {t}") for t in TIMES))]
        at = _parse_time(rest[0])
        assert at is not None and first is not None
        ctx["class_draft"] = {"topic": topic, "repeat": {"1lan": "once", "tuan": "weekly", "thang": "monthly"}[repeat],
                              "first": first.isoformat(), "at": at.strftime("%H:%M"), "nth": nth, "step": "place",
                              "since": utcnow().isoformat()}
        return [Reply(msg.CLASS_ASK_PLACE, (Button(msg.BTN_CLASS_CANCEL, "/molophuy"),), prompt=CLASS_PLACE)]

    async def draft_text(self, s: AsyncSession, user: User, ctx: Conversation, text: str) -> list[Reply] | None:
        """The typed place, then thôn, of a class being announced; None when no draft waits for text."""
        draft = ctx.get("class_draft")
        if not draft:
            return None
        started = datetime.fromisoformat(draft.get("since") or "2000-01-01T00:00:00+00:00")
        if utcnow() - started > DRAFT_MINUTES:
            ctx.pop("class_draft", None)  # left half-way: later words are questions, not a place
            return None
        if draft.get("step") == "place":
            draft["place"] = " ".join(text.split())[:200]
            draft["step"] = "hamlet"
            ctx["class_draft"] = draft
            return [Reply(msg.CLASS_ASK_HAMLET, (Button(msg.BTN_CLASS_WHOLE_COMMUNE, "/molopxong"),
                                                 Button(msg.BTN_CLASS_CANCEL, "/molophuy")), prompt=CLASS_HAMLET)]
        return await self.finish(s, user, ctx, units.normalise_hamlet(text)[:120] or None)

    async def finish(self, s: AsyncSession, user: User, ctx: Conversation, hamlet: str | None) -> list[Reply]:
        draft = ctx.pop("class_draft", None)
        staff = await self._class_staff(s, user)
        if not draft or staff is None or not draft.get("place"):
            return [Reply(msg.CLASS_ASK_TOPIC_AGAIN, (Button(msg.BTN_CLASS_NEW, "/molop"),))]
        hh, mm = (int(x) for x in draft["at"].split(":"))
        event = await community.create_class(s, staff, draft["topic"], draft["repeat"],
                                             date.fromisoformat(draft["first"]), time(hh, mm), draft["place"],
                                             hamlet, staff_name(staff), nth=draft.get("nth"))
        first = community.next_occurrence(event, today())
        return [Reply(msg.CLASS_SAVED.format(topic=msg.SUPPORT_TOPICS.get(event.topic, event.topic),
                                             rule=rule_label(event), place=event.place,
                                             hamlet=f", {event.hamlet}" if event.hamlet else "",
                                             first=when_label(event, first) if first else "–"))]

    # ------------------------------------------------------------ staff: attendance

    async def attendance(self, s: AsyncSession, user: User, args: list[str]) -> list[Reply]:
        """/diemdanh -> recent occurrences of one's classes -> how many came (recorded as a support session)."""
        staff = await self._class_staff(s, user)
        if staff is None:
            return [Reply(msg.CLASS_ONLY_STAFF, main_menu())]
        if len(args) >= 2 and args[0].isdigit():
            event = await s.get(ClassEvent, int(args[0]))
            day = _parse_day(args[1])
            if event is None or day is None or event.ward_code != staff.ward_code or day > today():
                return [Reply(msg.CLASS_GONE)]
            if len(args) == 2:
                going = await community.going_count(s, event.id, day)
                base = f"/diemdanh {event.id} {day}"
                return [Reply(msg.ATTEND_ASK.format(when=when_label(event, day), going=going),
                              (*(Button(str(n), f"{base} {n}") for n in PEOPLE_BUTTONS),))]
            if not args[2].isdigit() or not 1 <= int(args[2]) <= 500:
                return [Reply(msg.ATTEND_BAD_NUMBER.format(id=event.id, day=day))]
            row = await community.record_attendance(s, staff, event, day, int(args[2]))
            return [Reply(msg.ATTEND_DONE.format(people=row.people, when=when_label(event, day)))]
        recent: list[tuple[date, ClassEvent]] = []
        for event in await community.classes_for(s, staff.province_code, staff.ward_code):
            if event.kind == "class":
                recent += [(d, event) for d in community.occurrences(event, today() - timedelta(days=7), today())]
        if not recent:
            return [Reply(msg.ATTEND_NONE, (Button(msg.BTN_CLASS_NEW, "/molop"),))]
        done = await community.attended(s, [e.id for _, e in recent])
        recent.sort(key=lambda p: p[0], reverse=True)
        buttons = tuple(Button(("✅ " if (e.id, d) in done else "") + f"{day_label(d)} — {e.place}"[:60],
                               f"/diemdanh {e.id} {d}") for d, e in recent[:5])
        return [Reply(msg.ATTEND_PICK, buttons)]

    # ------------------------------------------------------------ province admins: campaign days

    def is_national(self, event: ClassEvent) -> bool:
        start = community.local_start(event)
        return event.repeat == "yearly" and (start.day, start.month) == self.national_day

    def campaign_rule(self, event: ClassEvent) -> str:
        """"ngày 10/10 hằng năm («Ngày hội toàn dân học tập số»)", "ngày 01/11 hằng năm", "Thứ Sáu tuần thứ tư…"."""
        start = community.local_start(event)
        if event.repeat == "monthly":
            return msg.CAMPAIGN_RULE_MONTHLY.format(weekday=msg.WEEKDAY_NAMES[start.weekday()],
                                                    nth=msg.NTH_NAMES[event.nth or 1].lower())
        template = msg.CAMPAIGN_RULE_NATIONAL if self.is_national(event) else msg.CAMPAIGN_RULE_YEARLY
        return template.format(day=f"{start:%d/%m}")


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_time(text: str) -> time | None:
    digits = text.replace(":", "").replace("h", "")
    if len(digits) != 4 or not digits.isdigit() or int(digits[:2]) > 23 or int(digits[2:]) > 59:
        return None
    return time(int(digits[:2]), int(digits[2:]))


def first_on(repeat: str, weekday: int, nth: int | None) -> date:
    """The first day from tomorrow on that a weekly or monthly rule falls on."""
    start = today() + timedelta(days=1)
    if repeat == "tuan":
        return start + timedelta(days=(weekday - start.weekday()) % 7)
    year, month = start.year, start.month
    while True:
        d = community.nth_weekday(year, month, weekday, nth or 1)
        if d is not None and d >= start:
            return d
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
