"""The commune's Tổ công nghệ số cộng đồng and "đôn đốc", on SQLite and PostgreSQL.

The thôn each member covers (set in the chat and on the web), the team's numbers on generated data (members,
thôn with and without a volunteer, people helped by topic and by member, reminders), communes without a
volunteer, and one kind reminder per learner per week, only where the channel lets us write first.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
from sqlalchemy import func, select, update

from bot import messages as msg
from bot.reach import TZ
from bot.service import Tutor
from bot.types import Reply
from storage import nudges, repo, roles, teams, units
from storage.models import (
    AuditEvent,
    Completion,
    Nudge,
    OutboxItem,
    QuizAttempt,
    Staff,
    StaffHamlet,
    SupportSession,
    UnitTarget,
    User,
    VolunteerLink,
    utcnow,
)
from storage.roles import ScopeError
from storage.units import Scope
from tests.chat import ScriptedChat
from tests.test_admin_web import (  # noqa: F401 - the web fixture and its helpers, reused
    FORMULA_HAMLET,
    PHONE_HAMLET,
    Site,
    csrf_of,
    signed_in,
    site,
)

HONG_BANG = units.find_communes("hong bang")[0]
HB = Scope(HONG_BANG.province_code, HONG_BANG.code)
SIBLING = next(c for c in units.find_communes("an") if c.province_code == HONG_BANG.province_code
               and c.code != HONG_BANG.code)
FAR = next(c for c in units.find_communes("an binh") if c.province_code != HONG_BANG.province_code)
# 12:00 in Vietnam today, for the reminders' clock (quiet hours are 21:00 to 07:00).
NOON_VN = datetime.now(UTC).replace(hour=5, minute=0, second=0, microsecond=0)


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def _grant(tutor: Tutor, user: str, role: str, scope: Scope, channel: str = "telegram") -> int:
    async with tutor.db.transaction() as s:
        return (await roles.grant(s, channel, user, role, scope)).id


async def _user_id(tutor: Tutor, chat_id: str) -> int:
    async with tutor.db.transaction() as s:
        return int((await s.execute(select(User.id).where(User.channel_user_id == chat_id))).scalar_one())


async def _learner(tutor: Tutor, chat_id: str, name: str, hamlet: str | None = "Thôn 2", channel: str = "telegram",
                   commune: units.Commune | None = HONG_BANG, passed: int = 0, started: bool = True,
                   seen: datetime | None = None, registered: bool = True) -> int:
    """A learner as the database holds them: registered (or not), `passed` core lessons passed, last seen `seen`."""
    async with tutor.db.transaction() as s:
        user = await repo.get_or_create_user(s, channel, chat_id)
        if registered and commune is not None:
            user.consent_at = utcnow() - timedelta(days=40)
            user.display_name, user.hamlet = name, hamlet
            user.province_code, user.ward_code = commune.province_code, commune.code
        else:
            user.display_name = name
        user.last_seen_at = seen or NOON_VN - timedelta(days=10)
        core = list(tutor.kb.programme.core_lessons) if tutor.kb.programme else []
        for lesson_id in core[:passed]:
            s.add(QuizAttempt(user_id=user.id, lesson_id=lesson_id, status="finished", n_questions=5, n_correct=5,
                              score=1.0, finished_at=user.last_seen_at))
        if started and not passed:
            s.add(QuizAttempt(user_id=user.id, lesson_id=core[0], status="finished", n_questions=5, n_correct=1,
                              score=0.2, finished_at=user.last_seen_at))
        await s.flush()
        return user.id


async def _link(tutor: Tutor, user_id: int, staff_id: int, days_ago: int = 20) -> None:
    async with tutor.db.transaction() as s:
        s.add(VolunteerLink(user_id=user_id, staff_id=staff_id, kind="referred",
                            created_at=utcnow() - timedelta(days=days_ago)))


# ---------------------------------------------------------------- the thôn each member covers, in the chat


async def test_members_set_the_thon_they_cover_in_the_chat(tutor: Tutor) -> None:
    room: dict[str, list[Reply]] = {}
    admin, lan, minh, far = (ScriptedChat(tutor, u, "telegram", room) for u in ("xa", "lan", "minh", "xa-khac"))
    for chat in (admin, lan, minh, far):
        await chat.say("xin chào")
    await _grant(tutor, "xa", "commune_admin", HB)
    await _grant(tutor, "lan", "volunteer", HB)
    minh_id = await _grant(tutor, "minh", "volunteer", HB)
    await _grant(tutor, "xa-khac", "commune_admin", Scope(FAR.province_code, FAR.code))
    await lan.say("/ten Chị Lan")
    await minh.say("/ten Anh Minh")
    for i, hamlet in enumerate(["Thôn 1", "Thôn 1", "Thôn 2", "Thôn 2", "thôn 2", "Thôn 3"]):
        await _learner(tutor, f"hv{i}", f"Người {i}", hamlet)
    async with tutor.db.transaction() as s:
        s.add(UnitTarget(unit=f"X{HONG_BANG.code}:Thôn 9", population=120))

    menu = await lan.say("/canbo")
    assert {"/dondoc", "/phutrach"} <= {b.value for b in menu[-1].buttons}
    asked = await lan.say("thôn phụ trách")  # in words, as a volunteer would type it
    assert msg.COVER_SHOW_NONE.format(name=msg.COVER_YOU) in asked[-1].text
    assert [b.label for b in asked[-1].buttons][:4] == [msg.BTN_COVER_ADD.format(hamlet=h)
                                                        for h in ("Thôn 1", "Thôn 2", "Thôn 3", "Thôn 9")]
    saved = await lan.say("thon 1 và Thôn 2")  # typed at the prompt, spelled loosely
    assert saved[-1].text == msg.COVER_SAVED.format(name=msg.COVER_YOU, hamlets="Thôn 1, Thôn 2")
    assert (await lan.say(f"/phutrach {minh_id}"))[-1].text == msg.COVER_NOT_MEMBER  # only their own

    # The commune admin gives Anh Minh a thôn nobody covers yet, with two taps.
    pick = await admin.say("/phutrach")
    assert msg.BTN_COVER_ME in [b.label for b in pick[-1].buttons]
    shown = await admin.press(pick[-1], "Anh Minh")
    assert msg.COVER_SHOW_NONE.format(name="Anh Minh") in shown[-1].text
    assert [b.label for b in shown[-1].buttons][:2] == ["➕ Thôn 3", "➕ Thôn 9"]  # Lan's thôn are not offered
    added = await admin.press(shown[-1], "Thôn 3")
    assert added[-1].text == msg.COVER_SAVED.format(name="Anh Minh", hamlets="Thôn 3")
    await admin.say(f"/phutrach {minh_id}")
    assert (await admin.say("thôi"))[-1].text == msg.COVER_KEPT  # nothing changes
    assert (await far.say(f"/phutrach {minh_id}"))[-1].text == msg.COVER_NOT_MEMBER  # another commune's admin

    async with tutor.db.transaction() as s:
        rows = (await s.execute(select(Staff.display_name, StaffHamlet.hamlet).join(
            Staff, Staff.id == StaffHamlet.staff_id).order_by(StaffHamlet.hamlet))).all()
    assert [tuple(r) for r in rows] == [("Chị Lan", "Thôn 1"), ("Chị Lan", "Thôn 2"), ("Anh Minh", "Thôn 3")]

    summary = await admin.say("tổ công nghệ số")
    text = summary[-1].text
    assert "Thành viên: 3 (2 tình nguyện viên)" in text
    assert "Thôn, tổ dân phố có người phụ trách: 3/4" in text
    assert msg.TEAM_UNCOVERED.format(names="Thôn 9") in text
    assert "• Chị Lan (Thôn 1, Thôn 2): theo dõi 0 người" in text
    assert [b.value for b in summary[-1].buttons] == ["/phutrach", "/dondoc"]
    assert (await lan.say("/tocongnghe"))[-1].text == msg.TEAM_ONLY_ADMINS
    assert (await far.say(f"/tocongnghe X{HONG_BANG.code}"))[-1].text == msg.STATS_FORBIDDEN

    stats_reply = (await admin.say("/thongke"))[-1]
    assert msg.STATS_TEAM_COMMUNE.format(volunteers=2, uncovered=1, nudges=0) in stats_reply.text
    assert stats_reply.buttons[0].value == f"/tocongnghe X{HONG_BANG.code}"

    # A member moved to another commune no longer covers the old commune's thôn.
    await _grant(tutor, "minh", "volunteer", Scope(SIBLING.province_code, SIBLING.code))
    async with tutor.db.transaction() as s:
        assert await teams.coverage(s, minh_id) == []


# ---------------------------------------------------------------- the team's numbers


async def test_team_numbers_on_generated_data(tutor: Tutor) -> None:
    now = utcnow()
    since, until = now - timedelta(days=30), now

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    async with tutor.db.transaction() as s:
        def member(role: str, name: str | None, commune: units.Commune = HONG_BANG, active: bool = True) -> Staff:
            st = Staff(user_id=None, role=role, province_code=commune.province_code, ward_code=commune.code,
                       display_name=name, active=active, created_at=ago(60))
            s.add(st)
            return st

        lan, minh, nam = member("volunteer", "Chị Lan"), member("volunteer", None), member("commune_admin", "Anh Nam")
        gone = member("volunteer", "Đã nghỉ", active=False)
        member("commune_admin", "Cán bộ xã bên", SIBLING)  # a commune with an officer but no volunteer
        await s.flush()
        for st, hamlet in ((lan, "Thôn 1"), (lan, "Thôn 2"), (minh, "Thôn 3"), (gone, "Thôn 4")):
            s.add(StaffHamlet(staff_id=st.id, hamlet=hamlet))
        people = [("Thôn 1", 41)] * 3 + [("Thôn 2", 41), ("Thôn 3", 41), ("Thôn 4", 41), ("Thôn 4", 41),
                                         ("Thôn 5", 1)]
        users = []
        for i, (hamlet, days) in enumerate(people):
            u = User(channel="telegram", channel_user_id=f"g{i}", consent_at=ago(days), display_name=f"N{i}",
                     province_code=HONG_BANG.province_code, ward_code=HONG_BANG.code, hamlet=hamlet, context={})
            s.add(u)
            users.append(u)
        s.add(UnitTarget(unit=f"X{HONG_BANG.code}:Thôn 6", population=50))
        await s.flush()
        for st, topic, n, days in ((lan, "vneid", 5, 10), (lan, "muc2", 3, 5), (lan, "vneid", 4, 40),
                                   (minh, "luadao", 7, 2), (None, "dvc", 2, 3)):
            s.add(SupportSession(staff_id=st.id if st else None, topic=topic, people=n,
                                 province_code=HONG_BANG.province_code, ward_code=HONG_BANG.code, created_at=ago(days)))
        s.add(SupportSession(staff_id=None, topic="khac", people=1, province_code=SIBLING.province_code,
                             ward_code=SIBLING.code, created_at=ago(1)))
        for u in users[:3]:
            s.add(VolunteerLink(user_id=u.id, staff_id=lan.id, kind="referred", created_at=ago(20)))
        s.add(VolunteerLink(user_id=users[3].id, staff_id=minh.id, kind="helped", created_at=ago(20)))
        s.add(VolunteerLink(user_id=users[4].id, staff_id=minh.id, kind="helped", created_at=ago(-1)))  # after
        s.add(Completion(user_id=users[0].id, programme="P", completed_at=ago(3), ward_code=HONG_BANG.code,
                         province_code=HONG_BANG.province_code))
        s.add(Completion(user_id=users[1].id, programme="P", completed_at=ago(50), ward_code=HONG_BANG.code,
                         province_code=HONG_BANG.province_code))
        for st, u, days in ((lan, users[1], 3), (lan, users[2], 40), (nam, users[4], 1), (None, users[5], 2)):
            s.add(Nudge(user_id=u.id, staff_id=st.id if st else None, province_code=HONG_BANG.province_code,
                        ward_code=HONG_BANG.code, sent_at=ago(days)))
        ids = {"lan": lan.id, "minh": minh.id, "nam": nam.id}

    async with tutor.db.transaction() as s:
        rep = await teams.report(s, HB, since, until)
        province = await teams.report(s, Scope(province_code=HONG_BANG.province_code), since, until)
        country = await teams.report(s, Scope(), since, until)
        volunteer = await s.get(Staff, ids["lan"])
        officer = await s.get(Staff, ids["nam"])
        for who, scope in ((volunteer, HB), (officer, Scope(province_code=HONG_BANG.province_code)),
                           (officer, Scope(SIBLING.province_code, SIBLING.code))):
            try:
                await teams.report_for(s, who, scope)
                raise AssertionError(f"{who.role} saw {scope.code}")
            except ScopeError:
                pass
        assert (await teams.report_for(s, officer, HB, since, until)).total.nudges == 3

    t = rep.total
    assert (t.members, t.volunteers, t.communes_with_volunteers) == (3, 2, 1)
    assert (t.hamlets_known, t.hamlets_covered, t.hamlets_uncovered) == (6, 3, 3)
    assert rep.uncovered == ["Thôn 4", "Thôn 5", "Thôn 6"]
    assert (t.sessions, t.people, t.nudges) == (4, 17, 3)
    assert rep.by_topic == {"dvc": (1, 2), "luadao": (1, 7), "muc2": (1, 3), "vneid": (1, 5)}
    by_id = {m.staff_id: m for m in rep.members}
    assert [m.role for m in rep.members] == ["volunteer", "volunteer", "commune_admin"]  # volunteers first
    assert {m.staff_id for m in rep.members} == set(ids.values())  # not the one who left
    lan_row, minh_row = by_id[ids["lan"]], by_id[ids["minh"]]
    assert (lan_row.hamlets, lan_row.linked, lan_row.completed) == (["Thôn 1", "Thôn 2"], 3, 1)
    assert (lan_row.sessions, lan_row.people, lan_row.by_topic, lan_row.nudges) == (2, 8, {"muc2": 3, "vneid": 5}, 1)
    assert (minh_row.linked, minh_row.people, minh_row.by_topic, minh_row.nudges) == (1, 7, {"luadao": 7}, 0)
    assert by_id[ids["nam"]].nudges == 1
    thon4 = next(h for h in rep.hamlets if h.name == "Thôn 4")
    assert (thon4.learners, thon4.covered_by) == (2, [])  # the member who covered it is no longer active

    communes = units.communes_of(HONG_BANG.province_code)
    rows = {r.key: r for r in province.children}
    assert len(province.children) == len(communes) == province.total.communes
    assert (rows[str(HONG_BANG.code)].volunteers, rows[str(HONG_BANG.code)].people) == (2, 17)
    assert (rows[str(SIBLING.code)].members, rows[str(SIBLING.code)].volunteers) == (1, 0)
    assert province.total.communes_with_volunteers == 1 and province.total.nudges == 3
    no_volunteer = [code for code, _, _ in province.no_volunteer]
    assert SIBLING.code in no_volunteer and HONG_BANG.code not in no_volunteer
    assert len(no_volunteer) == len(communes) - 1
    assert province.total.people == 18 and province.total.hamlets_uncovered == 3
    country_row = next(r for r in country.children if r.key == str(HONG_BANG.province_code))
    assert (country_row.communes_with_volunteers, country_row.volunteers, country_row.communes) == (1, 2, len(communes))
    assert country.total.volunteers == 2 and len(country.children) == 34

    # The same period seen to a day ago: the Thôn 5 learner registered after it, the last reminder came after it.
    async with tutor.db.transaction() as s:
        earlier = await teams.report(s, HB, since, ago(1.5))
    assert (earlier.total.hamlets_known, earlier.total.nudges) == (5, 2)


# ---------------------------------------------------------------- đôn đốc


async def test_a_kind_reminder_once_a_week_only_where_the_channel_allows(tutor: Tutor) -> None:
    team = tutor.dialogue.team
    team.clock = lambda: NOON_VN
    room: dict[str, list[Reply]] = {}
    lan, admin = ScriptedChat(tutor, "lan", "telegram", room), ScriptedChat(tutor, "xa", "telegram", room)
    hoa, bay = ScriptedChat(tutor, "hoa", "telegram", room), ScriptedChat(tutor, "bay", "telegram", room)
    chin = ScriptedChat(tutor, "chin", "telegram", room)
    for chat in (lan, admin, hoa, bay):
        await chat.say("xin chào")
    lan_id = await _grant(tutor, "lan", "volunteer", HB)
    await _grant(tutor, "xa", "commune_admin", HB)
    await lan.say("/ten Chị Lan")
    await bay.say("/tatnhac")  # Bảy asked for no reminders
    learners = {
        "hoa": await _learner(tutor, "hoa", "Hoa", "Thôn 2", passed=2),
        "bay": await _learner(tutor, "bay", "Bảy", "Thôn 2"),
        "tu": await _learner(tutor, "tu", "Tư", "Thôn 3", channel="zalo"),
        "ba": await _learner(tutor, "ba", "Ba", started=False),  # never started
        "sau": await _learner(tutor, "sau", "Sáu", seen=NOON_VN - timedelta(days=2)),  # was here two days ago
        "nam": await _learner(tutor, "nam", "Năm", passed=1),
        "chin": await _learner(tutor, "chin", "Chín", "Thôn 4"),  # the commune's, not Lan's
        "khac": await _learner(tutor, "khac", "Khác", commune=SIBLING),  # another commune
    }
    for name in ("hoa", "bay", "tu", "ba", "sau", "nam"):
        await _link(tutor, learners[name], lan_id)
    async with tutor.db.transaction() as s:
        s.add(Completion(user_id=learners["nam"], programme="P", ward_code=HONG_BANG.code))  # finished already
    for chat in (lan, admin, hoa, bay):
        chat.take()

    listing = (await lan.say("đôn đốc"))[-1]
    total = len(tutor.kb.programme.core_lessons) if tutor.kb.programme else 0
    assert msg.NUDGE_HEAD_VOLUNTEER.format(days=7, n=3) in listing.text  # Hoa, Bảy, Tư
    assert f"Hoa: đạt 2/{total} bài\n" in listing.text + "\n"
    assert "Bảy: đạt 0/" in listing.text and msg.NUDGE_NOTE_OFF in listing.text
    assert "Tư: đạt 0/" in listing.text and msg.NUDGE_NOTE_WINDOW in listing.text
    for absent in ("Ba:", "Sáu:", "Năm:", "Chín:", "Thôn 2"):  # a volunteer never sees the thôn
        assert absent not in listing.text, absent
    assert [b.label for b in listing.buttons] == [msg.BTN_NUDGE_ONE.format(name="Hoa")]

    sent = await lan.press(listing, "Hoa")
    assert sent[-1].text == msg.NUDGE_SENT.format(name="Hoa")
    got = hoa.take()
    assert len(got) == 1
    assert got[0].text.startswith(f"Cháu chào Hoa ạ! Chị Lan, tình nguyện viên ở {HONG_BANG.name}, nhờ cháu")
    assert f"2/{total}" in got[0].text and "OTP" not in got[0].text
    assert [b.value for b in got[0].buttons] == ["/hoctiep", "/tatnhac"]

    # A second reminder within 7 days is refused kindly, whoever asks.
    again = await lan.say(f"/dondoc {learners['hoa']}")
    day = NOON_VN.astimezone(TZ)
    assert again[-1].text == msg.NUDGE_TOO_SOON.format(name="Hoa", date=day.strftime("%d/%m"),
                                                       next=(day + timedelta(days=7)).strftime("%d/%m"))
    relisted = (await lan.say("/dondoc"))[-1]
    assert msg.NUDGE_NOTE_RECENT.format(date=day.strftime("%d/%m")) in relisted.text
    assert relisted.buttons == () and msg.NUDGE_FOOT_NONE in relisted.text
    assert hoa.take() == []

    commune = (await admin.say("/dondoc"))[-1]
    assert msg.NUDGE_HEAD_COMMUNE.format(unit=HONG_BANG.label, days=7, n=4) in commune.text
    assert "Chín (Thôn 4): đạt 0/" in commune.text and "Khác" not in commune.text
    assert [b.label for b in commune.buttons] == [msg.BTN_NUDGE_ONE.format(name="Chín")]
    summary = (await admin.say("/dondoc tatca"))[-1].text
    assert summary.startswith(msg.NUDGE_SENT_MANY.format(n=1))  # only Chín
    for line in (msg.NUDGE_SKIPPED_RECENT.format(n=1), msg.NUDGE_SKIPPED_WINDOW.format(n=1),
                 msg.NUDGE_SKIPPED_OFF.format(n=1)):
        assert line in summary
    assert (await lan.say(f"/dondoc {learners['tu']}"))[-1].text == msg.NUDGE_WINDOW.format(name="Tư")
    assert (await lan.say(f"/dondoc {learners['bay']}"))[-1].text == msg.NUDGE_OFF.format(name="Bảy")
    assert (await lan.say(f"/dondoc {learners['chin']}"))[-1].text == msg.NUDGE_GONE  # not one of Lan's

    async with tutor.db.transaction() as s:
        nudges = (await s.execute(select(Nudge.user_id, Nudge.staff_id).order_by(Nudge.id))).all()
        queued = (await s.execute(select(OutboxItem.channel_user_id).where(
            OutboxItem.inbox_id.is_(None), OutboxItem.payload["text"].as_string().like("Cháu chào%")))).scalars().all()
    assert [u for u, _ in nudges] == [learners["hoa"], learners["chin"]]
    assert sorted(queued) == ["chin", "hoa"]  # nothing for Tư on Zalo
    assert len(chin.take()) == 1

    # A week later Hoa may be reminded again.
    async with tutor.db.transaction() as s:
        await s.execute(update(Nudge).where(Nudge.user_id == learners["hoa"]).values(
            sent_at=NOON_VN - timedelta(days=7, minutes=1)))
    assert (await lan.say(f"/dondoc {learners['hoa']}"))[-1].text == msg.NUDGE_SENT.format(name="Hoa")

    # Inside Zalo's 48 hours (stalled after one day here) the reminder goes, through the outbox.
    team.idle_days = 1
    async with tutor.db.transaction() as s:
        await s.execute(update(User).where(User.id == learners["tu"]).values(
            last_seen_at=NOON_VN - timedelta(hours=30)))
    assert (await lan.say(f"/dondoc {learners['tu']}"))[-1].text == msg.NUDGE_SENT.format(name="Tư")
    async with tutor.db.transaction() as s:
        zalo = (await s.execute(select(OutboxItem).where(OutboxItem.channel == "zalo"))).scalars().all()
    assert len(zalo) == 1 and zalo[0].channel_user_id == "tu" and "Chị Lan" in zalo[0].payload["text"]

    # Late in the evening nothing is sent.
    team.clock = lambda: NOON_VN.replace(hour=15)  # 22:00 in Vietnam
    assert (await lan.say("/dondoc tatca"))[-1].text == msg.NUDGE_QUIET
    team.clock = lambda: NOON_VN

    # The reminder's button takes Hoa straight back to her lessons; she is no longer stalled.
    title = re.search(r"học bài «(.+?)»", got[0].text)
    assert title is not None
    back = await hoa.press(got[0], msg.BTN_CONTINUE)
    async with tutor.db.transaction() as s:
        reading = (await s.get(User, learners["hoa"])).context.get("lesson", {})  # type: ignore[union-attr]
    lesson = tutor.kb.lesson(reading.get("id", ""))
    assert back and lesson is not None and lesson.title == title.group(1)  # the lesson the reminder named
    assert (await lan.say(f"/dondoc {learners['hoa']}"))[-1].text == msg.NUDGE_GONE

    async with tutor.db.transaction() as s:
        # The reminders were stamped with the real time, which is after the test's noon when run in the afternoon.
        until = max(NOON_VN, datetime.now(UTC)) + timedelta(seconds=1)
        rep = await teams.report(s, HB, NOON_VN - timedelta(days=30), until)
    assert rep.total.nudges == 4
    assert next(m for m in rep.members if m.staff_id == lan_id).nudges == 3


async def test_two_senders_at_once_send_one_reminder(tutor: Tutor) -> None:
    learner = await _learner(tutor, "hoa", "Hoa")
    first = await _grant(tutor, "lan", "volunteer", HB)
    second = await _grant(tutor, "xa", "commune_admin", HB)

    async def claim(staff_id: int) -> bool:
        async with tutor.db.transaction() as s:
            staff, user = await s.get(Staff, staff_id), await s.get(User, learner)
            assert staff is not None and user is not None
            won = await nudges.claim_nudge(s, staff, user, utcnow())
            await asyncio.sleep(0.2)  # hold the transaction open while the other one tries
            return won

    results = await asyncio.gather(claim(first), claim(second))
    assert sorted(results) == [False, True]
    async with tutor.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(Nudge))).scalar_one() == 1


async def test_erasing_a_learner_keeps_the_reminder_as_a_count(tutor: Tutor) -> None:
    tutor.dialogue.team.clock = lambda: NOON_VN
    room: dict[str, list[Reply]] = {}
    lan, hoa = ScriptedChat(tutor, "lan", "telegram", room), ScriptedChat(tutor, "hoa", "telegram", room)
    await lan.say("xin chào")
    await hoa.say("xin chào")
    lan_id = await _grant(tutor, "lan", "volunteer", HB)
    await lan.say("/ten Chị Lan")
    await _link(tutor, await _learner(tutor, "hoa", "Hoa", passed=1), lan_id)
    listing = (await lan.say("/dondoc"))[-1]
    await lan.press(listing, "Hoa")

    exported = await hoa.say("/taidulieu")
    export_file = next(r.file_path for r in exported if r.file_path)
    data = json.loads(Path(export_file).read_text(encoding="utf-8"))
    assert [r["from"] for r in data["learning_reminders_received"]] == ["Chị Lan"]
    await hoa.say("/xoadulieu xacnhan")
    async with tutor.db.transaction() as s:
        rows = (await s.execute(select(Nudge.user_id, Nudge.staff_id, Nudge.ward_code))).all()
        rep = await teams.report(s, HB)
    assert [tuple(r) for r in rows] == [(None, lan_id, HONG_BANG.code)]
    assert rep.total.nudges == 1


# ---------------------------------------------------------------- the web page and the XLSX sheets


async def test_team_page_coverage_form_and_xlsx(site: Site) -> None:  # noqa: F811 - the fixture
    d, tutor = site.data, site.tutor
    now = utcnow()
    async with tutor.db.transaction() as s:
        lan = Staff(user_id=None, role="volunteer", province_code=d.a.province_code, ward_code=d.a.code,
                    display_name="Chị Lan", created_at=now - timedelta(days=90))
        s.add(lan)
        await s.flush()
        s.add(StaffHamlet(staff_id=lan.id, hamlet="Thôn 1"))
        s.add(SupportSession(staff_id=lan.id, topic="luadao", people=4, province_code=d.a.province_code,
                             ward_code=d.a.code, created_at=now - timedelta(days=2)))
        s.add(Nudge(user_id=1, staff_id=lan.id, province_code=d.a.province_code, ward_code=d.a.code,
                    sent_at=now - timedelta(days=1)))
        lan_id = lan.id

    async with signed_in(site, "xa.a") as client:
        unit = await client.get(f"/admin/unit/X{d.a.code}")
        assert f'href="/admin/team/X{d.a.code}"' in unit.text
        page = await client.get(f"/admin/team/X{d.a.code}")
        assert page.status_code == 200
        cards = dict(re.findall(r'data-metric="(\w+)">([^<]+)<', page.text))
        assert cards == {"members": "2", "hamlets_covered": "1/3", "hamlets_uncovered": "2", "people": "10",
                         "nudges": "1"}
        row = page.text.split(f'data-member="{lan_id}"')[1].split("</tr>")[0]
        assert "Chị Lan" in row and "Thôn 1" in row and "Tình nguyện viên" in row
        uncovered = page.text.split('id="uncovered"')[1].split("</div>")[0]
        assert PHONE_HAMLET in uncovered and "HYPERLINK" in uncovered and "Thôn 1" not in uncovered
        assert "<a href" not in uncovered  # the thôn named like a formula is text, not markup
        topics = dict(re.findall(r'data-topic="(\w+)"><td>[^<]*</td><td>\d+</td><td>(\d+)</td>', page.text))
        assert topics["vneid"] == "6" and topics["luadao"] == "4" and topics["dvc"] == "0"

        # The thôn each member covers, set on the web (CSRF-checked, audited).
        assert (await client.post(f"/admin/team/X{d.a.code}", data={f"h_{lan_id}": "Thôn 1"})).status_code == 403
        saved = await client.post(f"/admin/team/X{d.a.code}",
                                  data={"csrf": csrf_of(page.text), f"h_{lan_id}": "Thôn 1, thon 9 ; " + PHONE_HAMLET})
        assert saved.status_code == 200 and msg.ADMIN_COVERAGE_SAVED in saved.text
        assert re.search(r'data-metric="hamlets_covered">2/3<', saved.text)
        async with tutor.db.transaction() as s:
            assert await teams.coverage(s, lan_id) == ["+84 912 345 678", "Thôn 1", "Thôn 9"]

        for url in (f"/admin/team/P{d.a.province_code}", f"/admin/team/X{d.a2.code}", f"/admin/team/X{d.b.code}",
                    "/admin/team/VN"):
            assert (await client.get(url)).status_code == 403, url
        xlsx = await client.get(f"/admin/unit/X{d.a.code}/export.xlsx")

    async with signed_in(site, "tinh.b") as client:
        page = await client.get(f"/admin/team/P{d.b.province_code}")
        assert (await client.get(f"/admin/team/X{d.a.code}")).status_code == 403
        forged = await client.post(f"/admin/team/X{d.a.code}", data={"csrf": csrf_of(page.text), f"h_{lan_id}": ""})
        assert forged.status_code == 403
    async with tutor.db.transaction() as s:
        assert len(await teams.coverage(s, lan_id)) == 3
        audit = (await s.execute(select(AuditEvent.subject).where(AuditEvent.action == "team_coverage_set"))).all()
    assert [a for (a,) in audit] == [f"X{d.a.code}"]

    async with signed_in(site, "tinh.a") as client:
        province = await client.get(f"/admin/team/P{d.a.province_code}")
        assert province.status_code == 200
        communes = units.communes_of(d.a.province_code)
        assert re.search(rf'data-metric="communes_with_volunteers">1/{len(communes)}<', province.text)
        missing = province.text.split('id="no-volunteer"')[1].split("</ol>")[0]
        assert d.a2.name in missing and f">{d.a.name}<" not in missing
        assert f'href="/admin/team/X{d.a.code}"' in province.text  # drill down to the commune's team
        province_xlsx = await client.get(f"/admin/unit/P{d.a.province_code}/export.xlsx")

    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == list(msg.XLSX_SHEETS.values())
    sheet = wb[msg.XLSX_SHEETS["team"]]
    head = [c.value for c in sheet[2]]
    table = {r[0]: dict(zip(head, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    lab = msg.TEAM_LABELS
    assert table["Chị Lan"][lab["people"]] == 4 and table["Chị Lan"][lab["nudges"]] == 1
    assert table["Chị Lan"][f"{lab['people']}: {msg.SUPPORT_TOPICS['luadao']}"] == 4
    assert table[msg.STATS_TOTAL][lab["people"]] == 10  # the officer's own session of 6 counts in the total
    gaps = [r[0] for r in wb[msg.XLSX_SHEETS["uncovered"]].iter_rows(min_row=3, values_only=True)]
    assert gaps == ["'" + FORMULA_HAMLET]  # the other two thôn are covered now; the formula stays text

    wb = openpyxl.load_workbook(io.BytesIO(province_xlsx.content))
    sheet = wb[msg.XLSX_SHEETS["team"]]
    head = [c.value for c in sheet[2]]
    table = {r[0]: dict(zip(head, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert table[f"X{d.a.code}"][lab["volunteers"]] == 1 and table[f"X{d.a.code}"][lab["nudges"]] == 1
    assert table[f"P{d.a.province_code}"][lab["communes_with_volunteers"]] == 1
    gaps = [r[0] for r in wb[msg.XLSX_SHEETS["uncovered"]].iter_rows(min_row=3, values_only=True)]
    assert f"X{d.a2.code}" in gaps and f"X{d.a.code}" not in gaps and len(gaps) == len(communes) - 1
