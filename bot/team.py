"""The chat side of the commune's Tổ công nghệ số cộng đồng.

- /tocongnghe [unit]: the team in a few lines for an admin (members, thôn covered and not, people helped by
  topic, reminders sent, each member's results), or for a province: communes with and without volunteers.
- /phutrach: the thôn a member covers; a volunteer sets their own, a commune admin anyone's in the team.
- /dondoc: "đôn đốc" — the learners of a volunteer (or of a commune admin's commune) who started but have not
  written for `idle_days`, and one kind reminder to each, or to all: only where the channel lets us write first
  (bot.reach), not at night, not to a learner who turned reminders off, and never more than one a week per
  learner (storage.teams). The reminder names its sender and offers "Học tiếp".
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import messages as msg
from bot.capabilities import capability
from bot.commands import Commands
from bot.conversation import Conversation
from bot.learning import Learning
from bot.reach import quiet, window_open
from bot.report_text import member_name
from bot.types import Button, Prompt, Reply
from rag.knowledge import KnowledgeBase
from storage import nudges as nudging
from storage import repo, roles, teams, units
from storage.models import TZ, Staff, User, as_utc, utcnow

log = logging.getLogger(__name__)

CHAT_DAYS = 30  # the period the chat's team summary covers, as /thongke
LISTED = 20  # learners listed by /dondoc
NAMED_BUTTONS = 5  # one button each for the first sendable learners
NAMES_SHOWN = 15


def _day(value: datetime) -> str:
    return as_utc(value).astimezone(TZ).strftime("%d/%m")


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (f" {msg.TEAM_MORE.format(n=len(names) - NAMES_SHOWN)}" if len(names) > NAMES_SHOWN else "")


class TeamDesk:
    def __init__(self, kb: KnowledgeBase, learning: Learning, pass_ratio: float, idle_days: int = 7) -> None:
        self.kb = kb
        self.learning = learning
        self.pass_ratio = pass_ratio
        self.idle_days = idle_days
        self.clock: Callable[[], datetime] = utcnow  # the time of day decides quiet hours; tests set it

    def register(self, commands: Commands) -> None:
        commands.add("/tocongnghe", lambda c: self.team(c.s, c.user, c.args))
        commands.add("/phutrach", lambda c: self.coverage(c.s, c.user, c.ctx, c.args))
        commands.add("/dondoc", lambda c: self.nudges(c.s, c.user, c.args))

    def _core(self) -> list[str]:
        return list(self.kb.programme.core_lessons) if self.kb.programme else [x.id for x in self.kb.lessons]

    # ------------------------------------------------------------ the team in a few lines

    async def team(self, s: AsyncSession, user: User, args: list[str]) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if staff is None or not staff.active:
            return [Reply(msg.NOT_STAFF)]
        if staff.role not in roles.STATS_ROLES:
            return [Reply(msg.TEAM_ONLY_ADMINS, (Button(msg.BTN_STAFF_COVER, "/phutrach"),
                                                 Button(msg.BTN_STAFF_NUDGE, "/dondoc")))]
        try:
            scope = units.Scope.parse(args[0]) if args else roles.home_scope(staff)
        except ValueError:
            return [Reply(msg.STATS_BAD_UNIT.format(unit=args[0][:20]))]
        now = self.clock()
        try:
            rep = await teams.report_for(s, staff, scope, now - timedelta(days=CHAT_DAYS), now)
        except roles.ScopeError:
            return [Reply(msg.STATS_FORBIDDEN)]
        if scope.ward_code is None:
            return [Reply(self.area_text(rep))]
        buttons = (Button(msg.BTN_STAFF_COVER, "/phutrach"), Button(msg.BTN_STAFF_NUDGE, "/dondoc")) \
            if staff.ward_code == scope.ward_code else ()
        return [Reply(self.commune_text(rep), buttons)]

    @staticmethod
    def commune_text(rep: teams.TeamReport) -> str:
        t = rep.total
        if not rep.members:
            return msg.TEAM_NO_MEMBERS.format(unit=rep.scope.name)
        items = ", ".join(f"{msg.SUPPORT_TOPICS.get(topic, topic)} {people}"
                          for topic, (_, people) in rep.by_topic.items() if people)
        lines = [msg.TEAM_COMMUNE.format(unit=rep.scope.name, members=t.members, volunteers=t.volunteers,
                                         covered=t.hamlets_covered, known=t.hamlets_known, people=t.people,
                                         topics=msg.TEAM_TOPICS.format(items=items) if items else "", nudges=t.nudges)]
        if rep.uncovered:
            lines.append(msg.TEAM_UNCOVERED.format(names=_names(rep.uncovered)))
        elif t.hamlets_known:
            lines.append(msg.TEAM_ALL_COVERED)
        lines += ["", msg.TEAM_MEMBERS_HEAD]
        for m in rep.members[:NAMES_SHOWN]:
            hamlets = msg.TEAM_MEMBER_HAMLETS.format(names=", ".join(m.hamlets)) if m.hamlets else ""
            lines.append(msg.TEAM_MEMBER.format(name=member_name(m), hamlets=hamlets, linked=m.linked,
                                                completed=m.completed, people=m.people, nudges=m.nudges))
        if len(rep.members) > NAMES_SHOWN:
            lines.append(msg.TEAM_MORE.format(n=len(rep.members) - NAMES_SHOWN))
        return "\n".join(lines)

    @staticmethod
    def area_text(rep: teams.TeamReport) -> str:
        t = rep.total
        lines = [msg.TEAM_AREA.format(unit=rep.scope.name, with_volunteers=t.communes_with_volunteers,
                                      communes=t.communes, volunteers=t.volunteers, uncovered=t.hamlets_uncovered,
                                      people=t.people, nudges=t.nudges)]
        if rep.no_volunteer:
            names = [name if rep.scope.province_code is not None else f"{name} ({province})"
                     for _, name, province in rep.no_volunteer]
            lines.append(msg.TEAM_NO_VOLUNTEER.format(n=len(names), names=_names(names)))
        return "\n".join(lines)

    @staticmethod
    def stats_line(rep: teams.TeamReport) -> str:
        """The team in one line of /thongke."""
        t = rep.total
        if rep.scope.ward_code is not None:
            return msg.STATS_TEAM_COMMUNE.format(volunteers=t.volunteers, uncovered=t.hamlets_uncovered,
                                                 nudges=t.nudges)
        return msg.STATS_TEAM_AREA.format(with_volunteers=t.communes_with_volunteers, communes=t.communes,
                                          nudges=t.nudges)

    # ------------------------------------------------------------ the thôn each member covers

    async def _member(self, s: AsyncSession, staff: Staff, staff_id: int) -> Staff | None:
        """A member of the same commune whose thôn `staff` may set: themselves, or anyone for a commune admin."""
        if staff_id == staff.id:
            return staff
        target = await s.get(Staff, staff_id)
        if (staff.role != "commune_admin" or target is None or not target.active
                or target.role not in teams.MEMBER_ROLES or target.ward_code != staff.ward_code):
            return None
        return target

    @staticmethod
    def _who(staff: Staff, target: Staff) -> str:
        return msg.COVER_YOU if target.id == staff.id else member_name(target)

    async def coverage(self, s: AsyncSession, user: User, ctx: Conversation, args: list[str]) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if not nudging.may_nudge(staff):
            return [Reply(msg.COVER_ONLY_TEAM)]
        assert staff is not None and staff.ward_code is not None
        if not args and staff.role == "commune_admin":
            team = await teams.members(s, staff.ward_code)
            buttons = tuple(Button(msg.BTN_COVER_ME if m.id == staff.id else member_name(m), f"/phutrach {m.id}")
                            for m in team)
            return [Reply(msg.COVER_PICK, buttons)]
        if args and not args[0].isdigit():
            return await self._save(s, ctx, staff, staff, teams.parse_hamlets(" ".join(args)))
        target = await self._member(s, staff, int(args[0])) if args else staff
        if target is None:
            return [Reply(msg.COVER_NOT_MEMBER)]
        rest = args[1:]
        if rest[:1] == ["xong"]:
            ctx.pop("cover", None)
            return [Reply(msg.COVER_KEPT)]
        if rest[:1] == ["bo"]:
            return await self._save(s, ctx, staff, target, [])
        if rest[:1] == ["them"] and len(rest) == 2 and rest[1].isdigit():
            offered = (ctx.get("cover") or {}).get("offer") or []
            if int(rest[1]) < len(offered):
                names = await teams.coverage(s, target.id)
                return await self._save(s, ctx, staff, target, [*names, str(offered[int(rest[1])])])
        elif rest:
            return await self._save(s, ctx, staff, target, teams.parse_hamlets(" ".join(rest)))
        return [await self._show(s, ctx, staff, target)]

    async def _show(self, s: AsyncSession, ctx: Conversation, staff: Staff, target: Staff) -> Reply:
        assert target.ward_code is not None
        names = await teams.coverage(s, target.id)
        who = self._who(staff, target)
        head = msg.COVER_SHOW.format(name=who, hamlets=", ".join(names)) if names else \
            msg.COVER_SHOW_NONE.format(name=who)
        covered = {units.hamlet_key(h) for m in await teams.members(s, target.ward_code)
                   for h in await teams.coverage(s, m.id)}
        offer = [h for h in await teams.known_hamlets(s, target.ward_code)
                 if units.hamlet_key(h) not in covered][:NAMED_BUTTONS]
        ctx["cover"] = {"staff": target.id, "offer": offer}
        buttons = [Button(msg.BTN_COVER_ADD.format(hamlet=h), f"/phutrach {target.id} them {i}")
                   for i, h in enumerate(offer)]
        if names:
            buttons.append(Button(msg.BTN_COVER_CLEAR, f"/phutrach {target.id} bo"))
        buttons.append(Button(msg.BTN_COVER_KEEP, f"/phutrach {target.id} xong"))
        text = "\n".join([head, msg.COVER_ASK] + ([msg.COVER_ASK_BUTTONS] if offer else []))
        return Reply(text, tuple(buttons), prompt=Prompt("team.hamlets", "place", msg.COVER_AGAIN,
                                                         no=f"/phutrach {target.id} xong"))

    async def coverage_text(self, s: AsyncSession, user: User, ctx: Conversation, text: str) -> list[Reply] | None:
        """Thôn names typed after /phutrach asked for them; None when the text is something else."""
        staff = await roles.staff_of(s, user.id)
        wanted = (ctx.get("cover") or {}).get("staff")
        names = teams.parse_hamlets(text)
        if not nudging.may_nudge(staff) or not isinstance(wanted, int) or not names:
            return None
        assert staff is not None
        target = await self._member(s, staff, wanted)
        if target is None:
            return [Reply(msg.COVER_NOT_MEMBER)]
        return await self._save(s, ctx, staff, target, names)

    async def _save(self, s: AsyncSession, ctx: Conversation, staff: Staff, target: Staff,
                    names: list[str]) -> list[Reply]:
        ctx.pop("cover", None)
        stored = await teams.set_coverage(s, target, names)
        who = self._who(staff, target)
        log.info("staff %s set the thôn of staff %s (%d)", staff.id, target.id, len(stored))
        if not stored:
            return [Reply(msg.COVER_CLEARED.format(name=who))]
        return [Reply(msg.COVER_SAVED.format(name=who, hamlets=", ".join(stored)))]

    # ------------------------------------------------------------ đôn đốc

    def _status(self, item: nudging.Stalled, now: datetime) -> str:
        """Whether a reminder can go now: "ok", or why not ("off", "unreachable", "window", "recent")."""
        user = item.user
        if (user.context or {}).get("no_reminders"):
            return "off"
        if not user.active or not capability(user.channel).can_push:
            return "unreachable"
        if not window_open(user.channel, user.last_seen_at, now):
            return "window"
        if item.last_nudge is not None and now - item.last_nudge < nudging.NUDGE_GAP:
            return "recent"
        return "ok"

    async def nudges(self, s: AsyncSession, user: User, args: list[str]) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if not nudging.may_nudge(staff):
            return [Reply(msg.NUDGE_ONLY_TEAM)]
        assert staff is not None
        now = self.clock()
        listed = await nudging.stalled(s, staff, self.idle_days, self._core(), self.pass_ratio, now)
        if not args or not (args[0] == "tatca" or args[0].isdigit()):
            return [self._listing(staff, listed, now)]
        if quiet(now):
            return [Reply(msg.NUDGE_QUIET)]
        chosen = listed if args[0] == "tatca" else [x for x in listed if x.user.id == int(args[0])]
        if not chosen:
            return [Reply(msg.NUDGE_GONE)]
        outcomes = [(item, await self._send(s, staff, item, now)) for item in chosen]
        if args[0] != "tatca":
            item, outcome = outcomes[0]
            return [self._one(item, outcome)]
        return [self._summary([o for _, o in outcomes])]

    def _listing(self, staff: Staff, listed: list[nudging.Stalled], now: datetime) -> Reply:
        days = self.idle_days
        unit = roles.home_scope(staff).name
        if not listed:
            none = msg.NUDGE_NONE_VOLUNTEER if staff.role == "volunteer" else msg.NUDGE_NONE_COMMUNE
            return Reply(none.format(days=days, unit=unit))
        head = msg.NUDGE_HEAD_VOLUNTEER if staff.role == "volunteer" else msg.NUDGE_HEAD_COMMUNE
        lines = [head.format(days=days, unit=unit, n=len(listed))]
        total = len(self._core())
        sendable = []
        for i, item in enumerate(listed, 1):
            status = self._status(item, now)
            if status == "ok":
                sendable.append(item)
            if i > LISTED:
                continue
            note = {"ok": "", "off": msg.NUDGE_NOTE_OFF, "unreachable": msg.NUDGE_NOTE_UNREACHABLE,
                    "window": msg.NUDGE_NOTE_WINDOW,
                    "recent": msg.NUDGE_NOTE_RECENT.format(date=_day(item.last_nudge or now))}[status]
            # The thôn only for the commune's officers: a volunteer sees what the learner agreed to share with them.
            hamlet = f" ({item.user.hamlet})" if staff.role == "commune_admin" and item.user.hamlet else ""
            lines.append(msg.NUDGE_LINE.format(i=i, name=item.user.display_name or msg.MINE_NONAME, hamlet=hamlet,
                                               passed=item.passed, total=total, note=note))
        if len(listed) > LISTED:
            lines.append(msg.NUDGE_MORE.format(n=len(listed) - LISTED))
        lines += ["", msg.NUDGE_FOOT if sendable else msg.NUDGE_FOOT_NONE]
        buttons = [Button(msg.BTN_NUDGE_ONE.format(name=(x.user.display_name or msg.MINE_NONAME)[:20]),
                          f"/dondoc {x.user.id}") for x in sendable[:NAMED_BUTTONS]]
        if len(sendable) > 1:
            buttons.append(Button(msg.BTN_NUDGE_ALL.format(n=len(sendable)), "/dondoc tatca"))
        return Reply("\n".join(lines), tuple(buttons))

    async def _send(self, s: AsyncSession, staff: Staff, item: nudging.Stalled, now: datetime) -> str:
        """Queue one reminder when it may go; returns "sent" or why not."""
        status = self._status(item, now)
        if status != "ok":
            return status
        user = item.user
        if not await nudging.claim_nudge(s, staff, user, now):
            item.last_nudge = await nudging.last_nudge(s, user.id)
            return "recent"
        reminder = await self.reminder(s, staff, user)
        await repo.outbox_push(s, user.channel, user.channel_user_id, reminder.to_payload())
        log.info("staff %s reminded user %s", staff.id, user.id)
        return "sent"

    async def reminder(self, s: AsyncSession, staff: Staff, user: User) -> Reply:
        """The message the learner gets: who asked, how far they are, and the button to go on."""
        sender = member_name(staff)
        if staff.display_name:
            commune = units.commune(staff.ward_code) if staff.ward_code is not None else None
            sender = msg.NUDGE_SENDER.format(name=staff.display_name, role=msg.NUDGE_ROLES.get(staff.role, ""),
                                             unit=commune.name if commune else "")
        core = self.learning.core()
        passed = await self.learning.passed(s, user)
        done = sum(x.id in passed for x in core)
        progress = msg.NUDGE_PROGRESS.format(passed=done, total=len(core)) if done else msg.NUDGE_STARTED
        nxt = await self.learning.next_lesson(s, user)
        name = user.display_name or msg.REG_DEFAULT_NAME
        text = (msg.NUDGE_TEXT.format(name=name, sender=sender, progress=progress, title=nxt.title) if nxt
                else msg.NUDGE_TEXT_ANY.format(name=name, sender=sender, progress=progress))
        return Reply(text, (Button(msg.BTN_CONTINUE, "/hoctiep"), Button(msg.BTN_NUDGE_STOP, "/tatnhac")))

    def _one(self, item: nudging.Stalled, outcome: str) -> Reply:
        name = item.user.display_name or msg.MINE_NONAME
        if outcome == "sent":
            return Reply(msg.NUDGE_SENT.format(name=name), (Button(msg.BTN_STAFF_NUDGE, "/dondoc"),))
        if outcome == "recent":
            last = item.last_nudge or self.clock()
            return Reply(msg.NUDGE_TOO_SOON.format(name=name, date=_day(last), next=_day(last + nudging.NUDGE_GAP)))
        text = {"window": msg.NUDGE_WINDOW, "off": msg.NUDGE_OFF}.get(outcome, msg.NUDGE_UNREACHABLE)
        return Reply(text.format(name=name))

    @staticmethod
    def _summary(outcomes: list[str]) -> Reply:
        count = Counter(outcomes)
        sent = count.pop("sent", 0)
        lines = [msg.NUDGE_SENT_MANY.format(n=sent) if sent else msg.NUDGE_SENT_NONE]
        skipped = [(msg.NUDGE_SKIPPED_RECENT, count["recent"]), (msg.NUDGE_SKIPPED_WINDOW, count["window"]),
                   (msg.NUDGE_SKIPPED_OFF, count["off"]), (msg.NUDGE_SKIPPED_UNREACHABLE, count["unreachable"])]
        if sent and any(n for _, n in skipped):
            lines.append(msg.NUDGE_SKIPPED_HEAD)
        lines += [text.format(n=n) for text, n in skipped if n]
        return Reply("\n".join(lines))
