"""A province's campaign days ("Ngày hội toàn dân học tập số" and the province's own days): /ngayhoi adds them with
a tap or typed words and cancels them; the day before each, opted-in learners are reminded (bot/scheduler.py)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import messages as msg
from bot.answers import main_menu
from bot.commands import Commands
from bot.community import CAMPAIGN_AT, WEEKDAYS, Community, first_on, today
from bot.staffdesk import staff_name
from bot.types import Button, Prompt, Reply
from storage import community, roles, units
from storage.models import ClassEvent, User

CAMPAIGN_PROMPT = Prompt("campaign", "campaign_day", msg.CAMPAIGN_AGAIN, value="/ngayhoi {}", no="/ok")


class Campaigns:
    """Shared by every chat; the wording of a rule comes from the community desk (reminders use it too)."""

    def __init__(self, community_desk: Community) -> None:
        self.community = community_desk

    def register(self, commands: Commands) -> None:
        commands.add("/ngayhoi", lambda c: self.campaign(c.s, c.user, c.args))

    async def campaign(self, s: AsyncSession, user: User, args: list[str]) -> list[Reply]:
        """/ngayhoi: the province's campaign days, each added with a tap or typed, and cancelled with a tap.

        /ngayhoi quocgia | nam [<d>-<m>] | thang [<nth> [<weekday>]] | bo <id> | bo nam <d>-<m> | bo thang <nth> <wd>
        """
        staff = await roles.staff_of(s, user.id)
        if staff is None or not staff.active or staff.role != "province_admin" or staff.province_code is None:
            return [Reply(msg.CAMPAIGN_ONLY_PROVINCE, main_menu())]
        mine = await community.campaigns_of(s, staff.province_code)
        if args[:1] == ["xacnhan"]:  # the single button of earlier versions: the national day
            args = ["quocgia"]
        if args[:1] == ["bo"]:
            return self._cancel(mine, args[1:])
        rule = _campaign_rule(args, self.community.national_day)
        if isinstance(rule, Reply):
            return [rule]
        if rule is None:
            return [self._menu(staff.province_code, mine)]
        same = [e for e in mine if _campaign_matches(e, rule)]
        if same:
            return [Reply(msg.CAMPAIGN_EXISTS.format(rule=self.community.campaign_rule(same[0])),
                          (Button(msg.BTN_CAMPAIGN, "/ngayhoi"),))]
        if rule[0] == "yearly":
            repeat, first, nth = "yearly", next_yearly(rule[1], rule[2]), None
        else:
            repeat, first, nth = "monthly", first_on("thang", rule[2], rule[1]), rule[1]
        event = await community.create_class(s, staff, "khac", repeat, first, CAMPAIGN_AT, "", None,
                                             staff_name(staff), nth=nth, kind="campaign")
        return [Reply(msg.CAMPAIGN_SAVED.format(rule=self.community.campaign_rule(event),
                                                eve=f"{first - timedelta(days=1):%d/%m/%Y}"),
                      (Button(msg.BTN_CAMPAIGN, "/ngayhoi"),))]

    def _menu(self, province_code: int, mine: list[ClassEvent]) -> Reply:
        province = units.province_name(province_code) or ""
        rules = [msg.CAMPAIGN_LIST_LINE.format(rule=self.community.campaign_rule(e)) for e in mine]
        current = [msg.CAMPAIGN_LIST_HEAD, *rules] if mine else [msg.CAMPAIGN_NONE]
        day, month = self.community.national_day
        buttons = []
        if not any(self.community.is_national(e) for e in mine):
            buttons.append(Button(msg.BTN_CAMPAIGN_NATIONAL.format(day=f"{day:02d}/{month:02d}"), "/ngayhoi quocgia"))
        buttons.append(Button(msg.BTN_CAMPAIGN_YEARLY, "/ngayhoi nam"))
        if not any(_campaign_matches(e, ("monthly", 4, 4)) for e in mine):
            buttons.append(Button(msg.BTN_CAMPAIGN_FRIDAY, "/ngayhoi thang 4 t6"))
        buttons.append(Button(msg.BTN_CAMPAIGN_MONTHLY, "/ngayhoi thang"))
        buttons += [Button(msg.BTN_CAMPAIGN_CANCEL.format(rule=self.community.campaign_rule(e)), f"/ngayhoi bo {e.id}")
                    for e in mine]
        return Reply(msg.CAMPAIGN_MENU.format(province=province, current="\n".join(current)), tuple(buttons),
                     prompt=CAMPAIGN_PROMPT)

    def _cancel(self, mine: list[ClassEvent], args: list[str]) -> list[Reply]:
        """Cancel one of the province's campaign days, named by its id (a button) or its rule (typed)."""
        again = (Button(msg.BTN_CAMPAIGN, "/ngayhoi"),)
        if args[:1] and args[0].isdigit():
            found = [e for e in mine if e.id == int(args[0])]
        else:
            rule = _campaign_rule(args, self.community.national_day)
            found = [e for e in mine if isinstance(rule, tuple) and _campaign_matches(e, rule)]
        if not found:
            return [Reply(msg.CAMPAIGN_CANCEL_NONE, again)]
        found[0].active = False
        return [Reply(msg.CAMPAIGN_CANCELLED.format(rule=self.community.campaign_rule(found[0])), again)]


def _day_month_arg(text: str) -> tuple[int, int] | None:
    """"1-11" (a command's argument) as (day, month)."""
    day, _, month = text.partition("-")
    return (int(day), int(month)) if day.isdigit() and month.isdigit() else None


def _weekday_arg(text: str) -> int | None:
    """A weekday argument: "t6" as the class buttons write it, or its number (0 = Monday)."""
    if text in WEEKDAYS:
        return WEEKDAYS.index(text)
    return int(text) if text.isdigit() and int(text) < 7 else None


CampaignRule = tuple[str, int, int]  # ("yearly", day, month) or ("monthly", nth, weekday)


def _campaign_rule(args: list[str], national: tuple[int, int]) -> CampaignRule | Reply | None:
    """The campaign day a /ngayhoi command names; the question for the step still missing (a Reply); None for the
    menu."""
    if args[:1] == ["quocgia"]:
        return "yearly", national[0], national[1]
    if args[:1] == ["nam"]:
        if len(args) < 2:
            return Reply(msg.CAMPAIGN_ASK_DAY, prompt=CAMPAIGN_PROMPT)
        dm = _day_month_arg(args[1])
        if dm is None or not _real_day(*dm):
            return Reply(msg.CAMPAIGN_BAD_DAY.format(day=args[1].replace("-", "/")[:10]), prompt=CAMPAIGN_PROMPT)
        return "yearly", dm[0], dm[1]
    if args[:1] == ["thang"]:
        base = "/ngayhoi thang"
        if len(args) < 2 or not args[1].isdigit() or not 1 <= int(args[1]) <= community.LAST:
            return Reply(msg.CAMPAIGN_ASK_NTH, tuple(Button(msg.NTH_NAMES[n], f"{base} {n}")
                                                     for n in range(1, community.LAST + 1)), prompt=CAMPAIGN_PROMPT)
        weekday = _weekday_arg(args[2]) if len(args) > 2 else None
        if weekday is None:
            return Reply(msg.CLASS_ASK_WEEKDAY, tuple(Button(msg.WEEKDAY_NAMES[i], f"{base} {args[1]} {w}")
                                                      for i, w in enumerate(WEEKDAYS)), prompt=CAMPAIGN_PROMPT)
        return "monthly", int(args[1]), weekday
    return None


def _campaign_matches(event: ClassEvent, rule: CampaignRule) -> bool:
    """Whether a campaign row falls on the days a rule names (one row per day: no second 01/11)."""
    start = community.local_start(event)
    if rule[0] == "yearly":
        return event.repeat == "yearly" and (start.day, start.month) == rule[1:]
    weekday = start.weekday() if event.weekday is None else event.weekday
    return event.repeat == "monthly" and (event.nth, weekday) == rule[1:]


def _real_day(day: int, month: int) -> bool:
    try:
        date(2000, month, day)  # a leap year: 29/2 comes every four years (on the 28th in the others)
    except ValueError:
        return False
    return True


def next_yearly(day: int, month: int) -> date:
    """The first such day from the day after tomorrow on (the day-before message needs a day before it)."""
    start = today() + timedelta(days=2)
    year = start.year
    while True:
        try:
            found = date(year, month, day)
        except ValueError:  # 29/2 outside a leap year: the rule starts in the next leap year
            found = start - timedelta(days=1)
        if found >= start:
            return found
        year += 1
